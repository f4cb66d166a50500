import DeepSwiftNN
import DeepSwiftOptim
import DeepSwiftTrain
import Foundation

extension ModelArchive {
    /// An archive of a trainer's model and optimizer, with where training stands: resuming from
    /// it continues the run exactly (the shuffle order follows `seed` and the epoch, dropout
    /// generators are part of the configuration, and the optimizer keeps its moments).
    ///
    /// ```swift
    /// try ModelArchive(trainer: trainer, finishedEpochs: 3, seed: 42).save(to: "run.dsm")
    /// let archive = try ModelArchive.load(from: "run.dsm")
    /// let resumed = try archive.trainer(loss: Losses.softmaxCrossEntropy)
    /// try resumed.fit(data, epochs: 10, batchSize: 64, seed: 42, startEpoch: archive.training!.finishedEpochs)
    /// ```
    public init(trainer: Trainer, finishedEpochs: Int, seed: UInt64, inputs: [Input] = []) {
        self.init(model: trainer.model, inputs: inputs, optimizer: trainer.optimizer)
        training = TrainingState(finishedEpochs: finishedEpochs, step: trainer.step, seed: seed)
    }

    /// A trainer over this archive's model and optimizer (an Adam with default settings when the
    /// archive has none), at the saved step.
    public func trainer(reportsAccuracy: Bool = true, loss: @escaping LossFunction) -> Trainer {
        let trainer = Trainer(model: model, optimizer: optimizer ?? Adam(model.parameters), reportsAccuracy: reportsAccuracy, loss: loss)
        trainer.step = training?.step ?? 0
        return trainer
    }
}

/// Saves a model archive after every epoch (give it to rank 0 only in data-parallel training).
///
/// ```swift
/// try trainer.fit(data, epochs: 5, batchSize: 64, seed: 42, listeners: [ArchiveWriter(path: "run.dsm", trainer: trainer, seed: 42)])
/// ```
public final class ArchiveWriter: TrainingListener {
    public let path: String
    unowned let trainer: Trainer
    let seed: UInt64
    let inputs: [ModelArchive.Input]

    public init(path: String, trainer: Trainer, seed: UInt64, inputs: [ModelArchive.Input] = []) {
        self.path = path
        self.trainer = trainer
        self.seed = seed
        self.inputs = inputs
    }

    public func epochDidEnd(_ result: EpochResult) {
        do { try ModelArchive(trainer: trainer, finishedEpochs: result.epoch + 1, seed: seed, inputs: inputs).save(to: path) } catch {
            FileHandle.standardError.write(Data("warning: could not write model archive \(path): \(error)\n".utf8))
        }
    }
}

extension ModelArchive {
    /// Copies this archive's weights, buffers, optimizer state and step into `trainer` (whose model
    /// must have the same parameter names and shapes) and returns the first epoch still to run.
    ///
    /// ```swift
    /// let next = try ModelArchive.load(from: "run.dsm").restore(into: trainer, file: "run.dsm")
    /// try trainer.fit(data, epochs: 10, batchSize: 64, seed: 42, startEpoch: next)
    /// ```
    public func restore(into trainer: Trainer, file: String) throws -> Int {
        try StateDict.assign(StateDict.tensors(of: model), to: trainer.model, file: file, strict: true)
        Self.setGenerators(Self.generators(of: model), in: trainer.model)
        if let optimizer {
            guard type(of: optimizer) == type(of: trainer.optimizer) else {
                throw ModelFileError(.badConfig, file: file, "optimizer", "the archive holds \(type(of: optimizer)), the trainer uses \(type(of: trainer.optimizer))")
            }
            let parameters = trainer.optimizer.parameters
            let state = optimizer.state
            for (key, value) in state {
                let parts = key.split(separator: ".", maxSplits: 1)
                guard parts.count == 2, let i = Int(parts[0]) else { continue }
                guard i >= 0, i < parameters.count, parameters[i].value.shape == value.shape else {
                    throw ModelFileError(.shapeMismatch, file: file, "optimizer tensor '\(key)'",
                                         "does not fit the trainer's parameter \(i) (\(i < parameters.count ? "\(parameters[i].value.shape)" : "none"))")
                }
            }
            trainer.optimizer.state = state
        }
        trainer.step = training?.step ?? trainer.step
        return training?.finishedEpochs ?? 0
    }
}
