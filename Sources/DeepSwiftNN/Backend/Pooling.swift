import CDeepSwiftDNNL
import CDeepSwiftKernels
import DeepSwiftTensor

/// 2-D max and average pooling on tensors. float32 runs oneDNN (max pooling keeps oneDNN's
/// workspace of winning positions for the backward pass); float64 runs a direct reference loop.
public enum Pooling {
    public enum Kind: Int32, Sendable, Codable {
        case max = 0
        case averageIncludingPadding = 1
        case averageExcludingPadding = 2
    }

    /// The forward result and what the backward pass needs.
    public struct Result {
        public let output: Tensor
        /// oneDNN's workspace (float32 max pooling) or the argmax positions (float64).
        let workspace: Tensor?
    }

    public static func forward(_ x: Tensor, kind: Kind, _ g: ConvolutionGeometry) -> Result {
        tensorCheck(x.shape == g.inputShape, "pooling: input shape \(x.shape) does not match \(g.inputShape)")
        if x.dtype == .float32 {
            let primitive = OneDNN.pooling(g, kind: kind.rawValue)
            let xc = x.contiguous()
            let y = Tensor.zeros(g.outputShape)
            let workspace = primitive.workspaceBytes > 0 ? Tensor.zeros([primitive.workspaceBytes], dtype: .uint8) : nil
            xc.withUnsafeBufferPointer(as: Float.self) { xp in
                OneDNN.check(ds_pool_forward(primitive.handle, xp.baseAddress, y.storage.pointer.assumingMemoryBound(to: Float.self),
                                             workspace?.storage.pointer), "pooling forward")
            }
            return Result(output: y, workspace: workspace)
        }
        return Reference.forward(x.cast(to: .float64), kind, g)
    }

    /// The pooled output only (inference): a direct loop, no oneDNN primitive or workspace.
    public static func forwardOnly(_ x: Tensor, kind: Kind, _ g: ConvolutionGeometry, explicitPadding: (Int, Int)) -> Tensor {
        guard x.dtype == .float32 else { return Reference.forward(x.cast(to: .float64), kind, g).output }
        let xc = x.contiguous()
        let y = Tensor.uninitialized(g.outputShape)
        let planes = g.batch * g.channels
        let xp = UncheckedSendable(UnsafePointer(xc.storage.pointer.assumingMemoryBound(to: Float.self) + xc.offset))
        let yp = UncheckedSendable(y.storage.pointer.assumingMemoryBound(to: Float.self))
        Parallel.forRanges(planes, grain: Swift.max(1, Parallel.minimumElementsPerThread / Swift.max(g.height * g.width, 1))) { range in
            ds_pool2d_forward_f32(xp.value, yp.value, g.height, g.width, g.outputHeight, g.outputWidth, g.kernelHeight, g.kernelWidth,
                                  g.strideHeight, g.strideWidth, g.padTop, g.padLeft, explicitPadding.0, explicitPadding.1,
                                  kind.rawValue, range.lowerBound, range.upperBound)
        }
        withExtendedLifetime(xc) {}
        return y
    }

    public static func backward(_ gy: Tensor, _ result: Result, kind: Kind, _ g: ConvolutionGeometry) -> Tensor {
        if result.output.dtype == .float32 {
            let primitive = OneDNN.pooling(g, kind: kind.rawValue)
            let gyc = gy.cast(to: .float32).contiguous()
            let gx = Tensor.zeros(g.inputShape)
            gyc.withUnsafeBufferPointer(as: Float.self) { gp in
                OneDNN.check(ds_pool_backward(primitive.handle, gp.baseAddress, result.workspace.map { UnsafeRawPointer($0.storage.pointer) },
                                              gx.storage.pointer.assumingMemoryBound(to: Float.self)), "pooling backward")
            }
            return gx
        }
        return Reference.backward(gy.cast(to: .float64), result, kind, g)
    }

    enum Reference {
        /// Visits each output position with the input positions of its window (clipped to the input)
        /// and the number of window positions inside the explicitly padded input.
        static func windows(_ g: ConvolutionGeometry, _ body: (_ out: Int, _ inputs: [Int], _ paddedCount: Int) -> Void) {
            let oh = g.outputHeight, ow = g.outputWidth
            for plane in 0..<(g.batch * g.channels) {
                for i in 0..<oh {
                    for j in 0..<ow {
                        var inputs: [Int] = []
                        var padded = 0
                        for ki in 0..<g.kernelHeight {
                            for kj in 0..<g.kernelWidth {
                                let y = i * g.strideHeight - g.padTop + ki, x = j * g.strideWidth - g.padLeft + kj
                                // Positions beyond the explicit padding (ceil mode) never count.
                                if y >= -g.padTop && y < g.height + g.padTop && x >= -g.padLeft && x < g.width + g.padLeft
                                    && y < g.height + (g.padBottom) && x < g.width + g.padRight { padded += 1 }
                                if y >= 0 && y < g.height && x >= 0 && x < g.width { inputs.append((plane * g.height + y) * g.width + x) }
                            }
                        }
                        body((plane * oh + i) * ow + j, inputs, padded)
                    }
                }
            }
        }

        static func forward(_ x: Tensor, _ kind: Kind, _ g: ConvolutionGeometry) -> Result {
            let xs = x.contiguous().scalars(as: Double.self)
            var ys = [Double](repeating: 0, count: g.outputShape.reduce(1, *))
            var argmax = [Int64](repeating: -1, count: ys.count)
            windows(g) { out, inputs, padded in
                switch kind {
                case .max:
                    var best = -Double.infinity, at = -1
                    for i in inputs where xs[i] > best || at < 0 { best = xs[i]; at = i }
                    ys[out] = best
                    argmax[out] = Int64(at)
                case .averageIncludingPadding:
                    ys[out] = inputs.reduce(0) { $0 + xs[$1] } / Double(Swift.max(padded, 1))
                case .averageExcludingPadding:
                    ys[out] = inputs.reduce(0) { $0 + xs[$1] } / Double(Swift.max(inputs.count, 1))
                }
            }
            return Result(output: Tensor(ys, shape: g.outputShape), workspace: kind == .max ? Tensor(argmax) : nil)
        }

        static func backward(_ gy: Tensor, _ result: Result, _ kind: Kind, _ g: ConvolutionGeometry) -> Tensor {
            let gs = gy.contiguous().scalars(as: Double.self)
            var gx = [Double](repeating: 0, count: g.inputShape.reduce(1, *))
            if kind == .max {
                for (out, at) in result.workspace!.scalars(as: Int64.self).enumerated() where at >= 0 { gx[Int(at)] += gs[out] }
            } else {
                windows(g) { out, inputs, padded in
                    let share = gs[out] / Double(Swift.max(kind == .averageIncludingPadding ? padded : inputs.count, 1))
                    for i in inputs { gx[i] += share }
                }
            }
            return Tensor(gx, shape: g.inputShape)
        }
    }
}
