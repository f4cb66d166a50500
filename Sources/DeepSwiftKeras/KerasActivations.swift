import DeepSwiftIO
import DeepSwiftNN

/// Keras activation names (or their serialized form) as DeepSwift activations.
enum KerasActivations {
    static let supported = ["linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "elu", "selu", "softplus", "softsign",
                            "swish", "silu", "hard_sigmoid", "leaky_relu", "relu6", "mish"]

    static func map(_ value: JSON?, place: String, file: String) throws -> Activation {
        guard let value, !value.isNull else { return .identity }
        let name = value.string ?? value["config"]?.string ?? value["config"]?["name"]?.string ?? value["class_name"]?.string
        switch name {
        case "linear"?, nil: return .identity
        case "relu"?: return .relu
        case "sigmoid"?: return .sigmoid
        case "tanh"?: return .tanh
        case "softmax"?: return .softmax(axis: -1)
        case "log_softmax"?: return .logSoftmax(axis: -1)
        case "gelu"?: return .gelu
        case "elu"?: return .elu(1)
        case "selu"?: return .selu
        case "softplus"?: return .softplus
        case "softsign"?: return .softsign
        case "swish"?, "silu"?: return .swish
        case "hard_sigmoid"?: return .hardSigmoid
        case "leaky_relu"?: return .leakyRelu(0.2)
        case "relu6"?: return .relu6
        case "mish"?: return .mish
        case let other?:
            throw ModelFileError(.unsupported, file: file, place, "activation '\(other)' is not supported; supported: \(supported.joined(separator: ", "))")
        }
    }
}
