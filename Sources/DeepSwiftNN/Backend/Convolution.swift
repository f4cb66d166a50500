import CDeepSwiftDNNL
import CDeepSwiftKernels
import DeepSwiftTensor

/// 2-D convolution on tensors: forward, gradient with respect to the input, and gradients with
/// respect to the weights and bias.
///
/// float32 has two backends. ``Backend/gemm`` (the default) lays the input windows out as one
/// `[C·kh·kw, N·oh·ow]` matrix and does the whole batch with one OpenBLAS GEMM per group (per
/// direction). ``Backend/oneDNN`` runs oneDNN's primitives (with its blocked layouts and reorders).
/// Measured on the development machine for LeNet's convolutions, oneDNN's AVX-512 kernels pad 20
/// and 50 channels to 32 and 64 and reach ~50 GFLOP/s, while the GEMM path runs at OpenBLAS's
/// speed on both cores; see BENCHMARKS.md. float64 runs a reference im2col + GEMM implementation
/// (used for gradient checks and double-precision work).
public enum Convolution {
    public enum Backend: Sendable {
        /// oneDNN for channel counts that fill its 16-wide blocks (when it can use every thread), else GEMM.
        case automatic
        case gemm, oneDNN
    }

    /// The float32 backend.
    nonisolated(unsafe) public static var backend: Backend = .automatic

    /// The backend used for one convolution.
    static func backend(for g: ConvolutionGeometry) -> Backend {
        switch backend {
        case .automatic:
            let aligned = (g.channels / g.groups) % 16 == 0 && (g.outputChannels / g.groups) % 16 == 0
            return aligned && OneDNN.isMultiThreaded ? .oneDNN : .gemm
        case let chosen: return chosen
        }
    }

    /// Forward pass that also returns what the backward pass reuses (the window matrix).
    public struct Saved {
        let columns: Tensor?
    }
    /// `y = conv(x, w) + b` with `x: [N, C, H, W]`, `w: [O, C/groups, kh, kw]`, `b: [O]`.
    public static func forward(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ g: ConvolutionGeometry) -> Tensor {
        if x.dtype == .float32 && backend(for: g) == .gemm {
            if ImageWise.isApplicable(g) {
                checkShapes(x, w, b, g)
                return ImageWise.forward(x, w.cast(to: .float32), b?.cast(to: .float32), g)
            }
            // Without a backward pass to feed, work through the batch in chunks whose window matrix
            // stays in cache (about 2 MB), instead of materializing it for the whole batch.
            let perImage = g.channels * g.kernelHeight * g.kernelWidth * g.outputHeight * g.outputWidth * 4
            let chunk = Swift.max(1, Swift.min(g.batch, (2 << 20) / Swift.max(perImage, 1)))
            if chunk < g.batch {
                let xc = x.contiguous(), wc = w.cast(to: .float32).contiguous(), bc = b?.cast(to: .float32)
                var parts: [Tensor] = []
                var start = 0
                while start < g.batch {
                    let n = Swift.min(chunk, g.batch - start)
                    var part = g
                    part.batch = n
                    let xs = xc.narrowed(axis: 0, start: start, length: n)
                    parts.append(GEMM.forward(GEMM.columns(xs, part), wc, bc, part))
                    start += n
                }
                return Tensor.concat(parts, axis: 0)
            }
        }
        return forwardSaving(x, w, b, g).0
    }

    /// The output and, for the GEMM backend, the window matrix that the weight gradient reuses.
    public static func forwardSaving(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ g: ConvolutionGeometry) -> (Tensor, Saved) {
        checkShapes(x, w, b, g)
        if x.dtype == .float32 && backend(for: g) == .gemm {
            if ImageWise.isApplicable(g) {
                return (ImageWise.forward(x, w.cast(to: .float32), b?.cast(to: .float32), g), Saved(columns: nil))
            }
            let columns = GEMM.columns(x.contiguous(), g)
            return (GEMM.forward(columns, w.cast(to: .float32).contiguous(), b?.cast(to: .float32), g), Saved(columns: columns))
        }
        return (forwardDirect(x, w, b, g), Saved(columns: nil))
    }

    static func forwardDirect(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ g: ConvolutionGeometry) -> Tensor {
        if x.dtype == .float32 {
            let xc = x.contiguous(), wc = w.cast(to: .float32).contiguous(), bc = b?.cast(to: .float32).contiguous()
            let y = Tensor.zeros(g.outputShape)
            let primitive = OneDNN.convolution(g, bias: b != nil)
            xc.withUnsafeBufferPointer(as: Float.self) { xp in
                wc.withUnsafeBufferPointer(as: Float.self) { wp in
                    withOptionalBuffer(bc) { bp in
                        OneDNN.check(ds_conv_forward(primitive.handle, xp.baseAddress, wp.baseAddress, bp, y.storage.pointer.assumingMemoryBound(to: Float.self)), "convolution forward")
                    }
                }
            }
            return y
        }
        return Reference.forward(x.cast(to: .float64), w.cast(to: .float64), b?.cast(to: .float64), g)
    }

    /// Gradients of the input, the weights and the bias (each only when asked for).
    public static func backward(_ gy: Tensor, x: Tensor, w: Tensor, saved: Saved, _ g: ConvolutionGeometry,
                                input: Bool, weights: Bool, bias: Bool) -> (Tensor?, Tensor?, Tensor?) {
        if let columns = saved.columns, gy.dtype == .float32 {
            let gyRows = GEMM.outputRows(gy.contiguous(), g)   // [O, N·P]
            let gx = input ? GEMM.backwardData(gyRows, w.cast(to: .float32).contiguous(), g) : nil
            let gw = weights ? GEMM.backwardWeights(gyRows, columns, g) : nil
            let gb = bias ? gyRows.sum(axis: 1) : nil
            return (gx, gw, gb)
        }
        if gy.dtype == .float32 && x.dtype == .float32 && backend(for: g) == .gemm && ImageWise.isApplicable(g) {
            return ImageWise.backward(gy, x: x, w: w.cast(to: .float32), g, input: input, weights: weights, bias: bias)
        }
        let gx = input ? backwardData(gy, w, g) : nil
        if weights || bias {
            let (gw, gb) = backwardWeights(x, gy, g, bias: bias)
            return (gx, weights ? gw : nil, gb)
        }
        return (gx, nil, nil)
    }

    /// Gradient of the input: a transposed convolution of `gy` with `w`.
    public static func backwardData(_ gy: Tensor, _ w: Tensor, _ g: ConvolutionGeometry) -> Tensor {
        if gy.dtype == .float32 && backend(for: g) == .gemm {
            if ImageWise.isApplicable(g) {
                return ImageWise.backward(gy, x: gy, w: w.cast(to: .float32), g, input: true, weights: false, bias: false).0!
            }
            return GEMM.backwardData(GEMM.outputRows(gy.contiguous(), g), w.cast(to: .float32).contiguous(), g)
        }
        if gy.dtype == .float32 {
            let gyc = gy.contiguous(), wc = w.cast(to: .float32).contiguous()
            let gx = Tensor.zeros(g.inputShape)
            let primitive = OneDNN.convolution(g, bias: false)
            gyc.withUnsafeBufferPointer(as: Float.self) { gp in
                wc.withUnsafeBufferPointer(as: Float.self) { wp in
                    OneDNN.check(ds_conv_backward_data(primitive.handle, gp.baseAddress, wp.baseAddress, gx.storage.pointer.assumingMemoryBound(to: Float.self)), "convolution backward data")
                }
            }
            return gx
        }
        return Reference.backwardData(gy.cast(to: .float64), w.cast(to: .float64), g)
    }

    /// Gradients of the weights and (when `bias`) the bias.
    public static func backwardWeights(_ x: Tensor, _ gy: Tensor, _ g: ConvolutionGeometry, bias: Bool) -> (Tensor, Tensor?) {
        if x.dtype == .float32 && backend(for: g) == .gemm {
            if ImageWise.isApplicable(g) {
                let (_, gw, gb) = ImageWise.backward(gy.cast(to: .float32), x: x, w: x, g, input: false, weights: true, bias: bias)
                return (gw!, gb)
            }
            let rows = GEMM.outputRows(gy.cast(to: .float32).contiguous(), g)
            return (GEMM.backwardWeights(rows, GEMM.columns(x.contiguous(), g), g), bias ? rows.sum(axis: 1) : nil)
        }
        if x.dtype == .float32 {
            let xc = x.contiguous(), gyc = gy.cast(to: .float32).contiguous()
            let gw = Tensor.zeros(g.weightShape)
            let gb: Tensor? = bias ? Tensor.zeros([g.outputChannels]) : nil
            let primitive = OneDNN.convolution(g, bias: bias)
            xc.withUnsafeBufferPointer(as: Float.self) { xp in
                gyc.withUnsafeBufferPointer(as: Float.self) { gp in
                    OneDNN.check(ds_conv_backward_weights(primitive.handle, xp.baseAddress, gp.baseAddress,
                                                          gw.storage.pointer.assumingMemoryBound(to: Float.self),
                                                          gb?.storage.pointer.assumingMemoryBound(to: Float.self)), "convolution backward weights")
                }
            }
            return (gw, gb)
        }
        let gw = Reference.backwardWeights(x.cast(to: .float64), gy.cast(to: .float64), g)
        return (gw, bias ? gy.cast(to: .float64).sum(axes: [0, 2, 3]) : nil)
    }

    static func checkShapes(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ g: ConvolutionGeometry) {
        tensorCheck(x.shape == g.inputShape, "convolution: input shape \(x.shape) does not match \(g.inputShape)")
        tensorCheck(w.shape == g.weightShape,
                    "convolution: weight shape \(w.shape) does not match \(g.weightShape) ([out, in/groups, kh, kw] for input \(x.shape))")
        if let b { tensorCheck(b.shape == [g.outputChannels], "convolution: bias shape \(b.shape) does not match [\(g.outputChannels)]") }
    }

    private static func withOptionalBuffer<R>(_ t: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let t else { return body(nil) }
        return t.withUnsafeBufferPointer(as: Float.self) { body($0.baseAddress) }
    }

    /// The float32 GEMM backend: window matrix `[C·kh·kw, N·P]` (P = oh·ow), one GEMM per group.
    enum GEMM {
        static func geometry(_ g: ConvolutionGeometry) -> ds_window_geometry {
            ds_window_geometry(channels: g.channels, height: g.height, width: g.width, kernel_h: g.kernelHeight,
                               kernel_w: g.kernelWidth, stride_h: g.strideHeight, stride_w: g.strideWidth, pad_top: g.padTop,
                               pad_left: g.padLeft, dilation_h: g.dilationHeight, dilation_w: g.dilationWidth,
                               out_h: g.outputHeight, out_w: g.outputWidth)
        }

        static func columns(_ x: Tensor, _ g: ConvolutionGeometry) -> Tensor {
            var geo = geometry(g)
            let rows = g.channels * g.kernelHeight * g.kernelWidth
            let width = g.batch * g.outputHeight * g.outputWidth
            let cols = Tensor.uninitialized([rows, width])
            let imageSize = g.channels * g.height * g.width
            let xp = UncheckedSendable(UnsafePointer(x.storage.pointer.assumingMemoryBound(to: Float.self) + x.offset))
            let cp = UncheckedSendable(cols.storage.pointer.assumingMemoryBound(to: Float.self))
            withUnsafePointer(to: &geo) { gp in
                let gp = UncheckedSendable(gp)
                Parallel.forRanges(g.batch, grain: Swift.max(1, Parallel.minimumElementsPerThread / Swift.max(rows * g.outputHeight * g.outputWidth, 1))) { images in
                    for n in images { ds_im2col_f32(xp.value + n * imageSize, gp.value, cp.value, width, n, 0, rows) }
                }
            }
            withExtendedLifetime(x) {}
            return cols
        }

        /// Weight rows of group `gi`: `[O/G, C/G·kh·kw]`.
        static func groupWeights(_ w: Tensor, _ g: ConvolutionGeometry, _ gi: Int) -> Tensor {
            w.reshaped([g.groups, g.outputChannels / g.groups, -1]).selected(axis: 0, index: gi)
        }

        static func groupRows(_ t: Tensor, _ groups: Int, _ gi: Int) -> Tensor {
            let rows = t.shape[0] / groups
            return t.narrowed(axis: 0, start: gi * rows, length: rows)
        }

        static func forward(_ columns: Tensor, _ w: Tensor, _ b: Tensor?, _ g: ConvolutionGeometry) -> Tensor {
            var out: Tensor   // [O, N·P]
            if g.groups == 1 {
                out = w.reshaped([g.outputChannels, -1]).matmul(columns)
            } else {
                out = Tensor.concat((0..<g.groups).map { gi in groupWeights(w, g, gi).matmul(groupRows(columns, g.groups, gi)) }, axis: 0)
            }
            if let b { out = out + b.reshaped([g.outputChannels, 1]) }
            return out.reshaped([g.outputChannels, g.batch, g.outputHeight * g.outputWidth]).permuted([1, 0, 2]).contiguous()
                .reshaped(g.outputShape)
        }

        /// The upstream gradient as `[O, N·P]`.
        static func outputRows(_ gy: Tensor, _ g: ConvolutionGeometry) -> Tensor {
            gy.reshaped([g.batch, g.outputChannels, g.outputHeight * g.outputWidth]).permuted([1, 0, 2]).contiguous()
                .reshaped([g.outputChannels, -1])
        }

        static func backwardData(_ gyRows: Tensor, _ w: Tensor, _ g: ConvolutionGeometry) -> Tensor {
            let dcols: Tensor   // [C·kh·kw, N·P]
            if g.groups == 1 {
                dcols = w.reshaped([g.outputChannels, -1]).transposed().matmul(gyRows)
            } else {
                dcols = Tensor.concat((0..<g.groups).map { gi in groupWeights(w, g, gi).transposed().matmul(groupRows(gyRows, g.groups, gi)) }, axis: 0)
            }
            var geo = geometry(g)
            let gx = Tensor.uninitialized(g.inputShape)   // col2im writes every element
            let imageSize = g.channels * g.height * g.width
            let width = dcols.shape[1]
            let dp = UncheckedSendable(UnsafePointer(dcols.storage.pointer.assumingMemoryBound(to: Float.self) + dcols.offset))
            let xp = UncheckedSendable(gx.storage.pointer.assumingMemoryBound(to: Float.self))
            withUnsafePointer(to: &geo) { gp in
                let gp = UncheckedSendable(gp)
                Parallel.forRanges(g.batch, grain: 1) { images in
                    for n in images { ds_col2im_f32(dp.value, gp.value, width, n, xp.value + n * imageSize, 0, g.channels) }
                }
            }
            withExtendedLifetime(dcols) {}
            return gx
        }

        static func backwardWeights(_ gyRows: Tensor, _ columns: Tensor, _ g: ConvolutionGeometry) -> Tensor {
            if g.groups == 1 { return gyRows.matmul(columns.transposed()).reshaped(g.weightShape) }
            return Tensor.concat((0..<g.groups).map { gi in
                groupRows(gyRows, g.groups, gi).matmul(groupRows(columns, g.groups, gi).transposed())
            }, axis: 0).reshaped(g.weightShape)
        }
    }

    /// im2col + GEMM in float64: the definition of the convolution, kept simple.
    enum Reference {
        /// Calls `body(column, input)` for every pair of a column-matrix position (layout
        /// `[N, groups, C/g·kh·kw, oh·ow]`) and the input position (NCHW) it reads; padding positions
        /// are skipped. im2col gathers along these pairs, col2im scatters back along the same pairs.
        static func forEachWindowPosition(_ g: ConvolutionGeometry, _ body: (_ column: Int, _ input: Int) -> Void) {
            let cg = g.channels / g.groups, oh = g.outputHeight, ow = g.outputWidth
            let rows = cg * g.kernelHeight * g.kernelWidth
            for n in 0..<g.batch {
                for gi in 0..<g.groups {
                    for c in 0..<cg {
                        let plane = (n * g.channels + gi * cg + c) * g.height
                        for ki in 0..<g.kernelHeight {
                            for kj in 0..<g.kernelWidth {
                                let base = ((n * g.groups + gi) * rows + (c * g.kernelHeight + ki) * g.kernelWidth + kj) * oh * ow
                                for i in 0..<oh {
                                    let y = i * g.strideHeight - g.padTop + ki * g.dilationHeight
                                    guard y >= 0 && y < g.height else { continue }
                                    for j in 0..<ow {
                                        let xx = j * g.strideWidth - g.padLeft + kj * g.dilationWidth
                                        guard xx >= 0 && xx < g.width else { continue }
                                        body(base + i * ow + j, (plane + y) * g.width + xx)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        /// Columns `[N, groups, C/g·kh·kw, oh·ow]` of the (padded, dilated) input windows.
        static func im2col(_ x: Tensor, _ g: ConvolutionGeometry) -> Tensor {
            let rows = g.channels / g.groups * g.kernelHeight * g.kernelWidth
            let xs = x.contiguous().scalars(as: Double.self)
            var cols = [Double](repeating: 0, count: g.batch * g.groups * rows * g.outputHeight * g.outputWidth)
            forEachWindowPosition(g) { column, input in cols[column] = xs[input] }
            return Tensor(cols, shape: [g.batch, g.groups, rows, g.outputHeight * g.outputWidth])
        }

        /// The inverse scatter: sums columns back into an input-shaped tensor.
        static func col2im(_ cols: Tensor, _ g: ConvolutionGeometry) -> Tensor {
            let cs = cols.contiguous().scalars(as: Double.self)
            var xs = [Double](repeating: 0, count: g.batch * g.channels * g.height * g.width)
            forEachWindowPosition(g) { column, input in xs[input] += cs[column] }
            return Tensor(xs, shape: g.inputShape)
        }

        static func groupedWeights(_ w: Tensor, _ g: ConvolutionGeometry) -> Tensor {
            w.reshaped([g.groups, g.outputChannels / g.groups, -1])  // [G, O/G, C/G·kh·kw]
        }

        static func forward(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ g: ConvolutionGeometry) -> Tensor {
            let cols = im2col(x, g)                                    // [N, G, R, P]
            var y = groupedWeights(w, g).matmul(cols)                  // [N, G, O/G, P]
            y = y.reshaped(g.outputShape)
            if let b { y = y + b.reshaped([1, g.outputChannels, 1, 1]) }
            return y
        }

        static func backwardData(_ gy: Tensor, _ w: Tensor, _ g: ConvolutionGeometry) -> Tensor {
            let gyg = gy.reshaped([g.batch, g.groups, g.outputChannels / g.groups, g.outputHeight * g.outputWidth])
            let cols = groupedWeights(w, g).transposed().matmul(gyg)   // [N, G, R, P]
            return col2im(cols, g)
        }

        static func backwardWeights(_ x: Tensor, _ gy: Tensor, _ g: ConvolutionGeometry) -> Tensor {
            let cols = im2col(x, g)                                    // [N, G, R, P]
            let gyg = gy.reshaped([g.batch, g.groups, g.outputChannels / g.groups, g.outputHeight * g.outputWidth])
            let gw = gyg.matmul(cols.transposed()).sum(axis: 0)        // [G, O/G, R]
            return gw.reshaped(g.weightShape)
        }
    }
}
