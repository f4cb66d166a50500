/// Padding, tiling, repetition and flipping.
///
/// ```swift
/// let x = Tensor([[1, 2], [3, 4]] as [[Float]])
/// x.padded([(1, 1), (0, 2)])                     // zeros around, shape [4, 4]
/// x.padded([(0, 0), (1, 1)], mode: .reflect)     // [[2, 1, 2, 1], [4, 3, 4, 3]]
/// x.tiled([2, 1])                                // [4, 2]
/// x.repeated(2, axis: 1)                         // [[1, 1, 2, 2], [3, 3, 4, 4]]
/// x.flipped(axes: [0])                           // [[3, 4], [1, 2]] (a view)
/// ```
extension Tensor {
    /// How ``padded(_:mode:value:)`` fills the border.
    public enum PaddingMode: String, Sendable {
        /// A constant value.
        case constant
        /// Mirror without repeating the edge (`[1, 2, 3]` padded by 2 → `[3, 2, 1, 2, 3, 2, 1]`).
        case reflect
    }

    /// Pads with `(before, after)` amounts per axis. Fewer pairs than axes pad the trailing axes.
    public func padded(_ widths: [(Int, Int)], mode: PaddingMode = .constant, value: Double = 0) -> Tensor {
        tensorCheck(widths.count <= rank, "padded: \(widths.count) padding pairs for a tensor of shape \(shapeString(shape))")
        let lead = rank - widths.count
        let pads = Array(repeating: (0, 0), count: lead) + widths
        tensorCheck(pads.allSatisfy { $0.0 >= 0 && $0.1 >= 0 }, "padded: negative padding \(widths)")
        switch mode {
        case .constant:
            let outShape = (0..<rank).map { shape[$0] + pads[$0].0 + pads[$0].1 }
            var out = Tensor.full(outShape, value: value, dtype: dtype)
            var region = out
            for axis in 0..<rank { region = region.narrowed(axis: axis, start: pads[axis].0, length: shape[axis]) }
            if count > 0 { Tensor.copyElements(from: self, into: &region) }
            return out
        case .reflect:
            var result = self
            for axis in 0..<rank where pads[axis] != (0, 0) {
                let n = shape[axis]
                tensorCheck(pads[axis].0 < n && pads[axis].1 < n,
                             "padded: reflect padding \(pads[axis]) must be smaller than axis \(axis) of size \(n) (shape \(shapeString(shape)))")
                var indices: [Int64] = []
                for i in -pads[axis].0 ..< n + pads[axis].1 {
                    var j = i
                    if j < 0 { j = -j }
                    if j >= n { j = 2 * (n - 1) - j }
                    indices.append(Int64(j))
                }
                result = result.indexSelect(axis: axis, indices: Tensor(indices))
            }
            return result
        }
    }

    /// Repeats the whole tensor `repetitions[i]` times along axis i (NumPy `tile`).
    public func tiled(_ repetitions: [Int]) -> Tensor {
        let r = Swift.max(rank, repetitions.count)
        let base = reshaped(Array(repeating: 1, count: r - rank) + shape)
        let reps = Array(repeating: 1, count: r - repetitions.count) + repetitions
        var expandedShape: [Int] = [], viewShape: [Int] = [], finalShape: [Int] = []
        for axis in 0..<r {
            viewShape += [1, base.shape[axis]]
            expandedShape += [reps[axis], base.shape[axis]]
            finalShape.append(reps[axis] * base.shape[axis])
        }
        return base.reshaped(viewShape).expanded(to: expandedShape).contiguous().reshaped(finalShape)
    }

    /// Repeats each element `count` times along `axis` (`torch.repeat_interleave`).
    public func repeated(_ count: Int, axis: Int) -> Tensor {
        let a = normalizedAxis(axis)
        var target = shape
        target.insert(count, at: a + 1)
        var finalShape = shape
        finalShape[a] *= count
        return unsqueezed(axis: a + 1).expanded(to: target).contiguous().reshaped(finalShape)
    }

    /// Reverses the order of elements along `axes` (a view with negative strides).
    public func flipped(axes: [Int]) -> Tensor {
        var result = self
        for axis in Set(axes.map { normalizedAxis($0) }) where shape[axis] > 1 {
            result.offset += (shape[axis] - 1) * result.strides[axis]
            result.strides[axis] = -result.strides[axis]
        }
        return result
    }
}
