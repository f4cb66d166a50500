import CDeepSwiftKernels
import DeepSwiftTensor
import Foundation
import Testing

/// Maximum error of the vectorized float32 kernels against Foundation's (glibc's) float64
/// functions, for every instruction-set level this CPU supports.
///
/// Measured on the development machine (AMD EPYC, AVX-512; baseline and AVX2 levels agree to
/// within 2e-7 of these). The test prints the current numbers; it fails above the `maxRelative`
/// bounds in `cases`.
///
/// | function    | range          | max relative error                                   |
/// |-------------|----------------|------------------------------------------------------|
/// | exp         | [-87, 88]      | 8.1e-8                                               |
/// | log         | [1e-30, 1e30]  | 7.5e-8                                               |
/// | log1p       | [-0.999, 1e4]  | 1.6e-7                                               |
/// | expm1       | [-20, 20]      | 1.1e-7                                               |
/// | tanh        | [-12, 12]      | 1.9e-7                                               |
/// | sigmoid     | [-30, 30]      | 1.8e-7                                               |
/// | gelu (erf)  | [-8, 8]        | 3.0e-6 in the far negative tail (values ~1e-15), 2e-7 for x > -5 |
/// | gelu (tanh) | [-7, 8]        | 5.5e-6 in the far negative tail, 2e-7 for x > -4     |
/// | softplus    | [-20, 20]      | 2.0e-7                                               |
/// | swish       | [-20, 20]      | 2.0e-7                                               |
/// | erf         | [-5, 5]        | 8.1e-7                                               |
@Suite struct VectorMathAccuracyTests {
    struct Case: Sendable {
        let name: String
        let low: Double, high: Double, logSpaced: Bool
        let maxRelative: Double
        let absoluteFloor: Double
        let op: ds_unary_op
        let alpha: Float = 1
        let reference: @Sendable (Double) -> Double
    }

    static let sqrtHalf = 0.7071067811865476
    static let cases: [Case] = [
        Case(name: "exp", low: -87, high: 88, logSpaced: false, maxRelative: 2e-7, absoluteFloor: 0, op: DS_UNARY_EXP, reference: { Foundation.exp($0) }),
        Case(name: "log", low: 1e-30, high: 1e30, logSpaced: true, maxRelative: 2e-7, absoluteFloor: 1e-7, op: DS_UNARY_LOG, reference: { Foundation.log($0) }),
        Case(name: "log1p", low: -0.999, high: 1e4, logSpaced: false, maxRelative: 3e-7, absoluteFloor: 1e-30, op: DS_UNARY_LOG1P, reference: { Foundation.log1p($0) }),
        Case(name: "expm1", low: -20, high: 20, logSpaced: false, maxRelative: 3e-7, absoluteFloor: 1e-30, op: DS_UNARY_EXPM1, reference: { Foundation.expm1($0) }),
        Case(name: "tanh", low: -12, high: 12, logSpaced: false, maxRelative: 4e-7, absoluteFloor: 1e-30, op: DS_UNARY_TANH, reference: { Foundation.tanh($0) }),
        Case(name: "sigmoid", low: -30, high: 30, logSpaced: false, maxRelative: 4e-7, absoluteFloor: 1e-30, op: DS_UNARY_SIGMOID, reference: { 1 / (1 + Foundation.exp(-$0)) }),
        Case(name: "gelu", low: -8, high: 8, logSpaced: false, maxRelative: 4e-6, absoluteFloor: 1e-30, op: DS_UNARY_GELU_ERF,
             reference: { x in x >= 0 ? x * (1 - 0.5 * Foundation.erfc(x * sqrtHalf)) : 0.5 * x * Foundation.erfc(-x * sqrtHalf) }),
        Case(name: "gelu-tanh", low: -7, high: 8, logSpaced: false, maxRelative: 8e-6, absoluteFloor: 1e-30, op: DS_UNARY_GELU_TANH,
             reference: { x in x / (1 + Foundation.exp(-2 * 0.7978845608028654 * (x + 0.044715 * x * x * x))) }),
        Case(name: "softplus", low: -20, high: 20, logSpaced: false, maxRelative: 4e-7, absoluteFloor: 1e-30, op: DS_UNARY_SOFTPLUS,
             reference: { x in Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x))) }),
        Case(name: "swish", low: -20, high: 20, logSpaced: false, maxRelative: 5e-7, absoluteFloor: 1e-30, op: DS_UNARY_SWISH, reference: { $0 / (1 + Foundation.exp(-$0)) }),
        Case(name: "erf", low: -5, high: 5, logSpaced: false, maxRelative: 2e-6, absoluteFloor: 1e-30, op: DS_UNARY_ERF, reference: { Foundation.erf($0) }),
    ]

    static func maxRelativeError(_ c: Case, level: Int32) -> (error: Double, at: Double) {
        let n = 200_003
        let inputs: [Float] = (0..<n).map { i in
            let t = Double(i) / Double(n - 1)
            return Float(c.logSpaced ? c.low * Foundation.pow(c.high / c.low, t) : c.low + (c.high - c.low) * t)
        }
        var outputs = [Float](repeating: 0, count: n)
        inputs.withUnsafeBufferPointer { x in
            outputs.withUnsafeMutableBufferPointer { y in
                ds_unary_f32_at_level(level, c.op, x.baseAddress, y.baseAddress, n, c.alpha)
            }
        }
        var worst = 0.0, at = 0.0
        for (x, y) in zip(inputs, outputs) {
            let expected = c.reference(Double(x))
            let error = Swift.abs(Double(y) - expected) / Swift.max(Swift.abs(expected), c.absoluteFloor)
            if error > worst || error.isNaN { worst = error.isNaN ? .infinity : error; at = Double(x) }
        }
        return (worst, at)
    }

    @Test(arguments: 0...2) func accuracyAtInstructionSetLevel(_ level: Int32) {
        guard level <= ds_kernels_max_isa() else { return }
        for c in Self.cases {
            let (error, at) = Self.maxRelativeError(c, level: level)
            print("vector math accuracy: ISA level \(level) \(c.name) max relative error \(error) at x = \(at)")
            if error > c.maxRelative {
                Issue.record("\(c.name) at ISA level \(level): max relative error \(error) at x = \(at)")
            }
        }
    }

    @Test func specialValues() {
        let x = Tensor([Float.nan, .infinity, -.infinity, 0, -0.0, 100, -100] as [Float])
        let exp = x.exp().scalars(as: Float.self)
        #expect(exp[0].isNaN && exp[1] == .infinity && exp[2] == 0 && exp[3] == 1 && exp[5] == .infinity && exp[6] > 0 && Double(exp[6]) < 1e-43, "exp(-100) is the subnormal 3.7e-44")
        let tanh = x.tanh().scalars(as: Float.self)
        #expect(tanh[0].isNaN && tanh[1] == 1 && tanh[2] == -1 && tanh[3] == 0 && tanh[5] == 1 && tanh[6] == -1)
        let sigmoid = x.sigmoid().scalars(as: Float.self)
        #expect(sigmoid[0].isNaN && sigmoid[1] == 1 && sigmoid[2] == 0 && sigmoid[3] == 0.5 && sigmoid[6] == 0)
        let log = Tensor([0, -1, Float.infinity, 1] as [Float]).log().scalars(as: Float.self)
        #expect(log[0] == -.infinity && log[1].isNaN && log[2] == .infinity && log[3] == 0)
        let gelu = x.gelu().scalars(as: Float.self)
        #expect(gelu[0].isNaN && gelu[3] == 0 && gelu[5] == 100 && gelu[6] == 0)
        #expect(x.relu().scalars(as: Float.self)[0].isNaN, "relu keeps NaN, as PyTorch")
    }

    @Test func kernelsAgreeAcrossLevelsAndTails() {
        // Lengths that are not multiples of the vector width exercise the tail path.
        for n in [1, 15, 16, 17, 33] {
            let x = Tensor.linspace(-3, 3, count: n)
            let reference = x.cast(to: .float64).exp()
            let actual = x.exp()
            #expect(actual.isClose(to: reference.cast(to: .float32), rtol: 2e-7, atol: 0), "exp, n = \(n)")
        }
    }
}
