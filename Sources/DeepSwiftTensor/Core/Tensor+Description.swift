import Foundation

/// NumPy-style printing.
///
/// ```swift
/// print(Tensor([[1, 2], [3, 4.5]] as [[Float]]))
/// // tensor([[1. , 2. ],
/// //         [3. , 4.5]], dtype=float32)
/// ```
/// Tensors with more than 1000 elements are summarized with `...`, keeping 3 items at each edge.
extension Tensor: CustomStringConvertible, CustomDebugStringConvertible {
    /// Elements above which printing summarizes.
    public static let printThreshold = 1000
    /// Items kept at each edge when summarizing.
    public static let printEdgeItems = 3

    public var description: String {
        let prefix = "tensor("
        let body = formattedBody(indent: prefix.count)
        return prefix + body + ", dtype=\(dtype))"
    }

    public var debugDescription: String {
        "Tensor(shape: \(shapeString(shape)), strides: \(shapeString(strides)), offset: \(offset), dtype: \(dtype))\n" + description
    }

    func formattedBody(indent: Int) -> String {
        let summarize = count > Tensor.printThreshold
        let edge = Tensor.printEdgeItems
        // Collect the elements that will be shown, to choose one format for all of them.
        var shown: [Double] = []
        collect(summarize: summarize, edge: edge, prefix: [], into: &shown)
        let format = ElementFormat(values: shown, dtype: dtype)
        if rank == 0 { return format.string(scalar(at: [], as: Double.self)) }
        return render(prefix: [], summarize: summarize, edge: edge, indent: indent + 1, format: format)
    }

    private func visibleIndices(_ axis: Int, summarize: Bool, edge: Int) -> [Int?] {
        let n = shape[axis]
        if summarize && n > 2 * edge { return Array(0..<edge) + [nil] + Array((n - edge)..<n) }
        return Array(0..<n)
    }

    private func collect(summarize: Bool, edge: Int, prefix: [Int], into values: inout [Double]) {
        if prefix.count == rank {
            values.append(scalar(at: prefix, as: Double.self))
            return
        }
        for i in visibleIndices(prefix.count, summarize: summarize, edge: edge) {
            if let i { collect(summarize: summarize, edge: edge, prefix: prefix + [i], into: &values) }
        }
    }

    private func render(prefix: [Int], summarize: Bool, edge: Int, indent: Int, format: ElementFormat) -> String {
        let axis = prefix.count
        let items = visibleIndices(axis, summarize: summarize, edge: edge)
        if axis == rank - 1 {
            let parts = items.map { i in i.map { format.string(scalar(at: prefix + [$0], as: Double.self)) } ?? "..." }
            return "[" + parts.joined(separator: ", ") + "]"
        }
        let separator = "," + String(repeating: "\n", count: rank - axis - 1) + String(repeating: " ", count: indent + axis)
        let parts = items.map { i in
            i.map { render(prefix: prefix + [$0], summarize: summarize, edge: edge, indent: indent, format: format) } ?? "..."
        }
        return "[" + parts.joined(separator: separator) + "]"
    }
}

/// One number format shared by all printed elements, chosen as NumPy does: integers plainly,
/// floats with up to 4 decimals (trailing zeros trimmed uniformly), scientific notation when the
/// magnitudes span too much.
struct ElementFormat {
    let dtype: DType
    let decimals: Int
    let scientific: Bool
    /// Width of the widest printed element; every element is right-aligned to it.
    let width: Int

    init(values: [Double], dtype: DType) {
        self.dtype = dtype
        let finite = values.filter { $0.isFinite }
        let maxAbs = finite.map { Swift.abs($0) }.max() ?? 0
        let minAbs = finite.filter { $0 != 0 }.map { Swift.abs($0) }.min() ?? 0
        scientific = dtype.isFloatingPoint && (maxAbs >= 1e8 || (minAbs > 0 && minAbs < 1e-4) || (minAbs > 0 && maxAbs / minAbs > 1e3 && maxAbs >= 1e4))
        var d = 0
        if dtype.isFloatingPoint && !scientific {
            for v in finite {
                for candidate in stride(from: 4, through: d + 1, by: -1) {
                    let s = String(format: "%.\(candidate)f", v)
                    if !s.hasSuffix("0") { d = Swift.max(d, candidate); break }
                }
            }
        }
        decimals = d
        var w = 0
        for v in values { w = Swift.max(w, Self.raw(v, dtype: dtype, decimals: d, scientific: scientific).count) }
        width = w
    }

    static func raw(_ v: Double, dtype: DType, decimals: Int, scientific: Bool) -> String {
        if dtype == .bool { return v != 0 ? "true" : "false" }
        if !dtype.isFloatingPoint { return String(Int64(v)) }
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        if scientific { return String(format: "%.4e", v) }
        if decimals == 0 { return String(format: "%.0f", v) + "." }
        // NumPy style: trailing zeros become spaces so that the decimal points line up.
        let text = String(format: "%.\(decimals)f", v)
        let trimmed = text.reversed().drop { $0 == "0" }
        return String(trimmed.reversed()) + String(repeating: " ", count: text.count - trimmed.count)
    }

    func string(_ v: Double) -> String {
        let s = Self.raw(v, dtype: dtype, decimals: decimals, scientific: scientific)
        return String(repeating: " ", count: Swift.max(0, width - s.count)) + s
    }
}
