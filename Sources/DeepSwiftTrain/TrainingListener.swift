import DeepSwiftTensor

/// What the training loop reports after each batch and epoch.
public struct TrainingProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    /// Batch index within the epoch (0-based) and the number of batches per epoch.
    public var batch: Int
    public var batchesPerEpoch: Int
    /// Global step count (batches since the start of training).
    public var step: Int
    /// Mean loss and accuracy over the batches of this epoch so far.
    public var loss: Double
    public var accuracy: Double?
    /// Samples processed this epoch and the seconds they took.
    public var samples: Int
    public var seconds: Double

    public var samplesPerSecond: Double { seconds > 0 ? Double(samples) / seconds : 0 }
    /// Estimated seconds left in this epoch.
    public var eta: Double {
        guard batch > 0 else { return 0 }
        return seconds / Double(batch + 1) * Double(batchesPerEpoch - batch - 1)
    }
}

/// Summary of one finished epoch.
public struct EpochResult: Sendable {
    public var epoch: Int
    public var loss: Double
    public var accuracy: Double?
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var seconds: Double
    public var samplesPerSecond: Double
}

/// Receives training events (DL4J's `TrainingListener`, Keras's callbacks). All methods are optional.
public protocol TrainingListener: AnyObject {
    func trainingDidStart(epochs: Int, batchesPerEpoch: Int)
    func batchDidEnd(_ progress: TrainingProgress)
    func epochDidEnd(_ result: EpochResult)
    /// Returning `true` stops training after the current epoch (early stopping).
    func shouldStop(after result: EpochResult) -> Bool
}

extension TrainingListener {
    public func trainingDidStart(epochs: Int, batchesPerEpoch: Int) {}
    public func batchDidEnd(_ progress: TrainingProgress) {}
    public func epochDidEnd(_ result: EpochResult) {}
    public func shouldStop(after result: EpochResult) -> Bool { false }
}

/// Stops when the validation loss (or the training loss without validation) has not improved by
/// `minimumDelta` for `patience` epochs.
public final class EarlyStopping: TrainingListener {
    public let patience: Int, minimumDelta: Double
    private var best = Double.infinity, waited = 0

    public init(patience: Int = 3, minimumDelta: Double = 0) {
        self.patience = patience
        self.minimumDelta = minimumDelta
    }

    public func shouldStop(after result: EpochResult) -> Bool {
        let metric = result.validationLoss ?? result.loss
        if metric < best - minimumDelta {
            best = metric
            waited = 0
            return false
        }
        waited += 1
        return waited >= patience
    }
}
