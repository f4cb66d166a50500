/// Sorting along an axis.
///
/// Sorts are stable; NaN sorts after every number in ascending order (as NumPy).
///
/// ```swift
/// let x = Tensor([3, 1, 2] as [Float])
/// x.sorted()                    // values [1, 2, 3], indices [1, 2, 0]
/// x.argsort(descending: true)   // [0, 2, 1]
/// x.topK(2)                     // values [3, 2], indices [0, 2]
/// ```
extension Tensor {
    /// Sorted values and the int64 indices that produce them, along `axis`.
    public func sorted(axis: Int = -1, descending: Bool = false) -> (values: Tensor, indices: Tensor) {
        let indices = argsort(axis: axis, descending: descending)
        return (gather(axis: axis, indices: indices), indices)
    }

    /// The int64 indices that sort the tensor along `axis`.
    public func argsort(axis: Int = -1, descending: Bool = false) -> Tensor {
        if rank == 0 { return Tensor.zeros([], dtype: .int64) }
        let a = normalizedAxis(axis)
        let rows = movedAxis(a, to: -1).contiguous()
        let n = shape[a]
        let values = rows.doubles
        let rowCount = n == 0 ? 0 : values.count / n
        var result = [Int64](repeating: 0, count: values.count)
        for r in 0..<rowCount {
            let base = r * n
            let order = (0..<n).sorted { i, j in
                let x = values[base + i], y = values[base + j]
                if x.isNaN || y.isNaN { return !x.isNaN && y.isNaN }
                return descending ? x > y : x < y
            }
            for (k, i) in order.enumerated() { result[base + k] = Int64(i) }
        }
        return Tensor(result, shape: rows.shape).movedAxis(-1, to: a).contiguous()
    }

    /// The `k` largest (or smallest) values along `axis` and their indices, largest first.
    public func topK(_ k: Int, axis: Int = -1, largest: Bool = true) -> (values: Tensor, indices: Tensor) {
        let a = normalizedAxis(axis)
        tensorCheck(k >= 0 && k <= shape[a], "topK: k = \(k) out of range for axis \(axis) of shape \(shapeString(shape))")
        let order = argsort(axis: a, descending: largest).narrowed(axis: a, start: 0, length: k).contiguous()
        return (gather(axis: a, indices: order), order)
    }
}
