#if canImport(Glibc)
import Glibc
#endif
import CDeepSwiftKernels

/// Elementwise functions of one tensor.
///
/// Math functions (exp, log, tanh, …) return float32 for integer inputs. float32 exp, log, log1p,
/// expm1, tanh, sigmoid, gelu, softplus, swish, elu, selu and erf run vectorized polynomial
/// kernels (AVX-512 where available; see `CDeepSwiftKernels`); float64 uses libm.
///
/// ```swift
/// let x = Tensor([-1, 0, 2] as [Float])
/// x.relu()        // [0, 0, 2]
/// x.sigmoid()     // [0.2689, 0.5, 0.8808]
/// x.gelu()        // erf form; x.gelu(approximation: .tanh) for the tanh form
/// ```
extension Tensor {
    /// How ``gelu(approximation:)`` is computed.
    public enum GELUApproximation: String, Sendable {
        /// `0.5 x (1 + erf(x / √2))`, PyTorch's default.
        case none
        /// `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`.
        case tanh
    }

    enum UnaryOp {
        case neg, abs, sign, square, relu, floor, ceil, round
        case leakyRelu(Double)
        case clamp(Double?, Double?)
        case exp, log, log1p, expm1, sqrt, rsqrt, reciprocal, sin, cos, tanh, sigmoid
        case elu(Double), selu, geluErf, geluTanh, softplus, swish, erf

        /// Ops that keep integer dtypes (the others compute in floating point).
        var preservesIntegers: Bool {
            switch self {
            case .neg, .abs, .sign, .square, .relu, .floor, .ceil, .round, .clamp: return true
            default: return false
            }
        }

        var vectorKernel: ds_unary_op? {
            switch self {
            case .exp: return DS_UNARY_EXP
            case .log: return DS_UNARY_LOG
            case .log1p: return DS_UNARY_LOG1P
            case .expm1: return DS_UNARY_EXPM1
            case .tanh: return DS_UNARY_TANH
            case .sigmoid: return DS_UNARY_SIGMOID
            case .geluErf: return DS_UNARY_GELU_ERF
            case .geluTanh: return DS_UNARY_GELU_TANH
            case .softplus: return DS_UNARY_SOFTPLUS
            case .swish: return DS_UNARY_SWISH
            case .elu: return DS_UNARY_ELU
            case .selu: return DS_UNARY_SELU
            case .erf: return DS_UNARY_ERF
            default: return nil
            }
        }
    }

    func unary(_ op: UnaryOp) -> Tensor {
        var source = self
        if dtype == .bool { source = source.cast(to: op.preservesIntegers ? .uint8 : .float32) }
        if !source.dtype.isFloatingPoint && !op.preservesIntegers { source = source.cast(to: .float32) }
        source = source.contiguous()
        var out = Tensor(uninitializedShape: shape, dtype: source.dtype)
        let n = count
        let x = source.storage.pointer + source.offset * source.dtype.byteSize
        let y = out.storage.pointer
        switch source.dtype {
        case .float32:
            Tensor.unaryFloat32(op, x.assumingMemoryBound(to: Float.self), y.assumingMemoryBound(to: Float.self), n)
        case .float64:
            Tensor.unaryFloat64(op, x.assumingMemoryBound(to: Double.self), y.assumingMemoryBound(to: Double.self), n)
        case .int32: Tensor.unaryInteger(op, x.assumingMemoryBound(to: Int32.self), y.assumingMemoryBound(to: Int32.self), n)
        case .int64: Tensor.unaryInteger(op, x.assumingMemoryBound(to: Int64.self), y.assumingMemoryBound(to: Int64.self), n)
        case .uint8: Tensor.unaryInteger(op, x.assumingMemoryBound(to: UInt8.self), y.assumingMemoryBound(to: UInt8.self), n)
        case .bool: tensorFailure("unreachable: bool inputs are converted above")
        }
        withExtendedLifetime(source) {}
        return out
    }

    private static func unaryFloat32(_ op: UnaryOp, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        if let kernel = op.vectorKernel {
            var alpha: Float = 1
            if case .elu(let a) = op { alpha = Float(a) }
            let xs = UncheckedSendable(x), ys = UncheckedSendable(y)
            Parallel.forRanges(n) { range in
                ds_unary_f32(kernel, xs.value + range.lowerBound, ys.value + range.lowerBound, range.count, alpha)
            }
            return
        }
        unaryFloating(op, x, y, n)
    }

    private static func unaryFloat64(_ op: UnaryOp, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
        typealias K = ElementwiseKernels
        typealias D = ClosureFunction<Double, Double>
        switch op {
        case .exp: K.map(x, y, n, D { Glibc.exp($0) })
        case .log: K.map(x, y, n, D { Glibc.log($0) })
        case .log1p: K.map(x, y, n, D { Glibc.log1p($0) })
        case .expm1: K.map(x, y, n, D { Glibc.expm1($0) })
        case .tanh: K.map(x, y, n, D { Glibc.tanh($0) })
        case .sigmoid: K.map(x, y, n, D { 1 / (1 + Glibc.exp(-$0)) })
        case .geluErf:
            K.map(x, y, n, D { (v: Double) -> Double in v >= 0 ? v * (1 - 0.5 * Glibc.erfc(v * 0.7071067811865476)) : 0.5 * v * Glibc.erfc(-v * 0.7071067811865476) })
        case .geluTanh:
            K.map(x, y, n, D { (v: Double) -> Double in 0.5 * v * (1 + Glibc.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))) })
        case .softplus: K.map(x, y, n, D { (v: Double) -> Double in Swift.max(v, 0) + Glibc.log1p(Glibc.exp(-Swift.abs(v))) })
        case .swish: K.map(x, y, n, D { (v: Double) -> Double in v / (1 + Glibc.exp(-v)) })
        case .elu(let alpha): K.map(x, y, n, D { (v: Double) -> Double in v > 0 ? v : alpha * Glibc.expm1(v) })
        case .selu:
            K.map(x, y, n, D { (v: Double) -> Double in 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * Glibc.expm1(v)) })
        case .erf: K.map(x, y, n, D { Glibc.erf($0) })
        default: unaryFloating(op, x, y, n)
        }
    }

    /// Ops written once for both float types (they compile to vector code or one libm call).
    private static func unaryFloating<T: FloatElement>(_ op: UnaryOp, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
        typealias K = ElementwiseKernels
        typealias F = FloatFunctions
        switch op {
        case .neg: K.map(x, y, n, F.Negate<T>())
        case .abs: K.map(x, y, n, F.Absolute<T>())
        case .sign: K.map(x, y, n, F.Sign<T>())
        case .square: K.map(x, y, n, F.Square<T>())
        case .relu: K.map(x, y, n, F.ReLU<T>())
        case .leakyRelu(let slope): K.map(x, y, n, F.LeakyReLU<T>(slope: T(slope)))
        case .floor: K.map(x, y, n, F.Floor<T>())
        case .ceil: K.map(x, y, n, F.Ceil<T>())
        case .round: K.map(x, y, n, F.Round<T>())
        case .clamp(let lo, let hi):
            K.map(x, y, n, F.Clamp<T>(low: lo.map { T($0) } ?? -T.infinity, high: hi.map { T($0) } ?? T.infinity))
        case .sqrt: K.map(x, y, n, F.SquareRoot<T>())
        case .rsqrt: K.map(x, y, n, F.ReciprocalSquareRoot<T>())
        case .reciprocal: K.map(x, y, n, F.Reciprocal<T>())
        case .sin:
            if T.self == Float.self { K.map(x, y, n, ClosureFunction<T, T> { T(Glibc.sinf(Float($0))) }) }
            else { K.map(x, y, n, ClosureFunction<T, T> { T(Glibc.sin(Double($0))) }) }
        case .cos:
            if T.self == Float.self { K.map(x, y, n, ClosureFunction<T, T> { T(Glibc.cosf(Float($0))) }) }
            else { K.map(x, y, n, ClosureFunction<T, T> { T(Glibc.cos(Double($0))) }) }
        default:
            tensorFailure("unary: \(op) has no generic floating-point kernel")
        }
    }

    private static func unaryInteger<T: IntegerElement>(_ op: UnaryOp, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
        typealias K = ElementwiseKernels
        typealias I = IntegerFunctions
        switch op {
        case .neg: K.map(x, y, n, I.Negate<T>())
        case .abs: K.map(x, y, n, I.Absolute<T>())
        case .sign: K.map(x, y, n, I.Sign<T>())
        case .square: K.map(x, y, n, I.Square<T>())
        case .relu: K.map(x, y, n, I.ReLU<T>())
        case .floor, .ceil, .round: K.map(x, y, n, I.Identity<T>())
        case .clamp(let lo, let hi):
            let l = lo.map { Swift.max(T(fromDouble: $0.rounded(.up)), T.min) } ?? T.min
            let h = hi.map { T(fromDouble: Swift.min($0.rounded(.down), Double(T.max))) } ?? T.max
            K.map(x, y, n, I.Clamp<T>(low: l, high: h))
        default:
            tensorFailure("unary: \(op) is computed in floating point")
        }
    }

    // MARK: Public API

    /// Elementwise negation.
    public static prefix func - (x: Tensor) -> Tensor { x.unary(.neg) }
    /// Absolute value.
    public func abs() -> Tensor { unary(.abs) }
    /// -1, 0 or 1 by sign (NaN stays NaN).
    public func sign() -> Tensor { unary(.sign) }
    /// eˣ.
    public func exp() -> Tensor { unary(.exp) }
    /// Natural logarithm.
    public func log() -> Tensor { unary(.log) }
    /// log(1 + x), accurate near 0.
    public func log1p() -> Tensor { unary(.log1p) }
    /// eˣ − 1, accurate near 0.
    public func expm1() -> Tensor { unary(.expm1) }
    /// Square root.
    public func sqrt() -> Tensor { unary(.sqrt) }
    /// 1 / √x.
    public func rsqrt() -> Tensor { unary(.rsqrt) }
    /// x².
    public func squared() -> Tensor { unary(.square) }
    /// 1 / x.
    public func reciprocal() -> Tensor { unary(.reciprocal) }
    /// Sine.
    public func sin() -> Tensor { unary(.sin) }
    /// Cosine.
    public func cos() -> Tensor { unary(.cos) }
    /// Hyperbolic tangent.
    public func tanh() -> Tensor { unary(.tanh) }
    /// Logistic sigmoid 1 / (1 + e⁻ˣ).
    public func sigmoid() -> Tensor { unary(.sigmoid) }
    /// Swift.max(x, 0).
    public func relu() -> Tensor { unary(.relu) }
    /// x for x > 0, `negativeSlope`·x otherwise.
    public func leakyRelu(negativeSlope: Double = 0.01) -> Tensor { unary(.leakyRelu(negativeSlope)) }
    /// x for x > 0, α(eˣ − 1) otherwise.
    public func elu(alpha: Double = 1) -> Tensor { unary(.elu(alpha)) }
    /// Scaled ELU with the constants of Klambauer et al. (2017).
    public func selu() -> Tensor { unary(.selu) }
    /// Gaussian error linear unit.
    public func gelu(approximation: GELUApproximation = .none) -> Tensor {
        unary(approximation == .none ? .geluErf : .geluTanh)
    }
    /// log(1 + eˣ), stable for large |x|.
    public func softplus() -> Tensor { unary(.softplus) }
    /// x · sigmoid(x) (also called SiLU).
    public func swish() -> Tensor { unary(.swish) }
    /// Same as ``swish()``.
    public func silu() -> Tensor { unary(.swish) }
    /// The error function.
    public func erf() -> Tensor { unary(.erf) }
    /// Rounds down.
    public func floor() -> Tensor { unary(.floor) }
    /// Rounds up.
    public func ceil() -> Tensor { unary(.ceil) }
    /// Rounds to the nearest integer, ties to even (as NumPy and PyTorch).
    public func rounded() -> Tensor { unary(.round) }
    /// Limits values to `min ... max` (either bound may be omitted).
    public func clamped(min: Double? = nil, max: Double? = nil) -> Tensor { unary(.clamp(min, max)) }
}
