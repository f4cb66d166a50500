#if canImport(Glibc)
import Glibc
#endif

/// Building tensors from Swift values and from scratch.
extension Tensor {
    /// A tensor holding `scalars` in row-major order with the given shape
    /// (1-D when `shape` is omitted).
    ///
    /// ```swift
    /// let m = Tensor([1, 2, 3, 4] as [Float], shape: [2, 2])
    /// let v = Tensor([1, 2, 3] as [Int64])
    /// ```
    public init<T: TensorElement>(_ scalars: [T], shape: [Int]? = nil) {
        let shape = shape ?? [scalars.count]
        tensorCheck(shape.reduce(1, *) == scalars.count,
                     "Tensor(_:shape:): \(scalars.count) scalars do not fill shape \(shapeString(shape)) (\(shape.reduce(1, *)) elements)")
        self.init(uninitializedShape: shape, dtype: T.dtype)
        let destination = storage.pointer.assumingMemoryBound(to: T.self)
        scalars.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { destination.update(from: base, count: source.count) }
        }
    }

    /// A 0-dimensional tensor holding one value.
    ///
    /// ```swift
    /// let s = Tensor(Float(3.5))   // shape []
    /// ```
    public init<T: TensorElement>(_ scalar: T) {
        self.init([scalar], shape: [])
    }

    /// A 2-D tensor from nested arrays (rows must have equal lengths).
    public init<T: TensorElement>(_ rows: [[T]]) {
        let columns = rows.first?.count ?? 0
        tensorCheck(rows.allSatisfy { $0.count == columns }, "Tensor(_:): ragged nested array (rows of different lengths)")
        self.init(rows.flatMap { $0 }, shape: [rows.count, columns])
    }

    /// A 3-D tensor from nested arrays.
    public init<T: TensorElement>(_ planes: [[[T]]]) {
        let rows = planes.first?.count ?? 0
        let columns = planes.first?.first?.count ?? 0
        tensorCheck(planes.allSatisfy { $0.count == rows && $0.allSatisfy { $0.count == columns } },
                     "Tensor(_:): ragged nested array")
        self.init(planes.flatMap { $0.flatMap { $0 } }, shape: [planes.count, rows, columns])
    }

    /// A tensor of the given shape with every element set to `value`.
    ///
    /// ```swift
    /// Tensor.full([2, 2], value: 7, dtype: .int32)
    /// ```
    public static func full(_ shape: [Int], value: Double, dtype: DType = .float32) -> Tensor {
        var t = Tensor(uninitializedShape: shape, dtype: dtype)
        t.fillInPlace(value)
        return t
    }

    /// A contiguous tensor whose elements are unspecified (for kernels that write every element).
    public static func uninitialized(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        Tensor(uninitializedShape: shape, dtype: dtype)
    }

    /// All zeros.
    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        let t = Tensor(uninitializedShape: shape, dtype: dtype)
        memset(t.storage.pointer, 0, t.count * dtype.byteSize)
        return t
    }

    /// All ones.
    public static func ones(_ shape: [Int], dtype: DType = .float32) -> Tensor { full(shape, value: 1, dtype: dtype) }

    /// Zeros with the shape and dtype of `other`.
    public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape, dtype: other.dtype) }
    /// Ones with the shape and dtype of `other`.
    public static func ones(like other: Tensor) -> Tensor { ones(other.shape, dtype: other.dtype) }

    /// Values from `start` up to (not including) `end` in steps of `step`, as in NumPy.
    /// Without `dtype`, integral arguments give int64 and others float32.
    ///
    /// ```swift
    /// Tensor.arange(5)                        // [0, 1, 2, 3, 4] int64
    /// Tensor.arange(0, 1, step: 0.25)         // [0, 0.25, 0.5, 0.75] float32
    /// ```
    public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType? = nil) -> Tensor {
        tensorCheck(step != 0, "arange: step must not be zero")
        let count = Swift.max(0, Int((((end - start) / step)).rounded(.up)))
        let integral = start.rounded() == start && step.rounded() == step
        let dtype = dtype ?? (integral ? .int64 : .float32)
        let t = Tensor(uninitializedShape: [count], dtype: dtype)
        for i in 0..<count { writeDouble(t.storage.pointer, i, dtype, start + Double(i) * step) }
        return t
    }

    /// `0 ..< end` as int64 (or `dtype`).
    public static func arange(_ end: Int, dtype: DType = .int64) -> Tensor {
        arange(0, Double(end), step: 1, dtype: dtype)
    }

    /// `count` evenly spaced values from `start` to `end` inclusive.
    public static func linspace(_ start: Double, _ end: Double, count: Int, dtype: DType = .float32) -> Tensor {
        tensorCheck(count >= 0, "linspace: count must be non-negative, got \(count)")
        let t = Tensor(uninitializedShape: [count], dtype: dtype)
        let step = count > 1 ? (end - start) / Double(count - 1) : 0
        for i in 0..<count {
            let v = i == count - 1 && count > 1 ? end : start + Double(i) * step
            writeDouble(t.storage.pointer, i, dtype, v)
        }
        return t
    }

    /// The identity matrix (`rows` × `columns`, ones on the diagonal).
    public static func eye(_ rows: Int, _ columns: Int? = nil, dtype: DType = .float32) -> Tensor {
        let columns = columns ?? rows
        let t = zeros([rows, columns], dtype: dtype)
        for i in 0..<Swift.min(rows, columns) { writeDouble(t.storage.pointer, i * columns + i, dtype, 1) }
        return t
    }

    /// Sets every element to `value` (copy-on-write).
    public mutating func fillInPlace(_ value: Double) {
        makeUniqueContiguous()
        let n = count
        let p = UncheckedSendable(storage.pointer)
        func fill<T: TensorElement>(_: T.Type) {
            let v = T(fromDouble: value)
            Parallel.forRanges(n) { range in
                let base = p.value.assumingMemoryBound(to: T.self)
                (base + range.lowerBound).update(repeating: v, count: range.count)
            }
        }
        switch dtype {
        case .float32: fill(Float.self)
        case .float64: fill(Double.self)
        case .int32: fill(Int32.self)
        case .int64: fill(Int64.self)
        case .uint8: fill(UInt8.self)
        case .bool: fill(Bool.self)
        }
    }
}

// MARK: Literals

/// One element of a tensor array literal: a number, a bool, or a nested array.
///
/// Scalars are not literals of `Tensor` itself, so that `x .> 0` or `x * 2` always mean a scalar
/// operand; array literals are: `let t: Tensor = [[1, 2], [3, 4.5]]`.
public indirect enum TensorLiteral: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, Sendable {
    case integer(Int64), floating(Double), boolean(Bool), array([TensorLiteral])

    public init(integerLiteral value: Int) { self = .integer(Int64(value)) }
    public init(floatLiteral value: Double) { self = .floating(value) }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(arrayLiteral elements: TensorLiteral...) { self = .array(elements) }

    var shape: [Int] {
        if case .array(let items) = self { return [items.count] + (items.first?.shape ?? []) }
        return []
    }

    func flatten(into values: inout [Double], kinds: inout Set<Int>, shape: ArraySlice<Int>) {
        switch self {
        case .integer(let v): values.append(Double(v)); kinds.insert(1)
        case .floating(let v): values.append(v); kinds.insert(2)
        case .boolean(let v): values.append(v ? 1 : 0); kinds.insert(0)
        case .array(let items):
            tensorCheck(items.count == shape.first, "Tensor literal: ragged nested array (rows of different lengths)")
            for item in items { item.flatten(into: &values, kinds: &kinds, shape: shape.dropFirst()) }
        }
    }
}

extension Tensor: ExpressibleByArrayLiteral {
    /// Nested array literals, with PyTorch's dtype inference: integers give int64, any float gives
    /// float32, bools give bool. `[[1, 2], [3, 4.5]]` is a 2×2 float32 tensor.
    public init(arrayLiteral elements: TensorLiteral...) {
        let literal = TensorLiteral.array(elements)
        let shape = literal.shape
        var values: [Double] = [], kinds = Set<Int>()
        literal.flatten(into: &values, kinds: &kinds, shape: shape[...])
        let dtype: DType = kinds.contains(2) ? .float32 : (kinds.contains(1) ? .int64 : (kinds.isEmpty ? .float32 : .bool))
        self = Tensor.zeros(shape, dtype: dtype)
        for (i, v) in values.enumerated() { Tensor.writeDouble(storage.pointer, i, dtype, v) }
    }
}

extension Tensor {
    /// A new contiguous tensor whose bytes `initializer` writes (it receives `count × byteSize`
    /// bytes of uninitialized storage). For readers of binary formats.
    ///
    /// ```swift
    /// let t = Tensor(shape: [2], dtype: .float32) { bytes in bytes.copyMemory(from: source, byteCount: 8) }
    /// ```
    public init(shape: [Int], dtype: DType, initializingBytesWith initializer: (UnsafeMutableRawPointer) -> Void) {
        self.init(uninitializedShape: shape, dtype: dtype)
        initializer(storage.pointer)
    }
}

extension Tensor {
    /// The number of elements of a shape read from a file, or nil when a size is negative or the
    /// shape is too large: the product of every size, each counted as at least 1, must stay within
    /// `limit` (a zero-size shape such as `[0, 2⁴⁰, 2⁴⁰]` would still overflow its strides).
    ///
    /// ```swift
    /// guard let count = Tensor.elementCount(ofUntrustedShape: dims, limit: 1 << 40) else { throw ... }
    /// ```
    public static func elementCount(ofUntrustedShape shape: [Int], limit: Int) -> Int? {
        var count = 1, bound = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (b, overflow) = bound.multipliedReportingOverflow(by: Swift.max(d, 1))
            guard !overflow, b <= limit else { return nil }
            bound = b
            count *= d
        }
        return count
    }
}
