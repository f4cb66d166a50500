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
    /// Inserts an axis of length 1 (written `.newAxis`).
    case insertedAxis
    /// Stands for as many full axes as needed (written `.ellipsis`).
    case remainingAxes
}

/// Types usable inside a tensor subscript: `Int`, the range types and ``TensorSlice``.
public protocol TensorSliceConvertible: Sendable {
    var tensorSlice: TensorSlice { get }
}

extension TensorSlice: TensorSliceConvertible { public var tensorSlice: TensorSlice { self } }

/// Lets `.all`, `.newAxis`, `.ellipsis` and `.range(step:)` be written directly in a subscript.
extension TensorSliceConvertible where Self == TensorSlice {
    /// Every position of an axis.
    public static var all: TensorSlice { .range(start: nil, end: nil, step: 1) }
    /// Inserts an axis of length 1.
    public static var newAxis: TensorSlice { .insertedAxis }
    /// Stands for as many full axes as needed.
    public static var ellipsis: TensorSlice { .remainingAxes }
    /// A strided range, e.g. `.range(step: 2)` for every other element, `.range(step: -1)` to reverse.
    public static func range(_ start: Int? = nil, _ end: Int? = nil, step: Int) -> TensorSlice {
        .range(start: start, end: end, step: step)
    }
}
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
