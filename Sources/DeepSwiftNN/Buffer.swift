import DeepSwiftTensor

/// Non-trainable state that belongs to a layer and is saved with it, such as batch
/// normalization's running statistics. The optimizer never sees it; checkpoints, model archives
/// and state dicts do (``Layer/namedBuffers``).
///
/// ```swift
/// let bn = BatchNorm(channels: 8)
/// bn.namedBuffers.map(\.name)        // ["running_mean", "running_var"]
/// ```
public final class Buffer: @unchecked Sendable {
    public var value: Tensor
    public init(_ value: Tensor) { self.value = value }
}

/// A layer that draws random numbers (dropout, noise) from its own generator. Its position is
/// training state: model archives save and restore it, so a resumed run continues the same streams.
public protocol RandomizedLayer: Layer {
    var generator: PhiloxGenerator { get set }
}

extension Dropout: RandomizedLayer {}
extension AlphaDropout: RandomizedLayer {}
extension GaussianNoise: RandomizedLayer {}
extension GaussianDropout: RandomizedLayer {}
extension SpatialDropout: RandomizedLayer {}
extension RecurrentLayer: RandomizedLayer {}
extension MultiHeadAttention: RandomizedLayer {}
