import DeepSwiftAutodiff
import DeepSwiftTensor
import Testing

/// Finite-difference gradient check in float64.
///
/// Projects the output onto a fixed random tensor `r` (so every output element matters), then
/// compares the analytic gradient of `sum(f(x) · r)` from ``Variable/backward(_:)`` with central
/// differences `(L(x + ε) − L(x − ε)) / 2ε` for every element of every input.
///
/// ```swift
/// gradCheck([Tensor.normal([3, 4], dtype: .float64, using: &rng)]) { $0[0].tanh() }
/// ```
public func gradCheck(
    _ inputs: [Tensor], epsilon: Double = 1e-6, rtol: Double = 1e-5, atol: Double = 1e-7,
    _ message: String = "", sourceLocation: SourceLocation = #_sourceLocation,
    _ f: ([Variable]) -> Variable
) {
    let inputs = inputs.map { $0.cast(to: .float64) }
    let parameters = inputs.map { Parameter($0) }
    let output = f(parameters.map { Variable($0) })
    var rng = PhiloxGenerator(seed: 1234)
    let projection = Tensor.normal(output.shape, dtype: .float64, using: &rng)
    output.backward(projection.cast(to: output.dtype))

    func loss(_ values: [Tensor]) -> Double {
        Gradients.withoutRecording {
            (f(values.map { Variable($0) }).value.cast(to: .float64) * projection).sum().scalarValue
        }
    }

    for (k, input) in inputs.enumerated() {
        let analytic = parameters[k].grad?.cast(to: .float64).doubles ?? Array(repeating: 0, count: input.count)
        var values = inputs
        let base = input.contiguous().doubles
        for i in 0..<input.count {
            var plus = base, minus = base
            plus[i] += epsilon
            minus[i] -= epsilon
            values[k] = Tensor(plus, shape: input.shape)
            let up = loss(values)
            values[k] = Tensor(minus, shape: input.shape)
            let down = loss(values)
            let numeric = (up - down) / (2 * epsilon)
            if Swift.abs(numeric - analytic[i]) > atol + rtol * Swift.abs(numeric) && Swift.abs(numeric - analytic[i]) > 1e-6 * Swift.max(1, Swift.abs(numeric)) {
                Issue.record("\(message) input \(k) element \(i): analytic \(analytic[i]) vs numeric \(numeric)", sourceLocation: sourceLocation)
                return
            }
        }
    }
}
