/// The element type of a ``Tensor``.
///
/// ```swift
/// let t = Tensor.zeros([2, 3], dtype: .int64)
/// t.dtype            // .int64
/// t.dtype.byteSize   // 8
/// ```
public enum DType: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case float32, float64, int32, int64, uint8, bool

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        case .uint8, .bool: return 1
        }
    }

    /// `true` for float32 and float64.
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

    /// `true` for int32, int64 and uint8 (not bool).
    public var isInteger: Bool { self == .int32 || self == .int64 || self == .uint8 }

    public var description: String { rawValue }

    /// Ordering used by type promotion: bool < uint8 < int32 < int64 < float32 < float64.
    var promotionRank: Int {
        switch self {
        case .bool: return 0
        case .uint8: return 1
        case .int32: return 2
        case .int64: return 3
        case .float32: return 4
        case .float64: return 5
        }
    }

    /// The dtype of the result of a binary operation between `a` and `b` (PyTorch's rules for
    /// tensors of the same category: the wider type wins; any float beats any integer).
    public static func promoted(_ a: DType, _ b: DType) -> DType {
        a.promotionRank >= b.promotionRank ? a : b
    }

    /// The floating dtype that math functions of this dtype return (integers and bool give float32).
    public var floatingCounterpart: DType { isFloatingPoint ? self : .float32 }
}

/// A Swift type that can be stored in a ``Tensor``.
public protocol TensorElement: Sendable {
    /// The dtype that stores this Swift type.
    static var dtype: DType { get }
    /// Converts from `Double` the way a cast does (truncation toward zero for integers).
    init(fromDouble value: Double)
    /// The value as a `Double`.
    var doubleValue: Double { get }
    /// Converts from `Int64` (wrapping for narrower integers, as a C cast does).
    init(fromInt64 value: Int64)
    /// The value as an `Int64` (truncated toward zero for floats, saturating).
    var int64Value: Int64 { get }
}

extension Float: TensorElement {
    public static var dtype: DType { .float32 }
    @inline(__always) public init(fromInt64 value: Int64) { self = Float(value) }
    @inline(__always) public var int64Value: Int64 { Int64(clamping: Double(self)) }
    @inline(__always) public init(fromDouble value: Double) { self = Float(value) }
    @inline(__always) public var doubleValue: Double { Double(self) }
}

extension Double: TensorElement {
    public static var dtype: DType { .float64 }
    @inline(__always) public init(fromInt64 value: Int64) { self = Double(value) }
    @inline(__always) public var int64Value: Int64 { Int64(clamping: self) }
    @inline(__always) public init(fromDouble value: Double) { self = value }
    @inline(__always) public var doubleValue: Double { self }
}

extension Int32: TensorElement {
    @inline(__always) public init(fromInt64 value: Int64) { self = Int32(truncatingIfNeeded: value) }
    @inline(__always) public var int64Value: Int64 { Int64(self) }
    public static var dtype: DType { .int32 }
    @inline(__always) public init(fromDouble value: Double) {
        self = value.isFinite ? Int32(truncatingIfNeeded: Int64(clamping: value)) : 0
    }
    @inline(__always) public var doubleValue: Double { Double(self) }
}

extension Int64: TensorElement {
    @inline(__always) public init(fromInt64 value: Int64) { self = value }
    @inline(__always) public var int64Value: Int64 { self }
    public static var dtype: DType { .int64 }
    @inline(__always) public init(fromDouble value: Double) { self = Int64(clamping: value) }
    @inline(__always) public var doubleValue: Double { Double(self) }
}

extension UInt8: TensorElement {
    @inline(__always) public init(fromInt64 value: Int64) { self = UInt8(truncatingIfNeeded: value) }
    @inline(__always) public var int64Value: Int64 { Int64(self) }
    public static var dtype: DType { .uint8 }
    @inline(__always) public init(fromDouble value: Double) {
        self = value.isFinite ? UInt8(truncatingIfNeeded: Int64(clamping: value)) : 0
    }
    @inline(__always) public var doubleValue: Double { Double(self) }
}

extension Bool: TensorElement {
    @inline(__always) public init(fromInt64 value: Int64) { self = value != 0 }
    @inline(__always) public var int64Value: Int64 { self ? 1 : 0 }
    public static var dtype: DType { .bool }
    @inline(__always) public init(fromDouble value: Double) { self = value != 0 }
    @inline(__always) public var doubleValue: Double { self ? 1 : 0 }
}

extension Int64 {
    /// Saturating conversion used by casts: NaN becomes 0, out-of-range values clamp.
    @inline(__always) init(clamping value: Double) {
        if value.isNaN { self = 0 }
        else if value >= 9.2233720368547758e18 { self = .max }
        else if value <= -9.2233720368547758e18 { self = .min }
        else { self = Int64(value) }
    }
}

/// Floating-point element types (float32 and float64): the types math functions work in.
public protocol FloatElement: TensorElement, BinaryFloatingPoint {}
extension Float: FloatElement {}
extension Double: FloatElement {}

/// Integer element types (int32, int64, uint8).
public protocol IntegerElement: TensorElement, FixedWidthInteger {}
extension Int32: IntegerElement {}
extension Int64: IntegerElement {}
extension UInt8: IntegerElement {}
