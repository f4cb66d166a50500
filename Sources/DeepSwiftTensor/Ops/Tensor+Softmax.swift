import CDeepSwiftKernels

/// Softmax and log-softmax along an axis, numerically stable (the row maximum is subtracted).
///
/// ```swift
/// let logits = Tensor([[1, 2, 3], [1, 1, 1]] as [[Float]])
/// logits.softmax(axis: -1)       // rows sum to 1
/// logits.logSoftmax(axis: -1)    // log of the above, without computing it
/// ```
extension Tensor {
    /// exp(x − max) / Σ exp(x − max) along `axis`.
    public func softmax(axis: Int = -1) -> Tensor { softmaxImpl(axis: axis, log: false) }

    /// x − max − log Σ exp(x − max) along `axis`.
    public func logSoftmax(axis: Int = -1) -> Tensor { softmaxImpl(axis: axis, log: true) }

    private func softmaxImpl(axis: Int, log: Bool) -> Tensor {
        let a = normalizedAxis(axis)
        let source = dtype.isFloatingPoint ? self : cast(to: .float32)
        if rank == 0 { return log ? Tensor.zeros(like: source) : Tensor.ones(like: source) }
        if source.dtype == .float32 {
            // Move the axis last, run the fused row kernel, move it back.
            let last = a == rank - 1
            let rows = (last ? source : source.movedAxis(a, to: -1)).contiguous()
            let cols = shape[a]
            let out = Tensor(uninitializedShape: rows.shape, dtype: .float32)
            let count = rows.count / Swift.max(cols, 1)
            if cols > 0 {
                let x = UncheckedSendable(UnsafePointer(rows.basePointer(Float.self)))
                let y = UncheckedSendable(out.storage.pointer.assumingMemoryBound(to: Float.self))
                Parallel.forRanges(count, grain: Swift.max(1, Parallel.minimumElementsPerThread / cols)) { range in
                    ds_softmax_rows_f32(x.value + range.lowerBound * cols, y.value + range.lowerBound * cols,
                                        range.count, cols, log ? 1 : 0)
                }
            }
            withExtendedLifetime(rows) {}
            return last ? out : out.movedAxis(-1, to: a).contiguous()
        }
        var m = source.max(axis: a, keepDims: true)
        m = Tensor.where(m.isFinite(), m, Tensor.zeros(like: m))
        let shifted = source - m
        let logSum = shifted.exp().sum(axis: a, keepDims: true).log()
        return log ? shifted - logSum : (shifted - logSum).exp()
    }
}
