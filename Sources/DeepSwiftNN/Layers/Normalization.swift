import DeepSwiftAutodiff
import DeepSwiftTensor

/// Batch normalization over the channel axis (axis 1) of `[N, C]`, `[N, C, L]` or `[N, C, H, W]`
/// inputs, as `torch.nn.BatchNorm1d/2d`: batch statistics in training (the running mean and the
/// unbiased running variance are updated with `momentum`), running statistics in inference.
///
/// ```swift
/// let bn = BatchNorm(channels: 64)         // affine: learned scale (weight) and shift (bias)
/// let y = bn(Variable(x))                  // x: [N, 64, H, W]
/// ```
public final class BatchNorm: Layer {
    public let weight: Parameter?
    public let bias: Parameter?
    /// Running statistics (buffers `running_mean` and `running_var`, not parameters).
    public var runningMean: Tensor {
        get { runningMeanBuffer.value }
        set { runningMeanBuffer.value = newValue }
    }
    public var runningVariance: Tensor {
        get { runningVarianceBuffer.value }
        set { runningVarianceBuffer.value = newValue }
    }
    let runningMeanBuffer: Buffer, runningVarianceBuffer: Buffer
    public let momentum: Double, epsilon: Double
    public var isTraining = true

    public init(channels: Int, momentum: Double = 0.1, epsilon: Double = 1e-5, affine: Bool = true, dtype: DType = .float32) {
        weight = affine ? Parameter(Tensor.ones([channels], dtype: dtype)) : nil
        bias = affine ? Parameter(Tensor.zeros([channels], dtype: dtype)) : nil
        runningMeanBuffer = Buffer(Tensor.zeros([channels], dtype: dtype))
        runningVarianceBuffer = Buffer(Tensor.ones([channels], dtype: dtype))
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public var localParameters: [(name: String, parameter: Parameter)] { Normalization.affineParameters(weight, bias) }
    public var localBuffers: [(name: String, buffer: Buffer)] { [("running_mean", runningMeanBuffer), ("running_var", runningVarianceBuffer)] }

    public var channels: Int { runningMean.count }

    public func callAsFunction(_ x: Variable) -> Variable {
        tensorCheck(x.rank >= 2 && x.shape[1] == channels, "BatchNorm: input \(x.shape) must have \(channels) channels on axis 1")
        if x.dtype.isFloatingPoint && runningMean.dtype.isFloatingPoint {
            return fusedForward(x)
        }
        return composedForward(x)
    }

    /// The same computation from differentiable primitives (kept as the reference in tests).
    func composedForward(_ x: Variable) -> Variable {
        let axes = [0] + Array(2..<x.rank)
        var shape = [Int](repeating: 1, count: x.rank)
        shape[1] = channels
        let normalized: Variable
        if isTraining {
            let mean = x.mean(axes: axes, keepDims: true)
            let centered = x - mean
            let variance = centered.squared().mean(axes: axes, keepDims: true)
            normalized = centered * (variance + epsilon).rsqrt()
            // Running statistics use the unbiased variance, as PyTorch.
            let n = Double(axes.reduce(1) { $0 * x.shape[$1] })
            let batchMean = mean.value.reshaped([channels]).cast(to: runningMean.dtype)
            let unbiased = (variance.value.reshaped([channels]) * (n / Swift.max(n - 1, 1))).cast(to: runningVariance.dtype)
            runningMean = runningMean * (1 - momentum) + batchMean * momentum
            runningVariance = runningVariance * (1 - momentum) + unbiased * momentum
        } else {
            let mean = Variable(runningMean.cast(to: x.dtype).reshaped(shape))
            let inverse = Variable((runningVariance.cast(to: x.dtype) + epsilon).rsqrt().reshaped(shape))
            normalized = (x - mean) * inverse
        }
        return Normalization.channelAffine(normalized, weight, bias)
    }

    public var summaryName: String { "BatchNorm(\(channels))" }
}

/// Normalization over the trailing `normalizedShape` axes of each sample, as `torch.nn.LayerNorm`.
public final class LayerNorm: Layer {
    public let normalizedShape: [Int]
    public let weight: Parameter?, bias: Parameter?
    public let epsilon: Double
    public var isTraining = true

    public init(_ normalizedShape: [Int], epsilon: Double = 1e-5, affine: Bool = true, dtype: DType = .float32) {
        self.normalizedShape = normalizedShape
        self.epsilon = epsilon
        weight = affine ? Parameter(Tensor.ones(normalizedShape, dtype: dtype)) : nil
        bias = affine ? Parameter(Tensor.zeros(normalizedShape, dtype: dtype)) : nil
    }

    public var localParameters: [(name: String, parameter: Parameter)] { Normalization.affineParameters(weight, bias) }

    public func callAsFunction(_ x: Variable) -> Variable {
        tensorCheck(Array(x.shape.suffix(normalizedShape.count)) == normalizedShape,
                    "LayerNorm: input \(x.shape) does not end with the normalized shape \(normalizedShape)")
        let axes = Array((x.rank - normalizedShape.count)..<x.rank)
        let normalized = Normalization.standardize(x, axes: axes, epsilon: epsilon)
        guard let weight, let bias else { return normalized }
        return normalized * Variable(weight) + Variable(bias)
    }

    public var summaryName: String { "LayerNorm(\(normalizedShape))" }
}

/// Normalization over groups of channels of each sample, as `torch.nn.GroupNorm`.
public final class GroupNorm: Layer {
    public let groups: Int, channels: Int
    public let weight: Parameter?, bias: Parameter?
    public let epsilon: Double
    public var isTraining = true

    public init(groups: Int, channels: Int, epsilon: Double = 1e-5, affine: Bool = true, dtype: DType = .float32) {
        tensorCheck(channels % groups == 0, "GroupNorm: \(groups) groups must divide \(channels) channels")
        self.groups = groups
        self.channels = channels
        self.epsilon = epsilon
        weight = affine ? Parameter(Tensor.ones([channels], dtype: dtype)) : nil
        bias = affine ? Parameter(Tensor.zeros([channels], dtype: dtype)) : nil
    }

    public var localParameters: [(name: String, parameter: Parameter)] { Normalization.affineParameters(weight, bias) }

    public func callAsFunction(_ x: Variable) -> Variable {
        tensorCheck(x.rank >= 2 && x.shape[1] == channels, "GroupNorm: input \(x.shape) must have \(channels) channels on axis 1")
        let grouped = x.reshaped([x.shape[0], groups, -1])
        let normalized = Normalization.standardize(grouped, axes: [2], epsilon: epsilon).reshaped(x.shape)
        return Normalization.channelAffine(normalized, weight, bias)
    }

    public var summaryName: String { "GroupNorm(\(groups), \(channels))" }
}

/// Normalization over the spatial axes of each sample and channel, as `torch.nn.InstanceNorm2d`
/// (no running statistics).
public final class InstanceNorm: Layer {
    public let channels: Int
    public let weight: Parameter?, bias: Parameter?
    public let epsilon: Double
    public var isTraining = true

    public init(channels: Int, epsilon: Double = 1e-5, affine: Bool = false, dtype: DType = .float32) {
        self.channels = channels
        self.epsilon = epsilon
        weight = affine ? Parameter(Tensor.ones([channels], dtype: dtype)) : nil
        bias = affine ? Parameter(Tensor.zeros([channels], dtype: dtype)) : nil
    }

    public var localParameters: [(name: String, parameter: Parameter)] { Normalization.affineParameters(weight, bias) }

    public func callAsFunction(_ x: Variable) -> Variable {
        tensorCheck(x.rank >= 3 && x.shape[1] == channels, "InstanceNorm: input \(x.shape) must be [N, \(channels), ...]")
        let normalized = Normalization.standardize(x, axes: Array(2..<x.rank), epsilon: epsilon)
        return Normalization.channelAffine(normalized, weight, bias)
    }

    public var summaryName: String { "InstanceNorm(\(channels))" }
}

/// Local response normalization across channels (AlexNet), as `torch.nn.LocalResponseNorm`:
/// `x / (k + α/n · Σ x²)^β` over a window of `size` neighbouring channels.
public final class LocalResponseNorm: Layer {
    public let size: Int, alpha: Double, beta: Double, k: Double
    public var isTraining = true

    public init(size: Int, alpha: Double = 1e-4, beta: Double = 0.75, k: Double = 1) {
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        tensorCheck(x.rank >= 3, "LocalResponseNorm: input \(x.shape) must be [N, C, ...]")
        let channels = x.shape[1]
        let squares = x.squared()
        var widths = [(size / 2, (size - 1) / 2)]
        widths += Array(repeating: (0, 0), count: x.rank - 2)
        let padded = squares.padded(widths)
        var sum = padded.narrowed(axis: 1, start: 0, length: channels)
        for offset in 1..<Swift.max(size, 1) { sum = sum + padded.narrowed(axis: 1, start: offset, length: channels) }
        return x / (sum * (alpha / Double(size)) + k).pow(beta)
    }

    public var summaryName: String { "LocalResponseNorm(\(size))" }
}

enum Normalization {
    static func affineParameters(_ weight: Parameter?, _ bias: Parameter?) -> [(name: String, parameter: Parameter)] {
        guard let weight, let bias else { return [] }
        return [("weight", weight), ("bias", bias)]
    }

    /// `x · weight[c] + bias[c]` along axis 1 (unchanged without affine parameters).
    static func channelAffine(_ x: Variable, _ weight: Parameter?, _ bias: Parameter?) -> Variable {
        guard let weight, let bias else { return x }
        var shape = [Int](repeating: 1, count: x.rank)
        shape[1] = weight.value.count
        return x * Variable(weight).reshaped(shape) + Variable(bias).reshaped(shape)
    }

    /// (x − mean) / √(var + ε) over `axes` (biased variance).
    static func standardize(_ x: Variable, axes: [Int], epsilon: Double) -> Variable {
        let centered = x - x.mean(axes: axes, keepDims: true)
        return centered * (centered.squared().mean(axes: axes, keepDims: true) + epsilon).rsqrt()
    }
}
