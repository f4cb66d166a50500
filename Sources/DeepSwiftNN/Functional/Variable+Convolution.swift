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
        let result = Pooling.forward(value, kind: kind, g)
        return Variable.record(result.output, self) { gy in Pooling.backward(gy, result, kind: kind, g) }
    }

    /// Mean over the spatial axes: `[N, C, H, W] → [N, C]`.
    public func globalAveragePool2d() -> Variable { mean(axes: [2, 3]) }
    /// Maximum over the spatial axes: `[N, C, H, W] → [N, C]`.
    public func globalMaxPool2d() -> Variable { max(axes: [2, 3]) }
}
