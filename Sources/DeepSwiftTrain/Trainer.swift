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
    /// Optimizer steps taken by this trainer (restored when resuming from an archive).
    public var step = 0
    /// Synchronous data parallelism: with a communicator of several members, ``fit(_:epochs:batchSize:seed:shuffle:validation:listeners:)``
    /// starts from rank 0's parameters, gives each member its slice of every global batch (the
    /// same shuffled order everywhere), and averages the gradients over the members before each
    /// identical optimizer step. `batchSize` stays the global batch, so results do not depend on
    /// the number of members (exactly so for models without dropout or batch statistics).
    public var communicator: (any Communicator)?
    /// DL4J-style parameter averaging instead of gradient averaging: each member takes optimizer
    /// steps on its own slice alone and the members' parameters are averaged every this many steps
    /// (nil: average gradients every step, the exact default).
    public var parameterAveragingInterval: Int?
    /// How gradients are exchanged in data-parallel steps (``GradientCompression/fp16`` halves the
    /// bytes; not bit-exact).
    public var gradientCompression: GradientCompression = .none
    /// Gradient averaging of data-parallel steps, kept from step to step.
    private var averager: GradientAverager?

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
    /// `startEpoch` resumes a run (see ``Checkpoint``): epochs before it are skipped, later ones
    /// keep their shuffle order.
    public func fit(_ data: DataSet, epochs: Int, batchSize: Int, seed: UInt64 = 0, shuffle: Bool = true,
                    validation: DataSet? = nil, listeners: [any TrainingListener] = [], startEpoch: Int = 0) throws -> [EpochResult] {
        var history: [EpochResult] = []
        let distributed = (communicator?.size ?? 1) > 1 ? communicator : nil
        if let distributed {
            synchronizeParameters(distributed)
            synchronizeBuffers(distributed)
        }
        let batchesPerEpoch = (data.count + batchSize - 1) / batchSize
        for listener in listeners { listener.trainingDidStart(epochs: epochs, batchesPerEpoch: batchesPerEpoch) }
        for epoch in Swift.min(startEpoch, epochs)..<epochs {
            model.setTraining(true)
            let start = DispatchTime.now().uptimeNanoseconds
            var lossSum = 0.0, correct = 0.0, samples = 0
            let batches = data.batches(size: batchSize, shuffleSeed: shuffle ? seed : nil, epoch: epoch)
            for (index, batch) in batches.enumerated() {
                let value: Double, batchCorrect: Double
                if let distributed, let interval = parameterAveragingInterval {
                    (value, batchCorrect) = averagingStep(batch, distributed, interval: interval)
                } else if let distributed {
                    (value, batchCorrect) = distributedStep(batch, distributed)
                } else {
                    let (v, outputs) = trainStep(batch.features, batch.labels)
                    value = v
                    batchCorrect = reportsAccuracy ? accuracy(logits: outputs, labels: batch.labels) * Double(batch.count) : 0
                }
                guard value.isFinite else {
                    throw TrainingError.nonFiniteLoss(epoch: epoch, batch: index, step: step, value: value)
                }
                lossSum += value * Double(batch.count)
                correct += batchCorrect
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
            // Buffers (batch-norm statistics) follow each member's own slices; rank 0's are kept.
            if let distributed { synchronizeBuffers(distributed) }
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
        // Parameter averaging ends with one last average, so that every member holds the same model.
        if let distributed, parameterAveragingInterval != nil { averageParameters(distributed) }
        model.setTraining(false)
        return history
    }

    /// Copies rank 0's buffers (batch-norm running statistics) to every member.
    func synchronizeBuffers(_ communicator: any Communicator) {
        for (_, buffer) in model.namedBuffers where buffer.value.dtype.isFloatingPoint {
            var values = buffer.value.cast(to: .float32).scalars(as: Float.self)
            values.withUnsafeMutableBufferPointer { communicator.broadcast($0, root: 0) }
            buffer.value = Tensor(values, shape: buffer.value.shape).cast(to: buffer.value.dtype)
        }
    }

    /// Copies rank 0's parameters to every member.
    func synchronizeParameters(_ communicator: any Communicator) {
        FlatParameters.broadcast(model.parameters, over: communicator)
    }

    /// One data-parallel step on this member's slice of a global batch; returns the global mean
    /// loss and the global number of correct predictions.
    func distributedStep(_ batch: DataSet.Batch, _ communicator: any Communicator) -> (loss: Double, correct: Double) {
        let total = batch.count, slice = Self.slice(of: batch, for: communicator), count = slice?.count ?? 0
        optimizer.zeroGrad()
        let parameters = model.parameters
        if averager == nil || !averager!.matches(parameters) { averager = GradientAverager(parameters: parameters, communicator: communicator) }
        let averager = self.averager!
        averager.compression = gradientCompression
        averager.beginStep()
        // Loss and accuracy sums, reduced after the gradients (reducing them between forward and
        // backward would add a point where the members wait for each other).
        var statistics: [Float] = [0, 0]
        if let (x, y, _) = slice {
            let outputs = model(Variable(x))
            let value = loss(outputs, y)
            statistics[0] = Float(value.value.scalarValue * Double(count))
            if reportsAccuracy { statistics[1] = Float(accuracy(logits: outputs.value, labels: y) * Double(count)) }
            // The local gradient is a mean over `count` samples; weighting it by count / total makes
            // the sum over the members the global mean. The weight goes on the loss (gradients are
            // linear in it), and gradients are reduced during the backward pass as they become final.
            (value * (Double(count) / Double(total))).backward(nil) { averager.gradientReady($0) }
        }
        averager.finishStep()
        statistics.withUnsafeMutableBufferPointer { communicator.allreduceSum($0) }
        optimizer.step()
        step += 1
        return (Double(statistics[0]) / Double(total), Double(statistics[1]).rounded())
    }

    /// Parameter averaging: a local step on this member's slice; every `interval` steps the
    /// parameters are replaced by their mean over the members.
    func averagingStep(_ batch: DataSet.Batch, _ communicator: any Communicator, interval: Int) -> (loss: Double, correct: Double) {
        let total = batch.count
        var statistics: [Double] = [0, 0]
        if let (x, y, _) = Self.slice(of: batch, for: communicator) {
            let (value, outputs) = trainStep(x, y)
            let count = Double(x.shape[0])
            statistics = [value * count, reportsAccuracy ? accuracy(logits: outputs, labels: y) * count : 0]
        } else {
            step += 1
        }
        if step % Swift.max(1, interval) == 0 { averageParameters(communicator) }
        let sums = communicator.allreduceSum(statistics)
        return (sums[0] / Double(total), sums[1])
    }

    /// This member's contiguous share of a global batch (nil when the batch has fewer samples than members).
    static func slice(of batch: DataSet.Batch, for communicator: any Communicator) -> (features: Tensor, labels: Tensor, count: Int)? {
        let total = batch.count, members = communicator.size, rank = communicator.rank
        let first = total * rank / members, count = total * (rank + 1) / members - first
        guard count > 0 else { return nil }
        return (batch.features.narrowed(axis: 0, start: first, length: count).contiguous(),
                batch.labels.narrowed(axis: 0, start: first, length: count).contiguous(), count)
    }

    /// Replaces the parameters by their mean over the members.
    func averageParameters(_ communicator: any Communicator) {
        let parameters = model.parameters
        var flat = FlatParameters.gather(parameters)
        flat.withUnsafeMutableBufferPointer { communicator.allreduceSum($0) }
        let scale = 1 / Float(communicator.size)
        for i in flat.indices { flat[i] *= scale }
        FlatParameters.scatter(flat, into: parameters)
    }

    /// A checksum of the parameters on every member (equal values mean the replicas agree).
    public func parameterChecksums() -> [Double] {
        FlatParameters.checksums(model.parameters, over: communicator)
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
