import ArgumentParser
import DeepSwift
import Dispatch
import Foundation

/// `deepswift train <model>`: trains a network from the recipe book.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a network on MNIST with Adam. Models: mlp-mnist (784-512-512-10 MLP), lenet-mnist (LeNet-5).")

    @Argument(help: "The model recipe: mlp-mnist or lenet-mnist.") var model: String
    @Option(help: "Directory with the MNIST IDX files (plain or .gz). Default: DEEPSWIFT_DATA, the user cache, then ../shared/data/mnist.")
    var data: String?
    @Option(help: "Passes over the training set.") var epochs = 1
    @Option(name: .customLong("batch-size"), help: "Samples per step (default: 128 for mlp-mnist, 64 for lenet-mnist).") var batchSize: Int?
    @Option(help: "Seed for weights and shuffling.") var seed: UInt64 = 42
    @Option(help: "Learning rate (Adam).") var lr = 1e-3
    @OptionGroup var compute: ComputeOptions
    @Flag(help: "Print a JSON summary as the last line.") var json = false
    @Flag(help: "No per-batch progress output.") var quiet = false

    func run() throws {
        compute.apply()
        guard let recipe = Recipes.all.first(where: { $0.name == model }) else {
            throw ValidationError("unknown model '\(model)'; known models: \(Recipes.names.joined(separator: ", "))")
        }
        let batchSize = self.batchSize ?? recipe.defaultBatchSize
        let (train, test): (DataSet, DataSet)
        do { (train, test) = try MNIST.load(directory: data, flatten: recipe.flattensImages) } catch let error as DataError {
            throw ValidationError(error.description)
        }
        let network = recipe.make(seed)
        let optimizer = Adam(network.parameters, learningRate: lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
        let trainer = Trainer(model: network, optimizer: optimizer, loss: Recipes.crossEntropy)
        let timer = WarmupTimer()
        var listeners: [any TrainingListener] = [timer]
        if !quiet { listeners.append(ProgressReporter(interactive: json ? false : nil)) }
        print("training \(model): \(network.parameterCount) parameters, \(train.count) samples, batch \(batchSize), \(ThreadSettings.numThreads) threads")
        let history = try trainer.fit(train, epochs: epochs, batchSize: batchSize, seed: seed, listeners: listeners)
        let trainSeconds = timer.secondsAfterFirstStep
        let samples = epochs * train.count - timer.firstBatchSize
        let evaluation = trainer.evaluate(test)
        let testAccuracy = evaluation.accuracy ?? 0
        print(String(format: "test accuracy %.4f, test loss %.4f, training %.2f s (%.0f samples/s, first step excluded)",
                     testAccuracy, evaluation.loss, trainSeconds, Double(samples) / trainSeconds))
        if json {
            print(jsonLine([("model", .string(model)), ("epochs", .int(epochs)), ("batch_size", .int(batchSize)),
                            ("test_accuracy", .double4(testAccuracy)), ("train_seconds", .double(trainSeconds)),
                            ("samples_per_second", .double(Double(samples) / trainSeconds)),
                            ("final_loss", .double4(history.last?.loss ?? .nan)), ("threads", .int(ThreadSettings.numThreads))]))
        }
    }
}

/// Measures training time after the first step (the warm-up step that builds caches).
final class WarmupTimer: TrainingListener {
    private var firstStepEnd: UInt64?
    private var lastBatchEnd: UInt64 = 0
    private(set) var firstBatchSize = 0

    func batchDidEnd(_ progress: TrainingProgress) {
        let now = DispatchTime.now().uptimeNanoseconds
        if firstStepEnd == nil {
            firstStepEnd = now
            firstBatchSize = progress.samples
        }
        lastBatchEnd = now
    }

    var secondsAfterFirstStep: Double { Double(lastBatchEnd - (firstStepEnd ?? lastBatchEnd)) * 1e-9 }
}
