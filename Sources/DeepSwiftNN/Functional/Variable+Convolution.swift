import DeepSwiftAutodiff
import DeepSwiftTensor

/// Differentiable convolution and pooling on NCHW variables.
///
/// ```swift
/// let y = x.conv2d(weight: w, bias: b, stride: (1, 1), padding: .same)     // x: [N, C, H, W], w: [O, C, kh, kw]
/// let p = y.maxPool2d(kernel: (2, 2))                                       // stride defaults to the kernel
/// ```
extension Variable {
    public func conv2d(weight: Variable, bias: Variable? = nil, stride: (Int, Int) = (1, 1), padding: Padding = .valid,
                       dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Variable {
        tensorCheck(rank == 4 && weight.rank == 4, "conv2d: input \(shape) must be [N, C, H, W] and weight \(weight.shape) [O, C/groups, kh, kw]")
        let g = ConvolutionGeometry(input: shape, outputChannels: weight.shape[0], kernel: (weight.shape[2], weight.shape[3]),
                                    stride: stride, padding: padding, dilation: dilation, groups: groups)
        let x = value, w = weight.value
        let recording = requiresGrad || weight.requiresGrad || (bias?.requiresGrad ?? false)
        guard recording else { return Variable(Convolution.forward(x, w, bias?.value, g)) }
        let (y, saved) = Convolution.forwardSaving(x, w, bias?.value, g)
        var inputs = [self, weight]
        if let bias { inputs.append(bias) }
        return Variable.record(y, inputs) { gy, needed in
            let hasBias = bias != nil
            let (gx, gw, gb) = Convolution.backward(gy, x: x, w: w, saved: saved, g, input: needed[0], weights: needed[1],
                                                   bias: hasBias && needed[2])
            return hasBias ? [gx, gw, gb] : [gx, gw]
        }
    }

    public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: Padding = .valid, ceilMode: Bool = false) -> Variable {
        pool2d(.max, kernel: kernel, stride: stride ?? kernel, padding: padding, ceilMode: ceilMode)
    }

    public func avgPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: Padding = .valid, ceilMode: Bool = false,
                          countIncludePad: Bool = true) -> Variable {
        pool2d(countIncludePad ? .averageIncludingPadding : .averageExcludingPadding, kernel: kernel, stride: stride ?? kernel,
               padding: padding, ceilMode: ceilMode)
    }

    func pool2d(_ kind: Pooling.Kind, kernel: (Int, Int), stride: (Int, Int), padding: Padding, ceilMode: Bool) -> Variable {
        tensorCheck(rank == 4, "pool2d: input \(shape) must be [N, C, H, W]")
        let g = ConvolutionGeometry(input: shape, outputChannels: shape[1], kernel: kernel, stride: stride, padding: padding,
                                    groups: 1, ceilMode: ceilMode)
        guard requiresGrad else {
            // Inference: a direct loop (no primitive, no workspace). The explicit padding (without the
            // ceil-mode extension) bounds the averaging window, as in PyTorch.
            let plain = ConvolutionGeometry(input: shape, outputChannels: shape[1], kernel: kernel, stride: stride, padding: padding)
            return Variable(Pooling.forwardOnly(value, kind: kind, g, explicitPadding: (plain.padBottom, plain.padRight)))
        }
        let result = Pooling.forward(value, kind: kind, g)
        return Variable.record(result.output, self) { gy in Pooling.backward(gy, result, kind: kind, g) }
    }

    /// Mean over the spatial axes: `[N, C, H, W] → [N, C]`.
    public func globalAveragePool2d() -> Variable { mean(axes: [2, 3]) }
    /// Maximum over the spatial axes: `[N, C, H, W] → [N, C]`.
    public func globalMaxPool2d() -> Variable { max(axes: [2, 3]) }
}

extension Variable {
    /// Transposed convolution ("deconvolution"), the adjoint of ``conv2d(weight:bias:stride:padding:dilation:groups:)``,
    /// as `torch.nn.functional.conv_transpose2d`: `weight` is `[in, out/groups, kh, kw]`, and the output
    /// has `(H − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1` rows.
    public func convTranspose2d(weight: Variable, bias: Variable? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                                outputPadding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Variable {
        tensorCheck(rank == 4 && weight.rank == 4 && weight.shape[0] == shape[1],
                    "convTranspose2d: input \(shape) must be [N, C, H, W] and weight \(weight.shape) [C, out/groups, kh, kw]")
        let (kh, kw) = (weight.shape[2], weight.shape[3])
        let outH = (shape[2] - 1) * stride.0 - 2 * padding.0 + dilation.0 * (kh - 1) + outputPadding.0 + 1
        let outW = (shape[3] - 1) * stride.1 - 2 * padding.1 + dilation.1 * (kw - 1) + outputPadding.1 + 1
        let outChannels = weight.shape[1] * groups
        // The convolution whose input gradient this is: input [N, out, outH, outW], output channels = in.
        let g = ConvolutionGeometry(input: [shape[0], outChannels, outH, outW], outputChannels: shape[1], kernel: (kh, kw),
                                    stride: stride, padding: .symmetric(padding.0, padding.1), dilation: dilation, groups: groups)
        tensorCheck(g.outputShape == shape, "convTranspose2d: input \(shape) does not invert to \(g.outputShape) (check the output padding)")
        let x = value, w = weight.value
        var y = Convolution.backwardData(x, w, g)
        if let bias { y = y + bias.value.reshaped([1, outChannels, 1, 1]) }
        var inputs = [self, weight]
        if let bias { inputs.append(bias) }
        return Variable.record(y, inputs) { gy, needed in
            var result: [Tensor?] = [needed[0] ? Convolution.forward(gy, w, nil, g) : nil]
            result.append(needed[1] ? Convolution.backwardWeights(gy, x, g, bias: false).0 : nil)
            if bias != nil { result.append(needed[2] ? gy.sum(axes: [0, 2, 3]) : nil) }
            return result
        }
    }

    /// 1-D convolution over `[N, C, L]` (a 2-D convolution with height 1).
    public func conv1d(weight: Variable, bias: Variable? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) -> Variable {
        tensorCheck(rank == 3 && weight.rank == 3, "conv1d: input \(shape) must be [N, C, L] and weight \(weight.shape) [O, C/groups, k]")
        let y = unsqueezed(axis: 2).conv2d(weight: weight.unsqueezed(axis: 2), bias: bias, stride: (1, stride),
                                           padding: .symmetric(0, padding), dilation: (1, dilation), groups: groups)
        return y.squeezed(axis: 2)
    }
}
