import ArgumentParser
import DeepSwift
import DeepSwiftDistributed
import DeepSwiftIO
import Dispatch
import Foundation

/// `deepswift train <model>`: trains a network from the recipe book.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a network with Adam. Models: mlp-mnist (784-512-512-10 MLP) and lenet-mnist (LeNet-5) on MNIST; char-lstm (character-level LSTM language model) on a text file; tabular (MLP) on a CSV file.")

    @Argument(help: "The model recipe: mlp-mnist, lenet-mnist, char-lstm or tabular.") var model: String
    @Option(help: "Directory with the MNIST IDX files (plain or .gz). Default: DEEPSWIFT_DATA, the user cache, then ../shared/data/mnist.")
    var data: String?
    @Option(help: "Passes over the training set (default: 1 for MNIST, 100 for tabular).") var epochs: Int?
    @Option(name: .customLong("batch-size"), help: "Samples per step (default: 128 for mlp-mnist, 64 for lenet-mnist).") var batchSize: Int?
    @Option(help: "Seed for weights and shuffling.") var seed: UInt64 = 42
    @Option(help: "Learning rate (Adam; default 1e-3, 1e-2 for tabular).") var lr: Double?
    @OptionGroup var compute: ComputeOptions
    @Flag(help: "Print a JSON summary as the last line.") var json = false
    @Flag(help: "No per-batch progress output.") var quiet = false
    @Option(help: "char-lstm: the training text (UTF-8).") var text: String?
    @Option(name: .customLong("seq-len"), help: "char-lstm: characters per training window.") var seqLen = 64
    @Option(help: "char-lstm: LSTM size (default 256); tabular: hidden layer sizes, comma separated (default 64,64).") var hidden: String?
    @Option(help: "char-lstm: embedding size.") var embedding = 64
    @Option(help: "char-lstm: optimizer steps (one batch of random windows each).") var steps = 1000
    @Option(help: "char-lstm: a fixed alphabet instead of the text's characters (the text must not use others).") var alphabet: String?
    @Option(help: "Where to save the trained model: mlp-mnist, lenet-mnist: a DeepSwift archive (.dsm) for predict/evaluate/summary; char-lstm, tabular: .npz.") var save: String?
    @Option(help: "tabular: the CSV file (a header row names the columns).") var csv: String?
    @Option(help: "tabular: the column to predict.") var label: String?
    @Option(help: "tabular: classification or regression.") var task: String = "classification"
    @Option(name: .customLong("test-fraction"), help: "tabular, image-folder: share of the rows (images) held out for testing.") var testFraction = 0.2
    @Option(name: .customLong("image-size"), help: "image-folder: images are resized to this height and width.") var imageSize = 64
    @Option(help: "image-folder: the network: simple-cnn, lenet (28×28 gray) or resnet18.") var network = "simple-cnn"
    @Flag(help: "image-folder: read images as one gray channel instead of RGB.") var grayscale = false
    @Flag(help: "mlp-mnist, lenet-mnist, char-lstm, tabular, image-folder: data-parallel training across the processes of `mpirun -np N` (global batch = --batch-size).")
    var distributed = false
    @Option(name: .customLong("average-every"), help: "--distributed: average parameters every N steps (DL4J's parameter averaging) instead of gradients every step.")
    var averageEvery: Int?
    @Option(help: "--distributed: exit when no batch finishes for this many seconds (a hung peer); 0 disables.") var timeout = 300.0
    @Option(name: .customLong("compress-gradients"), help: "--distributed: none (exact float32 sums) or fp16 (half the bytes, with error feedback; not bit-exact).")
    var compressGradients = "none"
    @Option(help: "mlp-mnist, lenet-mnist: write a checkpoint after every epoch (rank 0): a model archive for a .dsm path, else .npz.") var checkpoint: String?
    @Option(help: "mlp-mnist, lenet-mnist: continue from a checkpoint or model archive (on any number of ranks).") var resume: String?

    func run() throws {
        compute.apply()
        if model == "char-lstm" { return try trainCharLSTM() }
        if model == "tabular" { return try trainTabular() }
        if model == "image-folder" { return try trainImageFolder() }
        let epochs = self.epochs ?? 1, lr = self.lr ?? 1e-3
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
        let (ranks, isRoot) = try joinDistributed(trainer)
        // Only rank 0 talks.
        func say(_ text: @autoclosure () -> String) { if isRoot { print(text()) } }
        var startEpoch = 0
        if let resume {
            do {
                if (try? ModelFiles.format(of: resume)) == .native {
                    startEpoch = try ModelArchive.load(from: resume).restore(into: trainer, file: resume)
                } else {
                    startEpoch = try Checkpoint.restore(from: resume, into: trainer)
                }
            } catch let error as DataError {
                throw ValidationError(error.description)
            } catch let error as ModelFileError {
                throw ValidationError(error.description)
            }
            say("resuming from \(resume): \(startEpoch) of \(epochs) epochs done")
        }
        let timer = WarmupTimer()
        var listeners: [any TrainingListener] = [timer]
        if !quiet && isRoot { listeners.append(ProgressReporter(interactive: json ? false : nil)) }
        if let checkpoint, isRoot {
            // A .dsm path gets a model archive (usable by predict/evaluate too), anything else an .npz checkpoint.
            listeners.append(checkpoint.hasSuffix(".dsm")
                ? ArchiveWriter(path: checkpoint, trainer: trainer, seed: seed, inputs: [ModelArchive.Input(name: "image", shape: recipe.flattensImages ? [784] : [1, 28, 28])])
                : CheckpointWriter(path: checkpoint, trainer: trainer, startEpoch: startEpoch))
        }
        var watchdog: Watchdog? = nil
        if distributed && timeout > 0, let world = trainer.communicator {
            watchdog = Watchdog(seconds: timeout, label: "rank \(world.rank)")
            listeners.append(watchdog!)
        }
        defer { watchdog?.stop() }
        say("training \(model): \(network.parameterCount) parameters, \(train.count) samples, batch \(batchSize), \(ThreadSettings.numThreads) threads"
            + (ranks > 1 ? " × \(ranks) ranks" : ""))
        let history = try trainer.fit(train, epochs: epochs, batchSize: batchSize, seed: seed, listeners: listeners, startEpoch: startEpoch)
        let trainSeconds = timer.secondsAfterFirstStep
        let samples = Swift.max(0, epochs - startEpoch) * train.count - timer.firstBatchSize
        if ranks > 1 {
            try checkReplicas(trainer.parameterChecksums())
        }
        guard isRoot else { return }
        if let save {
            let input = ModelArchive.Input(name: "image", shape: recipe.flattensImages ? [784] : [1, 28, 28])
            do { try ModelArchive(trainer: trainer, finishedEpochs: epochs, seed: seed, inputs: [input]).save(to: save) } catch let error as ModelFileError {
                throw ValidationError(error.description)
            }
            print("saved \(save)")
        }
        let evaluation = trainer.evaluate(test)
        let testAccuracy = evaluation.accuracy ?? 0
        print(String(format: "test accuracy %.4f, test loss %.4f, training %.2f s (%.0f samples/s, first step excluded)",
                     testAccuracy, evaluation.loss, trainSeconds, Double(samples) / trainSeconds))
        if json {
            var fields: [(String, JSONValue)] = [("model", .string(model)), ("epochs", .int(epochs)), ("batch_size", .int(batchSize)),
                                                 ("test_accuracy", .double4(testAccuracy)), ("train_seconds", .double(trainSeconds)),
                                                 ("samples_per_second", .double(Double(samples) / trainSeconds)),
                                                 ("final_loss", .double4(history.last?.loss ?? .nan)), ("threads", .int(ThreadSettings.numThreads))]
            if distributed { fields.append(("ranks", .int(ranks))) }
            print(jsonLine(fields))
        }
    }
}

extension TrainCommand {
    /// With `--distributed`: joins the MPI job, gives `trainer` the communicator and sets the
    /// threads per rank (cores / ranks unless given). Returns the number of ranks and whether this
    /// process is rank 0 (the one that reports).
    func joinDistributed(_ trainer: Trainer) throws -> (ranks: Int, isRoot: Bool) {
        guard distributed else { return (1, true) }
        let (world, compression) = try joinMPI()
        trainer.communicator = world
        trainer.gradientCompression = compression
        if let averageEvery {
            guard averageEvery > 0 else { throw ValidationError("--average-every must be positive, got \(averageEvery)") }
            trainer.parameterAveragingInterval = averageEvery
        }
        return (world.size, world.rank == 0)
    }

    /// Joins the MPI job, sets the threads per rank (cores / ranks unless given) and reads
    /// `--compress-gradients`.
    func joinMPI() throws -> (MPICommunicator, GradientCompression) {
        guard let compression = GradientCompression(rawValue: compressGradients) else {
            throw ValidationError("--compress-gradients must be none or fp16, got '\(compressGradients)'")
        }
        let world = try MPICommunicator()
        if compute.threads == nil && ProcessInfo.processInfo.environment["DEEPSWIFT_NUM_THREADS"] == nil {
            ThreadSettings.numThreads = Swift.max(1, ThreadSettings.availableCores / world.size)
        }
        return (world, compression)
    }

    /// Stops with an error when the replicas' parameter checksums differ.
    func checkReplicas(_ sums: [Double]) throws {
        if sums.contains(where: { $0 != sums[0] }) {
            throw ValidationError("the ranks' parameters differ after training (checksums \(sums)); the replicas diverged")
        }
    }

    func trainCharLSTM() throws {
        guard let path = text else { throw ValidationError("char-lstm needs --text FILE (a UTF-8 text to learn)") }
        let corpus: String
        do { corpus = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ValidationError("cannot read \(path) as UTF-8 text: \(error.localizedDescription)")
        }
        guard let hidden = Int(self.hidden ?? "256") else { throw ValidationError("--hidden must be one number for char-lstm, got \(self.hidden!)") }
        guard seqLen > 0, hidden > 0, embedding > 0, steps > 0 else { throw ValidationError("--seq-len, --hidden, --embedding and --steps must be positive") }
        let batchSize = self.batchSize ?? 32
        let vocabulary = alphabet.map { CharacterVocabulary(characters: Array($0)) } ?? CharacterVocabulary(text: corpus)
        let ids: [Int]
        do { ids = try vocabulary.encode(corpus) } catch let error as CharacterModelError { throw ValidationError("\(path): \(error)") }
        guard ids.count > seqLen else {
            throw ValidationError("\(path): \(CharacterModelError.textTooShort(characters: ids.count, needed: seqLen + 1))")
        }
        let network = CharacterLanguageModel(vocabulary: vocabulary, embedding: embedding, hidden: hidden, seed: seed)
        let optimizer = Adam(network.parameters, learningRate: lr ?? 1e-3)
        var rng = PhiloxGenerator(seed: seed &+ 1)
        // --distributed: every rank draws the same windows and trains on its share of the rows.
        var averager: GradientAverager? = nil, ranks = 1, isRoot = true
        if distributed {
            guard averageEvery == nil else { throw ValidationError("char-lstm averages gradients every step; --average-every is not supported") }
            let (world, compression) = try joinMPI()
            network.synchronizeParameters(world)
            averager = GradientAverager(parameters: network.parameters, communicator: world)
            averager!.compression = compression
            (ranks, isRoot) = (world.size, world.rank == 0)
        }
        func say(_ text: @autoclosure () -> String) { if isRoot { print(text()) } }
        var watchdog: Watchdog? = nil
        if distributed && timeout > 0 { watchdog = Watchdog(seconds: timeout, label: "rank \(averager!.communicator.rank)") }
        defer { watchdog?.stop() }
        say("training char-lstm: \(network.parameters.reduce(0) { $0 + $1.value.count }) parameters, \(ids.count) characters, "
            + "vocabulary \(vocabulary.count), batch \(batchSize) × \(seqLen), \(ThreadSettings.numThreads) threads"
            + (ranks > 1 ? " × \(ranks) ranks" : ""))
        var losses: [Double] = []
        var start = DispatchTime.now().uptimeNanoseconds
        for step in 1...steps {
            let windows = network.randomWindows(ids, count: batchSize, length: seqLen, using: &rng)
            if let averager {
                losses.append(network.trainStep(windows: windows, optimizer: optimizer, averager: averager))
            } else {
                losses.append(network.trainStep(windows: windows, optimizer: optimizer))
            }
            watchdog?.alive()
            if step == 1 { start = DispatchTime.now().uptimeNanoseconds }   // the first step builds caches
            if !quiet && (step % 100 == 0 || step == steps) {
                say(String(format: "step %d/%d  loss %.4f", step, steps, losses.suffix(100).reduce(0, +) / Double(losses.suffix(100).count)))
            }
        }
        if let world = averager?.communicator { try checkReplicas(FlatParameters.checksums(network.parameters, over: world)) }
        guard isRoot else { return }
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
                            ("final_loss", .double4(finalLoss)), ("threads", .int(ThreadSettings.numThreads))]
                           + (distributed ? [("ranks", .int(ranks))] : [])))
        }
    }
}

extension TrainCommand {
    /// `deepswift train tabular`: CSV → inferred types → one-hot categoricals, standardized
    /// numbers → MLP → accuracy or RMSE on a held-out split.
    func trainTabular() throws {
        guard let csv else { throw ValidationError("tabular needs --csv FILE (a CSV file with a header row)") }
        guard let label else { throw ValidationError("tabular needs --label COLUMN (the column to predict)") }
        guard let task = TabularTask(rawValue: task) else { throw ValidationError("--task must be classification or regression, got \(self.task)") }
        guard testFraction > 0 && testFraction < 1 else { throw ValidationError("--test-fraction must be between 0 and 1, got \(testFraction)") }
        let epochs = self.epochs ?? 100, lr = self.lr ?? 1e-2, batchSize = self.batchSize ?? 32
        let data: TabularData
        do { data = try TabularData(CSV.read(csv)) } catch let error as DataError { throw ValidationError(error.description) }
        // Default width: one small hidden layer for small tables (less to overfit: on Iris it
        // averages 96.7% over ten splits against 95.7% for 64,64), two layers of 64 from 1000 rows.
        let sizes = (hidden ?? (data.rowCount < 1000 ? "16" : "64,64")).split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { throw ValidationError("--hidden must be positive sizes separated by commas, got \(hidden!)") }
        guard data.names.contains(label) else { throw ValidationError("\(csv): no column '\(label)'; columns: \(data.names.joined(separator: ", "))") }
        // Split the rows first (stratified by the label for classification), then fit on the training rows only.
        let (trainRows, testRows) = try data.splitRows(testFraction: testFraction, seed: seed, stratifyBy: task == .classification ? label : nil)
        let (pipeline, train): (TabularPipeline, DataSet)
        let test: DataSet
        do {
            (pipeline, train) = try TabularPipeline.fit(data.rows(trainRows), label: label, task: task)
            test = try pipeline.apply(data.rows(testRows))
        } catch let error as DataError { throw ValidationError(error.description) }
        let outputs = task == .classification ? pipeline.classes!.count : 1
        let network = TabularModel.network(inputs: pipeline.featureNames.count, hidden: sizes.map { $0! }, outputs: outputs, seed: seed)
        let optimizer = Adam(network.parameters, learningRate: lr)
        let classification = task == .classification
        let loss: LossFunction = { (logits: Variable, target: Tensor) -> Variable in
            classification ? Recipes.crossEntropy(logits, target) : Losses.meanSquaredError(logits.reshaped([-1]), target)
        }
        let trainer = Trainer(model: network, optimizer: optimizer, reportsAccuracy: task == .classification, loss: loss)
        let (ranks, isRoot) = try joinDistributed(trainer)
        guard isRoot else {
            _ = try trainer.fit(train, epochs: epochs, batchSize: batchSize, seed: seed)
            return
        }
        print("training tabular \(task.rawValue): \(data.rowCount) rows (\(train.count) train, \(test.count) test), "
              + "\(pipeline.featureNames.count) features, \(outputs) outputs, \(network.parameterCount) parameters")
        _ = try trainer.fit(train, epochs: epochs, batchSize: batchSize, seed: seed, listeners: quiet || json ? [] : [ProgressReporter(interactive: false)])
        let predictions = network.predict(test.features)
        var fields: [(String, JSONValue)] = [("model", .string("tabular")), ("task", .string(task.rawValue)), ("rows", .int(data.rowCount))]
        if distributed { fields.append(("ranks", .int(ranks))) }
        if task == .classification {
            let acc = accuracy(logits: predictions, labels: test.labels)
            print(String(format: "test accuracy %.4f on %d rows", acc, test.count))
            fields.append(("test_accuracy", .double4(acc)))
        } else {
            let target = pipeline.target!
            let predicted = target.inverse(predictions.reshaped([-1, 1]).cast(to: .float64)).reshaped([-1])
            let actual = target.inverse(test.labels.reshaped([-1, 1]).cast(to: .float64)).reshaped([-1])
            let rmse = ((predicted - actual).squared().mean().item(as: Double.self)).squareRoot()
            print(String(format: "test RMSE %.4f on %d rows", rmse, test.count))
            fields.append(("test_rmse", .double4(rmse)))
        }
        if let save {
            var arrays: [String: Tensor] = [:]
            for (name, p) in network.namedParameters { arrays["param." + name] = p.value }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let pipelineJSON = try encoder.encode(pipeline)
            arrays["pipeline.json"] = Tensor(Array(pipelineJSON), shape: [pipelineJSON.count])
            arrays["hidden"] = Tensor(sizes.map { Int64($0!) }, shape: [sizes.count])
            try NumPy.saveArchive(arrays, to: save)
            print("saved \(save)")
        }
        if json { print(jsonLine(fields)) }
    }
}

extension TrainCommand {
    /// `deepswift train image-folder`: images in class subfolders → resized, scaled to [0, 1],
    /// standardized per channel → a zoo CNN → accuracy on a stratified held-out split.
    func trainImageFolder() throws {
        guard let data else { throw ValidationError("image-folder needs --data DIR (one subfolder of .png/.jpg images per class)") }
        guard imageSize >= 8 else { throw ValidationError("--image-size must be at least 8, got \(imageSize)") }
        let folder: ImageFolder
        let all: DataSet
        let loadStart = DispatchTime.now().uptimeNanoseconds
        do {
            folder = try ImageFolder(data)
            all = try folder.load(height: imageSize, width: imageSize, channels: grayscale ? 1 : 3)
        } catch let error as DataError { throw ValidationError(error.description) }
        let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) * 1e-9
        let parts = all.split([1 - testFraction, testFraction], seed: seed, stratified: true)
        let normalizer = Normalizer.standardize(fitting: parts[0].features)
        let train = DataSet(features: normalizer.transform(parts[0].features), labels: parts[0].labels)
        let test = DataSet(features: normalizer.transform(parts[1].features), labels: parts[1].labels)
        let channels = grayscale ? 1 : 3, classes = folder.classes.count
        let model: Sequential
        switch network {
        case "simple-cnn":
            // Any image size: two conv/pool stages, then global average pooling.
            var rng = PhiloxGenerator(seed: seed)
            model = Sequential {
                Conv2D(channels, 32, kernel: (3, 3), padding: .same, activation: .relu, using: &rng)
                MaxPool2D(kernel: (2, 2))
                Conv2D(32, 64, kernel: (3, 3), padding: .same, activation: .relu, using: &rng)
                MaxPool2D(kernel: (2, 2))
                GlobalAveragePool2D()
                Dense(64, classes, using: &rng)
            }
        case "lenet":
            guard channels == 1 && imageSize == 28 else { throw ValidationError("lenet takes 28×28 gray images: add --grayscale --image-size 28") }
            model = ModelZoo.make("lenet", classes: classes, seed: seed)!
        case "resnet18":
            guard channels == 3 else { throw ValidationError("resnet18 takes RGB images; drop --grayscale") }
            model = ModelZoo.make("resnet18", classes: classes, seed: seed)!
        default: throw ValidationError("--network must be simple-cnn, lenet or resnet18, got \(network)")
        }
        let trainer = Trainer(model: model, optimizer: Adam(model.parameters, learningRate: lr ?? 1e-3), loss: Recipes.crossEntropy)
        let (ranks, isRoot) = try joinDistributed(trainer)
        guard isRoot else {
            _ = try trainer.fit(train, epochs: self.epochs ?? 5, batchSize: batchSize ?? 32, seed: seed)
            return
        }
        print("training \(network) on \(folder.files.count) images of \(folder.classes.count) classes (\(train.count) train, \(test.count) test), "
              + "\(imageSize)×\(imageSize)\(grayscale ? " gray" : " RGB"), \(model.parameterCount) parameters")
        let timer = WarmupTimer()
        var listeners: [any TrainingListener] = [timer]
        if !quiet { listeners.append(ProgressReporter(interactive: json ? false : nil)) }
        let epochs = self.epochs ?? 5
        _ = try trainer.fit(train, epochs: epochs, batchSize: batchSize ?? 32, seed: seed, listeners: listeners)
        let evaluation = trainer.evaluate(test)
        print(String(format: "test accuracy %.4f on %d images", evaluation.accuracy ?? 0, test.count))
        if let save {
            var arrays: [String: Tensor] = [:]
            for (name, p) in model.namedParameters { arrays["param." + name] = p.value }
            let normalizerJSON = try JSONEncoder().encode(normalizer)
            arrays["normalizer.json"] = Tensor(Array(normalizerJSON), shape: [normalizerJSON.count])
            try NumPy.saveArchive(arrays, to: save)
            print("saved \(save)")
        }
        if json {
            print(jsonLine([("model", .string("image-folder")), ("network", .string(network)), ("images", .int(folder.files.count)),
                            ("ranks", .int(ranks)),
                            ("epochs", .int(epochs)), ("test_accuracy", .double4(evaluation.accuracy ?? 0)),
                            ("load_seconds", .double(loadSeconds)), ("train_seconds", .double(timer.secondsAfterFirstStep)),
                            ("samples_per_second", .double(Double(epochs * train.count - timer.firstBatchSize) / timer.secondsAfterFirstStep)),
                            ("threads", .int(ThreadSettings.numThreads))]))
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
