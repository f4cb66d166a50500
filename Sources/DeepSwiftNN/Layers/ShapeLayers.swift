import DeepSwiftAutodiff
import DeepSwiftTensor

/// Flattens every axis after the first (the batch): `[N, C, H, W] → [N, C·H·W]`.
public final class Flatten: Layer {
    public var isTraining = true
    public init() {}
    public func callAsFunction(_ x: Variable) -> Variable { x.flattened(startAxis: 1) }
}

/// Reshapes every sample to `shape` (the batch axis is kept).
public final class Reshape: Layer {
    public let shape: [Int]
    public var isTraining = true
    public init(_ shape: [Int]) { self.shape = shape }
    public func callAsFunction(_ x: Variable) -> Variable { x.reshaped([x.shape[0]] + shape) }
    public var summaryName: String { "Reshape(\(shape))" }
}

/// Returns its input.
public final class Identity: Layer {
    public var isTraining = true
    public init() {}
    public func callAsFunction(_ x: Variable) -> Variable { x }
}
