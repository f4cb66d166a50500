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
        bias.map { [("weight", weight), ("bias", $0)] } ?? [("weight", weight)]
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
