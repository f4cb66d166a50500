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
}
