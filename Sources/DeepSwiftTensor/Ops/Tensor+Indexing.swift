/// Indexing with tensors of indices or masks.
///
/// ```swift
/// let x = Tensor([[1, 2, 3], [4, 5, 6]] as [[Float]])
/// x.indexSelect(axis: 1, indices: Tensor([2, 0] as [Int64]))          // [[3, 1], [6, 4]]
/// x.gather(axis: 1, indices: Tensor([[0, 0], [1, 0]] as [[Int64]]))   // [[1, 1], [5, 4]]
/// Tensor.where(x .> 2, x, Tensor(Float(0)))                           // [[0, 0, 3], [4, 5, 6]]
/// x.maskedFill(x .> 4, value: -1)
/// Tensor([0, 2] as [Int64]).oneHot(classes: 3)                         // [[1, 0, 0], [0, 0, 1]]
/// ```
extension Tensor {
    /// Integer positions read from an index tensor, negative values counted from `size`.
    private static func positions(_ indices: Tensor, size: Int, _ operation: String) -> [Int] {
        tensorCheck(!indices.dtype.isFloatingPoint && indices.dtype != .bool,
                     "\(operation): indices must be an integer tensor, got \(indices.dtype)")
        return indices.scalars(as: Int64.self).map { raw in
            let i = raw < 0 ? Int(raw) + size : Int(raw)
            tensorCheck(i >= 0 && i < size, "\(operation): index \(raw) out of range for an axis of size \(size)")
            return i
        }
    }

    /// Picks the slices at `indices` (a 1-D integer tensor) along `axis`.
    public func indexSelect(axis: Int, indices: Tensor) -> Tensor {
        let a = normalizedAxis(axis)
        tensorCheck(indices.rank <= 1, "indexSelect: indices must be 1-D, got shape \(shapeString(indices.shape))")
        let picks = Tensor.positions(indices, size: shape[a], "indexSelect")
        let x = contiguous()
        var outShape = shape
        outShape[a] = picks.count
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *) * dtype.byteSize
        let src = x.storage.pointer + x.offset * dtype.byteSize, dst = out.storage.pointer
        for o in 0..<outer {
            for (j, i) in picks.enumerated() {
                (dst + (o * picks.count + j) * inner).copyMemory(from: src + (o * shape[a] + i) * inner, byteCount: inner)
            }
        }
        withExtendedLifetime(x) {}
        return out
    }

    /// `torch.gather`: `out[i][j][k] = self[i][indices[i][j][k]][k]` for `axis == 1`, and so on.
    /// `indices` has this tensor's rank; the result has the shape of `indices`.
    public func gather(axis: Int, indices: Tensor) -> Tensor {
        let a = normalizedAxis(axis)
        tensorCheck(indices.rank == rank, "gather: indices of shape \(shapeString(indices.shape)) must have the rank of the input \(shapeString(shape))")
        for d in 0..<rank where d != a {
            tensorCheck(indices.shape[d] <= shape[d], "gather: indices shape \(shapeString(indices.shape)) exceeds input shape \(shapeString(shape)) at axis \(d)")
        }
        let picks = Tensor.positions(indices, size: shape[a], "gather")
        let out = Tensor(uninitializedShape: indices.shape, dtype: dtype)
        let size = dtype.byteSize
        let src = storage.pointer, dst = out.storage.pointer
        var index = [Int](repeating: 0, count: rank)
        for (n, pick) in picks.enumerated() {
            var position = offset
            for d in 0..<rank { position += (d == a ? pick : index[d]) * strides[d] }
            (dst + n * size).copyMemory(from: src + position * size, byteCount: size)
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < indices.shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return out
    }

    /// `torch.scatter_add`: a copy of this tensor with `source[i][j][k]` added at
    /// `[i][indices[i][j][k]][k]` (for `axis == 1`). Additions happen in index order (deterministic).
    public func scatterAdd(axis: Int, indices: Tensor, source: Tensor) -> Tensor {
        let a = normalizedAxis(axis)
        tensorCheck(indices.rank == rank && source.rank == rank,
                     "scatterAdd: indices \(shapeString(indices.shape)) and source \(shapeString(source.shape)) must have the rank of the input \(shapeString(shape))")
        for d in 0..<rank {
            tensorCheck(indices.shape[d] <= source.shape[d] && (d == a || indices.shape[d] <= shape[d]),
                         "scatterAdd: indices shape \(shapeString(indices.shape)) does not fit source \(shapeString(source.shape)) and input \(shapeString(shape)) at axis \(d)")
        }
        let picks = Tensor.positions(indices, size: shape[a], "scatterAdd")
        let out = contiguousCopy()
        let src = source.cast(to: dtype)
        let outStrides = out.strides
        func run<T: TensorElement>(_: T.Type, _ add: (T, T) -> T) {
            let o = out.basePointer(T.self), s = src.storage.pointer.assumingMemoryBound(to: T.self)
            var index = [Int](repeating: 0, count: rank)
            for pick in picks {
                var target = 0, from = src.offset
                for d in 0..<rank {
                    target += (d == a ? pick : index[d]) * outStrides[d]
                    from += index[d] * src.strides[d]
                }
                o[target] = add(o[target], s[from])
                var d = rank - 1
                while d >= 0 {
                    index[d] += 1
                    if index[d] < indices.shape[d] { break }
                    index[d] = 0
                    d -= 1
                }
            }
        }
        switch dtype {
        case .float32: run(Float.self, +)
        case .float64: run(Double.self, +)
        case .int32: run(Int32.self, &+)
        case .int64: run(Int64.self, &+)
        case .uint8: run(UInt8.self, &+)
        case .bool: run(Bool.self) { $0 || $1 }
        }
        return out
    }

    /// Elementwise choice: `a` where `condition` is true (non-zero), else `b`. All three broadcast.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shapeAB = broadcastShapeOrFail(a.shape, b.shape, "where")
        let outShape = broadcastShapeOrFail(condition.shape, shapeAB, "where")
        let dtype = DType.promoted(a.dtype, b.dtype)
        let out = b.cast(to: dtype).expanded(to: outShape).contiguousCopy()
        let cond = condition.cast(to: .bool), from = a.cast(to: dtype)
        let loop = StridedLoop(shape: outShape, cond.broadcastStrides(to: outShape), from.broadcastStrides(to: outShape),
                               contiguousStrides(for: outShape))
        func run<T>(_: T.Type) {
            let c = UncheckedSendable(cond.basePointer(Bool.self)), x = UncheckedSendable(from.basePointer(T.self))
            let y = UncheckedSendable(out.basePointer(T.self))
            let sc = loop.innerStrideA, sx = loop.innerStrideB
            loop.parallelSegments { oc, ox, oy, n in
                let c = c.value + oc, x = x.value + ox, y = y.value + oy
                for i in 0..<n where c[i * sc] { y[i] = x[i * sx] }
            }
        }
        if out.count > 0 {
            switch dtype.byteSize {
            case 1: run(UInt8.self)
            case 4: run(UInt32.self)
            default: run(UInt64.self)
            }
        }
        withExtendedLifetime((cond, from)) {}
        return out
    }

    /// A copy with `value` wherever `mask` (broadcast) is true.
    public func maskedFill(_ mask: Tensor, value: Double) -> Tensor {
        Tensor.where(mask, Tensor.full([], value: value, dtype: dtype), self)
    }

    /// One-hot encoding of an integer tensor: shape `shape + [classes]`.
    public func oneHot(classes: Int, dtype: DType = .float32) -> Tensor {
        let labels = Tensor.positions(self, size: classes, "oneHot")
        let out = Tensor.zeros(shape + [classes], dtype: dtype)
        for (n, label) in labels.enumerated() { Tensor.writeDouble(out.storage.pointer, n * classes + label, dtype, 1) }
        return out
    }
}
