import DeepSwiftAutodiff
import DeepSwiftTensor

/// 2-D convolution over `[N, C, H, W]` inputs (oneDNN for float32), with stride, padding
/// (valid, same or explicit), dilation, groups (depthwise when groups = input channels) and bias.
/// The weight has PyTorch's layout `[out, in/groups, kh, kw]`.
///
/// ```swift
/// var rng = PhiloxGenerator(seed: 0)
/// let conv = Conv2D(1, 20, kernel: (5, 5), using: &rng)          // LeNet's first layer
/// let y = conv(Variable(images))                                  // [N, 20, 24, 24]
/// ```
public final class Conv2D: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: (Int, Int), padding: Padding, dilation: (Int, Int), groups: Int
    public let activation: Activation
    public var isTraining = true

    public init(_ inputChannels: Int, _ outputChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: Padding = .valid, dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
                activation: Activation = .identity, weightInitializer: Initializer = .glorotUniform(),
                biasInitializer: Initializer = .zeros, dtype: DType = .float32, using rng: inout PhiloxGenerator) {
        tensorCheck(inputChannels % groups == 0 && outputChannels % groups == 0,
                    "Conv2D: \(groups) groups must divide \(inputChannels) input and \(outputChannels) output channels")
        weight = Parameter(weightInitializer.make([outputChannels, inputChannels / groups, kernel.0, kernel.1], dtype: dtype, using: &rng))
        self.bias = bias ? Parameter(biasInitializer.make([outputChannels], dtype: dtype, using: &rng)) : nil
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.activation = activation
    }

    public var localParameters: [(name: String, parameter: Parameter)] {
        weightAndBias(weight, bias)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        let y = x.conv2d(weight: Variable(weight), bias: bias.map { Variable($0) }, stride: stride, padding: padding,
                         dilation: dilation, groups: groups)
        return activation.apply(y)
    }

    public var summaryName: String {
        let s = weight.shape
        return "Conv2D(\(s[1] * groups) → \(s[0]), \(s[2])×\(s[3])\(stride == (1, 1) ? "" : ", stride \(stride)")\(groups == 1 ? "" : ", groups \(groups)"))"
    }
}

/// Max pooling over `[N, C, H, W]`; the stride defaults to the kernel size.
public final class MaxPool2D: Layer {
    public let kernel: (Int, Int), stride: (Int, Int), padding: Padding, ceilMode: Bool
    public var isTraining = true

    public init(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: Padding = .valid, ceilMode: Bool = false) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        self.ceilMode = ceilMode
    }

    public func callAsFunction(_ x: Variable) -> Variable { x.maxPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode) }
    public var summaryName: String { "MaxPool2D(\(kernel.0)×\(kernel.1))" }
}

/// Average pooling over `[N, C, H, W]`; the stride defaults to the kernel size.
public final class AvgPool2D: Layer {
    public let kernel: (Int, Int), stride: (Int, Int), padding: Padding, ceilMode: Bool, countIncludePad: Bool
    public var isTraining = true

    public init(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: Padding = .valid, ceilMode: Bool = false, countIncludePad: Bool = true) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        x.avgPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }
    public var summaryName: String { "AvgPool2D(\(kernel.0)×\(kernel.1))" }
}

/// Mean over the spatial axes: `[N, C, H, W] → [N, C]`.
public final class GlobalAveragePool2D: Layer {
    public var isTraining = true
    public init() {}
    public func callAsFunction(_ x: Variable) -> Variable { x.globalAveragePool2d() }
}

/// Maximum over the spatial axes: `[N, C, H, W] → [N, C]`.
public final class GlobalMaxPool2D: Layer {
    public var isTraining = true
    public init() {}
    public func callAsFunction(_ x: Variable) -> Variable { x.globalMaxPool2d() }
}

/// Average pooling to a fixed output size, as `torch.nn.AdaptiveAvgPool2d`: output cell (i, j)
/// averages rows ⌊i·H/oh⌋ ..< ⌈(i+1)·H/oh⌉ and the matching columns.
public final class AdaptiveAvgPool2D: Layer {
    public let outputSize: (Int, Int)
    public var isTraining = true
    public init(outputSize: (Int, Int)) { self.outputSize = outputSize }

    public func callAsFunction(_ x: Variable) -> Variable {
        tensorCheck(x.rank == 4, "AdaptiveAvgPool2D: input \(x.shape) must be [N, C, H, W]")
        let (h, w) = (x.shape[2], x.shape[3]), (oh, ow) = outputSize
        if (h, w) == (oh, ow) { return x }
        if h % oh == 0 && w % ow == 0 { return x.avgPool2d(kernel: (h / oh, w / ow)) }
        var rows: [Variable] = []
        for i in 0..<oh {
            let r0 = i * h / oh, r1 = ((i + 1) * h + oh - 1) / oh
            var cells: [Variable] = []
            for j in 0..<ow {
                let c0 = j * w / ow, c1 = ((j + 1) * w + ow - 1) / ow
                cells.append(x.narrowed(axis: 2, start: r0, length: r1 - r0).narrowed(axis: 3, start: c0, length: c1 - c0).mean(axes: [2, 3]))
            }
            rows.append(Variable.stack(cells, axis: 2))   // [N, C, ow]
        }
        return Variable.stack(rows, axis: 2)             // [N, C, oh, ow]
    }

    public var summaryName: String { "AdaptiveAvgPool2D(\(outputSize.0)×\(outputSize.1))" }
}

/// Transposed 2-D convolution (deconvolution), as `torch.nn.ConvTranspose2d`; weight `[in, out/groups, kh, kw]`.
public final class Conv2DTranspose: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: (Int, Int), padding: (Int, Int), outputPadding: (Int, Int), dilation: (Int, Int), groups: Int
    public var isTraining = true

    public init(_ inputChannels: Int, _ outputChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                outputPadding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
                weightInitializer: Initializer = .glorotUniform(), dtype: DType = .float32, using rng: inout PhiloxGenerator) {
        weight = Parameter(weightInitializer.make([inputChannels, outputChannels / groups, kernel.0, kernel.1], dtype: dtype, using: &rng))
        self.bias = bias ? Parameter(Tensor.zeros([outputChannels], dtype: dtype)) : nil
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilation = dilation
        self.groups = groups
    }

    public var localParameters: [(name: String, parameter: Parameter)] {
        weightAndBias(weight, bias)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        x.convTranspose2d(weight: Variable(weight), bias: bias.map { Variable($0) }, stride: stride, padding: padding,
                          outputPadding: outputPadding, dilation: dilation, groups: groups)
    }
}

/// Depthwise 2-D convolution: each input channel convolved with its own `multiplier` filters
/// (a ``Conv2D`` with groups = input channels).
public func DepthwiseConv2D(_ channels: Int, multiplier: Int = 1, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                            padding: Padding = .valid, bias: Bool = true, activation: Activation = .identity,
                            using rng: inout PhiloxGenerator) -> Conv2D {
    Conv2D(channels, channels * multiplier, kernel: kernel, stride: stride, padding: padding, groups: channels, bias: bias,
           activation: activation, using: &rng)
}

/// Depthwise convolution followed by a 1×1 pointwise convolution (Keras's SeparableConv2D).
public final class SeparableConv2D: Layer {
    public let depthwise: Conv2D, pointwise: Conv2D
    public var isTraining = true

    public init(_ inputChannels: Int, _ outputChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: Padding = .valid,
                multiplier: Int = 1, bias: Bool = true, activation: Activation = .identity, using rng: inout PhiloxGenerator) {
        depthwise = DepthwiseConv2D(inputChannels, multiplier: multiplier, kernel: kernel, stride: stride, padding: padding, bias: false, using: &rng)
        pointwise = Conv2D(inputChannels * multiplier, outputChannels, kernel: (1, 1), bias: bias, activation: activation, using: &rng)
    }

    /// From existing depthwise (groups = input channels) and 1×1 pointwise convolutions.
    public init(depthwise: Conv2D, pointwise: Conv2D) {
        self.depthwise = depthwise
        self.pointwise = pointwise
    }

    public var sublayers: [(name: String, layer: any Layer)] { [("depthwise", depthwise), ("pointwise", pointwise)] }
    public func callAsFunction(_ x: Variable) -> Variable { pointwise(depthwise(x)) }
}

/// 1-D convolution over `[N, C, L]`; weight `[out, in/groups, k]`.
public final class Conv1D: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Int, padding: Int, dilation: Int, groups: Int
    public let activation: Activation
    public var isTraining = true

    public init(_ inputChannels: Int, _ outputChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
                groups: Int = 1, bias: Bool = true, activation: Activation = .identity, weightInitializer: Initializer = .glorotUniform(),
                dtype: DType = .float32, using rng: inout PhiloxGenerator) {
        weight = Parameter(weightInitializer.make([outputChannels, inputChannels / groups, kernel], dtype: dtype, using: &rng))
        self.bias = bias ? Parameter(Tensor.zeros([outputChannels], dtype: dtype)) : nil
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.activation = activation
    }

    public var localParameters: [(name: String, parameter: Parameter)] {
        weightAndBias(weight, bias)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        activation.apply(x.conv1d(weight: Variable(weight), bias: bias.map { Variable($0) }, stride: stride, padding: padding,
                                  dilation: dilation, groups: groups))
    }
}
