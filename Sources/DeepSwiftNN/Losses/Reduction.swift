import DeepSwiftAutodiff
import DeepSwiftTensor

/// How a loss combines per-element (or per-sample) values.
public enum Reduction: Sendable, Equatable {
    /// The mean over elements (weighted mean for class-weighted cross-entropy, as PyTorch).
    case mean
    /// The sum.
    case sum
    /// No reduction: one value per element (per sample for cross-entropy).
    case none
    /// The sum divided by the batch size (the first dimension); KL divergence's proper mean.
    case batchMean

    func apply(_ values: Variable) -> Variable {
        switch self {
        case .mean: return values.mean()
        case .sum: return values.sum()
        case .none: return values
        case .batchMean: return values.sum() / Double(Swift.max(values.shape.first ?? 1, 1))
        }
    }
}
