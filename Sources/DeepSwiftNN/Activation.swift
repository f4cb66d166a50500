import DeepSwiftAutodiff
import DeepSwiftTensor

/// The activation functions, usable as a ``Dense`` option, as an ``ActivationLayer`` or directly.
///
/// ```swift
/// Dense(512, 256, activation: .gelu)
/// Activation.leakyRelu(0.2).apply(x)
/// ```
public enum Activation: Sendable, Equatable, Codable {
    case identity
    case relu
    case leakyRelu(Double)
    case elu(Double)
    case selu
    case gelu
    case geluTanh
    case sigmoid
    /// PyTorch's hard sigmoid: relu6(x + 3) / 6.
    case hardSigmoid
    case tanh
    case hardTanh(min: Double, max: Double)
    case relu6
    case softmax(axis: Int)
    case logSoftmax(axis: Int)
    case swish
    /// x · tanh(softplus(x)).
    case mish
    case softplus
    /// x / (1 + |x|).
    case softsign

    public func apply(_ x: Variable) -> Variable {
        switch self {
        case .identity: return x
        case .relu: return x.relu()
        case .leakyRelu(let slope): return x.leakyRelu(negativeSlope: slope)
        case .elu(let alpha): return x.elu(alpha: alpha)
        case .selu: return x.selu()
        case .gelu: return x.gelu()
        case .geluTanh: return x.gelu(approximation: .tanh)
        case .sigmoid: return x.sigmoid()
        case .hardSigmoid: return ((x + 3).clamped(min: 0, max: 6)) / 6
        case .tanh: return x.tanh()
        case .hardTanh(let lo, let hi): return x.clamped(min: lo, max: hi)
        case .relu6: return x.clamped(min: 0, max: 6)
        case .softmax(let axis): return x.softmax(axis: axis)
        case .logSoftmax(let axis): return x.logSoftmax(axis: axis)
        case .swish: return x.swish()
        case .mish: return x * x.softplus().tanh()
        case .softplus: return x.softplus()
        case .softsign: return x / (x.abs() + 1)
        }
    }

    var name: String {
        switch self {
        case .identity: return "identity"
        case .relu: return "relu"
        case .leakyRelu(let s): return "leakyRelu(\(s))"
        case .elu(let a): return "elu(\(a))"
        case .selu: return "selu"
        case .gelu: return "gelu"
        case .geluTanh: return "gelu(tanh)"
        case .sigmoid: return "sigmoid"
        case .hardSigmoid: return "hardSigmoid"
        case .tanh: return "tanh"
        case .hardTanh(let lo, let hi): return "hardTanh(\(lo), \(hi))"
        case .relu6: return "relu6"
        case .softmax(let a): return "softmax(axis: \(a))"
        case .logSoftmax(let a): return "logSoftmax(axis: \(a))"
        case .swish: return "swish"
        case .mish: return "mish"
        case .softplus: return "softplus"
        case .softsign: return "softsign"
        }
    }
}

/// An activation as a layer (ReLU, GELU, Softmax, ... in a ``Sequential``).
public final class ActivationLayer: Layer {
    public let activation: Activation
    public var isTraining = true
    public init(_ activation: Activation) { self.activation = activation }
    public func callAsFunction(_ input: Variable) -> Variable { activation.apply(input) }
    public var summaryName: String { "Activation(\(activation.name))" }
}

/// Leaky ReLU with a learned slope (one per channel, or one shared), as `torch.nn.PReLU`.
public final class PReLU: Layer {
    public let weight: Parameter
    public var isTraining = true

    /// `channels` slopes along axis 1 (or one shared slope when `channels` is 1), starting at `initial`.
    public init(channels: Int = 1, initial: Double = 0.25) {
        weight = Parameter(Tensor.full([channels], value: initial))
    }

    /// One slope per element of a sample of `sampleShape` (rank ≥ 2; size-1 axes are shared), as
    /// Keras's `PReLU`.
    public init(sampleShape: [Int], initial: Double = 0.25) {
        weight = Parameter(Tensor.full(sampleShape, value: initial))
    }

    public var localParameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    public func callAsFunction(_ x: Variable) -> Variable {
        var slope = Variable(weight)
        if weight.value.rank > 1 {
            slope = slope.reshaped([1] + weight.value.shape)
        } else if weight.value.count > 1 {
            var shape = [Int](repeating: 1, count: x.rank)
            shape[1] = weight.value.count
            slope = slope.reshaped(shape)
        }
        return x.relu() - (-x).relu() * slope
    }
}
