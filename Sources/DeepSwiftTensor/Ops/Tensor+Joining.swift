/// Joining and splitting tensors.
///
/// ```swift
/// let a = Tensor.ones([2, 3]), b = Tensor.zeros([1, 3])
/// Tensor.concat([a, b], axis: 0)        // [3, 3]
/// Tensor.stack([a, a], axis: 0)         // [2, 2, 3]
/// a.split(sizes: [1, 2], axis: 1)       // views of shapes [2, 1] and [2, 2]
/// a.chunked(3, axis: 1)                 // three [2, 1] views
/// ```
extension Tensor {
    /// Joins tensors along an existing axis (dtypes are promoted; other dimensions must match).
    public static func concat(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        tensorCheck(!tensors.isEmpty, "concat: no tensors given")
        let first = tensors[0]
        let a = first.normalizedAxis(axis)
        let dtype = tensors.dropFirst().reduce(first.dtype) { DType.promoted($0, $1.dtype) }
        var outShape = first.shape
        outShape[a] = 0
        for t in tensors {
            tensorCheck(t.rank == first.rank, "concat: tensors of shapes \(shapeString(first.shape)) and \(shapeString(t.shape)) have different ranks")
            for d in 0..<t.rank where d != a {
                tensorCheck(t.shape[d] == first.shape[d],
                             "concat: shapes \(shapeString(first.shape)) and \(shapeString(t.shape)) differ outside axis \(axis)")
            }
            outShape[a] += t.shape[a]
        }
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        var start = 0
        for t in tensors {
            var region = out.narrowed(axis: a, start: start, length: t.shape[a])
            if t.count > 0 { copyElements(from: t.cast(to: dtype), into: &region) }
            start += t.shape[a]
        }
        return out
    }

    /// Joins tensors of equal shape along a new axis.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        tensorCheck(!tensors.isEmpty, "stack: no tensors given")
        let shape = tensors[0].shape
        for t in tensors {
            tensorCheck(t.shape == shape, "stack: shapes \(shapeString(shape)) and \(shapeString(t.shape)) differ")
        }
        let a = axis < 0 ? axis + shape.count + 1 : axis
        return concat(tensors.map { $0.unsqueezed(axis: a) }, axis: a)
    }

    /// Splits into views of the given sizes along `axis` (sizes must add up to the axis length).
    public func split(sizes: [Int], axis: Int = 0) -> [Tensor] {
        let a = normalizedAxis(axis)
        tensorCheck(sizes.reduce(0, +) == shape[a], "split: sizes \(sizes) do not add up to \(shape[a]) (axis \(axis) of shape \(shapeString(shape)))")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return narrowed(axis: a, start: start, length: size)
        }
    }

    /// Splits into views of `size` elements along `axis` (the last one may be smaller), as `torch.split`.
    public func split(size: Int, axis: Int = 0) -> [Tensor] {
        tensorCheck(size > 0, "split: size must be positive, got \(size)")
        let length = shape[normalizedAxis(axis)]
        var sizes = Array(repeating: size, count: length / size)
        if length % size != 0 { sizes.append(length % size) }
        return split(sizes: sizes, axis: axis)
    }

    /// Splits into `chunks` nearly equal views along `axis`, as `torch.chunk`.
    public func chunked(_ chunks: Int, axis: Int = 0) -> [Tensor] {
        tensorCheck(chunks > 0, "chunked: number of chunks must be positive, got \(chunks)")
        let length = shape[normalizedAxis(axis)]
        return split(size: Swift.max(1, (length + chunks - 1) / chunks), axis: axis)
    }
}
