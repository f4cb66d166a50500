import Foundation

/// Learning rate as a function of the epoch (or step) index, composable with a linear warm-up.
///
/// The formulas follow PyTorch's schedulers (closed forms of `StepLR`, `MultiStepLR`,
/// `ExponentialLR`, `PolynomialLR`, `CosineAnnealingLR`, `CosineAnnealingWarmRestarts`,
/// `OneCycleLR`, and `LinearLR` followed by another schedule as `SequentialLR` does).
///
/// ```swift
/// let schedule = LearningRateSchedule.warmup(steps: 5, startFactor: 0.1,
///                                            then: .cosine(period: 25, minimum: 0))
/// optimizer.learningRate = schedule.learningRate(base: 1e-3, at: epoch)
/// ```
public indirect enum LearningRateSchedule: Sendable, Equatable {
    case constant
    /// × `gamma` every `size` epochs.
    case step(size: Int, gamma: Double)
    /// × `gamma` at each milestone.
    case multiStep(milestones: [Int], gamma: Double)
    /// × `gamma` every epoch.
    case exponential(gamma: Double)
    /// base · (1 − min(t, total)/total)^power.
    case polynomial(totalSteps: Int, power: Double)
    /// minimum + (base − minimum)(1 + cos(π t / period)) / 2.
    case cosine(period: Int, minimum: Double)
    /// Cosine annealing restarted after `firstPeriod`, with periods growing by `periodMultiplier`.
    case cosineWithRestarts(firstPeriod: Int, periodMultiplier: Int, minimum: Double)
    /// One cycle (Smith): cosine warm-up from max/divFactor to max over `warmupFraction` of the
    /// steps, then cosine annealing to max/(divFactor · finalDivFactor). The base rate is ignored.
    case oneCycle(maximum: Double, totalSteps: Int, warmupFraction: Double = 0.3, divFactor: Double = 25, finalDivFactor: Double = 1e4)
    /// Linear warm-up from `startFactor`·base to base over `steps`, then `then` (counted from 0).
    case warmup(steps: Int, startFactor: Double, then: LearningRateSchedule)

    /// The learning rate at epoch (or step) `t`, for a base rate `base`.
    public func learningRate(base: Double, at t: Int) -> Double {
        switch self {
        case .constant: return base
        case .step(let size, let gamma): return base * pow(gamma, Double(t / size))
        case .multiStep(let milestones, let gamma): return base * pow(gamma, Double(milestones.filter { $0 <= t }.count))
        case .exponential(let gamma): return base * pow(gamma, Double(t))
        case .polynomial(let total, let power): return base * pow(1 - Double(Swift.min(t, total)) / Double(total), power)
        case .cosine(let period, let minimum):
            return minimum + (base - minimum) * (1 + cos(Double.pi * Double(t) / Double(period))) / 2
        case .cosineWithRestarts(let first, let multiplier, let minimum):
            var period = first, position = t
            while position >= period {
                position -= period
                period *= multiplier
            }
            return minimum + (base - minimum) * (1 + cos(Double.pi * Double(position) / Double(period))) / 2
        case .oneCycle(let maximum, let total, let fraction, let div, let finalDiv):
            let initial = maximum / div, final = initial / finalDiv
            let peak = fraction * Double(total) - 1
            func anneal(_ start: Double, _ end: Double, _ pct: Double) -> Double { end + (start - end) / 2 * (cos(Double.pi * pct) + 1) }
            let s = Double(t)
            if s <= peak { return anneal(initial, maximum, s / peak) }
            return anneal(maximum, final, (s - peak) / (Double(total - 1) - peak))
        case .warmup(let steps, let startFactor, let then):
            if t < steps { return base * (startFactor + (1 - startFactor) * Double(t) / Double(steps)) }
            return then.learningRate(base: base, at: t - steps)
        }
    }
}

/// Multiplies the learning rate by `factor` when a metric has not improved for more than
/// `patience` epochs, as `torch.optim.lr_scheduler.ReduceLROnPlateau` (mode `min`, relative threshold).
///
/// ```swift
/// let plateau = ReduceLROnPlateau(learningRate: 0.1, factor: 0.5, patience: 2)
/// optimizer.learningRate = plateau.step(metric: validationLoss)
/// ```
public struct ReduceLROnPlateau: Sendable, Equatable, Codable {
    public private(set) var learningRate: Double
    public let factor: Double, patience: Int, threshold: Double, minimum: Double
    public private(set) var best = Double.infinity
    public private(set) var badEpochs = 0

    public init(learningRate: Double, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4, minimum: Double = 0) {
        self.learningRate = learningRate
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.minimum = minimum
    }

    /// Records this epoch's metric; returns the learning rate for the next epoch.
    public mutating func step(metric: Double) -> Double {
        if metric < best * (1 - threshold) {
            best = metric
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if badEpochs > patience {
            learningRate = Swift.max(learningRate * factor, minimum)
            badEpochs = 0
        }
        return learningRate
    }
}
