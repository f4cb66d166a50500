import DeepSwiftAutodiff
import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

/// Every differentiable op, checked against finite differences in float64.
@Suite struct GradCheckTests {
    static func normal(_ shape: [Int], seed: UInt64, scale: Double = 1) -> Tensor {
        var rng = PhiloxGenerator(seed: seed)
        return Tensor.normal(shape, std: scale, dtype: .float64, using: &rng)
    }
    /// Values away from 0 (for kinks) and positive (for log/sqrt).
    static func positive(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = PhiloxGenerator(seed: seed)
        return Tensor.uniform(shape, low: 0.3, high: 2.5, dtype: .float64, using: &rng)
    }
    static func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
        let x = normal(shape, seed: seed)
        return x + x.sign() * 0.1
    }

    @Test func arithmeticWithBroadcasting() {
        let a = Self.normal([3, 4], seed: 1), b = Self.normal([4], seed: 2), c = Self.positive([3, 1], seed: 3)
        gradCheck([a, b], "add") { $0[0] + $0[1] }
        gradCheck([a, b], "sub") { $0[0] - $0[1] }
        gradCheck([a, c], "mul") { $0[0] * $0[1] }
        gradCheck([a, c], "div") { $0[0] / $0[1] }
        gradCheck([a], "scalar ops") { (($0[0] * 3 + 1) / 2 - 0.5) * -1 }
        gradCheck([c], "scalar over") { 2 / $0[0] + (1 - $0[0]) }
        gradCheck([a], "neg") { -$0[0] }
        gradCheck([c], "pow") { $0[0].pow(2.5) }
        gradCheck([a, Self.normal([3, 4], seed: 4)], "maximum") { $0[0].maximum($0[1]) }
        gradCheck([a, Self.normal([1, 4], seed: 5)], "minimum") { $0[0].minimum($0[1]) }
    }

    @Test func unaryFunctions() {
        let x = Self.awayFromZero([2, 5], seed: 6), p = Self.positive([2, 5], seed: 7)
        let cases: [(String, Tensor, (Variable) -> Variable)] = [
            ("exp", x, { $0.exp() }), ("log", p, { $0.log() }), ("log1p", p, { $0.log1p() }), ("expm1", x, { $0.expm1() }),
            ("sqrt", p, { $0.sqrt() }), ("rsqrt", p, { $0.rsqrt() }), ("squared", x, { $0.squared() }),
            ("reciprocal", p, { $0.reciprocal() }), ("sin", x, { $0.sin() }), ("cos", x, { $0.cos() }),
            ("tanh", x, { $0.tanh() }), ("sigmoid", x, { $0.sigmoid() }), ("abs", x, { $0.abs() }), ("erf", x, { $0.erf() }),
            ("relu", x, { $0.relu() }), ("leakyRelu", x, { $0.leakyRelu(negativeSlope: 0.2) }), ("elu", x, { $0.elu(alpha: 0.7) }),
            ("selu", x, { $0.selu() }), ("gelu", x, { $0.gelu() }), ("gelu-tanh", x, { $0.gelu(approximation: .tanh) }),
            ("softplus", x, { $0.softplus() }), ("swish", x, { $0.swish() }),
            ("clamped", x, { $0.clamped(min: -0.5, max: 0.8) }),
        ]
        for (name, input, f) in cases { gradCheck([input], name) { f($0[0]) } }
    }

    @Test func reductions() {
        let x = Self.normal([3, 4, 5], seed: 8)
        gradCheck([x], "sum all") { $0[0].sum() }
        gradCheck([x], "sum axes") { $0[0].sum(axes: [0, 2]) }
        gradCheck([x], "sum keepDims") { $0[0].sum(axis: 1, keepDims: true) }
        gradCheck([x], "mean") { $0[0].mean(axes: [1]) }
        gradCheck([x], "max") { $0[0].max(axis: 2) }
        gradCheck([x], "min keepDims") { $0[0].min(axes: [0, 1], keepDims: true) }
        gradCheck([x], "logSumExp") { $0[0].logSumExp(axes: [2]) }
        gradCheck([x], "logSumExp all") { $0[0].logSumExp() }
        gradCheck([x], "variance") { $0[0].variance(axes: [1], correction: 1) }
        gradCheck([x], "standardDeviation") { $0[0].standardDeviation(axes: [2], correction: 0) }
        gradCheck([x], "norm l2") { $0[0].norm(.l2, axes: [2]) }
        gradCheck([x + x.sign() * 0.1], "norm l1") { $0[0].norm(.l1) }
        gradCheck([x], "norm inf") { $0[0].norm(.infinity, axes: [1]) }
        gradCheck([x], "cumulativeSum") { $0[0].cumulativeSum(axis: 1) }
        // Ties share the gradient evenly.
        let tied = Parameter(Tensor([1, 3, 3] as [Double]))
        Variable(tied).max().backward()
        #expect(tied.grad!.scalars(as: Double.self) == [0, 0.5, 0.5])
    }

    @Test func shapesViewsAndIndexing() {
        let x = Self.normal([2, 3, 4], seed: 9)
        gradCheck([x], "reshape") { $0[0].reshaped([4, 6]) * $0[0].reshaped([4, 6]) }
        gradCheck([x], "flatten") { $0[0].flattened(startAxis: 1).squared() }
        gradCheck([x], "permute") { $0[0].permuted([2, 0, 1]).squared() }
        gradCheck([x], "transpose") { $0[0].transposed().exp() }
        gradCheck([x], "squeeze/unsqueeze") { $0[0].unsqueezed(axis: 1).squeezed(axis: 1).tanh() }
        gradCheck([Self.normal([3, 1], seed: 10)], "expand") { $0[0].expanded(to: [2, 3, 4]).squared() }
        gradCheck([x], "slice") { $0[0][1, 1..., TensorSlice.range(step: -2)].squared() }
        gradCheck([x], "narrow") { $0[0].narrowed(axis: 2, start: 1, length: 2).exp() }
        gradCheck([x], "flip") { $0[0].flipped(axes: [0, 2]) * $0[0] }
        gradCheck([x, Self.normal([2, 2, 4], seed: 11)], "concat") { Variable.concat([$0[0], $0[1]], axis: 1).squared() }
        gradCheck([x, x * 2], "stack") { Variable.stack([$0[0], $0[1]], axis: 0).squared() }
        gradCheck([x], "split") { v in let parts = v[0].split(sizes: [1, 3], axis: 2); return parts[0].squared() + parts[1].sum(axis: 2, keepDims: true) }
        gradCheck([x], "indexSelect") { $0[0].indexSelect(axis: 1, indices: Tensor([2, 0, 2] as [Int64])).squared() }
        gradCheck([x], "gather") { $0[0].gather(axis: 2, indices: Tensor([[[0, 3], [1, 1], [2, 0]], [[3, 3], [0, 1], [2, 2]]] as [[[Int64]]])).squared() }
        let mask = x .> 0.2
        gradCheck([x, Self.normal([4], seed: 12)], "where") { Variable.where(mask, $0[0], $0[1]).squared() }
        gradCheck([x], "maskedFill") { $0[0].maskedFill(mask, value: 3).squared() }
        gradCheck([x], "pad constant") { $0[0].padded([(1, 0), (2, 1)], value: 2).squared() }
        gradCheck([x], "pad reflect") { $0[0].padded([(1, 1), (2, 1)], mode: .reflect).squared() }
        gradCheck([x], "tile") { $0[0].tiled([2, 1, 3]).squared() }
        gradCheck([x], "repeat") { $0[0].repeated(2, axis: 1).squared() }
    }

    @Test func linearAlgebraAndSoftmax() {
        let a = Self.normal([3, 4], seed: 13), b = Self.normal([4, 5], seed: 14)
        gradCheck([a, b], "matmul") { $0[0].matmul($0[1]) }
        gradCheck([Self.normal([2, 3, 4], seed: 15), b], "batched × matrix") { $0[0].matmul($0[1]) }
        gradCheck([Self.normal([2, 1, 3, 4], seed: 16), Self.normal([3, 4, 2], seed: 17)], "broadcast batch") { $0[0].matmul($0[1]) }
        gradCheck([Self.normal([4], seed: 18), b], "vector × matrix") { $0[0].matmul($0[1]) }
        gradCheck([a, Self.normal([4], seed: 19)], "matrix × vector") { $0[0].matmul($0[1]) }
        gradCheck([Self.normal([4], seed: 20), Self.normal([4], seed: 21)], "dot") { $0[0].dot($0[1]) }
        gradCheck([Self.normal([3], seed: 22), Self.normal([4], seed: 23)], "outer") { $0[0].outer($0[1]) }
        gradCheck([a], "softmax") { $0[0].softmax(axis: 1) }
        gradCheck([Self.normal([2, 3, 4], seed: 24)], "softmax middle axis") { $0[0].softmax(axis: 1) }
        gradCheck([a], "logSoftmax") { $0[0].logSoftmax(axis: -1) }
        let x = Self.normal([6, 4], seed: 25), w = Self.normal([3, 4], seed: 26), bias = Self.normal([3], seed: 27)
        gradCheck([x, w, bias], "linear") { Variable.linear($0[0], weight: $0[1], bias: $0[2]) }
        gradCheck([x, w, bias + 0.05], "linear relu") { Variable.linear($0[0], weight: $0[1], bias: $0[2], activation: .relu) }
        gradCheck([x, w], "linear no bias relu") { Variable.linear($0[0], weight: $0[1], bias: nil, activation: .relu) }
    }

    @Test func backwardAccumulatesAndRecordsOnlyWhenAsked() {
        let w = Parameter(Tensor([1, 2, 3] as [Double]))
        let x = Variable(Tensor([4, 5, 6] as [Double]))
        #expect(!x.requiresGrad)
        #expect(!(x * x).requiresGrad, "operations on constants record nothing")
        (Variable(w) * x).sum().backward()
        (Variable(w) * x).sum().backward()
        #expect(w.grad!.scalars(as: Double.self) == [8, 10, 12], "gradients accumulate across backward calls")
        w.zeroGrad()
        let frozen = Gradients.withoutRecording { Variable(w) * x }
        #expect(!frozen.requiresGrad)
        let (value, grads) = valueAndGrad(of: [w]) { (Variable(w).squared()).sum() }
        #expect(value.scalarValue == 14)
        #expect(grads[0].scalars(as: Double.self) == [2, 4, 6])
        #expect(w.grad == nil, "valueAndGrad leaves the parameter's own gradient as it was")
        // A parameter used twice receives the sum of both paths.
        let v = Parameter(Tensor([2] as [Double]))
        let y = Variable(v) * Variable(v) + Variable(v).exp()
        y.sum().backward()
        #expect(abs(v.grad!.scalarValue - (4 + Foundation_exp(2))) < 1e-12)
    }
}

private func Foundation_exp(_ x: Double) -> Double { Tensor([x] as [Double]).exp().scalarValue }

@Suite struct GradCheckCanFailTests {
    @Test func aWrongRuleIsCaught() {
        let x = GradCheckTests.normal([3], seed: 30)
        withKnownIssue("a deliberately wrong vector-Jacobian product must be reported") {
            gradCheck([x]) { v in Variable.record(v[0].value.squared(), v[0]) { g in g * v[0].value * 3 } }
        }
    }
}
