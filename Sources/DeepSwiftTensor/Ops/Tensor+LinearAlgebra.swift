import CDeepSwiftKernels
import COpenBLAS

/// Matrix products through OpenBLAS (`cblas_sgemm` / `cblas_dgemm`).
///
/// Transposed views are passed to BLAS as transpose flags, not copied. Leading (batch) dimensions
/// broadcast as in NumPy's `matmul`; a batch against a single matrix becomes one large GEMM.
///
/// ```swift
/// let a = Tensor.ones([8, 32, 64]), w = Tensor.ones([64, 16])
/// a.matmul(w)                 // [8, 32, 16], one sgemm of 256×64 · 64×16
/// a.matmul(a.transposed())    // [8, 32, 32], batched, transB flag
/// ```
extension Tensor {
    /// Matrix product with NumPy `matmul` semantics (1-D operands are promoted and the added
    /// axis removed afterwards).
    public func matmul(_ other: Tensor) -> Tensor {
        tensorCheck(rank >= 1 && other.rank >= 1, "matmul: operands must have rank >= 1, got shapes \(shapeString(shape)) and \(shapeString(other.shape))")
        var a = self, b = other
        let vectorA = a.rank == 1, vectorB = b.rank == 1
        if vectorA { a = a.unsqueezed(axis: 0) }
        if vectorB { b = b.unsqueezed(axis: 1) }
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1]
        let k2 = b.shape[b.rank - 2], n = b.shape[b.rank - 1]
        tensorCheck(k == k2, "matmul: inner dimensions differ: shapes \(shapeString(shape)) and \(shapeString(other.shape))")
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        guard let batch = Tensor.broadcastShape(batchA, batchB) else {
            tensorFailure("matmul: batch dimensions of shapes \(shapeString(shape)) and \(shapeString(other.shape)) cannot be broadcast")
        }
        var compute = DType.promoted(a.dtype, b.dtype)
        if compute == .bool { compute = .int64 }
        a = a.cast(to: compute)
        b = b.cast(to: compute)

        var result: Tensor
        if b.rank == 2 && batchA.count > 0 && Tensor.isRowMajorFoldable(a) {
            // [..., M, K] · [K, N]: fold the batch into M for a single GEMM.
            let folded = a.reshaped([-1, k])
            result = Tensor.gemm2D(folded, b, compute).reshaped(batchA + [m, n])
        } else if batch.isEmpty {
            result = Tensor.gemm2D(a, b, compute)
        } else {
            let batchCount = batch.reduce(1, *)
            let ea = a.expanded(to: batch + [m, k]), eb = b.expanded(to: batch + [k, n])
            result = Tensor(uninitializedShape: batch + [m, n], dtype: compute)
            let resultStorage = UncheckedSendable(result.storage.pointer)
            // Each product is a separate GEMM; BLAS threads within it.
            for index in 0..<batchCount {
                var position = index
                var sliceA = ea, sliceB = eb
                for axis in stride(from: batch.count - 1, through: 0, by: -1) {
                    let i = position % batch[axis]
                    position /= batch[axis]
                    sliceA = sliceA.selected(axis: axis, index: i)
                    sliceB = sliceB.selected(axis: axis, index: i)
                }
                Tensor.gemmInto(sliceA, sliceB, compute, resultStorage.value + index * m * n * compute.byteSize)
            }
        }
        if vectorA { result = result.squeezed(axis: -2) }
        if vectorB { result = result.squeezed(axis: -1) }
        return result
    }

    /// `true` when the leading dimensions of `t` can be merged with its rows without a copy.
    static func isRowMajorFoldable(_ t: Tensor) -> Bool {
        guard t.strides[t.rank - 1] == 1 || t.shape[t.rank - 1] == 1 else { return false }
        return viewStrides(t.shape, t.strides, [t.count / Swift.max(t.shape[t.rank - 1], 1), t.shape[t.rank - 1]]) != nil
    }

    static func gemm2D(_ a: Tensor, _ b: Tensor, _ dtype: DType) -> Tensor {
        let out = Tensor(uninitializedShape: [a.shape[0], b.shape[1]], dtype: dtype)
        gemmInto(a, b, dtype, out.storage.pointer)
        return out
    }

    /// How a 2-D operand is handed to BLAS: row-major with leading dimension `ld`, transposed or not.
    private static func blasLayout(_ t: Tensor) -> (Tensor, transpose: Bool, ld: Int) {
        let rows = t.shape[0], cols = t.shape[1]
        let s0 = t.strides[0], s1 = t.strides[1]
        if (s1 == 1 || cols == 1) && (s0 >= Swift.max(cols, 1) || rows == 1) { return (t, false, Swift.max(s0, cols, 1)) }
        if (s0 == 1 || rows == 1) && (s1 >= Swift.max(rows, 1) || cols == 1) { return (t, true, Swift.max(s1, rows, 1)) }
        let c = t.contiguousCopy()
        return (c, false, Swift.max(cols, 1))
    }

    /// C (row-major, contiguous) = A · B for 2-D A [M, K] and B [K, N].
    static func gemmInto(_ a: Tensor, _ b: Tensor, _ dtype: DType, _ out: UnsafeMutableRawPointer) {
        let m = a.shape[0], k = a.shape[1], n = b.shape[1]
        if m == 0 || n == 0 { return }
        if k == 0 {
            out.initializeMemory(as: UInt8.self, repeating: 0, count: m * n * dtype.byteSize)
            return
        }
        let (la, ta, lda) = blasLayout(a)
        let (lb, tb, ldb) = blasLayout(b)
        let transA = ta ? CblasTrans : CblasNoTrans, transB = tb ? CblasTrans : CblasNoTrans
        _ = ThreadSettings.numThreads  // make sure OpenBLAS follows the configured thread count
        switch dtype {
        case .float32:
            let a = la.basePointer(Float.self), b = lb.basePointer(Float.self), c = out.assumingMemoryBound(to: Float.self)
            GEMMScheduler.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c)
        case .float64:
            GEMMScheduler.useOpenBLASThreads(ThreadSettings.numThreads)
            cblas_dgemm(CblasRowMajor, transA, transB, Int32(m), Int32(n), Int32(k), 1,
                        la.basePointer(Double.self), Int32(lda), lb.basePointer(Double.self), Int32(ldb),
                        0, out.assumingMemoryBound(to: Double.self), Int32(n))
        case .int32: integerGemm(la.contiguous(), lb.contiguous(), out, Int32.self)
        case .int64: integerGemm(la.contiguous(), lb.contiguous(), out, Int64.self)
        case .uint8: integerGemm(la.contiguous(), lb.contiguous(), out, UInt8.self)
        case .bool: tensorFailure("unreachable")
        }
        withExtendedLifetime((la, lb)) {}
    }

    /// Integer products (no BLAS): i-k-j loop order, wrapping arithmetic.
    private static func integerGemm<T: IntegerElement>(_ a: Tensor, _ b: Tensor, _ out: UnsafeMutableRawPointer, _: T.Type) {
        let m = a.shape[0], k = a.shape[1], n = b.shape[1]
        let pa = a.basePointer(T.self), pb = b.basePointer(T.self), c = out.assumingMemoryBound(to: T.self)
        c.initialize(repeating: 0, count: m * n)
        for i in 0..<m {
            for p in 0..<k {
                let av = pa[i * k + p]
                for j in 0..<n { c[i * n + j] = c[i * n + j] &+ av &* pb[p * n + j] }
            }
        }
    }

    /// Inner product of two 1-D tensors (0-d result).
    public func dot(_ other: Tensor) -> Tensor {
        tensorCheck(rank == 1 && other.rank == 1 && count == other.count,
                     "dot: expected two 1-D tensors of equal length, got shapes \(shapeString(shape)) and \(shapeString(other.shape))")
        return matmul(other)
    }

    /// Outer product of two 1-D tensors: `[m] ⊗ [n] → [m, n]`.
    public func outer(_ other: Tensor) -> Tensor {
        tensorCheck(rank == 1 && other.rank == 1, "outer: expected 1-D tensors, got shapes \(shapeString(shape)) and \(shapeString(other.shape))")
        return reshaped([count, 1]) * other.reshaped([1, other.count])
    }
}

/// Who parallelizes a float32 GEMM.
///
/// OpenBLAS's own threads share one packed copy of the operands, which suits large square-ish
/// products; but between calls its idle workers spin, competing for the cores with DeepSwift's pool
/// (and oneDNN's). For skewed or small products (convolutions as GEMMs, small dense layers) DeepSwift
/// splits the output in parts and runs one single-threaded sgemm per part on its own pool. OpenBLAS's
/// pool is only switched on for the products that profit from it. Measured on the development
/// machine: LeNet training 13.1 s → 11.1 s per epoch, MLP unchanged (BENCHMARKS.md).
enum GEMMScheduler {
    /// Products at least this large in every dimension use OpenBLAS's threads.
    static let openBLASThreshold = 128
    /// Products below this many flops are left to OpenBLAS as they are (it runs them on one thread).
    static let smallProduct = 8_000_000

    /// OpenBLAS's current thread count, so that it is only changed when needed.
    nonisolated(unsafe) static var openBLASThreads = 0

    static func useOpenBLASThreads(_ n: Int) {
        if openBLASThreads != n {
            openblas_set_num_threads(Int32(n))
            openBLASThreads = n
        }
    }

    /// C = A·Bᵀ for short, wide operands (small M·N, long K) by direct dot products, split along K
    /// across the pool with per-part partial sums added in part order (deterministic for a thread count).
    static func rowDots(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                        c: UnsafeMutablePointer<Float>, threads: Int) {
        let parts = Swift.max(1, Swift.min(threads, k / 4096))
        var partials = [Float](repeating: 0, count: parts * m * n)
        partials.withUnsafeMutableBufferPointer { buffer in
            let p = UncheckedSendable(buffer.baseAddress!), pa = UncheckedSendable(a), pb = UncheckedSendable(b)
            Parallel.forEach(parts) { part in
                let begin = k * part / parts, end = k * (part + 1) / parts
                ds_row_dots_f32(pa.value, lda, pb.value, ldb, m, n, begin, end, p.value + part * m * n)
            }
        }
        for i in 0..<(m * n) {
            var s: Float = 0
            for part in 0..<parts { s += partials[part * m * n + i] }
            c[i] = s
        }
    }

    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>) {
        let threads = ThreadSettings.numThreads
        let tA = transA ? CblasTrans : CblasNoTrans, tB = transB ? CblasTrans : CblasNoTrans
        let flops = 2 * m * n * k
        if !transA && transB && m * n <= 1024 && k >= 16 * (m + n) {
            rowDots(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, threads: threads)
            return
        }
        let square = m >= openBLASThreshold && n >= openBLASThreshold && k >= openBLASThreshold
        if threads <= 1 || square || flops < smallProduct {
            // Small products run on the calling thread alone: waking OpenBLAS's workers costs more
            // than they save (and their yielding competes with DeepSwift's pool).
            useOpenBLASThreads(square ? threads : 1)
            cblas_sgemm(CblasRowMajor, tA, tB, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(n))
            return
        }
        let splitRows = m >= n
        let total = splitRows ? m : n
        let chunks = Swift.min(threads, Swift.max(1, total / 16))
        let pa = UncheckedSendable(a), pb = UncheckedSendable(b), pc = UncheckedSendable(c)
        useOpenBLASThreads(1)
        Parallel.forEach(chunks) { part in
            let start = total * part / chunks, end = total * (part + 1) / chunks
            if splitRows {
                let aStart = transA ? pa.value + start : pa.value + start * lda
                cblas_sgemm(CblasRowMajor, tA, tB, Int32(end - start), Int32(n), Int32(k), 1,
                            aStart, Int32(lda), pb.value, Int32(ldb), 0, pc.value + start * n, Int32(n))
            } else {
                let bStart = transB ? pb.value + start * ldb : pb.value + start
                cblas_sgemm(CblasRowMajor, tA, tB, Int32(m), Int32(end - start), Int32(k), 1,
                            pa.value, Int32(lda), bStart, Int32(ldb), 0, pc.value + start, Int32(n))
            }
        }
    }
}
