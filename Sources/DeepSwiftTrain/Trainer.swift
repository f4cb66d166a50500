import DeepSwiftAutodiff
import DeepSwiftData
import DeepSwiftNN
import DeepSwiftOptim
import DeepSwiftTensor
import Dispatch

/// Errors that stop training.
public enum TrainingError: Error, CustomStringConvertible {
    /// The loss became NaN or infinite.
    case nonFiniteLoss(epoch: Int, batch: Int, step: Int, value: Double)

    public var description: String {
        switch self {
        case .nonFiniteLoss(let epoch, let batch, let step, let value):
            return "training stopped: the loss is \(value) at step \(step) (epoch \(epoch + 1), batch \(batch + 1)); "
                + "lower the learning rate, check the inputs for NaN/Inf, or clip gradients"
        }
    }
}

/// The loss of a batch: model outputs and labels → a scalar ``Variable``.
public typealias LossFunction = (Variable, Tensor) -> Variable

/// Classification accuracy of logits `[N, C]` against integer labels `[N]`.
public func accuracy(logits: Tensor, labels: Tensor) -> Double {
    let predicted = logits.argmax(axis: -1)
    return (predicted .== labels.cast(to: .int64)).cast(to: .float64).mean().scalarValue
}

/// The training loop: `fit`, `evaluate` and `predict` for a model, an optimizer and a loss.
///
/// ```swift
/// let trainer = Trainer(model: model, optimizer: Adam(model.parameters, learningRate: 1e-3)) {
///     Losses.softmaxCrossEntropy(logits: $0, labels: $1)
/// }
/// let history = try trainer.fit(train, epochs: 1, batchSize: 128, seed: 42, validation: test,
///                               listeners: [ProgressReporter()])
/// print(trainer.evaluate(test).accuracy)
/// ```
public final class Trainer {
    public let model: any Layer
    public let optimizer: any Optimizer
    public let loss: LossFunction
    /// Whether to report classification accuracy (labels are class indices).
    public var reportsAccuracy: Bool
    /// Steps taken since the trainer was made.
    public private(set) var step = 0

    public init(model: any Layer, optimizer: any Optimizer, reportsAccuracy: Bool = true, loss: @escaping LossFunction) {
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.reportsAccuracy = reportsAccuracy
    }

    /// One optimization step on a batch; returns the loss and the model's outputs.
    @discardableResult
    public func trainStep(_ features: Tensor, _ labels: Tensor) -> (loss: Double, outputs: Tensor) {
        optimizer.zeroGrad()
        let outputs = model(Variable(features))
        let value = loss(outputs, labels)
        value.backward()
        optimizer.step()
        step += 1
        return (value.value.scalarValue, outputs.value)
    }

    /// Trains for `epochs` passes over `data`, shuffled each epoch from `seed`.
    /// Throws ``TrainingError/nonFiniteLoss(epoch:batch:step:value:)`` if the loss becomes NaN or infinite.
    @discardableResult
    public func fit(_ data: DataSet, epochs: Int, batchSize: Int, seed: UInt64 = 0, shuffle: Bool = true,
                    validation: DataSet? = nil, listeners: [any TrainingListener] = []) throws -> [EpochResult] {
        var history: [EpochResult] = []
        let batchesPerEpoch = (data.count + batchSize - 1) / batchSize
        for listener in listeners { listener.trainingDidStart(epochs: epochs, batchesPerEpoch: batchesPerEpoch) }
        for epoch in 0..<epochs {
            model.setTraining(true)
            let start = DispatchTime.now().uptimeNanoseconds
            var lossSum = 0.0, correct = 0.0, samples = 0
            let batches = data.batches(size: batchSize, shuffleSeed: shuffle ? seed : nil, epoch: epoch)
            for (index, batch) in batches.enumerated() {
                let (value, outputs) = trainStep(batch.features, batch.labels)
                guard value.isFinite else {
                    throw TrainingError.nonFiniteLoss(epoch: epoch, batch: index, step: step, value: value)
                }
                lossSum += value * Double(batch.count)
                if reportsAccuracy { correct += accuracy(logits: outputs, labels: batch.labels) * Double(batch.count) }
                samples += batch.count
                if !listeners.isEmpty {
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                    let progress = TrainingProgress(epoch: epoch, epochs: epochs, batch: index, batchesPerEpoch: batches.count,
                                                    step: step, loss: lossSum / Double(samples),
                                                    accuracy: reportsAccuracy ? correct / Double(samples) : nil,
                                                    samples: samples, seconds: seconds)
                    for listener in listeners { listener.batchDidEnd(progress) }
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            var result = EpochResult(epoch: epoch, loss: lossSum / Double(Swift.max(samples, 1)),
                                     accuracy: reportsAccuracy ? correct / Double(Swift.max(samples, 1)) : nil,
                                     seconds: seconds, samplesPerSecond: Double(samples) / Swift.max(seconds, 1e-9))
            if let validation {
                let evaluation = evaluate(validation, batchSize: Swift.max(batchSize, 256))
                result.validationLoss = evaluation.loss
                result.validationAccuracy = evaluation.accuracy
            }
            history.append(result)
            for listener in listeners { listener.epochDidEnd(result) }
            if listeners.contains(where: { $0.shouldStop(after: result) }) { break }
        }
        model.setTraining(false)
        return history
    }

    /// Mean loss (and accuracy) over `data`, in inference mode, without recording gradients.
    public func evaluate(_ data: DataSet, batchSize: Int = 256) -> (loss: Double, accuracy: Double?) {
        let wasTraining = model.isTraining
        model.setTraining(false)
        defer { model.setTraining(wasTraining) }
        var lossSum = 0.0, correct = 0.0
        Gradients.withoutRecording {
            for batch in data.batches(size: batchSize) {
                let outputs = model(Variable(batch.features))
                lossSum += loss(outputs, batch.labels).value.scalarValue * Double(batch.count)
                if reportsAccuracy { correct += accuracy(logits: outputs.value, labels: batch.labels) * Double(batch.count) }
            }
        }
        let n = Double(Swift.max(data.count, 1))
        return (lossSum / n, reportsAccuracy ? correct / n : nil)
    }

    /// The model's outputs for `features`, computed in batches, in inference mode.
    public func predict(_ features: Tensor, batchSize: Int = 256) -> Tensor {
        let wasTraining = model.isTraining
        model.setTraining(false)
        defer { model.setTraining(wasTraining) }
        let n = features.shape[0]
        var parts: [Tensor] = []
        var start = 0
        while start < n {
            let length = Swift.min(batchSize, n - start)
            parts.append(model.predict(features.narrowed(axis: 0, start: start, length: length)))
            start += length
        }
        return parts.count == 1 ? parts[0] : Tensor.concat(parts, axis: 0)
    }
}
