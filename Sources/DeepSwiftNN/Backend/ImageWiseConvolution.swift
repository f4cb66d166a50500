import CDeepSwiftKernels
import DeepSwiftTensor

extension Convolution {
    /// The float32 GEMM backend, one image at a time: each thread of the pool takes its own images,
    /// lays one image's windows out as a `[C·kh·kw, oh·ow]` matrix in a buffer that stays in its
    /// cache, and runs single-threaded GEMMs whose output rows are already the image's NCHW planes.
    ///
    /// Compared with one GEMM over the whole batch (``GEMM``) it writes and reads no batch-sized
    /// window matrix and needs no `[O, N·P] ↔ [N, O, P]` transposes; the weight gradient is
    /// accumulated per thread and the partial sums are added in thread order (same bits for the same
    /// thread count). Used when an image's window matrix is small (see ``isApplicable(_:)``).
    enum ImageWise {
        /// Largest window matrix of one image that this path keeps per thread.
        static let maximumColumnBytes = 2 << 20

        /// Whether a convolution takes this path: its window matrix fits the per-thread buffer and
        /// there are enough images to keep the pool busy (or too little work to share).
        static func isApplicable(_ g: ConvolutionGeometry) -> Bool {
            let rows = g.channels * g.kernelHeight * g.kernelWidth, positions = g.outputHeight * g.outputWidth
            guard rows * positions * 4 <= maximumColumnBytes else { return false }
            let batchFlops = 2 * g.batch * g.outputChannels * (rows / g.groups) * positions
            return g.batch >= ThreadSettings.numThreads || batchFlops < BLAS.smallProduct
        }

        /// 1×1 kernels with unit stride and no padding read the image itself as the window matrix.
        static func isPointwise(_ g: ConvolutionGeometry) -> Bool {
            g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideHeight == 1 && g.strideWidth == 1
                && g.padTop == 0 && g.padLeft == 0 && g.outputHeight == g.height && g.outputWidth == g.width
        }

        /// One image's window matrix `[rows, positions]`: laid out in `buffer`, or the image itself
        /// for 1×1 convolutions (no buffer).
        @inline(__always)
        static func windows(of image: UnsafePointer<Float>, _ geometry: UnsafePointer<ds_window_geometry>,
                            into buffer: UnsafeMutablePointer<Float>?, rows: Int, positions: Int) -> UnsafePointer<Float> {
            guard let buffer else { return image }
            ds_im2col_f32(image, geometry, buffer, positions, 0, 0, rows)
            return UnsafePointer(buffer)
        }

        /// Image ranges, one per thread, as a function of the batch and the thread count only.
        static func imageRanges(_ batch: Int) -> [Range<Int>] {
            let chunks = Swift.max(1, Swift.min(ThreadSettings.numThreads, batch))
            return (0..<chunks).map { c in (batch * c / chunks)..<(batch * (c + 1) / chunks) }
        }

        static func forward(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ g: ConvolutionGeometry) -> Tensor {
            let xc = x.contiguous(), wc = w.contiguous(), bc = b?.contiguous()
            let y = Tensor.uninitialized(g.outputShape)
            let rows = g.channels * g.kernelHeight * g.kernelWidth, positions = g.outputHeight * g.outputWidth
            let groupRows = rows / g.groups, groupOutputs = g.outputChannels / g.groups
            let imageSize = g.channels * g.height * g.width, outputSize = g.outputChannels * positions
            let pointwise = isPointwise(g)
            var geo = GEMM.geometry(g)
            let xp = UncheckedSendable(xc.floatPointer), wp = UncheckedSendable(wc.floatPointer)
            let bp = UncheckedSendable(bc?.floatPointer), yp = UncheckedSendable(y.storage.pointer.assumingMemoryBound(to: Float.self))
            let ranges = imageRanges(g.batch)
            BLAS.prepareForCallerThreads()
            withUnsafePointer(to: &geo) { geoPointer in
                let gp = UncheckedSendable(geoPointer)
                Parallel.forEach(ranges.count) { chunk in
                    let columns = pointwise ? nil : UnsafeMutablePointer<Float>.allocate(capacity: rows * positions)
                    defer { columns?.deallocate() }
                    for n in ranges[chunk] {
                        let source = windows(of: xp.value + n * imageSize, gp.value, into: columns, rows: rows, positions: positions)
                        let out = yp.value + n * outputSize
                        if let bias = bp.value {
                            for o in 0..<g.outputChannels {
                                (out + o * positions).update(repeating: bias[o], count: positions)
                            }
                        }
                        for gi in 0..<g.groups {
                            BLAS.sgemm(m: groupOutputs, n: positions, k: groupRows, a: wp.value + gi * groupOutputs * groupRows,
                                       lda: groupRows, b: source + gi * groupRows * positions, ldb: positions,
                                       beta: bp.value == nil ? 0 : 1, c: out + gi * groupOutputs * positions, ldc: positions)
                        }
                    }
                }
            }
            withExtendedLifetime((xc, wc, bc)) {}
            return y
        }

        /// Gradients of the input, the weights and the bias (each only when asked for).
        static func backward(_ gy: Tensor, x: Tensor, w: Tensor, _ g: ConvolutionGeometry,
                             input: Bool, weights: Bool, bias: Bool) -> (Tensor?, Tensor?, Tensor?) {
            let gyc = gy.contiguous(), xc = x.contiguous(), wc = w.contiguous()
            let rows = g.channels * g.kernelHeight * g.kernelWidth, positions = g.outputHeight * g.outputWidth
            let groupRows = rows / g.groups, groupOutputs = g.outputChannels / g.groups
            let imageSize = g.channels * g.height * g.width, outputSize = g.outputChannels * positions
            let weightCount = g.outputChannels * groupRows
            let pointwise = isPointwise(g)
            let gx: Tensor? = input ? Tensor.uninitialized(g.inputShape) : nil   // col2im (or the 1×1 GEMM) writes every element
            let ranges = imageRanges(g.batch)
            let partials = weights ? Tensor.uninitialized([ranges.count, weightCount]) : nil
            var geo = GEMM.geometry(g)
            let xp = UncheckedSendable(xc.floatPointer), wp = UncheckedSendable(wc.floatPointer), gyp = UncheckedSendable(gyc.floatPointer)
            let gxp = UncheckedSendable(gx?.storage.pointer.assumingMemoryBound(to: Float.self))
            let pp = UncheckedSendable(partials?.storage.pointer.assumingMemoryBound(to: Float.self))
            BLAS.prepareForCallerThreads()
            withUnsafePointer(to: &geo) { geoPointer in
                let gp = UncheckedSendable(geoPointer)
                Parallel.forEach(ranges.count) { chunk in
                    let buffer = pointwise ? nil : UnsafeMutablePointer<Float>.allocate(capacity: rows * positions)
                    defer { buffer?.deallocate() }
                    let partial = pp.value.map { $0 + chunk * weightCount }
                    for (index, n) in ranges[chunk].enumerated() {
                        let upstream = gyp.value + n * outputSize
                        if let partial {
                            let source = windows(of: xp.value + n * imageSize, gp.value, into: buffer, rows: rows, positions: positions)
                            for gi in 0..<g.groups {
                                BLAS.sgemm(transB: true, m: groupOutputs, n: groupRows, k: positions,
                                           a: upstream + gi * groupOutputs * positions, lda: positions,
                                           b: source + gi * groupRows * positions, ldb: positions, beta: index == 0 ? 0 : 1,
                                           c: partial + gi * groupOutputs * groupRows, ldc: groupRows)
                            }
                        }
                        if let gxBase = gxp.value {
                            let target = gxBase + n * imageSize
                            let columns = buffer ?? target   // 1×1: the gradient rows are the image's planes
                            for gi in 0..<g.groups {
                                BLAS.sgemm(transA: true, m: groupRows, n: positions, k: groupOutputs,
                                           a: wp.value + gi * groupOutputs * groupRows, lda: groupRows,
                                           b: upstream + gi * groupOutputs * positions, ldb: positions,
                                           c: columns + gi * groupRows * positions, ldc: positions)
                            }
                            if buffer != nil { ds_col2im_f32(columns, gp.value, positions, 0, target, 0, g.channels) }
                        }
                    }
                }
            }
            withExtendedLifetime((xc, wc, gyc)) {}
            var gw: Tensor? = nil
            if let partials {
                var sum = partials.selected(axis: 0, index: 0)
                for chunk in 1..<ranges.count { sum = sum + partials.selected(axis: 0, index: chunk) }
                gw = sum.contiguous().reshaped(g.weightShape)
            }
            return (gx, gw, bias ? gyc.sum(axes: [0, 2, 3]) : nil)
        }
    }
}

extension Tensor {
    /// First element of a contiguous float32 tensor.
    var floatPointer: UnsafePointer<Float> {
        UnsafePointer(storage.pointer.assumingMemoryBound(to: Float.self) + offset)
    }
}
