import DeepSwiftAutodiff
import DeepSwiftData
import DeepSwiftNN
import DeepSwiftOptim
import DeepSwiftTensor
import Foundation

/// A training checkpoint: the model's parameters and buffers (by dotted name), the optimizer's state and the
/// number of finished epochs, in one `.npz` file written atomically. Resuming restores all three,
/// so training continues with the same shuffle order and optimizer moments — also on a different
/// number of data-parallel ranks (the global batch does not depend on it).
///
/// ```swift
/// try fit(..., listeners: [CheckpointWriter(path: "run.ckpt.npz", trainer: trainer)])
/// let next = try Checkpoint.restore(from: "run.ckpt.npz", into: trainer)   // first epoch to run
/// try trainer.fit(data, epochs: total, batchSize: 64, seed: 42, startEpoch: next)
/// ```
public enum Checkpoint {
    public static func save(_ trainer: Trainer, finishedEpochs: Int, to path: String) throws {
        var arrays: [String: Tensor] = ["epochs": Tensor([Int64(finishedEpochs)])]
        for (name, p) in trainer.model.namedParameters { arrays["param." + name] = p.value }
        for (name, b) in trainer.model.namedBuffers { arrays["buffer." + name] = b.value }
        for (key, value) in trainer.optimizer.state { arrays["optim." + key] = value }
        try NumPy.saveArchive(arrays, to: path)
    }

    /// Loads a checkpoint into `trainer` and returns the first epoch still to run. A file that does
    /// not fit the model (missing parameter, other shape) is an error naming the entry.
    public static func restore(from path: String, into trainer: Trainer) throws -> Int {
        let arrays = try NumPy.loadArchive(path)
        guard let epochs = arrays["epochs"], epochs.count == 1, epochs.dtype == .int64 else {
            throw DataError.badHeader(file: path, field: "epochs", expected: "one int64", actual: arrays["epochs"].map { "\($0.dtype) \($0.shape)" } ?? "missing")
        }
        /// The checkpoint's value for `name`, checked against the current one.
        func stored(_ kind: String, _ prefix: String, _ name: String, like current: Tensor) throws -> Tensor {
            guard let value = arrays[prefix + name] else {
                throw DataError.mismatch(file: path, field: "\(kind) '\(name)'", expected: "present", actual: "missing")
            }
            guard value.shape == current.shape else {
                throw DataError.mismatch(file: path, field: "shape of \(kind) '\(name)'", expected: "\(current.shape)", actual: "\(value.shape)")
            }
            return value.cast(to: current.dtype)
        }
        for (name, p) in trainer.model.namedParameters { p.value = try stored("parameter", "param.", name, like: p.value) }
        for (name, b) in trainer.model.namedBuffers { b.value = try stored("buffer", "buffer.", name, like: b.value) }
        var state: [String: Tensor] = [:]
        for (key, value) in arrays where key.hasPrefix("optim.") { state[String(key.dropFirst(6))] = value }
        if !state.isEmpty { trainer.optimizer.state = state }
        return Int(epochs.scalars(as: Int64.self)[0])
    }
}

/// Writes a checkpoint after every epoch (give it to rank 0 only in data-parallel training).
public final class CheckpointWriter: TrainingListener {
    public let path: String
    unowned let trainer: Trainer
    private var finished: Int

    /// `startEpoch`: the epochs finished before this run (when resuming).
    public init(path: String, trainer: Trainer, startEpoch: Int = 0) {
        self.path = path
        self.trainer = trainer
        finished = startEpoch
    }

    public func epochDidEnd(_ result: EpochResult) {
        finished = result.epoch + 1
        do { try Checkpoint.save(trainer, finishedEpochs: finished, to: path) } catch {
            FileHandle.standardError.write(Data("warning: could not write checkpoint \(path): \(error)\n".utf8))
        }
    }
}
