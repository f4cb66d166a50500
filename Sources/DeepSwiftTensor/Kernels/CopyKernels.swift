/// Strided copies and dtype conversions.
extension Tensor {
    /// This tensor if it is already contiguous, otherwise a contiguous copy.
    ///
    /// ```swift
    /// let t = Tensor.arange(6).reshaped([2, 3]).transposed()
    /// t.isContiguous                 // false
    /// t.contiguous().isContiguous    // true
    /// ```
    public func contiguous() -> Tensor { isContiguous ? self : contiguousCopy() }

    /// A contiguous copy with its own storage, whatever the layout of this tensor.
    public func contiguousCopy() -> Tensor {
        var out = Tensor(uninitializedShape: shape, dtype: dtype)
        Tensor.copyElements(from: self, into: &out)
        return out
    }

    /// Copies the elements of `source` (any strides) into `destination` (any strides, same shape).
    static func copyElements(from source: Tensor, into destination: inout Tensor) {
        tensorCheck(source.shape == destination.shape, "copy: shapes \(shapeString(source.shape)) and \(shapeString(destination.shape)) differ")
        tensorCheck(source.dtype == destination.dtype, "copy: dtypes \(source.dtype) and \(destination.dtype) differ")
        if source.count == 0 { return }
        if source.rank == 2, source.dtype.byteSize == 4, source.strides == [1, source.shape[0]],
           destination.strides == [source.shape[1], 1], source.count >= 4096 {
            transpose32(source, &destination)
            return
        }
        let loop = StridedLoop(shape: source.shape, source.strides, destination.strides)
        let src = UncheckedSendable(source.storage.pointer + source.offset * source.dtype.byteSize)
        let dst = UncheckedSendable(destination.storage.pointer + destination.offset * destination.dtype.byteSize)
        switch source.dtype.byteSize {
        case 1: copyKernel(UInt8.self, loop, src.value, dst.value)
        case 4: copyKernel(UInt32.self, loop, src.value, dst.value)
        default: copyKernel(UInt64.self, loop, src.value, dst.value)
        }
        withExtendedLifetime(source) {}
    }

    /// A transposed matrix made contiguous, in 32×32 tiles that stay in the L1 cache (a strided
    /// walk reads one element per cache line of the source): 4–10× faster for large matrices.
    private static func transpose32(_ source: Tensor, _ destination: inout Tensor) {
        let rows = source.shape[0], columns = source.shape[1]     // destination is [rows, columns]
        let src = UncheckedSendable((source.storage.pointer + source.offset * 4).assumingMemoryBound(to: UInt32.self))
        let dst = UncheckedSendable((destination.storage.pointer + destination.offset * 4).assumingMemoryBound(to: UInt32.self))
        let tile = 32, rowTiles = (rows + tile - 1) / tile
        Parallel.forRanges(rowTiles, grain: Swift.max(1, 65_536 / (tile * Swift.max(columns, 1)))) { range in
            let s = src.value, d = dst.value
            for rowTile in range {
                let r0 = rowTile * tile, r1 = Swift.min(r0 + tile, rows)
                var c0 = 0
                while c0 < columns {
                    let c1 = Swift.min(c0 + tile, columns)
                    // Source element (r, c) sits at s[c * rows + r].
                    for r in r0..<r1 {
                        let out = d + r * columns
                        for c in c0..<c1 { out[c] = s[c * rows + r] }
                    }
                    c0 = c1
                }
            }
        }
        withExtendedLifetime(source) {}
    }

    private static func copyKernel<T>(_: T.Type, _ loop: StridedLoop, _ src: UnsafeMutableRawPointer, _ dst: UnsafeMutableRawPointer) {
        let s = UncheckedSendable(src.assumingMemoryBound(to: T.self))
        let d = UncheckedSendable(dst.assumingMemoryBound(to: T.self))
        let sa = loop.innerStrideA, sb = loop.innerStrideB
        loop.parallelSegments { oa, ob, _, n in
            let s = s.value, d = d.value
            if sa == 1 && sb == 1 {
                if n >= 256 {
                    (d + ob).update(from: s + oa, count: n)
                } else {
                    // Short rows (permutes of small tensors): a loop beats a memmove call per row.
                    let from = s + oa, to = d + ob
                    for i in 0..<n { to[i] = from[i] }
                }
            } else {
                for i in 0..<n { d[ob + i * sb] = s[oa + i * sa] }
            }
        }
    }

    /// A copy converted to `dtype` (this tensor itself when the dtype already matches).
    ///
    /// Floats convert to integers by truncation toward zero (saturating; NaN becomes 0), integers
    /// wrap when narrowed, anything non-zero becomes `true`.
    ///
    /// ```swift
    /// Tensor([1.7, -2.5] as [Float]).cast(to: .int32)   // [1, -2]
    /// ```
    public func cast(to dtype: DType) -> Tensor {
        if dtype == self.dtype { return self }
        let source = contiguous()
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        let src = source.storage.pointer + source.offset * source.dtype.byteSize
        let dst = out.storage.pointer
        let n = count
        func from<S: TensorElement>(_: S.Type) {
            let s = src.assumingMemoryBound(to: S.self)
            switch dtype {
            case .float32: Tensor.castKernel(s, dst.assumingMemoryBound(to: Float.self), n)
            case .float64: Tensor.castKernel(s, dst.assumingMemoryBound(to: Double.self), n)
            case .int32: Tensor.castKernel(s, dst.assumingMemoryBound(to: Int32.self), n)
            case .int64: Tensor.castKernel(s, dst.assumingMemoryBound(to: Int64.self), n)
            case .uint8: Tensor.castKernel(s, dst.assumingMemoryBound(to: UInt8.self), n)
            case .bool: Tensor.castKernel(s, dst.assumingMemoryBound(to: Bool.self), n)
            }
        }
        switch self.dtype {
        case .float32: from(Float.self)
        case .float64: from(Double.self)
        case .int32: from(Int32.self)
        case .int64: from(Int64.self)
        case .uint8: from(UInt8.self)
        case .bool: from(Bool.self)
        }
        withExtendedLifetime(source) {}
        _ = out.storage
        return out
    }

    @inline(__always)
    static func castKernel<S: TensorElement, D: TensorElement>(_ s: UnsafeMutablePointer<S>, _ d: UnsafeMutablePointer<D>, _ n: Int) {
        let integral = !S.dtype.isFloatingPoint && !D.dtype.isFloatingPoint
        let sp = UncheckedSendable(s), dp = UncheckedSendable(d)
        Parallel.forRanges(n) { range in
            let s = sp.value, d = dp.value
            if integral {
                for i in range { d[i] = D(fromInt64: s[i].int64Value) }
            } else if D.self == Bool.self {
                for i in range { d[i] = D(fromDouble: s[i].doubleValue) }
            } else if S.self == Float.self && D.self == Double.self {
                let sf = UnsafeMutableRawPointer(s).assumingMemoryBound(to: Float.self)
                let dd = UnsafeMutableRawPointer(d).assumingMemoryBound(to: Double.self)
                for i in range { dd[i] = Double(sf[i]) }
            } else if S.self == Double.self && D.self == Float.self {
                let sd = UnsafeMutableRawPointer(s).assumingMemoryBound(to: Double.self)
                let df = UnsafeMutableRawPointer(d).assumingMemoryBound(to: Float.self)
                for i in range { df[i] = Float(sd[i]) }
            } else {
                for i in range { d[i] = D(fromDouble: s[i].doubleValue) }
            }
        }
    }
}
