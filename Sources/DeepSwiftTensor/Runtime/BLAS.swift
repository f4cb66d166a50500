import COpenBLAS

/// Direct single-precision GEMM calls for kernels that schedule their own parallelism (for
/// example a convolution that gives every thread of ``Parallel`` its own images).
///
/// Call ``prepareForCallerThreads()`` once, on the calling thread, before a parallel region whose
/// bodies call ``sgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``: it switches OpenBLAS to
/// one thread, so that each call runs on the thread that makes it and no OpenBLAS worker competes
/// with the pool.
///
/// ```swift
/// BLAS.prepareForCallerThreads()
/// Parallel.forRanges(images, grain: 1) { range in
///     for n in range { BLAS.sgemm(m: o, n: p, k: k, a: w, lda: k, b: cols, ldb: p, c: y + n * o * p, ldc: p) }
/// }
/// ```
public enum BLAS {
    /// Products below this many flops gain nothing from more than one thread.
    public static var smallProduct: Int { GEMMScheduler.smallProduct }

    /// Switches OpenBLAS to single-threaded mode (a no-op when it already is).
    public static func prepareForCallerThreads() {
        GEMMScheduler.useOpenBLASThreads(1)
    }

    /// Row-major `C = alpha·op(A)·op(B) + beta·C` on the calling thread (`op` transposes when asked).
    @inline(__always)
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
                             c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Like ``sgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` but shared across
    /// DeepSwift's pool when the product is large enough (≥ ``smallProduct`` flops): the output is
    /// cut into column blocks (or row blocks when it has more rows than columns), one
    /// single-threaded GEMM per block. Call it from outside a parallel region. The result does not
    /// depend on the thread count (each output element is computed by one GEMM call either way).
    public static func sgemmShared(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                                   a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
                                   c: UnsafeMutablePointer<Float>, ldc: Int) {
        prepareForCallerThreads()
        let threads = ThreadSettings.numThreads
        let splitRows = m > n
        let total = splitRows ? m : n
        let parts = Swift.min(threads, total / 16)
        if threads <= 1 || parts <= 1 || 2 * m * n * k < smallProduct {
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        let pa = UncheckedSendable(a), pb = UncheckedSendable(b), pc = UncheckedSendable(c)
        Parallel.forEach(parts) { part in
            // Block edges on multiples of 16 (whole vectors).
            let start = (total * part / parts) & ~15, end = part == parts - 1 ? total : (total * (part + 1) / parts) & ~15
            guard end > start else { return }
            if splitRows {
                let aStart = transA ? pa.value + start : pa.value + start * lda
                sgemm(transA: transA, transB: transB, m: end - start, n: n, k: k, alpha: alpha, a: aStart, lda: lda,
                      b: pb.value, ldb: ldb, beta: beta, c: pc.value + start * ldc, ldc: ldc)
            } else {
                let bStart = transB ? pb.value + start * ldb : pb.value + start
                sgemm(transA: transA, transB: transB, m: m, n: end - start, k: k, alpha: alpha, a: pa.value, lda: lda,
                      b: bStart, ldb: ldb, beta: beta, c: pc.value + start, ldc: ldc)
            }
        }
    }
}
