import DeepSwift

/// The models that `deepswift train` and `deepswift bench` know by name.
enum Recipes {
    static let names = ["mlp-mnist"]

    /// 784-512-ReLU-512-ReLU-10, Glorot-uniform weights, zero biases (the DL4J/Keras MNIST MLP).
    static func mlpMNIST(seed: UInt64) -> Sequential {
        var rng = PhiloxGenerator(seed: seed)
        return Sequential {
            Dense(784, 512, activation: .relu, using: &rng)
            Dense(512, 512, activation: .relu, using: &rng)
            Dense(512, 10, using: &rng)
        }
    }

    static func model(_ name: String, seed: UInt64) throws -> Sequential {
        switch name {
        case "mlp-mnist": return mlpMNIST(seed: seed)
        default: throw ValidationErrorMessage("unknown model '\(name)'; known models: \(names.joined(separator: ", "))")
        }
    }

    static func crossEntropy(_ logits: Variable, _ labels: Tensor) -> Variable { Losses.softmaxCrossEntropy(logits: logits, labels: labels) }
}

struct ValidationErrorMessage: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
