import DeepSwiftTensor

/// A trainable tensor: the value a layer owns, plus the gradient accumulated into it by
/// ``Variable/backward()``.
///
/// `Parameter` is a class because a parameter has identity: the layer that uses it, the
/// optimizer that updates it and the gradient tape that accumulates into it all refer to the
/// same one. Its ``value`` is still a copy-on-write ``Tensor``.
///
/// ```swift
/// let w = Parameter(Tensor.zeros([10, 784]))
/// let loss = (Variable(w) * 2).sum()
/// loss.backward()          // w.grad == 2 everywhere
/// ```
public final class Parameter: @unchecked Sendable {
    /// The current value. Optimizers replace or update it in place.
    public var value: Tensor
    /// The accumulated gradient (`nil` until a backward pass reaches this parameter).
    public var grad: Tensor?
    /// Whether backward passes record and accumulate gradients for this parameter.
    public var requiresGrad: Bool

    public init(_ value: Tensor, requiresGrad: Bool = true) {
        self.value = value
        self.requiresGrad = requiresGrad
    }

    /// Clears the accumulated gradient.
    public func zeroGrad() { grad = nil }

    /// Shape of the value.
    public var shape: [Int] { value.shape }

    /// Adds `g` into ``grad`` (reusing the existing gradient's storage when possible).
    func accumulate(_ g: Tensor) {
        let g = g.shape == value.shape ? g : g.reshaped(value.shape)
        if grad == nil { grad = g } else { grad! += g }
    }
}
