#if canImport(Glibc)
import Glibc
#endif

/// Elementwise functions of two tensors, with NumPy broadcasting and PyTorch type promotion.
///
/// ```swift
/// let a = Tensor([[1, 2, 3], [4, 5, 6]] as [[Float]])   // [2, 3]
/// let b = Tensor([10, 20, 30] as [Float])                // [3], broadcast over rows
/// a + b            // [[11, 22, 33], [14, 25, 36]]
/// a * 2            // scalars keep the tensor's dtype
/// (a .> 2)         // bool mask
/// a.maximum(b)
/// ```
extension Tensor {
    enum BinaryOp: String {
        case add, sub, mul, div, pow, maximum, minimum
        case equal, notEqual, less, lessEqual, greater, greaterEqual
        case logicalAnd, logicalOr, logicalXor

        var isComparison: Bool {
            switch self {
            case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return true
            default: return false
            }
        }
        var isLogical: Bool { self == .logicalAnd || self == .logicalOr || self == .logicalXor }
    }

    /// The dtype both operands are converted to, and the result dtype.
    ///
    /// PyTorch's rules: the wider dtype wins, any float beats any integer, and a 0-d operand next
    /// to a dimensioned one only matters when it is of a higher category (bool < integer < float),
    /// so `int32Tensor + 1` stays int32 and `float32Tensor * Tensor(Double(2))` stays float32.
    static func binaryTypes(_ a: Tensor, _ b: Tensor, _ op: BinaryOp) -> (compute: DType, result: DType) {
        func category(_ d: DType) -> Int { d == .bool ? 0 : (d.isFloatingPoint ? 2 : 1) }
        var compute: DType
        if (a.rank == 0) != (b.rank == 0) {
            let (tensor, scalar) = a.rank == 0 ? (b.dtype, a.dtype) : (a.dtype, b.dtype)
            if category(scalar) > category(tensor) { compute = scalar.isFloatingPoint ? .float32 : .int64 }
            else { compute = tensor }
        } else {
            compute = DType.promoted(a.dtype, b.dtype)
        }
        if op.isLogical { compute = .bool }
        else if op == .div && !compute.isFloatingPoint { compute = .float32 }
        else if !op.isComparison && compute == .bool { compute = .int64 }
        return (compute, op.isComparison || op.isLogical ? .bool : compute)
    }

    /// Computes `op(a, b)` with broadcasting into a new tensor.
    static func binary(_ a: Tensor, _ b: Tensor, _ op: BinaryOp) -> Tensor {
        let outShape = broadcastShapeOrFail(a.shape, b.shape, op.rawValue)
        let (compute, resultType) = binaryTypes(a, b, op)
        let out = Tensor(uninitializedShape: outShape, dtype: resultType)
        binaryKernel(a.cast(to: compute), b.cast(to: compute), op, into: out)
        return out
    }

    /// Runs the kernel for operands already converted to the compute dtype, writing the contiguous
    /// `out` (which may share storage with `lhs` when both are contiguous with the output's shape).
    static func binaryKernel(_ lhs: Tensor, _ rhs: Tensor, _ op: BinaryOp, into out: Tensor) {
        let compute = lhs.dtype
        let outShape = out.shape
        let loop = StridedLoop(shape: outShape, lhs.broadcastStrides(to: outShape), rhs.broadcastStrides(to: outShape),
                               contiguousStrides(for: outShape))
        let pa = lhs.storage.pointer + lhs.offset * compute.byteSize
        let pb = rhs.storage.pointer + rhs.offset * compute.byteSize
        let po = out.storage.pointer + out.offset * out.dtype.byteSize
        if out.count > 0 {
            switch compute {
            case .float32: floatingKernel(op, loop, pa, pb, po, Float.self)
            case .float64: floatingKernel(op, loop, pa, pb, po, Double.self)
            case .int32: integerKernel(op, loop, pa, pb, po, Int32.self)
            case .int64: integerKernel(op, loop, pa, pb, po, Int64.self)
            case .uint8: integerKernel(op, loop, pa, pb, po, UInt8.self)
            case .bool: logicalKernel(op, loop, pa, pb, po)
            }
        }
        withExtendedLifetime((lhs, rhs, out)) {}
    }

    private static func floatingKernel<T: FloatElement>(
        _ op: BinaryOp, _ loop: StridedLoop, _ pa: UnsafeMutableRawPointer, _ pb: UnsafeMutableRawPointer,
        _ po: UnsafeMutableRawPointer, _: T.Type
    ) {
        let a = UnsafePointer(pa.assumingMemoryBound(to: T.self)), b = UnsafePointer(pb.assumingMemoryBound(to: T.self))
        let out = po.assumingMemoryBound(to: T.self)
        typealias K = ElementwiseKernels
        typealias B = BinaryFunctions
        switch op {
        case .add: K.zip(loop, a, b, out, B.Add<T>())
        case .sub: K.zip(loop, a, b, out, B.Subtract<T>())
        case .mul: K.zip(loop, a, b, out, B.Multiply<T>())
        case .div: K.zip(loop, a, b, out, B.Divide<T>())
        case .pow:
            if T.self == Float.self {
                K.zip(loop, a, b, out, B.Power<T> { x, y in T(Glibc.powf(Float(x), Float(y))) })
            } else {
                K.zip(loop, a, b, out, B.Power<T> { x, y in T(Glibc.pow(Double(x), Double(y))) })
            }
        case .maximum: K.zip(loop, a, b, out, B.Maximum<T>())
        case .minimum: K.zip(loop, a, b, out, B.Minimum<T>())
        default: comparisonKernel(op, loop, a, b, po.assumingMemoryBound(to: Bool.self))
        }
    }

    private static func integerKernel<T: IntegerElement>(
        _ op: BinaryOp, _ loop: StridedLoop, _ pa: UnsafeMutableRawPointer, _ pb: UnsafeMutableRawPointer,
        _ po: UnsafeMutableRawPointer, _: T.Type
    ) {
        let a = UnsafePointer(pa.assumingMemoryBound(to: T.self)), b = UnsafePointer(pb.assumingMemoryBound(to: T.self))
        let out = po.assumingMemoryBound(to: T.self)
        typealias K = ElementwiseKernels
        typealias B = BinaryFunctions
        switch op {
        case .add: K.zip(loop, a, b, out, B.WrappingAdd<T>())
        case .sub: K.zip(loop, a, b, out, B.WrappingSubtract<T>())
        case .mul: K.zip(loop, a, b, out, B.WrappingMultiply<T>())
        case .pow: K.zip(loop, a, b, out, B.IntegerPower<T>())
        case .maximum: K.zip(loop, a, b, out, B.IntegerMaximum<T>())
        case .minimum: K.zip(loop, a, b, out, B.IntegerMinimum<T>())
        case .div: tensorFailure("unreachable: integer division is computed in float32")
        default: comparisonKernel(op, loop, a, b, po.assumingMemoryBound(to: Bool.self))
        }
    }

    private static func comparisonKernel<T: Comparable>(
        _ op: BinaryOp, _ loop: StridedLoop, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ out: UnsafeMutablePointer<Bool>
    ) {
        typealias K = ElementwiseKernels
        typealias B = BinaryFunctions
        switch op {
        case .equal: K.zip(loop, a, b, out, B.Equal<T>())
        case .notEqual: K.zip(loop, a, b, out, B.NotEqual<T>())
        case .less: K.zip(loop, a, b, out, B.Less<T>())
        case .lessEqual: K.zip(loop, a, b, out, B.LessEqual<T>())
        case .greater: K.zip(loop, a, b, out, B.Greater<T>())
        case .greaterEqual: K.zip(loop, a, b, out, B.GreaterEqual<T>())
        default: tensorFailure("binary: \(op) is not a comparison")
        }
    }

    private static func logicalKernel(
        _ op: BinaryOp, _ loop: StridedLoop, _ pa: UnsafeMutableRawPointer, _ pb: UnsafeMutableRawPointer, _ po: UnsafeMutableRawPointer
    ) {
        let a = UnsafePointer(pa.assumingMemoryBound(to: Bool.self)), b = UnsafePointer(pb.assumingMemoryBound(to: Bool.self))
        let out = po.assumingMemoryBound(to: Bool.self)
        typealias K = ElementwiseKernels
        typealias B = BinaryFunctions
        switch op {
        case .logicalAnd, .mul, .minimum: K.zip(loop, a, b, out, B.And())
        case .logicalOr, .add, .maximum: K.zip(loop, a, b, out, B.Or())
        case .logicalXor: K.zip(loop, a, b, out, B.Xor())
        default:
            let a8 = UnsafePointer(pa.assumingMemoryBound(to: UInt8.self)), b8 = UnsafePointer(pb.assumingMemoryBound(to: UInt8.self))
            comparisonKernel(op, loop, a8, b8, out)
        }
    }

    /// A 0-d tensor holding `value` in the dtype a scalar operand takes next to `tensor`:
    /// the tensor's own dtype, except that a fractional value next to an integer tensor is float32.
    static func scalarOperand(_ value: Double, like tensor: Tensor, integral: Bool) -> Tensor {
        var dtype = tensor.dtype
        if !integral && !dtype.isFloatingPoint { dtype = .float32 }
        if integral && dtype == .bool { dtype = .int64 }
        return Tensor.full([], value: value, dtype: dtype)
    }

    // MARK: Operators

    public static func + (a: Tensor, b: Tensor) -> Tensor { binary(a, b, .add) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binary(a, b, .sub) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binary(a, b, .mul) }
    /// True division: integer tensors give float32.
    public static func / (a: Tensor, b: Tensor) -> Tensor { binary(a, b, .div) }

    public static func + (a: Tensor, b: Double) -> Tensor { binary(a, scalarOperand(b, like: a, integral: false), .add) }
    public static func - (a: Tensor, b: Double) -> Tensor { binary(a, scalarOperand(b, like: a, integral: false), .sub) }
    public static func * (a: Tensor, b: Double) -> Tensor { binary(a, scalarOperand(b, like: a, integral: false), .mul) }
    public static func / (a: Tensor, b: Double) -> Tensor { binary(a, scalarOperand(b, like: a, integral: false), .div) }
    public static func + (a: Double, b: Tensor) -> Tensor { binary(scalarOperand(a, like: b, integral: false), b, .add) }
    public static func - (a: Double, b: Tensor) -> Tensor { binary(scalarOperand(a, like: b, integral: false), b, .sub) }
    public static func * (a: Double, b: Tensor) -> Tensor { binary(scalarOperand(a, like: b, integral: false), b, .mul) }
    public static func / (a: Double, b: Tensor) -> Tensor { binary(scalarOperand(a, like: b, integral: false), b, .div) }

    public static func + (a: Tensor, b: Int) -> Tensor { binary(a, scalarOperand(Double(b), like: a, integral: true), .add) }
    public static func - (a: Tensor, b: Int) -> Tensor { binary(a, scalarOperand(Double(b), like: a, integral: true), .sub) }
    public static func * (a: Tensor, b: Int) -> Tensor { binary(a, scalarOperand(Double(b), like: a, integral: true), .mul) }
    public static func / (a: Tensor, b: Int) -> Tensor { binary(a, scalarOperand(Double(b), like: a, integral: true), .div) }
    public static func + (a: Int, b: Tensor) -> Tensor { binary(scalarOperand(Double(a), like: b, integral: true), b, .add) }
    public static func - (a: Int, b: Tensor) -> Tensor { binary(scalarOperand(Double(a), like: b, integral: true), b, .sub) }
    public static func * (a: Int, b: Tensor) -> Tensor { binary(scalarOperand(Double(a), like: b, integral: true), b, .mul) }
    public static func / (a: Int, b: Tensor) -> Tensor { binary(scalarOperand(Double(a), like: b, integral: true), b, .div) }

    /// In-place forms reuse the left operand's storage when it is not shared.
    public static func += (a: inout Tensor, b: Tensor) { a.updateInPlace(b, .add) }
    public static func -= (a: inout Tensor, b: Tensor) { a.updateInPlace(b, .sub) }
    public static func *= (a: inout Tensor, b: Tensor) { a.updateInPlace(b, .mul) }
    public static func /= (a: inout Tensor, b: Tensor) { a.updateInPlace(b, .div) }
    public static func += (a: inout Tensor, b: Double) { a.updateInPlace(scalarOperand(b, like: a, integral: false), .add) }
    public static func -= (a: inout Tensor, b: Double) { a.updateInPlace(scalarOperand(b, like: a, integral: false), .sub) }
    public static func *= (a: inout Tensor, b: Double) { a.updateInPlace(scalarOperand(b, like: a, integral: false), .mul) }
    public static func /= (a: inout Tensor, b: Double) { a.updateInPlace(scalarOperand(b, like: a, integral: false), .div) }

    public static func += (a: inout Tensor, b: Int) { a.updateInPlace(scalarOperand(Double(b), like: a, integral: true), .add) }
    public static func -= (a: inout Tensor, b: Int) { a.updateInPlace(scalarOperand(Double(b), like: a, integral: true), .sub) }
    public static func *= (a: inout Tensor, b: Int) { a.updateInPlace(scalarOperand(Double(b), like: a, integral: true), .mul) }
    public static func /= (a: inout Tensor, b: Int) { a.updateInPlace(scalarOperand(Double(b), like: a, integral: true), .div) }

    /// `self = op(self, other)`, written over this tensor's storage when nobody else shares it and
    /// the result has the same shape and dtype.
    private mutating func updateInPlace(_ other: Tensor, _ op: BinaryOp) {
        let (compute, resultType) = Tensor.binaryTypes(self, other, op)
        let outShape = Tensor.broadcastShapeOrFail(shape, other.shape, op.rawValue)
        if outShape == shape && compute == dtype && resultType == dtype && isContiguous && offset == 0
            && isKnownUniquelyReferenced(&storage) {
            Tensor.binaryKernel(self, other.cast(to: compute), op, into: self)
        } else {
            self = Tensor.binary(self, other, op)
        }
    }

    /// Elementwise power.
    public func pow(_ exponent: Tensor) -> Tensor { Tensor.binary(self, exponent, .pow) }
    /// Elementwise power with a scalar exponent.
    public func pow(_ exponent: Double) -> Tensor {
        Tensor.binary(self, Tensor.scalarOperand(exponent, like: self, integral: exponent.rounded() == exponent), .pow)
    }
    /// Elementwise maximum (NaN propagates).
    public func maximum(_ other: Tensor) -> Tensor { Tensor.binary(self, other, .maximum) }
    /// Elementwise minimum (NaN propagates).
    public func minimum(_ other: Tensor) -> Tensor { Tensor.binary(self, other, .minimum) }
    public func maximum(_ other: Double) -> Tensor { maximum(Tensor.scalarOperand(other, like: self, integral: other.rounded() == other)) }
    public func minimum(_ other: Double) -> Tensor { minimum(Tensor.scalarOperand(other, like: self, integral: other.rounded() == other)) }

    // MARK: Comparisons (bool results)

    public static func .== (a: Tensor, b: Tensor) -> Tensor { binary(a, b, .equal) }
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { binary(a, b, .notEqual) }
    public static func .< (a: Tensor, b: Tensor) -> Tensor { binary(a, b, .less) }
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { binary(a, b, .lessEqual) }
    public static func .> (a: Tensor, b: Tensor) -> Tensor { binary(a, b, .greater) }
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { binary(a, b, .greaterEqual) }
    public static func .== (a: Tensor, b: Double) -> Tensor { binary(a, scalarOperand(b, like: a, integral: b.rounded() == b), .equal) }
    public static func .!= (a: Tensor, b: Double) -> Tensor { binary(a, scalarOperand(b, like: a, integral: b.rounded() == b), .notEqual) }
    public static func .< (a: Tensor, b: Double) -> Tensor { binary(a, scalarOperand(b, like: a, integral: b.rounded() == b), .less) }
    public static func .<= (a: Tensor, b: Double) -> Tensor { binary(a, scalarOperand(b, like: a, integral: b.rounded() == b), .lessEqual) }
    public static func .> (a: Tensor, b: Double) -> Tensor { binary(a, scalarOperand(b, like: a, integral: b.rounded() == b), .greater) }
    public static func .>= (a: Tensor, b: Double) -> Tensor { binary(a, scalarOperand(b, like: a, integral: b.rounded() == b), .greaterEqual) }

    // MARK: Logic (inputs read as bool: non-zero is true)

    public func logicalAnd(_ other: Tensor) -> Tensor { Tensor.binary(self, other, .logicalAnd) }
    public func logicalOr(_ other: Tensor) -> Tensor { Tensor.binary(self, other, .logicalOr) }
    public func logicalXor(_ other: Tensor) -> Tensor { Tensor.binary(self, other, .logicalXor) }
    public func logicalNot() -> Tensor { Tensor.binary(self, Tensor(true), .logicalXor) }
    public static func .& (a: Tensor, b: Tensor) -> Tensor { a.logicalAnd(b) }
    public static func .| (a: Tensor, b: Tensor) -> Tensor { a.logicalOr(b) }
    public static func .^ (a: Tensor, b: Tensor) -> Tensor { a.logicalXor(b) }
    public static prefix func .! (a: Tensor) -> Tensor { a.logicalNot() }

    // MARK: Whole-tensor comparison

    /// `true` when shapes match and every pair of elements is within `atol + rtol·|other|`.
    public func isClose(to other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8, equalNaN: Bool = false) -> Bool {
        guard shape == other.shape else { return false }
        let a = doubles, b = other.doubles
        for i in a.indices {
            if a[i].isNaN || b[i].isNaN {
                if !(equalNaN && a[i].isNaN && b[i].isNaN) { return false }
                continue
            }
            if a[i] == b[i] { continue }
            if Swift.abs(a[i] - b[i]) > atol + rtol * Swift.abs(b[i]) { return false }
        }
        return true
    }
}

extension Tensor: Equatable {
    /// Same shape, dtype and elements (NaN is unequal to everything, as in IEEE arithmetic).
    public static func == (a: Tensor, b: Tensor) -> Bool {
        a.shape == b.shape && a.dtype == b.dtype && a.doubles == b.doubles
    }
}
