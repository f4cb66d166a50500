#if canImport(Glibc)
import Glibc
#endif
import CDeepSwiftKernels

/// Reductions along any set of axes.
///
/// `axes: nil` (the default) reduces over every axis. Negative axes count from the end.
/// Sums of float32 accumulate in float64, in fixed-size blocks, so results are identical for any
/// thread count.
///
/// ```swift
/// let x = Tensor([[1, 2, 3], [4, 5, 6]] as [[Float]])
/// x.sum()                          // 21 (0-d)
/// x.sum(axis: 0)                   // [5, 7, 9]
/// x.mean(axes: [1], keepDims: true)   // [[2], [5]]
/// x.argmax(axis: 1)                // [2, 2] int64
/// x.variance(axis: 1, correction: 1)
/// ```
extension Tensor {
    enum ReduceOp { case sum, prod, max, min }

    /// Sorted, non-negative, unique axes (all axes for `nil`).
    func reductionAxes(_ axes: [Int]?) -> [Int] {
        guard let axes else { return Array(0..<rank) }
        return Array(Set(axes.map { normalizedAxis($0) })).sorted()
    }

    func reducedShape(_ axes: [Int], keepDims: Bool) -> [Int] {
        var result: [Int] = []
        for axis in 0..<rank {
            if axes.contains(axis) { if keepDims { result.append(1) } } else { result.append(shape[axis]) }
        }
        return result
    }

    /// Lays the input out as a contiguous `[outer, reduced, inner]` block and returns the sizes.
    func reductionLayout(_ axes: [Int]) -> (input: Tensor, outer: Int, reduced: Int, inner: Int) {
        let adjacent = axes.isEmpty || axes.last! - axes.first! + 1 == axes.count
        if adjacent && !axes.isEmpty {
            let x = contiguous()
            let outer = shape[..<axes.first!].reduce(1, *)
            let reduced = axes.reduce(1) { $0 * shape[$1] }
            let inner = shape[(axes.last! + 1)...].reduce(1, *)
            return (x, outer, reduced, inner)
        }
        let kept = (0..<rank).filter { !axes.contains($0) }
        let x = permuted(kept + axes).contiguous()
        return (x, kept.reduce(1) { $0 * shape[$1] }, axes.reduce(1) { $0 * shape[$1] }, 1)
    }

    func reduce(_ op: ReduceOp, axes requested: [Int]?, keepDims: Bool) -> Tensor {
        let axes = reductionAxes(requested)
        let outShape = reducedShape(axes, keepDims: keepDims)
        var source = self
        if dtype == .bool { source = source.cast(to: op == .sum || op == .prod ? .int64 : .uint8) }
        var outDType = source.dtype
        if (op == .sum || op == .prod) && !outDType.isFloatingPoint { outDType = .int64; source = source.cast(to: .int64) }
        let (x, outer, reduced, inner) = source.reductionLayout(axes)
        if (op == .max || op == .min) && reduced == 0 {
            tensorFailure("\(op): cannot reduce an empty axis (shape \(shapeString(shape)), axes \(axes))")
        }
        let out = Tensor(uninitializedShape: outShape, dtype: outDType)
        let input = x.storage.pointer + x.offset * x.dtype.byteSize
        let output = out.storage.pointer
        switch x.dtype {
        case .float32: Tensor.reduceKernel(op, input, output, outer, reduced, inner, Float.self)
        case .float64: Tensor.reduceKernel(op, input, output, outer, reduced, inner, Double.self)
        case .int32: Tensor.reduceKernel(op, input, output, outer, reduced, inner, Int32.self)
        case .int64: Tensor.reduceKernel(op, input, output, outer, reduced, inner, Int64.self)
        case .uint8: Tensor.reduceKernel(op, input, output, outer, reduced, inner, UInt8.self)
        case .bool: tensorFailure("unreachable")
        }
        withExtendedLifetime(x) {}
        return dtype == .bool && (op == .max || op == .min) ? out.cast(to: .bool) : out
    }

    /// Elements per block of a full reduction; fixed so that results do not depend on threads.
    static let reductionBlock = 65_536

    private static func reduceKernel<T: TensorElement & Comparable>(
        _ op: ReduceOp, _ input: UnsafeMutableRawPointer, _ output: UnsafeMutableRawPointer,
        _ outer: Int, _ reduced: Int, _ inner: Int, _: T.Type
    ) {
        let x = UncheckedSendable(UnsafePointer(input.assumingMemoryBound(to: T.self)))
        let y = UncheckedSendable(output.assumingMemoryBound(to: T.self))
        if inner == 1 {
            // Rows of `reduced` contiguous values. A single long row is split into blocks.
            if outer == 1 && reduced > reductionBlock {
                let blocks = (reduced + reductionBlock - 1) / reductionBlock
                var partials = [Double](repeating: 0, count: blocks)
                var partialsT = [T](repeating: T(fromDouble: 0), count: blocks)
                partials.withUnsafeMutableBufferPointer { pd in
                    partialsT.withUnsafeMutableBufferPointer { pt in
                        let pd = UncheckedSendable(pd), pt = UncheckedSendable(pt)
                        Parallel.forRanges(blocks, grain: 1) { range in
                            for block in range {
                                let start = block * reductionBlock
                                let n = Swift.min(reductionBlock, reduced - start)
                                let (d, t) = reduceRow(op, x.value + start, n)
                                pd.value[block] = d
                                pt.value[block] = t
                            }
                        }
                    }
                }
                switch op {
                case .sum: y.value[0] = T(fromDouble: partials.reduce(0, +))
                case .prod: y.value[0] = T(fromDouble: partials.reduce(1, *))
                case .max, .min: y.value[0] = combine(op, partialsT)
                }
                if T.self == Int64.self && (op == .sum || op == .prod) {
                    // Integer sums are exact: recombine the integer partials.
                    y.value[0] = op == .sum ? partialsT.reduce(T(fromInt64: 0)) { T(fromInt64: $0.int64Value &+ $1.int64Value) }
                                            : partialsT.reduce(T(fromInt64: 1)) { T(fromInt64: $0.int64Value &* $1.int64Value) }
                }
                return
            }
            Parallel.forRanges(outer, grain: Swift.max(1, Parallel.minimumElementsPerThread / Swift.max(reduced, 1))) { rows in
                for row in rows {
                    let (d, t) = reduceRow(op, x.value + row * reduced, reduced)
                    y.value[row] = (op == .sum || op == .prod) && T.dtype.isFloatingPoint ? T(fromDouble: d) : t
                }
            }
            return
        }
        // [outer, reduced, inner]: accumulate whole inner rows (vectorizes over `inner`).
        Parallel.forRanges(outer * inner, grain: Swift.max(1, Parallel.minimumElementsPerThread / Swift.max(reduced, 1))) { range in
            // Work in units of (o, inner-chunk) so every chunk is a contiguous piece of an inner row.
            var position = range.lowerBound
            while position < range.upperBound {
                let o = position / inner, i0 = position % inner
                let n = Swift.min(inner - i0, range.upperBound - position)
                reduceColumns(op, x.value + o * reduced * inner + i0, y.value + o * inner + i0, reduced, inner, n)
                position += n
            }
        }
    }

    /// Reduces one contiguous row. Returns the float64 accumulator (sums/products of floats) and
    /// the element-typed result.
    @inline(__always)
    private static func reduceRow<T: TensorElement & Comparable>(_ op: ReduceOp, _ x: UnsafePointer<T>, _ n: Int) -> (Double, T) {
        switch op {
        case .sum:
            if T.self == Float.self {
                let s = ds_sum_f32(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), n)
                return (s, T(fromDouble: s))
            }
            if T.dtype.isFloatingPoint {
                var a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
                var i = 0
                while i + 4 <= n {
                    a0 += x[i].doubleValue; a1 += x[i + 1].doubleValue
                    a2 += x[i + 2].doubleValue; a3 += x[i + 3].doubleValue
                    i += 4
                }
                while i < n { a0 += x[i].doubleValue; i += 1 }
                let s = (a0 + a2) + (a1 + a3)
                return (s, T(fromDouble: s))
            }
            var s: Int64 = 0
            for i in 0..<n { s = s &+ x[i].int64Value }
            return (Double(s), T(fromInt64: s))
        case .prod:
            if T.dtype.isFloatingPoint {
                var p = 1.0
                for i in 0..<n { p *= x[i].doubleValue }
                return (p, T(fromDouble: p))
            }
            var p: Int64 = 1
            for i in 0..<n { p = p &* x[i].int64Value }
            return (Double(p), T(fromInt64: p))
        case .max, .min:
            if T.self == Float.self {
                let f = UnsafeRawPointer(x).assumingMemoryBound(to: Float.self)
                let v = op == .max ? ds_max_f32(f, n) : ds_min_f32(f, n)
                return (Double(v), T(fromDouble: Double(v)))
            }
            var m = x[0]
            if T.dtype.isFloatingPoint {
                for i in 0..<n {
                    let v = x[i]
                    if v != v { return (.nan, v) }
                    if op == .max ? v > m : v < m { m = v }
                }
            } else if op == .max {
                for i in 0..<n { m = Swift.max(m, x[i]) }
            } else {
                for i in 0..<n { m = Swift.min(m, x[i]) }
            }
            return (m.doubleValue, m)
        }
    }

    private static func combine<T: TensorElement & Comparable>(_ op: ReduceOp, _ values: [T]) -> T {
        var m = values[0]
        for v in values {
            if T.dtype.isFloatingPoint && v.doubleValue.isNaN { return v }
            if op == .max ? v > m : v < m { m = v }
        }
        return m
    }

    /// y[i] = reduce over r of x[r * stride + i], for i in 0..<n.
    @inline(__always)
    private static func reduceColumns<T: TensorElement & Comparable>(
        _ op: ReduceOp, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ reduced: Int, _ stride: Int, _ n: Int
    ) {
        if T.self == Float.self && (op == .sum || op == .prod) {
            // Accumulate float32 columns in float64.
            withUnsafeTemporaryAllocation(of: Double.self, capacity: n) { acc in
                let xf = UnsafeRawPointer(x).assumingMemoryBound(to: Float.self)
                acc.initialize(repeating: op == .sum ? 0 : 1)
                for r in 0..<reduced {
                    let row = xf + r * stride
                    if op == .sum { for i in 0..<n { acc[i] += Double(row[i]) } }
                    else { for i in 0..<n { acc[i] *= Double(row[i]) } }
                }
                let yf = UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self)
                for i in 0..<n { yf[i] = Float(acc[i]) }
            }
            return
        }
        switch op {
        case .sum, .prod:
            if T.dtype.isFloatingPoint {
                let xd = UnsafeRawPointer(x).assumingMemoryBound(to: Double.self)
                let yd = UnsafeMutableRawPointer(y).assumingMemoryBound(to: Double.self)
                for i in 0..<n { yd[i] = op == .sum ? 0 : 1 }
                for r in 0..<reduced {
                    let row = xd + r * stride
                    if op == .sum { for i in 0..<n { yd[i] += row[i] } } else { for i in 0..<n { yd[i] *= row[i] } }
                }
            } else {
                for i in 0..<n { y[i] = T(fromInt64: op == .sum ? 0 : 1) }
                for r in 0..<reduced {
                    let row = x + r * stride
                    for i in 0..<n {
                        let a = y[i].int64Value, b = row[i].int64Value
                        y[i] = T(fromInt64: op == .sum ? a &+ b : a &* b)
                    }
                }
            }
        case .max, .min:
            for i in 0..<n { y[i] = x[i] }
            let isFloat = T.dtype.isFloatingPoint
            for r in 1..<Swift.max(reduced, 1) {
                let row = x + r * stride
                if op == .max {
                    for i in 0..<n {
                        let v = row[i], m = y[i]
                        y[i] = (v > m || (isFloat && v != v)) && !(isFloat && m != m) ? v : m
                    }
                } else {
                    for i in 0..<n {
                        let v = row[i], m = y[i]
                        y[i] = (v < m || (isFloat && v != v)) && !(isFloat && m != m) ? v : m
                    }
                }
            }
        }
    }

    // MARK: Public reductions

    /// Sum (integers and bool give int64).
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor { reduce(.sum, axes: axes, keepDims: keepDims) }
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }
    /// Product (integers and bool give int64).
    public func prod(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor { reduce(.prod, axes: axes, keepDims: keepDims) }
    public func prod(axis: Int, keepDims: Bool = false) -> Tensor { prod(axes: [axis], keepDims: keepDims) }
    /// Maximum (NaN propagates).
    public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor { reduce(.max, axes: axes, keepDims: keepDims) }
    public func max(axis: Int, keepDims: Bool = false) -> Tensor { max(axes: [axis], keepDims: keepDims) }
    /// Minimum (NaN propagates).
    public func min(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor { reduce(.min, axes: axes, keepDims: keepDims) }
    public func min(axis: Int, keepDims: Bool = false) -> Tensor { min(axes: [axis], keepDims: keepDims) }

    /// Mean (integers give float32).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let axes = reductionAxes(axes)
        let n = axes.reduce(1) { $0 * shape[$1] }
        let source = dtype.isFloatingPoint ? self : cast(to: .float32)
        return source.sum(axes: axes, keepDims: keepDims) / Double(n)
    }
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    /// Variance with Bessel-style `correction` (0 = population, 1 = sample), as `torch.var`.
    public func variance(axes: [Int]? = nil, correction: Int = 1, keepDims: Bool = false) -> Tensor {
        let axes = reductionAxes(axes)
        let n = axes.reduce(1) { $0 * shape[$1] }
        let source = dtype.isFloatingPoint ? self : cast(to: .float32)
        let centered = source - source.mean(axes: axes, keepDims: true)
        return centered.squared().sum(axes: axes, keepDims: keepDims) / Double(Swift.max(n - correction, 0))
    }
    public func variance(axis: Int, correction: Int = 1, keepDims: Bool = false) -> Tensor {
        variance(axes: [axis], correction: correction, keepDims: keepDims)
    }

    /// Standard deviation with `correction` (see ``variance(axes:correction:keepDims:)``).
    public func standardDeviation(axes: [Int]? = nil, correction: Int = 1, keepDims: Bool = false) -> Tensor {
        variance(axes: axes, correction: correction, keepDims: keepDims).sqrt()
    }
    public func standardDeviation(axis: Int, correction: Int = 1, keepDims: Bool = false) -> Tensor {
        standardDeviation(axes: [axis], correction: correction, keepDims: keepDims)
    }

    /// log Σ exp(x), computed stably by subtracting the maximum.
    public func logSumExp(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let axes = reductionAxes(axes)
        let source = dtype.isFloatingPoint ? self : cast(to: .float32)
        var m = source.max(axes: axes, keepDims: true)
        m = Tensor.where(m.isFinite(), m, Tensor.zeros(like: m))
        let s = (source - m).exp().sum(axes: axes, keepDims: true).log() + m
        return keepDims ? s : s.reshaped(reducedShape(axes, keepDims: false))
    }
    public func logSumExp(axis: Int, keepDims: Bool = false) -> Tensor { logSumExp(axes: [axis], keepDims: keepDims) }

    /// Which vector norm ``norm(_:axes:keepDims:)`` computes.
    public enum NormKind: Sendable { case l1, l2, infinity }

    /// L1, L2 or infinity norm over the axes.
    public func norm(_ kind: NormKind = .l2, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let source = dtype.isFloatingPoint ? self : cast(to: .float32)
        switch kind {
        case .l1: return source.abs().sum(axes: axes, keepDims: keepDims)
        case .l2: return source.squared().sum(axes: axes, keepDims: keepDims).sqrt()
        case .infinity: return source.abs().max(axes: axes, keepDims: keepDims)
        }
    }

    /// `true` where every element (along the axes) is non-zero.
    public func all(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        cast(to: .bool).reduce(.min, axes: axes, keepDims: keepDims)
    }
    /// `true` where any element (along the axes) is non-zero.
    public func any(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        cast(to: .bool).reduce(.max, axes: axes, keepDims: keepDims)
    }

    /// `true` for finite elements (always true for integers).
    public func isFinite() -> Tensor {
        guard dtype.isFloatingPoint else { return Tensor.ones(shape, dtype: .bool) }
        return (self - self) .== (self - self)
    }
    /// `true` for NaN elements.
    public func isNaN() -> Tensor { self .!= self }

    // MARK: Arg reductions

    /// Index of the maximum along `axis` (first occurrence; NaN counts as the maximum), int64.
    /// Without an axis, the index into the flattened tensor.
    public func argmax(axis: Int? = nil, keepDims: Bool = false) -> Tensor { argReduce(axis: axis, keepDims: keepDims, max: true) }
    /// Index of the minimum along `axis` (first occurrence; NaN counts as the minimum), int64.
    public func argmin(axis: Int? = nil, keepDims: Bool = false) -> Tensor { argReduce(axis: axis, keepDims: keepDims, max: false) }

    private func argReduce(axis: Int?, keepDims: Bool, max: Bool) -> Tensor {
        guard let axis else {
            let flat = reshaped([-1]).argReduce(axis: 0, keepDims: false, max: max)
            return keepDims ? flat.reshaped([Int](repeating: 1, count: rank)) : flat
        }
        let a = normalizedAxis(axis)
        tensorCheck(shape[a] > 0, "arg\(max ? "max" : "min"): empty axis \(axis) in shape \(shapeString(shape))")
        var source = self
        if dtype == .bool { source = cast(to: .uint8) }
        let (x, outer, reduced, inner) = source.reductionLayout([a])
        let out = Tensor(uninitializedShape: reducedShape([a], keepDims: keepDims), dtype: .int64)
        let input = x.storage.pointer + x.offset * x.dtype.byteSize
        let y = out.storage.pointer.assumingMemoryBound(to: Int64.self)
        switch x.dtype {
        case .float32: Tensor.argKernel(input.assumingMemoryBound(to: Float.self), y, outer, reduced, inner, max)
        case .float64: Tensor.argKernel(input.assumingMemoryBound(to: Double.self), y, outer, reduced, inner, max)
        case .int32: Tensor.argKernel(input.assumingMemoryBound(to: Int32.self), y, outer, reduced, inner, max)
        case .int64: Tensor.argKernel(input.assumingMemoryBound(to: Int64.self), y, outer, reduced, inner, max)
        case .uint8, .bool: Tensor.argKernel(input.assumingMemoryBound(to: UInt8.self), y, outer, reduced, inner, max)
        }
        withExtendedLifetime(x) {}
        return out
    }

    private static func argKernel<T: TensorElement & Comparable>(
        _ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<Int64>, _ outer: Int, _ reduced: Int, _ inner: Int, _ max: Bool
    ) {
        let isFloat = T.dtype.isFloatingPoint
        for o in 0..<outer {
            for i in 0..<inner {
                let base = x + o * reduced * inner + i
                var best = base[0], bestIndex = 0
                if !(isFloat && best != best) {
                    for r in 1..<Swift.max(reduced, 1) {
                        let v = base[r * inner]
                        if isFloat && v != v { bestIndex = r; break }
                        if max ? v > best : v < best { best = v; bestIndex = r }
                    }
                }
                y[o * inner + i] = Int64(bestIndex)
            }
        }
    }

    // MARK: Scans

    /// Cumulative sum along `axis` (integers and bool give int64).
    public func cumulativeSum(axis: Int) -> Tensor {
        let a = normalizedAxis(axis)
        var source = self
        if !dtype.isFloatingPoint { source = cast(to: .int64) }
        let (x, outer, reduced, inner) = source.reductionLayout([a])
        var out = Tensor(uninitializedShape: shape, dtype: source.dtype)
        func scan<T: TensorElement>(_: T.Type, _ add: (T, T) -> T) {
            let px = x.basePointer(T.self), py = out.basePointer(T.self)
            for o in 0..<outer {
                let xs = px + o * reduced * inner, ys = py + o * reduced * inner
                for i in 0..<inner { ys[i] = xs[i] }
                for r in 1..<Swift.max(reduced, 1) {
                    for i in 0..<inner { ys[r * inner + i] = add(ys[(r - 1) * inner + i], xs[r * inner + i]) }
                }
            }
        }
        if reduced > 0 {
            switch source.dtype {
            case .float32: scan(Float.self, +)
            case .float64: scan(Double.self, +)
            default: scan(Int64.self, &+)
            }
        }
        return out
    }
}
