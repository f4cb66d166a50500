import DeepSwiftAutodiff
import DeepSwiftTensor

/// ResNet's basic block (two 3×3 convolutions) with an optional projection shortcut.
public final class ResidualBlock: Layer {
    public let conv1: Conv2D, bn1: BatchNorm, conv2: Conv2D, bn2: BatchNorm
    public let downsample: Sequential?
    public var isTraining = true

    public init(_ input: Int, _ output: Int, stride: Int, initializer: Initializer, using rng: inout PhiloxGenerator) {
        conv1 = Conv2D(input, output, kernel: (3, 3), stride: (stride, stride), padding: .symmetric(1, 1), bias: false, weightInitializer: initializer, using: &rng)
        bn1 = BatchNorm(channels: output)
        conv2 = Conv2D(output, output, kernel: (3, 3), padding: .symmetric(1, 1), bias: false, weightInitializer: initializer, using: &rng)
        bn2 = BatchNorm(channels: output)
        downsample = stride != 1 || input != output
            ? Sequential { Conv2D(input, output, kernel: (1, 1), stride: (stride, stride), bias: false, weightInitializer: initializer, using: &rng); BatchNorm(channels: output) }
            : nil
    }

    public var sublayers: [(name: String, layer: any Layer)] {
        var result: [(name: String, layer: any Layer)] = [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)]
        if let downsample { result.append(("downsample", downsample)) }
        return result
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        let y = bn2(conv2(bn1(conv1(x)).relu()))
        return (y + (downsample?(x) ?? x)).relu()
    }
    public var summaryName: String { "ResidualBlock(\(conv1.weight.shape[1]) → \(conv1.weight.shape[0]))" }
}

/// ResNet's bottleneck block (1×1, 3×3, 1×1 with 4× expansion), stride on the 3×3 as torchvision.
public final class BottleneckBlock: Layer {
    public let conv1: Conv2D, bn1: BatchNorm, conv2: Conv2D, bn2: BatchNorm, conv3: Conv2D, bn3: BatchNorm
    public let downsample: Sequential?
    public var isTraining = true
    public static let expansion = 4

    public init(_ input: Int, _ width: Int, stride: Int, initializer: Initializer, using rng: inout PhiloxGenerator) {
        let output = width * Self.expansion
        conv1 = Conv2D(input, width, kernel: (1, 1), bias: false, weightInitializer: initializer, using: &rng)
        bn1 = BatchNorm(channels: width)
        conv2 = Conv2D(width, width, kernel: (3, 3), stride: (stride, stride), padding: .symmetric(1, 1), bias: false, weightInitializer: initializer, using: &rng)
        bn2 = BatchNorm(channels: width)
        conv3 = Conv2D(width, output, kernel: (1, 1), bias: false, weightInitializer: initializer, using: &rng)
        bn3 = BatchNorm(channels: output)
        downsample = stride != 1 || input != output
            ? Sequential { Conv2D(input, output, kernel: (1, 1), stride: (stride, stride), bias: false, weightInitializer: initializer, using: &rng); BatchNorm(channels: output) }
            : nil
    }

    public var sublayers: [(name: String, layer: any Layer)] {
        var result: [(name: String, layer: any Layer)] = [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("conv3", conv3), ("bn3", bn3)]
        if let downsample { result.append(("downsample", downsample)) }
        return result
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        let y = bn3(conv3(bn2(conv2(bn1(conv1(x)).relu())).relu()))
        return (y + (downsample?(x) ?? x)).relu()
    }
    public var summaryName: String { "BottleneckBlock(\(conv1.weight.shape[1]) → \(conv3.weight.shape[0]))" }
}

/// MobileNetV2's inverted residual: 1×1 expansion, 3×3 depthwise, 1×1 linear projection.
public final class InvertedResidualBlock: Layer {
    public let block: Sequential
    public let useResidual: Bool
    public var isTraining = true

    public init(_ input: Int, _ output: Int, stride: Int, expansion: Int, initializer: Initializer, using rng: inout PhiloxGenerator) {
        let hidden = input * expansion
        var layers: [any Layer] = []
        if expansion != 1 {
            layers += [Conv2D(input, hidden, kernel: (1, 1), bias: false, weightInitializer: initializer, using: &rng),
                       BatchNorm(channels: hidden), ActivationLayer(.relu6)]
        }
        layers += [Conv2D(hidden, hidden, kernel: (3, 3), stride: (stride, stride), padding: .symmetric(1, 1), groups: hidden, bias: false,
                          weightInitializer: initializer, using: &rng),
                   BatchNorm(channels: hidden), ActivationLayer(.relu6),
                   Conv2D(hidden, output, kernel: (1, 1), bias: false, weightInitializer: initializer, using: &rng),
                   BatchNorm(channels: output)]
        block = Sequential(layers)
        useResidual = stride == 1 && input == output
    }

    public var sublayers: [(name: String, layer: any Layer)] { [("conv", block)] }
    public func callAsFunction(_ x: Variable) -> Variable { useResidual ? x + block(x) : block(x) }
    public var summaryName: String { "InvertedResidual" }
}

/// A model applied as a feature extractor then a classifier (torchvision's `features`/`classifier`).
public final class FeaturesClassifier: Layer {
    public let features: Sequential, classifier: Sequential
    public var isTraining = true
    public init(features: Sequential, classifier: Sequential) {
        self.features = features
        self.classifier = classifier
    }
    public var sublayers: [(name: String, layer: any Layer)] { [("features", features), ("classifier", classifier)] }
    public func callAsFunction(_ x: Variable) -> Variable { classifier(features(x)) }
}
