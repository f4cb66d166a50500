/// Views: new shapes and strides over the same storage, without copying.
extension Tensor {
    // MARK: Reshape

    /// The same elements with a new shape; one dimension may be `-1` (inferred).
    /// A view when the strides allow it, otherwise a copy.
    ///
    /// ```swift
    /// Tensor.arange(6).reshaped([2, -1])   // shape [2, 3]
    /// ```
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let target = resolvedShape(newShape)
        if target == shape { return self }
        if let newStrides = Tensor.viewStrides(shape, strides, target) {
            return Tensor(storage: storage, dtype: dtype, shape: target, strides: newStrides, offset: offset)
        }
        return contiguousCopy().reshaped(target)
    }

    /// Variadic form of ``reshaped(_:)``.
    public func reshaped(_ dims: Int...) -> Tensor { reshaped(dims) }

    func resolvedShape(_ newShape: [Int]) -> [Int] {
        var target = newShape
        let inferred = target.indices.filter { target[$0] == -1 }
        tensorCheck(inferred.count <= 1, "reshape: more than one -1 in \(shapeString(newShape))")
        tensorCheck(target.allSatisfy { $0 >= -1 }, "reshape: invalid dimension in \(shapeString(newShape))")
        if let axis = inferred.first {
            let known = target.enumerated().filter { $0.offset != axis }.reduce(1) { $0 * $1.element }
            tensorCheck(known != 0 && count % known == 0,
                         "reshape: cannot reshape tensor of shape \(shapeString(shape)) (\(count) elements) into \(shapeString(newShape))")
            target[axis] = count / known
        }
        tensorCheck(target.reduce(1, *) == count,
                     "reshape: cannot reshape tensor of shape \(shapeString(shape)) (\(count) elements) into \(shapeString(newShape))")
        return target
    }

    /// Strides that let a tensor with `oldShape`/`oldStrides` be viewed as `newShape`, or `nil`
    /// when that needs a copy. Groups of old dimensions that are mutually contiguous are split or
    /// merged into new dimensions; nothing else can be expressed with strides.
    static func viewStrides(_ oldShape: [Int], _ oldStrides: [Int], _ newShape: [Int]) -> [Int]? {
        let total = oldShape.reduce(1, *)
        if total == 0 || oldShape.isEmpty { return contiguousStrides(for: newShape) }
        var newStrides = [Int](repeating: 0, count: newShape.count)
        var viewAxis = newShape.count - 1
        var chunkBaseStride = oldStrides[oldStrides.count - 1]
        var tensorElements = 1
        var viewElements = 1
        for tensorAxis in stride(from: oldShape.count - 1, through: 0, by: -1) {
            tensorElements *= oldShape[tensorAxis]
            let chunkEnds = tensorAxis == 0
                || (oldShape[tensorAxis - 1] != 1 && oldStrides[tensorAxis - 1] != tensorElements * chunkBaseStride)
            if chunkEnds {
                while viewAxis >= 0 && (viewElements < tensorElements || newShape[viewAxis] == 1) {
                    newStrides[viewAxis] = viewElements * chunkBaseStride
                    viewElements *= newShape[viewAxis]
                    viewAxis -= 1
                }
                if viewElements != tensorElements { return nil }
                if tensorAxis > 0 {
                    chunkBaseStride = oldStrides[tensorAxis - 1]
                    tensorElements = 1
                    viewElements = 1
                }
            }
        }
        return viewAxis == -1 ? newStrides : nil
    }

    /// Collapses axes `startAxis...endAxis` into one (all axes by default).
    ///
    /// ```swift
    /// Tensor.zeros([2, 3, 4]).flattened(startAxis: 1)   // shape [2, 12]
    /// ```
    public func flattened(startAxis: Int = 0, endAxis: Int = -1) -> Tensor {
        if rank == 0 { return reshaped([1]) }
        let start = normalizedAxis(startAxis), end = normalizedAxis(endAxis)
        tensorCheck(start <= end, "flattened: startAxis \(startAxis) is after endAxis \(endAxis) for shape \(shapeString(shape))")
        let merged = shape[start...end].reduce(1, *)
        return reshaped(Array(shape[..<start]) + [merged] + Array(shape[(end + 1)...]))
    }

    // MARK: Axis order

    /// Reorders the axes: result axis `i` is input axis `axes[i]`.
    ///
    /// ```swift
    /// Tensor.zeros([2, 3, 4]).permuted([2, 0, 1])   // shape [4, 2, 3]
    /// ```
    public func permuted(_ axes: [Int]) -> Tensor {
        tensorCheck(axes.count == rank, "permuted: \(axes) does not list \(rank) axes for shape \(shapeString(shape))")
        let normalized = axes.map { normalizedAxis($0) }
        tensorCheck(Set(normalized).count == rank, "permuted: \(axes) repeats an axis")
        return Tensor(storage: storage, dtype: dtype, shape: normalized.map { shape[$0] },
                      strides: normalized.map { strides[$0] }, offset: offset)
    }

    /// Variadic form of ``permuted(_:)``.
    public func permuted(_ axes: Int...) -> Tensor { permuted(axes) }

    /// Swaps two axes.
    public func transposed(_ axis0: Int, _ axis1: Int) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(normalizedAxis(axis0), normalizedAxis(axis1))
        return permuted(order)
    }

    /// Swaps the last two axes (the matrix transpose; a 1-D tensor is returned unchanged).
    public func transposed() -> Tensor { rank < 2 ? self : transposed(-2, -1) }

    /// Shorthand for ``transposed()``.
    public var T: Tensor { transposed() }

    /// Moves `source` axis to position `destination`.
    public func movedAxis(_ source: Int, to destination: Int) -> Tensor {
        let s = normalizedAxis(source), d = normalizedAxis(destination)
        var order = Array(0..<rank)
        order.remove(at: s)
        order.insert(s, at: d)
        return permuted(order)
    }

    // MARK: Adding and removing unit axes

    /// Removes axes of length 1 (all of them, or only `axis`).
    public func squeezed(axis: Int? = nil) -> Tensor {
        var keep = Array(0..<rank)
        if let axis {
            let a = normalizedAxis(axis)
            guard shape[a] == 1 else { return self }
            keep.remove(at: a)
        } else {
            keep = keep.filter { shape[$0] != 1 }
        }
        return Tensor(storage: storage, dtype: dtype, shape: keep.map { shape[$0] },
                      strides: keep.map { strides[$0] }, offset: offset)
    }

    /// Inserts an axis of length 1 at `axis` (which may be `rank`, or negative).
    public func unsqueezed(axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        tensorCheck(a >= 0 && a <= rank, "unsqueezed: axis \(axis) out of range for shape \(shapeString(shape))")
        var newShape = shape, newStrides = strides
        newShape.insert(1, at: a)
        newStrides.insert(a < rank ? strides[a] * shape[a] : 1, at: a)
        return Tensor(storage: storage, dtype: dtype, shape: newShape, strides: newStrides, offset: offset)
    }

    // MARK: Broadcasting views

    /// A view with `shape`, repeating axes of length 1 with stride 0 (no copy).
    ///
    /// ```swift
    /// Tensor([1, 2, 3] as [Float]).expanded(to: [2, 3])   // two identical rows
    /// ```
    public func expanded(to target: [Int]) -> Tensor {
        let target = target.enumerated().map { index, dim -> Int in
            let lead = target.count - rank
            return dim == -1 && index >= lead ? shape[index - lead] : dim
        }
        return Tensor(storage: storage, dtype: dtype, shape: target, strides: broadcastStrides(to: target), offset: offset)
    }

    /// Same as ``expanded(to:)``; NumPy's name.
    public func broadcast(to target: [Int]) -> Tensor { expanded(to: target) }

    // MARK: Slicing

    /// Selects with indices, ranges, steps, new axes and an ellipsis; returns a view.
    ///
    /// Assigning through the subscript writes (broadcast) values into the selected region:
    /// ```swift
    /// var t = Tensor.zeros([3, 4])
    /// t[1, 1...] = Tensor(Float(5))
    /// let lastColumn = t[.ellipsis, -1]
    /// ```
    public subscript(_ items: any TensorSliceConvertible...) -> Tensor {
        get { sliced(items.map(\.tensorSlice)) }
        set { assign(newValue, to: items.map(\.tensorSlice)) }
    }

    /// Subscript with an array of ``TensorSlice`` values.
    public subscript(slices items: [TensorSlice]) -> Tensor {
        get { sliced(items) }
        set { assign(newValue, to: items) }
    }

    /// Applies slice items (see the subscript) and returns the view.
    public func sliced(_ items: [TensorSlice]) -> Tensor {
        let consuming = items.filter { $0 != .insertedAxis && $0 != .remainingAxes }.count
        tensorCheck(items.filter({ $0 == .remainingAxes }).count <= 1, "subscript: more than one ellipsis")
        tensorCheck(consuming <= rank, "subscript: \(consuming) indices for a tensor of shape \(shapeString(shape))")
        var expandedItems: [TensorSlice] = []
        for item in items {
            if item == .remainingAxes {
                expandedItems.append(contentsOf: Array(repeating: .all, count: rank - consuming))
            } else {
                expandedItems.append(item)
            }
        }
        if !items.contains(.remainingAxes) {
            expandedItems.append(contentsOf: Array(repeating: .all, count: rank - consuming))
        }
        var newShape: [Int] = [], newStrides: [Int] = []
        var newOffset = offset
        var axis = 0
        for item in expandedItems {
            switch item {
            case .insertedAxis:
                newShape.append(1)
                newStrides.append(0)
            case .remainingAxes:
                break
            case .index(let raw):
                let i = raw < 0 ? raw + shape[axis] : raw
                tensorCheck(i >= 0 && i < shape[axis], "subscript: index \(raw) out of range for axis \(axis) of size \(shape[axis]) (shape \(shapeString(shape)))")
                newOffset += i * strides[axis]
                axis += 1
            case .range(let start, let end, let step):
                let (first, length) = Tensor.sliceBounds(start: start, end: end, step: step, size: shape[axis])
                newOffset += first * strides[axis]
                newShape.append(length)
                newStrides.append(strides[axis] * step)
                axis += 1
            }
        }
        return Tensor(storage: storage, dtype: dtype, shape: newShape, strides: newStrides,
                      offset: newShape.contains(0) ? offset : newOffset)
    }

    /// Python slice semantics: clamps bounds, handles negative indices and steps.
    static func sliceBounds(start: Int?, end: Int?, step: Int, size: Int) -> (first: Int, count: Int) {
        tensorCheck(step != 0, "subscript: slice step must not be zero")
        if step > 0 {
            var s = start ?? 0, e = end ?? size
            if s < 0 { s += size }
            if e < 0 { e += size }
            s = Swift.min(Swift.max(s, 0), size)
            e = Swift.min(Swift.max(e, 0), size)
            return (s, e > s ? (e - s + step - 1) / step : 0)
        } else {
            var s = start ?? size - 1, e = end ?? -size - 1
            if s < 0 { s += size }
            if e < 0 { e += size }
            s = Swift.min(Swift.max(s, -1), size - 1)
            e = Swift.min(Swift.max(e, -1), size - 1)
            return (Swift.max(s, 0), s > e ? (s - e - step - 1) / (-step) : 0)
        }
    }

    /// Writes `value` (broadcast, converted to this dtype) into the region selected by `items`.
    public mutating func assign(_ value: Tensor, to items: [TensorSlice]) {
        makeUniqueContiguous()
        var region = sliced(items)
        let source = value.cast(to: dtype)
        tensorCheck(Tensor.broadcastShape(source.shape, region.shape) == region.shape,
                     "subscript assignment: value of shape \(shapeString(value.shape)) cannot be broadcast to the selected region \(shapeString(region.shape))")
        Tensor.copyElements(from: source.expanded(to: region.shape), into: &region)
    }

    /// The slice `start ..< start + length` along `axis` (a view).
    public func narrowed(axis: Int, start: Int, length: Int) -> Tensor {
        let a = normalizedAxis(axis)
        tensorCheck(start >= 0 && length >= 0 && start + length <= shape[a],
                     "narrowed: range \(start)..<\(start + length) out of bounds for axis \(axis) of shape \(shapeString(shape))")
        var newShape = shape
        newShape[a] = length
        return Tensor(storage: storage, dtype: dtype, shape: newShape, strides: strides,
                      offset: length == 0 ? offset : offset + start * strides[a])
    }

    /// The sub-tensor at `index` along `axis`, with that axis removed (a view).
    public func selected(axis: Int, index: Int) -> Tensor {
        let a = normalizedAxis(axis)
        let i = index < 0 ? index + shape[a] : index
        tensorCheck(i >= 0 && i < shape[a], "selected: index \(index) out of range for axis \(axis) of shape \(shapeString(shape))")
        var newShape = shape, newStrides = strides
        newShape.remove(at: a)
        newStrides.remove(at: a)
        return Tensor(storage: storage, dtype: dtype, shape: newShape, strides: newStrides, offset: offset + i * strides[a])
    }
}
