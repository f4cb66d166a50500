import DeepSwift

/// A model that `deepswift train` and `deepswift bench` know by name.
struct Recipe: Sendable {
    let name: String
    /// Shape of one sample (without the batch axis).
    let sampleShape: [Int]
    let defaultBatchSize: Int
    let make: @Sendable (UInt64) -> Sequential
    let summary: String

    /// MNIST images flattened to 784 values, or kept as [1, 28, 28].
    var flattensImages: Bool { sampleShape.count == 1 }
}

enum Recipes {
    static let all: [Recipe] = [
        Recipe(name: "mlp-mnist", sampleShape: [784], defaultBatchSize: 128, make: mlpMNIST,
               summary: "784-512-ReLU-512-ReLU-10 MLP"),
        Recipe(name: "lenet-mnist", sampleShape: [1, 28, 28], defaultBatchSize: 64, make: leNet,
               summary: "LeNet-5 as in DL4J: conv 5×5×20, max-pool 2, conv 5×5×50, max-pool 2, dense 500 ReLU, dense 10"),
    ]

    static var names: [String] { all.map(\.name) }

    static func recipe(_ name: String) throws -> Recipe {
        guard let recipe = all.first(where: { $0.name == name }) else {
            throw ValidationErrorMessage("unknown model '\(name)'; known models: \(names.joined(separator: ", "))")
        }
        return recipe
    }

    static func model(_ name: String, seed: UInt64) throws -> Sequential { try recipe(name).make(seed) }

    /// 784-512-ReLU-512-ReLU-10, Glorot-uniform weights, zero biases (the DL4J/Keras MNIST MLP).
    static func mlpMNIST(seed: UInt64) -> Sequential {
        var rng = PhiloxGenerator(seed: seed)
        return Sequential {
            Dense(784, 512, activation: .relu, using: &rng)
            Dense(512, 512, activation: .relu, using: &rng)
            Dense(512, 10, using: &rng)
        }
    }

    /// LeNet-5 from DL4J's examples (the zoo's definition): Glorot-uniform weights, zero biases.
    static func leNet(seed: UInt64) -> Sequential {
        var rng = PhiloxGenerator(seed: seed)
        return ModelZoo.leNet(classes: 10, initializer: .glorotUniform(), using: &rng)
    }

    static func crossEntropy(_ logits: Variable, _ labels: Tensor) -> Variable {
        Losses.softmaxCrossEntropy(logits: logits, labels: labels)
    }
}

struct ValidationErrorMessage: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
