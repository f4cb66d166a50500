import DeepSwiftAutodiff
import DeepSwiftTensor

/// A network component: a function of a ``Variable`` that may own parameters and sublayers.
///
/// Parameters are registered explicitly: each layer lists its own parameters and sublayers, in a
/// fixed order, under fixed local names (``localParameters``, ``sublayers``). Containers name their
/// children (`layers.0`), so ``namedParameters`` yields stable dotted names such as
/// `layers.0.weight` with no reflection and nothing cached that could go stale: the list is
/// computed from the layer's stored properties every time it is asked for. (Mirror-based
/// discovery would depend on property order and miss parameters held in arrays or optionals; a
/// macro would add a swift-syntax build to the core.)
///
/// Layers are classes: a layer has identity (the optimizer, the tape and the checkpoint all refer
/// to the same parameters) and a training/inference mode.
///
/// ```swift
/// final class TwoLayer: Layer {
///     let hidden = Dense(784, 128, activation: .relu, seed: 1)
///     let output = Dense(128, 10, seed: 2)
///     var isTraining = true
///     var sublayers: [(name: String, layer: any Layer)] { [("hidden", hidden), ("output", output)] }
///     func callAsFunction(_ x: Variable) -> Variable { output(hidden(x)) }
/// }
/// TwoLayer().namedParameters.map(\.name)   // ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]
/// ```
public protocol Layer: AnyObject {
    /// Applies the layer.
    func callAsFunction(_ input: Variable) -> Variable
    /// This layer's own parameters with their local names, in a fixed order.
    var localParameters: [(name: String, parameter: Parameter)] { get }
    /// Direct sublayers with their local names, in a fixed order.
    var sublayers: [(name: String, layer: any Layer)] { get }
    /// This layer's own non-trainable state (e.g. batch-norm running statistics), with local names.
    var localBuffers: [(name: String, buffer: Buffer)] { get }
    /// `true` in training mode (dropout active, batch statistics), `false` for inference.
    var isTraining: Bool { get set }
    /// A short description of the configuration for ``summary(inputShape:)``, e.g. `Dense(784 → 512, relu)`.
    var summaryName: String { get }
    /// Applies the layer to a batch of sequences with its padding mask (`[B, T]`, nonzero = real
    /// step) and returns the output with the mask that applies to it (Keras's mask propagation).
    /// The default keeps the mask (layers that act on each step alone); recurrent layers read it,
    /// `Masking` and `Embedding` create it, and layers that drop the time axis return `nil`.
    func callAsFunction(_ input: Variable, mask: Tensor?) -> (output: Variable, mask: Tensor?)
}

extension Layer {
    public func callAsFunction(_ input: Variable, mask: Tensor?) -> (output: Variable, mask: Tensor?) { (self(input), mask) }
    public var localParameters: [(name: String, parameter: Parameter)] { [] }
    public var sublayers: [(name: String, layer: any Layer)] { [] }
    public var localBuffers: [(name: String, buffer: Buffer)] { [] }
    public var summaryName: String { String(describing: type(of: self)) }

    /// Every parameter of this layer and its sublayers, with dotted names, depth first.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        var result = localParameters
        for (name, layer) in sublayers {
            result += layer.namedParameters.map { (name: name + "." + $0.name, parameter: $0.parameter) }
        }
        return result
    }

    /// Every buffer of this layer and its sublayers, with dotted names, depth first.
    public var namedBuffers: [(name: String, buffer: Buffer)] {
        var result = localBuffers
        for (name, layer) in sublayers {
            result += layer.namedBuffers.map { (name: name + "." + $0.name, buffer: $0.buffer) }
        }
        return result
    }

    /// Every parameter, in the order of ``namedParameters``.
    public var parameters: [Parameter] { namedParameters.map(\.parameter) }

    /// Total number of scalar parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Sets training mode here and in every sublayer.
    public func setTraining(_ training: Bool) {
        isTraining = training
        for (_, layer) in sublayers { layer.setTraining(training) }
    }

    /// Clears every parameter's gradient.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// Applies the layer to a plain tensor without recording gradients (inference).
    public func predict(_ input: Tensor) -> Tensor {
        Gradients.withoutRecording { self(Variable(input)).value }
    }
}

/// The parameter list of a layer with a weight and an optional bias.
func weightAndBias(_ weight: Parameter, _ bias: Parameter?) -> [(name: String, parameter: Parameter)] {
    bias.map { [("weight", weight), ("bias", $0)] } ?? [("weight", weight)]
}
