import ArgumentParser
import DeepSwift
import Dispatch
import Foundation

/// `deepswift train <model>`: trains a network from the recipe book.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a network with Adam. Models: mlp-mnist (784-512-512-10 MLP) and lenet-mnist (LeNet-5) on MNIST; char-lstm (character-level LSTM language model) on a text file.")

    @Argument(help: "The model recipe: mlp-mnist, lenet-mnist or char-lstm.") var model: String
    @Option(help: "Directory with the MNIST IDX files (plain or .gz). Default: DEEPSWIFT_DATA, the user cache, then ../shared/data/mnist.")
    var data: String?
    @Option(help: "Passes over the training set.") var epochs = 1
    @Option(name: .customLong("batch-size"), help: "Samples per step (default: 128 for mlp-mnist, 64 for lenet-mnist).") var batchSize: Int?
    @Option(help: "Seed for weights and shuffling.") var seed: UInt64 = 42
    @Option(help: "Learning rate (Adam).") var lr = 1e-3
    @OptionGroup var compute: ComputeOptions
    @Flag(help: "Print a JSON summary as the last line.") var json = false
    @Flag(help: "No per-batch progress output.") var quiet = false
    @Option(help: "char-lstm: the training text (UTF-8).") var text: String?
    @Option(name: .customLong("seq-len"), help: "char-lstm: characters per training window.") var seqLen = 64
    @Option(help: "char-lstm: LSTM size.") var hidden = 256
    @Option(help: "char-lstm: embedding size.") var embedding = 64
    @Option(help: "char-lstm: optimizer steps (one batch of random windows each).") var steps = 1000
    @Option(help: "char-lstm: a fixed alphabet instead of the text's characters (the text must not use others).") var alphabet: String?
    @Option(help: "char-lstm: where to save the trained model (.npz).") var save: String?

    func run() throws {
        compute.apply()
        if model == "char-lstm" { return try trainCharLSTM() }
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

extension TrainCommand {
    func trainCharLSTM() throws {
        guard let path = text else { throw ValidationError("char-lstm needs --text FILE (a UTF-8 text to learn)") }
        let corpus: String
        do { corpus = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ValidationError("cannot read \(path) as UTF-8 text: \(error.localizedDescription)")
        }
        guard seqLen > 0, hidden > 0, embedding > 0, steps > 0 else { throw ValidationError("--seq-len, --hidden, --embedding and --steps must be positive") }
        let batchSize = self.batchSize ?? 32
        let vocabulary = alphabet.map { CharacterVocabulary(characters: Array($0)) } ?? CharacterVocabulary(text: corpus)
        let ids: [Int]
        do { ids = try vocabulary.encode(corpus) } catch let error as CharacterModelError { throw ValidationError("\(path): \(error)") }
        guard ids.count > seqLen else {
            throw ValidationError("\(path): \(CharacterModelError.textTooShort(characters: ids.count, needed: seqLen + 1))")
        }
        let network = CharacterLanguageModel(vocabulary: vocabulary, embedding: embedding, hidden: hidden, seed: seed)
        let optimizer = Adam(network.parameters, learningRate: lr)
        var rng = PhiloxGenerator(seed: seed &+ 1)
        print("training char-lstm: \(network.parameters.reduce(0) { $0 + $1.value.count }) parameters, \(ids.count) characters, "
              + "vocabulary \(vocabulary.count), batch \(batchSize) × \(seqLen), \(ThreadSettings.numThreads) threads")
        var losses: [Double] = []
        var start = DispatchTime.now().uptimeNanoseconds
        for step in 1...steps {
            let windows = network.randomWindows(ids, count: batchSize, length: seqLen, using: &rng)
            losses.append(network.trainStep(windows: windows, optimizer: optimizer))
            if step == 1 { start = DispatchTime.now().uptimeNanoseconds }   // the first step builds caches
            if !quiet && (step % 100 == 0 || step == steps) {
                print(String(format: "step %d/%d  loss %.4f", step, steps, losses.suffix(100).reduce(0, +) / Double(losses.suffix(100).count)))
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let rate = steps > 1 ? Double(steps - 1) / seconds : .nan
        let recent = losses.suffix(Swift.max(1, Swift.min(10, losses.count)))
        let finalLoss = recent.reduce(0, +) / Double(recent.count)
        if let save {
            try network.save(to: save)
            print("saved \(save)")
        }
        print(String(format: "%.2f steps/s (first step excluded), final loss %.4f (mean of the last %d steps)", rate, finalLoss, recent.count))
        if json {
            print(jsonLine([("model", .string("char-lstm")), ("steps", .int(steps)), ("steps_per_second", .double(rate)),
                            ("final_loss", .double4(finalLoss)), ("threads", .int(ThreadSettings.numThreads))]))
        }
    }
}

/// `deepswift generate`: continues a text with a saved character model.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Generate text with a model saved by `deepswift train char-lstm --save`.")
    @Option(help: "The saved model (.npz).") var model: String
    @Option(help: "Text to start from.") var prime = ""
    @Option(help: "Characters to generate.") var length = 200
    @Option(help: "Sampling temperature (0 = always the most likely character).") var temperature = 1.0
    @Option(help: "Seed for sampling.") var seed: UInt64 = 42
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        compute.apply()
        guard length >= 0, temperature >= 0 else { throw ValidationError("--length and --temperature must not be negative") }
        let network: CharacterLanguageModel
        do { network = try CharacterLanguageModel.load(from: model) } catch let error as CharacterModelError {
            throw ValidationError(error.description)
        } catch {
            throw ValidationError("\(model): \(error)")
        }
        var rng = PhiloxGenerator(seed: seed)
        do {
            print(try network.generate(prime: prime, length: length, temperature: temperature, using: &rng))
        } catch let error as CharacterModelError {
            throw ValidationError("--prime: \(error)")
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
