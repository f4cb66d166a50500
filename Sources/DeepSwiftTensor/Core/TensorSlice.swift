/// One entry of a subscript: an index, a range with an optional step, a new axis or an ellipsis.
///
/// ```swift
/// t[0]                                  // first row (drops the axis)
/// t[1..., ..<2]                         // ranges; negative bounds count from the end
/// t[.all, .range(step: -1)]             // reverse the columns
/// t[.ellipsis, .newAxis]                // add a trailing axis
/// ```
public enum TensorSlice: Sendable, Equatable {
    /// A single position (negative counts from the end); removes the axis.
    case index(Int)
    /// Positions `start ..< end` by `step` (Python slice semantics; `nil` bounds mean the ends).
    case range(start: Int?, end: Int?, step: Int)
    /// Inserts an axis of length 1.
    case newAxis
    /// Stands for as many full axes as needed.
    case ellipsis

    /// Every position of an axis.
    public static let all = TensorSlice.range(start: nil, end: nil, step: 1)

    /// A strided range, e.g. `.range(step: 2)` for every other element.
    public static func range(_ start: Int? = nil, _ end: Int? = nil, step: Int) -> TensorSlice {
        .range(start: start, end: end, step: step)
    }
}

/// Types usable inside a tensor subscript: `Int`, the range types and ``TensorSlice``.
public protocol TensorSliceConvertible: Sendable {
    var tensorSlice: TensorSlice { get }
}

extension TensorSlice: TensorSliceConvertible { public var tensorSlice: TensorSlice { self } }
extension Int: TensorSliceConvertible { public var tensorSlice: TensorSlice { .index(self) } }
extension Range: TensorSliceConvertible where Bound == Int {
    public var tensorSlice: TensorSlice { .range(start: lowerBound, end: upperBound, step: 1) }
}
extension ClosedRange: TensorSliceConvertible where Bound == Int {
    public var tensorSlice: TensorSlice {
        .range(start: lowerBound, end: upperBound == -1 ? nil : upperBound + 1, step: 1)
    }
}
extension PartialRangeFrom: TensorSliceConvertible where Bound == Int {
    public var tensorSlice: TensorSlice { .range(start: lowerBound, end: nil, step: 1) }
}
extension PartialRangeUpTo: TensorSliceConvertible where Bound == Int {
    public var tensorSlice: TensorSlice { .range(start: nil, end: upperBound, step: 1) }
}
extension PartialRangeThrough: TensorSliceConvertible where Bound == Int {
    public var tensorSlice: TensorSlice { .range(start: nil, end: upperBound == -1 ? nil : upperBound + 1, step: 1) }
}
