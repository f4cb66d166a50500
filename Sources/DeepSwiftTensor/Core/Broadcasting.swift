/// NumPy broadcasting rules and the strided iteration that every elementwise kernel uses.
extension Tensor {
    /// The shape that `a` and `b` broadcast to, or `nil` when they are incompatible.
    ///
    /// ```swift
    /// Tensor.broadcastShape([3, 1], [1, 4])   // [3, 4]
    /// Tensor.broadcastShape([2, 3], [4])      // nil
    /// ```
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = Swift.max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 { result[i] = da }
            else if da == 1 { result[i] = db }
            else { return nil }
        }
        return result
    }

    /// Like ``broadcastShape(_:_:)`` but traps with both shapes in the message.
    static func broadcastShapeOrFail(_ a: [Int], _ b: [Int], _ operation: String) -> [Int] {
        guard let shape = broadcastShape(a, b) else {
            tensorFailure("\(operation): shapes \(shapeString(a)) and \(shapeString(b)) cannot be broadcast together")
        }
        return shape
    }

    /// Strides of this tensor viewed with `shape` (which it must broadcast to): 0 on broadcast axes.
    func broadcastStrides(to target: [Int]) -> [Int] {
        let lead = target.count - rank
        tensorCheck(lead >= 0, "broadcast: cannot broadcast shape \(shapeString(shape)) to \(shapeString(target))")
        var result = [Int](repeating: 0, count: target.count)
        for axis in 0..<rank {
            let t = target[lead + axis]
            if shape[axis] == t { result[lead + axis] = t == 1 ? 0 : strides[axis] }
            else if shape[axis] == 1 { result[lead + axis] = 0 }
            else { tensorFailure("broadcast: cannot broadcast shape \(shapeString(shape)) to \(shapeString(target))") }
        }
        return result
    }
}

/// A loop nest over `shape` for up to three operands with their own strides, with dimensions
/// merged wherever every operand is contiguous across them. The innermost dimension is run by the
/// kernel as a tight loop; ``forEachRow(in:_:)`` walks the outer dimensions.
struct StridedLoop {
    /// Collapsed shape; never empty (a scalar is `[1]`).
    var shape: [Int]
    var stridesA: [Int]
    var stridesB: [Int]
    var stridesC: [Int]

    init(shape: [Int], _ a: [Int], _ b: [Int] = [], _ c: [Int] = []) {
        let rank = shape.count
        let a = a.isEmpty ? [Int](repeating: 0, count: rank) : a
        let b = b.isEmpty ? [Int](repeating: 0, count: rank) : b
        let c = c.isEmpty ? [Int](repeating: 0, count: rank) : c
        var outShape: [Int] = []
        var sa: [Int] = [], sb: [Int] = [], sc: [Int] = []
        for axis in 0..<rank where shape[axis] != 1 {
            if let last = outShape.last,
               sa.last! == a[axis] * shape[axis], sb.last! == b[axis] * shape[axis], sc.last! == c[axis] * shape[axis] {
                outShape[outShape.count - 1] = last * shape[axis]
                sa[sa.count - 1] = a[axis]
                sb[sb.count - 1] = b[axis]
                sc[sc.count - 1] = c[axis]
            } else {
                outShape.append(shape[axis])
                sa.append(a[axis]); sb.append(b[axis]); sc.append(c[axis])
            }
        }
        if outShape.isEmpty { outShape = [1]; sa = [0]; sb = [0]; sc = [0] }
        self.shape = outShape
        self.stridesA = sa
        self.stridesB = sb
        self.stridesC = sc
    }

    var innerCount: Int { shape[shape.count - 1] }
    var innerStrideA: Int { stridesA[stridesA.count - 1] }
    var innerStrideB: Int { stridesB[stridesB.count - 1] }
    var innerStrideC: Int { stridesC[stridesC.count - 1] }
    /// Number of inner rows.
    var rowCount: Int { shape.dropLast().reduce(1, *) }

    /// Calls `body(offsetA, offsetB, offsetC)` for each row in `rows`, in order.
    @inline(__always)
    func forEachRow(in rows: Range<Int>, _ body: (Int, Int, Int) -> Void) {
        let outer = shape.count - 1
        if outer == 0 {
            if !rows.isEmpty { body(0, 0, 0) }
            return
        }
        if outer == 1 {
            let sa = stridesA[0], sb = stridesB[0], sc = stridesC[0]
            for r in rows { body(r * sa, r * sb, r * sc) }
            return
        }
        var index = [Int](repeating: 0, count: outer)
        var remainder = rows.lowerBound
        var oa = 0, ob = 0, oc = 0
        for axis in stride(from: outer - 1, through: 0, by: -1) {
            index[axis] = remainder % shape[axis]
            remainder /= shape[axis]
            oa += index[axis] * stridesA[axis]
            ob += index[axis] * stridesB[axis]
            oc += index[axis] * stridesC[axis]
        }
        for _ in rows {
            body(oa, ob, oc)
            var axis = outer - 1
            while axis >= 0 {
                index[axis] += 1
                oa += stridesA[axis]; ob += stridesB[axis]; oc += stridesC[axis]
                if index[axis] < shape[axis] { break }
                oa -= stridesA[axis] * shape[axis]
                ob -= stridesB[axis] * shape[axis]
                oc -= stridesC[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// Calls `body(offsetA, offsetB, offsetC, count)` for segments that cover the loop nest, each a run
    /// of `count` elements along the innermost dimension. Segments run in parallel when the work is
    /// large: a fully contiguous loop is split into element ranges, otherwise rows are distributed.
    @inline(__always)
    func parallelSegments(_ body: (Int, Int, Int, Int) -> Void) {
        if shape.count == 1 {
            let sa = stridesA[0], sb = stridesB[0], sc = stridesC[0]
            Parallel.forRanges(shape[0]) { range in
                let start = range.lowerBound
                body(start * sa, start * sb, start * sc, range.count)
            }
        } else {
            let n = innerCount
            parallelRows { rows in
                forEachRow(in: rows) { oa, ob, oc in body(oa, ob, oc, n) }
            }
        }
    }

    /// Runs the rows in parallel chunks (each chunk in order), sized by the total element count.
    @inline(__always)
    func parallelRows(_ body: (Range<Int>) -> Void) {
        let rows = rowCount
        let inner = innerCount
        let grain = Swift.max(1, Parallel.minimumElementsPerThread / Swift.max(inner, 1))
        Parallel.forRanges(rows, grain: grain, body)
    }
}
