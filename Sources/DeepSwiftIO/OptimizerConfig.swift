import DeepSwiftAutodiff
import DeepSwiftOptim

/// An optimizer's class and hyperparameters as JSON, and back (its buffers travel separately, as
/// tensors of ``Optimizer/state``).
///
/// ```swift
/// let json = try OptimizerConfig.encode(adam)                  // {"class": "Adam", "learning_rate": 0.001, ...}
/// let again = try OptimizerConfig.decode(json, parameters: model.parameters, file: "model.dsm")
/// ```
public enum OptimizerConfig {
    public static let supportedClasses = ["SGD", "Adam", "Adamax", "NAdam", "RMSProp", "AdaGrad", "AdaDelta"]

    public static func encode(_ optimizer: any Optimizer, file: String = "model") throws -> JSON {
        var json: [String: JSON]
        switch optimizer {
        case let o as SGD:
            json = ["class": "SGD", "momentum": .number(o.momentum), "dampening": .number(o.dampening), "nesterov": .bool(o.nesterov),
                    "regularization": JSON.from(o.regularization)]
        case let o as Adam:
            json = ["class": "Adam", "beta1": .number(o.beta1), "beta2": .number(o.beta2), "epsilon": .number(o.epsilon), "amsgrad": .bool(o.amsgrad),
                    "regularization": JSON.from(o.regularization)]
        case let o as Adamax:
            json = ["class": "Adamax", "beta1": .number(o.beta1), "beta2": .number(o.beta2), "epsilon": .number(o.epsilon),
                    "regularization": JSON.from(o.regularization)]
        case let o as NAdam:
            json = ["class": "NAdam", "beta1": .number(o.beta1), "beta2": .number(o.beta2), "epsilon": .number(o.epsilon),
                    "momentum_decay": .number(o.momentumDecay), "regularization": JSON.from(o.regularization)]
        case let o as RMSProp:
            json = ["class": "RMSProp", "alpha": .number(o.alpha), "epsilon": .number(o.epsilon), "momentum": .number(o.momentum),
                    "centered": .bool(o.centered), "regularization": JSON.from(o.regularization)]
        case let o as AdaGrad:
            json = ["class": "AdaGrad", "epsilon": .number(o.epsilon), "initial_accumulator": .number(o.initialAccumulator),
                    "regularization": JSON.from(o.regularization)]
        case let o as AdaDelta:
            json = ["class": "AdaDelta", "rho": .number(o.rho), "epsilon": .number(o.epsilon), "regularization": JSON.from(o.regularization)]
        default:
            throw ModelFileError(.unsupported, file: file, "optimizer", "optimizer class \(type(of: optimizer)) cannot be saved; supported: \(supportedClasses.joined(separator: ", "))")
        }
        json["learning_rate"] = .number(optimizer.learningRate)
        return .object(json)
    }

    public static func decode(_ json: JSON, parameters: [Parameter], file: String) throws -> any Optimizer {
        let c = ConfigReader(json: json, file: file, path: "optimizer")
        let lr = try c.double("learning_rate"), regularization = try c.value("regularization", Regularization.self)
        switch try c.string("class") {
        case "SGD":
            return SGD(parameters, learningRate: lr, momentum: try c.double("momentum"), dampening: try c.double("dampening"),
                       nesterov: try c.bool("nesterov"), regularization: regularization)
        case "Adam":
            return Adam(parameters, learningRate: lr, beta1: try c.double("beta1"), beta2: try c.double("beta2"), epsilon: try c.double("epsilon"),
                        amsgrad: try c.bool("amsgrad"), regularization: regularization)
        case "Adamax":
            return Adamax(parameters, learningRate: lr, beta1: try c.double("beta1"), beta2: try c.double("beta2"), epsilon: try c.double("epsilon"),
                          regularization: regularization)
        case "NAdam":
            return NAdam(parameters, learningRate: lr, beta1: try c.double("beta1"), beta2: try c.double("beta2"), epsilon: try c.double("epsilon"),
                         momentumDecay: try c.double("momentum_decay"), regularization: regularization)
        case "RMSProp":
            return RMSProp(parameters, learningRate: lr, alpha: try c.double("alpha"), epsilon: try c.double("epsilon"), momentum: try c.double("momentum"),
                           centered: try c.bool("centered"), regularization: regularization)
        case "AdaGrad":
            return AdaGrad(parameters, learningRate: lr, epsilon: try c.double("epsilon"), initialAccumulator: try c.double("initial_accumulator"),
                           regularization: regularization)
        case "AdaDelta":
            return AdaDelta(parameters, learningRate: lr, rho: try c.double("rho"), epsilon: try c.double("epsilon"), regularization: regularization)
        case let other:
            throw c.invalid("class", "unknown optimizer '\(other)'; supported: \(supportedClasses.joined(separator: ", "))")
        }
    }
}
