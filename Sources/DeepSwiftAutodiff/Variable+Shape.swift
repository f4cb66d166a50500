import DeepSwiftTensor

/// VJPs of views, joining and indexing: the gradient is routed back to where each element came from.
extension Variable {
    public func reshaped(_ shape: [Int]) -> Variable {
        let original = self.shape
        return Variable.record(value.reshaped(shape), self) { $0.reshaped(original) }
    }
    public func reshaped(_ dims: Int...) -> Variable { reshaped(dims) }

    public func flattened(startAxis: Int = 0, endAxis: Int = -1) -> Variable {
        let original = self.shape
        return Variable.record(value.flattened(startAxis: startAxis, endAxis: endAxis), self) { $0.reshaped(original) }
    }

    public func permuted(_ axes: [Int]) -> Variable {
        let normalized = axes.map { $0 < 0 ? $0 + rank : $0 }
        var inverse = [Int](repeating: 0, count: normalized.count)
        for (i, a) in normalized.enumerated() { inverse[a] = i }
        return Variable.record(value.permuted(normalized), self) { $0.permuted(inverse) }
    }
    public func permuted(_ axes: Int...) -> Variable { permuted(axes) }

    public func transposed(_ a: Int, _ b: Int) -> Variable {
        Variable.record(value.transposed(a, b), self) { $0.transposed(a, b) }
    }
    public func transposed() -> Variable { rank < 2 ? self : transposed(-2, -1) }
    public var T: Variable { transposed() }

    public func squeezed(axis: Int? = nil) -> Variable {
        let original = self.shape
        return Variable.record(value.squeezed(axis: axis), self) { $0.reshaped(original) }
    }

    public func unsqueezed(axis: Int) -> Variable {
        let original = self.shape
        return Variable.record(value.unsqueezed(axis: axis), self) { $0.reshaped(original) }
    }

    public func expanded(to shape: [Int]) -> Variable {
        let original = self.shape
        return Variable.record(value.expanded(to: shape), self) { $0.reduced(toShape: original) }
    }

    /// Slicing (see `Tensor`'s subscript); the gradient is scattered into zeros.
    public subscript(_ items: any TensorSliceConvertible...) -> Variable { sliced(items.map(\.tensorSlice)) }

    public func sliced(_ items: [TensorSlice]) -> Variable {
        let x = value
        return Variable.record(x.sliced(items), self) { g in
            var full = Tensor.zeros(x.shape, dtype: g.dtype)
            full.assign(g, to: items)
            return full
        }
    }

    public func narrowed(axis: Int, start: Int, length: Int) -> Variable {
        let x = value
        return Variable.record(x.narrowed(axis: axis, start: start, length: length), self) { g in
            Tensor.zeros(x.shape, dtype: g.dtype).narrowedAssign(g, axis: axis, start: start)
        }
    }

    public func flipped(axes: [Int]) -> Variable {
        Variable.record(value.flipped(axes: axes), self) { $0.flipped(axes: axes) }
    }

    public static func concat(_ variables: [Variable], axis: Int = 0) -> Variable {
        let sizes = variables.map { $0.shape[axis < 0 ? axis + $0.rank : axis] }
        return record(Tensor.concat(variables.map(\.value), axis: axis), variables) { g, needed in
            let parts = g.split(sizes: sizes, axis: axis)
            return zip(parts, needed).map { $1 ? $0.contiguous() : nil }
        }
    }

    public static func stack(_ variables: [Variable], axis: Int = 0) -> Variable {
        let a = axis < 0 ? axis + variables[0].rank + 1 : axis
        return concat(variables.map { $0.unsqueezed(axis: a) }, axis: a)
    }

    public func split(sizes: [Int], axis: Int = 0) -> [Variable] {
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return narrowed(axis: axis, start: start, length: size)
        }
    }

    public func indexSelect(axis: Int, indices: Tensor) -> Variable {
        let x = value
        let a = axis < 0 ? axis + x.rank : axis
        return Variable.record(x.indexSelect(axis: a, indices: indices), self) { g in
            // Scatter-add the selected slices back: an index tensor shaped like g along `a`.
            var indexShape = [Int](repeating: 1, count: g.rank)
            indexShape[a] = indices.count
            let index = indices.cast(to: .int64).reshaped(indexShape).expanded(to: g.shape).contiguous()
            return Tensor.zeros(x.shape, dtype: g.dtype).scatterAdd(axis: a, indices: index, source: g)
        }
    }

    public func gather(axis: Int, indices: Tensor) -> Variable {
        let x = value
        return Variable.record(x.gather(axis: axis, indices: indices), self) { g in
            Tensor.zeros(x.shape, dtype: g.dtype).scatterAdd(axis: axis, indices: indices, source: g)
        }
    }

    /// `a` where `condition`, else `b`; each side receives the gradient where it was chosen.
    public static func `where`(_ condition: Tensor, _ a: Variable, _ b: Variable) -> Variable {
        let (sa, sb) = (a.shape, b.shape)
        return record(Tensor.where(condition, a.value, b.value), a, b) { g, needA, needB in
            let zero = Tensor.zeros([], dtype: g.dtype)
            return (needA ? Tensor.where(condition, g, zero).reduced(toShape: sa) : nil,
                    needB ? Tensor.where(condition, zero, g).reduced(toShape: sb) : nil)
        }
    }

    public func maskedFill(_ mask: Tensor, value fill: Double) -> Variable {
        Variable.record(value.maskedFill(mask, value: fill), self) { g in g.maskedFill(mask, value: 0) }
    }

    /// Padding (constant or reflect); the gradient of the border is routed back to its source.
    public func padded(_ widths: [(Int, Int)], mode: Tensor.PaddingMode = .constant, value fill: Double = 0) -> Variable {
        switch mode {
        case .constant:
            let lead = rank - widths.count
            let items: [TensorSlice] = (0..<rank).map { axis in
                axis < lead ? .all : .range(start: widths[axis - lead].0, end: shape[axis] + widths[axis - lead].0, step: 1)
            }
            return Variable.record(value.padded(widths, mode: .constant, value: fill), self) { g in g.sliced(items).contiguous() }
        case .reflect:
            var result = self
            let lead = rank - widths.count
            for (i, (before, after)) in widths.enumerated() where before > 0 || after > 0 {
                let axis = lead + i
                let n = shape[axis]
                let indices = (-before ..< n + after).map { j -> Int64 in
                    var k = j < 0 ? -j : j
                    if k >= n { k = 2 * (n - 1) - k }
                    return Int64(k)
                }
                result = result.indexSelect(axis: axis, indices: Tensor(indices))
            }
            return result
        }
    }

    /// Repeats the whole tensor along each axis (composition of expand and reshape).
    public func tiled(_ repetitions: [Int]) -> Variable {
        let r = Swift.max(rank, repetitions.count)
        let base = reshaped(Array(repeating: 1, count: r - rank) + shape)
        let reps = Array(repeating: 1, count: r - repetitions.count) + repetitions
        var viewShape: [Int] = [], expandedShape: [Int] = [], finalShape: [Int] = []
        for axis in 0..<r {
            viewShape += [1, base.shape[axis]]
            expandedShape += [reps[axis], base.shape[axis]]
            finalShape.append(reps[axis] * base.shape[axis])
        }
        return base.reshaped(viewShape).expanded(to: expandedShape).reshaped(finalShape)
    }

    /// Repeats each element `count` times along `axis`.
    public func repeated(_ count: Int, axis: Int) -> Variable {
        let a = axis < 0 ? axis + rank : axis
        var target = shape
        target.insert(count, at: a + 1)
        var finalShape = shape
        finalShape[a] *= count
        return unsqueezed(axis: a + 1).expanded(to: target).reshaped(finalShape)
    }
}

extension Tensor {
    /// A copy of this tensor with `value` written at `start` along `axis`.
    func narrowedAssign(_ value: Tensor, axis: Int, start: Int) -> Tensor {
        var copy = self
        let a = axis < 0 ? axis + rank : axis
        var items = [TensorSlice](repeating: .all, count: rank)
        items[a] = .range(start: start, end: start + value.shape[a], step: 1)
        copy.assign(value, to: items)
        return copy
    }
}
