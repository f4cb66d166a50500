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
