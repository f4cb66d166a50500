import DeepSwiftAutodiff
import DeepSwiftTensor

/// Reference architectures, randomly initialized (no weights are downloaded). Layer structure and
/// parameter counts follow torchvision (VGG16 138,357,544; ResNet-18 11,689,512; ResNet-50
/// 25,557,032; MobileNetV2 3,504,872 for 1000 classes), DL4J's LeNet-5 and Keras's MNIST CNN.
///
/// ```swift
/// let model = ModelZoo.make("resnet18", classes: 1000, seed: 0)!
/// print(model.summary(inputShape: [1, 3, 224, 224]))
/// ```
public enum ModelZoo {
    public static let names = ["lenet", "simplecnn", "alexnet", "vgg16", "vgg19", "resnet18", "resnet34", "resnet50", "mobilenetv2", "unet"]

    /// Input shape of one sample that the model expects by default.
    public static func inputShape(_ name: String) -> [Int] {
        switch name {
        case "lenet", "simplecnn": return [1, 28, 28]
        case "unet": return [1, 64, 64]
        default: return [3, 224, 224]
        }
    }

    /// Builds a model by name (`nil` for an unknown name). `initializer` overrides every weight
    /// initializer (use `.zeros` to count parameters quickly).
    public static func make(_ name: String, classes: Int? = nil, seed: UInt64 = 0, initializer: Initializer? = nil) -> Sequential? {
        var rng = PhiloxGenerator(seed: seed)
        let initializer = initializer ?? .glorotUniform()
        switch name {
        case "lenet": return leNet(classes: classes ?? 10, initializer: initializer, using: &rng)
        case "simplecnn": return simpleCNN(classes: classes ?? 10, initializer: initializer, using: &rng)
        case "alexnet": return alexNet(classes: classes ?? 1000, initializer: initializer, using: &rng)
        case "vgg16": return vgg([2, 2, 3, 3, 3], classes: classes ?? 1000, initializer: initializer, using: &rng)
        case "vgg19": return vgg([2, 2, 4, 4, 4], classes: classes ?? 1000, initializer: initializer, using: &rng)
        case "resnet18": return resNet(basic: true, [2, 2, 2, 2], classes: classes ?? 1000, initializer: initializer, using: &rng)
        case "resnet34": return resNet(basic: true, [3, 4, 6, 3], classes: classes ?? 1000, initializer: initializer, using: &rng)
        case "resnet50": return resNet(basic: false, [3, 4, 6, 3], classes: classes ?? 1000, initializer: initializer, using: &rng)
        case "mobilenetv2": return mobileNetV2(classes: classes ?? 1000, initializer: initializer, using: &rng)
        case "unet": return unet(classes: classes ?? 2, initializer: initializer, using: &rng)
        default: return nil
        }
    }

    /// DL4J's LeNet-5: convolutions without activation, then dense 500 ReLU and dense `classes`.
    public static func leNet(classes: Int, initializer: Initializer, using rng: inout PhiloxGenerator) -> Sequential {
        Sequential {
            Conv2D(1, 20, kernel: (5, 5), weightInitializer: initializer, using: &rng)
            MaxPool2D(kernel: (2, 2))
            Conv2D(20, 50, kernel: (5, 5), weightInitializer: initializer, using: &rng)
            MaxPool2D(kernel: (2, 2))
            Flatten()
            Dense(800, 500, activation: .relu, weightInitializer: initializer, using: &rng)
            Dense(500, classes, weightInitializer: initializer, using: &rng)
        }
    }

    /// Keras's MNIST CNN example (1,199,882 parameters for 10 classes).
    public static func simpleCNN(classes: Int, initializer: Initializer, using rng: inout PhiloxGenerator) -> Sequential {
        Sequential {
            Conv2D(1, 32, kernel: (3, 3), activation: .relu, weightInitializer: initializer, using: &rng)
            Conv2D(32, 64, kernel: (3, 3), activation: .relu, weightInitializer: initializer, using: &rng)
            MaxPool2D(kernel: (2, 2))
            Dropout(rate: 0.25, seed: rng.next())
            Flatten()
            Dense(9216, 128, activation: .relu, weightInitializer: initializer, using: &rng)
            Dropout(rate: 0.5, seed: rng.next())
            Dense(128, classes, weightInitializer: initializer, using: &rng)
        }
    }

    public static func alexNet(classes: Int, initializer: Initializer, using rng: inout PhiloxGenerator) -> Sequential {
        Sequential {
            Conv2D(3, 64, kernel: (11, 11), stride: (4, 4), padding: .symmetric(2, 2), activation: .relu, weightInitializer: initializer, using: &rng)
            MaxPool2D(kernel: (3, 3), stride: (2, 2))
            Conv2D(64, 192, kernel: (5, 5), padding: .symmetric(2, 2), activation: .relu, weightInitializer: initializer, using: &rng)
            MaxPool2D(kernel: (3, 3), stride: (2, 2))
            Conv2D(192, 384, kernel: (3, 3), padding: .symmetric(1, 1), activation: .relu, weightInitializer: initializer, using: &rng)
            Conv2D(384, 256, kernel: (3, 3), padding: .symmetric(1, 1), activation: .relu, weightInitializer: initializer, using: &rng)
            Conv2D(256, 256, kernel: (3, 3), padding: .symmetric(1, 1), activation: .relu, weightInitializer: initializer, using: &rng)
            MaxPool2D(kernel: (3, 3), stride: (2, 2))
            AdaptiveAvgPool2D(outputSize: (6, 6))
            Flatten()
            Dropout(rate: 0.5, seed: rng.next())
            Dense(256 * 36, 4096, activation: .relu, weightInitializer: initializer, using: &rng)
            Dropout(rate: 0.5, seed: rng.next())
            Dense(4096, 4096, activation: .relu, weightInitializer: initializer, using: &rng)
            Dense(4096, classes, weightInitializer: initializer, using: &rng)
        }
    }

    /// VGG with `blocks[i]` 3×3 convolutions in stage i (64, 128, 256, 512, 512 channels).
    public static func vgg(_ blocks: [Int], classes: Int, initializer: Initializer, using rng: inout PhiloxGenerator) -> Sequential {
        var layers: [any Layer] = []
        var channels = 3
        for (stage, count) in blocks.enumerated() {
            let width = [64, 128, 256, 512, 512][stage]
            for _ in 0..<count {
                layers.append(Conv2D(channels, width, kernel: (3, 3), padding: .symmetric(1, 1), activation: .relu, weightInitializer: initializer, using: &rng))
                channels = width
            }
            layers.append(MaxPool2D(kernel: (2, 2)))
        }
        layers += [AdaptiveAvgPool2D(outputSize: (7, 7)), Flatten(),
                   Dense(512 * 49, 4096, activation: .relu, weightInitializer: initializer, using: &rng), Dropout(rate: 0.5, seed: rng.next()),
                   Dense(4096, 4096, activation: .relu, weightInitializer: initializer, using: &rng), Dropout(rate: 0.5, seed: rng.next()),
                   Dense(4096, classes, weightInitializer: initializer, using: &rng)]
        return Sequential(layers)
    }

    public static func resNet(basic: Bool, _ counts: [Int], classes: Int, initializer: Initializer, using rng: inout PhiloxGenerator) -> Sequential {
        var layers: [any Layer] = [
            Conv2D(3, 64, kernel: (7, 7), stride: (2, 2), padding: .symmetric(3, 3), bias: false, weightInitializer: initializer, using: &rng),
            BatchNorm(channels: 64), ActivationLayer(.relu),
            MaxPool2D(kernel: (3, 3), stride: (2, 2), padding: .symmetric(1, 1)),
        ]
        var channels = 64
        for (stage, count) in counts.enumerated() {
            let width = 64 << stage
            var blocks: [any Layer] = []
            for index in 0..<count {
                let stride = index == 0 && stage > 0 ? 2 : 1
                if basic {
                    blocks.append(ResidualBlock(channels, width, stride: stride, initializer: initializer, using: &rng))
                    channels = width
                } else {
                    blocks.append(BottleneckBlock(channels, width, stride: stride, initializer: initializer, using: &rng))
                    channels = width * BottleneckBlock.expansion
                }
            }
            layers.append(Sequential(blocks))
        }
        layers += [GlobalAveragePool2D(), Dense(channels, classes, weightInitializer: initializer, using: &rng)]
        return Sequential(layers)
    }

    public static func mobileNetV2(classes: Int, initializer: Initializer, using rng: inout PhiloxGenerator) -> Sequential {
        var layers: [any Layer] = [
            Conv2D(3, 32, kernel: (3, 3), stride: (2, 2), padding: .symmetric(1, 1), bias: false, weightInitializer: initializer, using: &rng),
            BatchNorm(channels: 32), ActivationLayer(.relu6),
        ]
        var channels = 32
        for (t, c, n, s) in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)] {
            for index in 0..<n {
                layers.append(InvertedResidualBlock(channels, c, stride: index == 0 ? s : 1, expansion: t, initializer: initializer, using: &rng))
                channels = c
            }
        }
        layers += [Conv2D(channels, 1280, kernel: (1, 1), bias: false, weightInitializer: initializer, using: &rng),
                   BatchNorm(channels: 1280), ActivationLayer(.relu6), GlobalAveragePool2D(), Dropout(rate: 0.2, seed: rng.next()),
                   Dense(1280, classes, weightInitializer: initializer, using: &rng)]
        return Sequential(layers)
    }

    /// A compact U-Net (Ronneberger et al.): two down-sampling stages, a bottleneck and two
    /// up-sampling stages with skip connections; `classes` output channels per pixel.
    public static func unet(classes: Int, initializer: Initializer, using rng: inout PhiloxGenerator) -> Sequential {
        Sequential { UNet(inputChannels: 1, classes: classes, base: 16, initializer: initializer, using: &rng) }
    }
}

/// A small U-Net with skip connections by concatenation.
public final class UNet: Layer {
    let down1: Sequential, down2: Sequential, bottom: Sequential, up2: Sequential, up1: Sequential, head: Conv2D
    let reduce2: Conv2D, reduce1: Conv2D
    public var isTraining = true

    static func doubleConv(_ input: Int, _ output: Int, _ initializer: Initializer, _ rng: inout PhiloxGenerator) -> Sequential {
        Sequential {
            Conv2D(input, output, kernel: (3, 3), padding: .same, bias: false, weightInitializer: initializer, using: &rng)
            BatchNorm(channels: output)
            ActivationLayer(.relu)
            Conv2D(output, output, kernel: (3, 3), padding: .same, bias: false, weightInitializer: initializer, using: &rng)
            BatchNorm(channels: output)
            ActivationLayer(.relu)
        }
    }

    public init(inputChannels: Int, classes: Int, base: Int, initializer: Initializer, using rng: inout PhiloxGenerator) {
        down1 = Self.doubleConv(inputChannels, base, initializer, &rng)
        down2 = Self.doubleConv(base, base * 2, initializer, &rng)
        bottom = Self.doubleConv(base * 2, base * 4, initializer, &rng)
        reduce2 = Conv2D(base * 4, base * 2, kernel: (1, 1), weightInitializer: initializer, using: &rng)
        up2 = Self.doubleConv(base * 4, base * 2, initializer, &rng)
        reduce1 = Conv2D(base * 2, base, kernel: (1, 1), weightInitializer: initializer, using: &rng)
        up1 = Self.doubleConv(base * 2, base, initializer, &rng)
        head = Conv2D(base, classes, kernel: (1, 1), weightInitializer: initializer, using: &rng)
    }

    public var sublayers: [(name: String, layer: any Layer)] {
        [("down1", down1), ("down2", down2), ("bottom", bottom), ("reduce2", reduce2), ("up2", up2), ("reduce1", reduce1), ("up1", up1), ("head", head)]
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        let d1 = down1(x)                                              // [N, b, H, W]
        let d2 = down2(d1.maxPool2d(kernel: (2, 2)))                    // [N, 2b, H/2, W/2]
        let b = bottom(d2.maxPool2d(kernel: (2, 2)))                    // [N, 4b, H/4, W/4]
        let u2 = up2(Variable.concat([reduce2(b.repeated(2, axis: 2).repeated(2, axis: 3)), d2], axis: 1))
        let u1 = up1(Variable.concat([reduce1(u2.repeated(2, axis: 2).repeated(2, axis: 3)), d1], axis: 1))
        return head(u1)
    }
}
