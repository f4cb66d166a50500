/// An n-dimensional array: DeepSwift's equivalent of ND4J's `INDArray` or PyTorch's `Tensor`.
///
/// `Tensor` is a value type. Views (``reshaped(_:)``, ``permuted(_:)``, slicing, ``expanded(to:)``)
/// share storage with the tensor they come from and copy nothing; writing to any tensor whose storage
/// is shared copies it first (copy-on-write), so a view never changes the tensor it was taken from.
///
/// ```swift
/// let a = Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
/// let b = a.transposed()             // a view, shape [3, 2]
/// let c = a.matmul(b)                // [2, 2], through BLAS with a transpose flag
/// print(c.sum(axis: 1, keepDims: true))
/// ```
public struct Tensor: Sendable {
    /// Element type.
    public internal(set) var dtype: DType
    /// Size of each dimension.
    public internal(set) var shape: [Int]
    /// Step, in elements, between neighbours along each dimension. Zero for broadcast dimensions.
    public internal(set) var strides: [Int]
    /// Position of the first element in ``storage``, in elements.
    public internal(set) var offset: Int
    /// The memory, possibly shared with other tensors.
    public internal(set) var storage: TensorStorage

    init(storage: TensorStorage, dtype: DType, shape: [Int], strides: [Int], offset: Int) {
        self.storage = storage
        self.dtype = dtype
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// A new contiguous tensor whose elements are not initialized. Every element must be written.
    init(uninitializedShape shape: [Int], dtype: DType) {
        tensorCheck(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        let count = shape.reduce(1, *)
        self.storage = TensorStorage(byteCount: count * dtype.byteSize)
        self.dtype = dtype
        self.shape = shape
        self.strides = Tensor.contiguousStrides(for: shape)
        self.offset = 0
    }

    /// Row-major (C order) strides for `shape`.
    public static func contiguousStrides(for shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= Swift.max(shape[axis], 1)
        }
        return strides
    }

    // MARK: Basic properties

    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// Total number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// Alias of ``count``, as in NumPy.
    public var size: Int { count }

    /// `true` when the elements are laid out in row-major order without gaps (offset may be non-zero).
    public var isContiguous: Bool {
        var expected = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }

    /// Normalizes a possibly negative axis; traps with a clear message when out of range.
    @inline(__always)
    func normalizedAxis(_ axis: Int, rank r: Int? = nil, _ function: String = #function) -> Int {
        let r = r ?? rank
        let a = axis < 0 ? axis + r : axis
        tensorCheck(a >= 0 && a < Swift.max(r, 1), "\(function): axis \(axis) out of range for a tensor of rank \(r) (shape \(shape))")
        return a
    }

    // MARK: Raw access (internal)

    /// Base pointer of the first element, typed.
    @inline(__always)
    func basePointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
        storage.pointer.assumingMemoryBound(to: T.self) + offset
    }

    /// Makes the storage unique (copying it if it is shared or if this is a view of a larger block).
    mutating func makeUniqueContiguous() {
        if !isKnownUniquelyReferenced(&storage) || !isContiguous || offset != 0
            || storage.byteCount != count * dtype.byteSize {
            self = contiguousCopy()
        }
    }

    /// Calls `body` with a buffer of the contiguous elements, copying first if needed.
    ///
    /// ```swift
    /// let total = t.withUnsafeBufferPointer(as: Float.self) { $0.reduce(0, +) }
    /// ```
    public func withUnsafeBufferPointer<T: TensorElement, R>(
        as type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R
    ) rethrows -> R {
        tensorCheck(T.dtype == dtype, "withUnsafeBufferPointer: tensor has dtype \(dtype), requested \(T.dtype)")
        let source = isContiguous ? self : contiguousCopy()
        return try withExtendedLifetime(source) {
            try body(UnsafeBufferPointer(start: source.basePointer(T.self), count: source.count))
        }
    }

    /// Calls `body` with a mutable buffer of the elements, after making the storage unique and contiguous.
    public mutating func withUnsafeMutableBufferPointer<T: TensorElement, R>(
        as type: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws -> R
    ) rethrows -> R {
        tensorCheck(T.dtype == dtype, "withUnsafeMutableBufferPointer: tensor has dtype \(dtype), requested \(T.dtype)")
        makeUniqueContiguous()
        return try body(UnsafeMutableBufferPointer(start: basePointer(T.self), count: count))
    }

    // MARK: Element access

    /// The elements in row-major order, converted to `T` if the dtype differs.
    ///
    /// ```swift
    /// Tensor.arange(4).scalars(as: Float.self)   // [0, 1, 2, 3]
    /// ```
    public func scalars<T: TensorElement>(as type: T.Type = T.self) -> [T] {
        let source = dtype == T.dtype ? self : cast(to: T.dtype)
        return source.withUnsafeBufferPointer(as: T.self) { Array($0) }
    }

    /// The elements as `Double`s, whatever the dtype.
    public var doubles: [Double] { scalars(as: Double.self) }

    /// The only element of a one-element tensor.
    public func item<T: TensorElement>(as type: T.Type = T.self) -> T {
        tensorCheck(count == 1, "item(): tensor of shape \(shape) has \(count) elements, expected 1")
        return scalars(as: T.self)[0]
    }

    /// The only element of a one-element tensor, as a `Double`.
    public var scalarValue: Double { item(as: Double.self) }

    /// The element at a full index (negative indices count from the end).
    public func scalar<T: TensorElement>(at index: [Int], as type: T.Type = T.self) -> T {
        tensorCheck(index.count == rank, "scalar(at:): index \(index) has \(index.count) entries, tensor has shape \(shape)")
        var position = offset
        for axis in 0..<rank {
            var i = index[axis]
            if i < 0 { i += shape[axis] }
            tensorCheck(i >= 0 && i < shape[axis], "scalar(at:): index \(index) out of range for shape \(shape)")
            position += i * strides[axis]
        }
        if dtype == T.dtype { return storage.pointer.assumingMemoryBound(to: T.self)[position] }
        return T(fromDouble: Tensor.readDouble(storage.pointer, position, dtype))
    }

    /// Writes the element at a full index (copy-on-write).
    public mutating func setScalar(_ value: Double, at index: [Int]) {
        tensorCheck(index.count == rank, "setScalar(at:): index \(index) has \(index.count) entries, tensor has shape \(shape)")
        makeUniqueContiguous()
        var position = 0
        for axis in 0..<rank {
            var i = index[axis]
            if i < 0 { i += shape[axis] }
            tensorCheck(i >= 0 && i < shape[axis], "setScalar(at:): index \(index) out of range for shape \(shape)")
            position += i * strides[axis]
        }
        Tensor.writeDouble(storage.pointer, position, dtype, value)
    }

    @inline(__always)
    static func readDouble(_ base: UnsafeMutableRawPointer, _ i: Int, _ dtype: DType) -> Double {
        switch dtype {
        case .float32: return Double(base.assumingMemoryBound(to: Float.self)[i])
        case .float64: return base.assumingMemoryBound(to: Double.self)[i]
        case .int32: return Double(base.assumingMemoryBound(to: Int32.self)[i])
        case .int64: return Double(base.assumingMemoryBound(to: Int64.self)[i])
        case .uint8: return Double(base.assumingMemoryBound(to: UInt8.self)[i])
        case .bool: return base.assumingMemoryBound(to: UInt8.self)[i] != 0 ? 1 : 0
        }
    }

    @inline(__always)
    static func writeDouble(_ base: UnsafeMutableRawPointer, _ i: Int, _ dtype: DType, _ v: Double) {
        switch dtype {
        case .float32: base.assumingMemoryBound(to: Float.self)[i] = Float(v)
        case .float64: base.assumingMemoryBound(to: Double.self)[i] = v
        case .int32: base.assumingMemoryBound(to: Int32.self)[i] = Int32(fromDouble: v)
        case .int64: base.assumingMemoryBound(to: Int64.self)[i] = Int64(fromDouble: v)
        case .uint8: base.assumingMemoryBound(to: UInt8.self)[i] = UInt8(fromDouble: v)
        case .bool: base.assumingMemoryBound(to: UInt8.self)[i] = v != 0 ? 1 : 0
        }
    }
}

/// Formats a shape for messages: `[2, 3]`.
@inline(never)
func shapeString(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
