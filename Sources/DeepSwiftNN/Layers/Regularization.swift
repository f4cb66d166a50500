import DeepSwiftAutodiff
import DeepSwiftTensor

/// Zeroes each element with probability `rate` in training mode and scales the rest by
/// 1 / (1 − rate) (inverted dropout); the identity in inference mode.
///
/// The layer owns its random generator, seeded at construction, so runs are reproducible.
public final class Dropout: Layer {
    public let rate: Double
    public var isTraining = true
    public var generator: PhiloxGenerator

    public init(rate: Double, seed: UInt64 = 0) {
        tensorCheck(rate >= 0 && rate < 1, "Dropout: rate must be in [0, 1), got \(rate)")
        self.rate = rate
        self.generator = PhiloxGenerator(seed: seed)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        guard isTraining && rate > 0 else { return x }
        let keep = Tensor.bernoulli(x.shape, probability: 1 - rate, dtype: x.dtype, using: &generator) / (1 - rate)
        return x * Variable(keep)
    }

    public var summaryName: String { "Dropout(\(rate))" }
}

/// Dropout for SELU networks (Klambauer et al.): dropped units are set to the SELU saturation
/// value and an affine correction keeps the mean and variance.
public final class AlphaDropout: Layer {
    public let rate: Double
    public var isTraining = true
    public var generator: PhiloxGenerator

    public init(rate: Double, seed: UInt64 = 0) {
        tensorCheck(rate >= 0 && rate < 1, "AlphaDropout: rate must be in [0, 1), got \(rate)")
        self.rate = rate
        self.generator = PhiloxGenerator(seed: seed)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        guard isTraining && rate > 0 else { return x }
        let alphaPrime = -1.7580993408473766  // −scale·alpha of SELU
        let q = 1 - rate
        let a = 1 / (q + alphaPrime * alphaPrime * q * rate).squareRoot()
        let b = -a * alphaPrime * rate
        let keep = Tensor.bernoulli(x.shape, probability: q, dtype: x.dtype, using: &generator)
        let dropped = (1 - keep) * alphaPrime
        return (x * Variable(keep) + Variable(dropped)) * a + b
    }

    public var summaryName: String { "AlphaDropout(\(rate))" }
}

/// Adds zero-mean Gaussian noise with standard deviation `std` in training mode.
public final class GaussianNoise: Layer {
    public let std: Double
    public var isTraining = true
    public var generator: PhiloxGenerator

    public init(std: Double, seed: UInt64 = 0) {
        self.std = std
        self.generator = PhiloxGenerator(seed: seed)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        guard isTraining && std > 0 else { return x }
        return x + Variable(Tensor.normal(x.shape, std: std, dtype: x.dtype, using: &generator))
    }

    public var summaryName: String { "GaussianNoise(\(std))" }
}
