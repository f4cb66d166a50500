import DeepSwiftAutodiff
import DeepSwiftTensor

/// 3-D convolution over `[N, C, D, H, W]`; weight `[out, in, kd, kh, kw]`.
///
/// ```swift
/// let conv = Conv3D(2, 8, kernel: (3, 3, 3), padding: (1, 1, 1), using: &rng)
/// ```
public final class Conv3D: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: (Int, Int, Int), padding: (Int, Int, Int), dilation: (Int, Int, Int)
    public let activation: Activation
    public var isTraining = true

    public init(_ inputChannels: Int, _ outputChannels: Int, kernel: (Int, Int, Int), stride: (Int, Int, Int) = (1, 1, 1),
                padding: (Int, Int, Int) = (0, 0, 0), dilation: (Int, Int, Int) = (1, 1, 1), bias: Bool = true,
                activation: Activation = .identity, dtype: DType = .float32, using rng: inout PhiloxGenerator) {
        weight = Parameter(Initializer.glorotUniform().make([outputChannels, inputChannels, kernel.0, kernel.1, kernel.2], dtype: dtype, using: &rng))
        self.bias = bias ? Parameter(Tensor.zeros([outputChannels], dtype: dtype)) : nil
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.activation = activation
    }

    public var localParameters: [(name: String, parameter: Parameter)] { weightAndBias(weight, bias) }

    public func callAsFunction(_ x: Variable) -> Variable {
        activation.apply(x.conv3d(weight: Variable(weight), bias: bias.map { Variable($0) }, stride: stride, padding: padding, dilation: dilation))
    }

    public var summaryName: String { "Conv3D(\(weight.shape[1]) → \(weight.shape[0]), \(weight.shape[2])×\(weight.shape[3])×\(weight.shape[4]))" }
}

/// Max or average pooling over `[N, C, D, H, W]`.
public final class Pool3D: Layer {
    public let kernel: (Int, Int, Int), stride: (Int, Int, Int), padding: (Int, Int, Int), isMax: Bool
    public var isTraining = true

    public init(kernel: (Int, Int, Int), stride: (Int, Int, Int)? = nil, padding: (Int, Int, Int) = (0, 0, 0), max: Bool) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        isMax = max
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        isMax ? x.maxPool3d(kernel: kernel, stride: stride, padding: padding) : x.avgPool3d(kernel: kernel, stride: stride, padding: padding)
    }

    public var summaryName: String { "\(isMax ? "MaxPool3D" : "AvgPool3D")(\(kernel.0)×\(kernel.1)×\(kernel.2))" }
}
