import DeepSwiftAutodiff
import DeepSwiftTensor

/// Flattens every axis after the first (the batch): `[N, C, H, W] → [N, C·H·W]`.
public final class Flatten: Layer {
    public var isTraining = true
    public init() {}
    public func callAsFunction(_ x: Variable) -> Variable { x.flattened(startAxis: 1) }
    /// The time axis is gone: no mask after it.
    public func callAsFunction(_ input: Variable, mask: Tensor?) -> (output: Variable, mask: Tensor?) { (self(input), nil) }
}

/// Reshapes every sample to `shape` (the batch axis is kept).
public final class Reshape: Layer {
    public let shape: [Int]
    public var isTraining = true
    public init(_ shape: [Int]) { self.shape = shape }
    public func callAsFunction(_ x: Variable) -> Variable { x.reshaped([x.shape[0]] + shape) }
    /// A reshaped sample has no step structure to mask.
    public func callAsFunction(_ input: Variable, mask: Tensor?) -> (output: Variable, mask: Tensor?) { (self(input), nil) }
    public var summaryName: String { "Reshape(\(shape))" }
}

/// Returns its input.
public final class Identity: Layer {
    public var isTraining = true
    public init() {}
    public func callAsFunction(_ x: Variable) -> Variable { x }
}
