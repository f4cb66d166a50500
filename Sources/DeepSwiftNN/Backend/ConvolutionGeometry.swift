import DeepSwiftTensor

/// How a convolution or pooling window is padded.
public enum Padding: Sendable, Equatable, Codable {
    /// No padding.
    case valid
    /// Enough padding that the output has ⌈input / stride⌉ positions (TensorFlow's rule: the extra
    /// padding, if odd, goes after).
    case same
    /// The same padding on both sides of each spatial axis: (height, width).
    case symmetric(Int, Int)
    /// (top, bottom, left, right).
    case explicit(top: Int, bottom: Int, left: Int, right: Int)

    /// The padding before and after an axis of `size` elements.
    func amounts(axis: Int, size: Int, kernel: Int, stride: Int, dilation: Int) -> (Int, Int) {
        switch self {
        case .valid: return (0, 0)
        case .symmetric(let h, let w): return axis == 0 ? (h, h) : (w, w)
        case .explicit(let top, let bottom, let left, let right): return axis == 0 ? (top, bottom) : (left, right)
        case .same:
            let out = (size + stride - 1) / stride
            let total = Swift.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
            return (total / 2, total - total / 2)
        }
    }
}

/// Everything that fixes the shapes of a 2-D convolution or pooling: input `[N, C, H, W]`,
/// kernel, strides, padding (before/after), dilation and groups.
public struct ConvolutionGeometry: Hashable, Sendable {
    public var batch: Int, channels: Int, height: Int, width: Int
    public var outputChannels: Int
    public var kernelHeight: Int, kernelWidth: Int
    public var strideHeight: Int, strideWidth: Int
    public var padTop: Int, padBottom: Int, padLeft: Int, padRight: Int
    public var dilationHeight: Int, dilationWidth: Int
    public var groups: Int

    public init(input: [Int], outputChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: Padding = .valid, dilation: (Int, Int) = (1, 1), groups: Int = 1, ceilMode: Bool = false) {
        tensorCheck(input.count == 4, "convolution: input must be [N, C, H, W], got \(input)")
        batch = input[0]; channels = input[1]; height = input[2]; width = input[3]
        self.outputChannels = outputChannels
        (kernelHeight, kernelWidth) = kernel
        (strideHeight, strideWidth) = stride
        (dilationHeight, dilationWidth) = dilation
        self.groups = groups
        (padTop, padBottom) = padding.amounts(axis: 0, size: height, kernel: kernel.0, stride: stride.0, dilation: dilation.0)
        (padLeft, padRight) = padding.amounts(axis: 1, size: width, kernel: kernel.1, stride: stride.1, dilation: dilation.1)
        tensorCheck(kernelHeight > 0 && kernelWidth > 0 && strideHeight > 0 && strideWidth > 0 && dilationHeight > 0 && dilationWidth > 0,
                    "convolution: kernel \(kernel), stride \(stride) and dilation \(dilation) must be positive")
        tensorCheck(groups > 0 && channels % groups == 0 && outputChannels % groups == 0,
                    "convolution: \(groups) groups must divide the input channels (\(channels)) and output channels (\(outputChannels))")
        if ceilMode {
            // Extend the bottom/right padding so that a partial last window is kept, as long as it
            // starts inside the input or the left padding (PyTorch's rule).
            func extra(_ size: Int, _ k: Int, _ s: Int, _ before: Int, _ after: Int) -> Int {
                let span = size + before + after - k
                guard span >= 0, span % s != 0 else { return after }
                var out = span / s + 2
                if (out - 1) * s >= size + before { out -= 1 }
                return Swift.max(after, (out - 1) * s + k - size - before)
            }
            padBottom = extra(height, kernelHeight, strideHeight, padTop, padBottom)
            padRight = extra(width, kernelWidth, strideWidth, padLeft, padRight)
        }
        tensorCheck(outputHeight > 0 && outputWidth > 0,
                    "convolution: input \(input) is too small for kernel \(kernel) with stride \(stride), padding \(padding) and dilation \(dilation)")
    }

    public var outputHeight: Int { (height + padTop + padBottom - dilationHeight * (kernelHeight - 1) - 1) / strideHeight + 1 }
    public var outputWidth: Int { (width + padLeft + padRight - dilationWidth * (kernelWidth - 1) - 1) / strideWidth + 1 }
    public var inputShape: [Int] { [batch, channels, height, width] }
    public var outputShape: [Int] { [batch, outputChannels, outputHeight, outputWidth] }
    /// PyTorch's weight shape `[out, in / groups, kh, kw]`.
    public var weightShape: [Int] { [outputChannels, channels / groups, kernelHeight, kernelWidth] }
}
