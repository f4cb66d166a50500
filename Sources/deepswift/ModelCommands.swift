import ArgumentParser
import DeepSwift
import DeepSwiftIO
import DeepSwiftKeras
import DeepSwiftONNX
import Foundation

/// `deepswift import keras|onnx FILE -o OUT`: converts a model to a DeepSwift archive.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert a Keras (.keras, .h5) or ONNX model into a DeepSwift model archive (.dsm).")

    @Argument(help: "The source framework: keras or onnx.") var framework: String
    @Argument(help: "The model file.") var file: String
    @Option(name: .shortAndLong, help: "Where to write the DeepSwift archive.") var output: String
    @Flag(help: "Print a JSON summary as the last line.") var json = false

    func run() throws {
        let start = Date()
        let archive: ModelArchive
        do {
            switch framework {
            case "keras": archive = try KerasImporter.load(file)
            case "onnx": archive = try ONNXImporter.load(file)
            default: throw ValidationError("unknown framework '\(framework)'; expected keras or onnx")
            }
            try archive.save(to: output)
        } catch let error as ModelFileError { throw ValidationError(error.description) }
        let seconds = Date().timeIntervalSince(start)
        print("imported \(file) (\(framework)): \(archive.model.parameterCount) parameters, inputs \(archive.inputs.map { "\($0.name) \($0.shape)" }.joined(separator: ", ")) → \(output)")
        if json {
            print(jsonLine([("source", .string(file)), ("framework", .string(framework)), ("output", .string(output)),
                            ("parameters", .int(archive.model.parameterCount)), ("seconds", .double(seconds))]))
        }
    }
}

/// `deepswift summary FILE|zoo:NAME`.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print a model's layers, output shapes and parameter counts: a model file (DeepSwift archive, Keras .keras/.h5, ONNX; recognised by content) or zoo:NAME ("
            + ModelZoo.names.map { "zoo:" + $0 }.joined(separator: ", ") + ").")

    @Argument(help: "A model file or zoo:NAME.") var model: String
    @Option(help: "zoo: number of classes (default: the model's usual).") var classes: Int?
    @Option(name: .customLong("image-size"), help: "zoo: input height and width (default: the model's usual).") var imageSize: Int?
    @OptionGroup var compute: ComputeOptions
    @Flag(help: "Print a JSON summary as the last line.") var json = false

    func run() throws {
        compute.apply()
        if model.hasPrefix("zoo:") {
            guard let network = ModelZoo.make(String(model.dropFirst(4)), classes: classes) else {
                throw ValidationError("unknown model '\(model)'; known models: \(ModelZoo.names.map { "zoo:" + $0 }.joined(separator: ", "))")
            }
            var sample = ModelZoo.inputShape(String(model.dropFirst(4)))
            if let imageSize { sample = [sample[0], imageSize, imageSize] }
            print(network.summary(inputShape: [1] + sample))
            if json { print(jsonLine([("model", .string(model)), ("parameters", .int(network.parameterCount))])) }
            return
        }
        let (archive, format): (ModelArchive, ModelFiles.Format)
        do { (archive, format) = try ModelFiles.load(model) } catch let error as ModelFileError { throw ValidationError(error.description) }
        print("\(model): \(format.rawValue) model")
        for input in archive.inputs { print("input \(input.name): \(input.shape) \(input.dtype) (per sample; -1 = any size)") }
        let network = archive.model
        network.setTraining(false)
        if let graph = network as? GraphModel {
            print(graph.summary())
        } else if let sequential = network as? Sequential, let input = archive.inputs.first {
            let dtype: DType = input.dtype.hasPrefix("int") ? .int64 : .float32
            print(sequential.summary(inputShape: [1] + input.shape.map { $0 < 0 ? 1 : $0 }, dtype: dtype))
        } else {
            print(network.summaryName)
            if let graph = network as? ONNXModel {
                var counts: [String: Int] = [:]
                for node in graph.nodes { counts[node.opType, default: 0] += 1 }
                print("operators: " + counts.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
                    .map { "\($0.key)×\($0.value)" }.joined(separator: ", "))
                print("outputs: " + graph.outputNames.joined(separator: ", "))
            }
            for (name, p) in network.namedParameters { print("  \(name) \(p.value.shape)") }
            print("Total parameters: \(network.parameterCount)")
        }
        if let training = archive.training { print("training: \(training.finishedEpochs) epochs, \(training.step) steps, seed \(training.seed)") }
        if !archive.metadata.isEmpty { print("metadata: " + archive.metadata.keys.sorted().map { "\($0)=\(archive.metadata[$0]!)" }.joined(separator: ", ")) }
        if json {
            print(jsonLine([("model", .string(model)), ("format", .string(format.rawValue)), ("parameters", .int(network.parameterCount)),
                            ("inputs", .int(archive.inputs.count))]))
        }
    }
}

/// `deepswift predict FILE --input X.npy --output Y.npy`.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run a model (DeepSwift archive, Keras .keras/.h5, ONNX) on .npy inputs and write float32 .npy outputs. Inputs use the model's own layout (e.g. channels-last for Keras image models, integer ids for text models).")

    @Argument(help: "The model file.") var model: String
    @Option(name: .customLong("input"), help: "An input .npy file; repeat for models with several inputs, in the model's input order.") var inputs: [String]
    @Option(name: .customLong("output"), help: "Where to write an output .npy; repeat for models with several outputs, in order.") var outputs: [String]
    @Option(name: .customLong("batch-size"), help: "Samples per forward pass.") var batchSize = 256
    @OptionGroup var compute: ComputeOptions
    @Flag(help: "Print a JSON summary as the last line.") var json = false

    func run() throws {
        compute.apply()
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        let archive: ModelArchive
        do { archive = try ModelFiles.load(model).0 } catch let error as ModelFileError { throw ValidationError(error.description) }
        let expected = Swift.max(1, archive.inputs.count)
        guard inputs.count == expected else {
            throw ValidationError("\(model) takes \(expected) input(s) (\(archive.inputs.map(\.name).joined(separator: ", "))); got \(inputs.count) --input")
        }
        var tensors: [Tensor] = []
        for (i, path) in inputs.enumerated() {
            var t: Tensor
            do { t = try NumPy.load(path) } catch let error as NumPyFormatError { throw ValidationError(error.description) }
            if let spec = archive.inputs.dropFirst(i).first {
                guard t.rank == spec.shape.count + 1 else {
                    throw ValidationError("\(path): shape \(t.shape) does not fit input '\(spec.name)' [N] + \(spec.shape)")
                }
                for (axis, (actual, wanted)) in zip(t.shape.dropFirst(), spec.shape).enumerated() where wanted >= 0 && actual != wanted {
                    throw ValidationError("\(path): axis \(axis + 1) has size \(actual), input '\(spec.name)' needs \(wanted) (shape [N] + \(spec.shape))")
                }
                t = spec.dtype.hasPrefix("int") ? t.cast(to: .int64) : t.cast(to: .float32)
            } else if t.dtype != .int64 {
                t = t.cast(to: .float32)
            }
            tensors.append(t)
        }
        let count = tensors[0].shape.first ?? 0
        guard tensors.allSatisfy({ $0.shape.first == count }) else {
            throw ValidationError("the inputs have different sample counts: \(tensors.map { $0.shape.first ?? 0 })")
        }
        let network = archive.model
        network.setTraining(false)
        let start = Date()
        var pieces: [[Tensor]] = []
        var first = 0
        while first < count {
            let n = Swift.min(batchSize, count - first)
            pieces.append(ModelFiles.run(network, tensors.map { $0.narrowed(axis: 0, start: first, length: n).contiguous() }))
            first += n
        }
        let seconds = Date().timeIntervalSince(start)
        let results = (0..<(pieces.first?.count ?? 0)).map { k in Tensor.concat(pieces.map { $0[k] }, axis: 0).cast(to: .float32) }
        guard outputs.count == results.count else {
            throw ValidationError("\(model) has \(results.count) output(s); got \(outputs.count) --output")
        }
        for (path, result) in zip(outputs, results) {
            do { try NumPy.save(result, to: path) } catch let error as NumPyFormatError { throw ValidationError(error.description) }
            print("wrote \(path): \(result.shape) float32")
        }
        if json {
            print(jsonLine([("model", .string(model)), ("samples", .int(count)), ("seconds", .double(seconds)),
                            ("samples_per_second", .double(Double(count) / Swift.max(seconds, 1e-9)))]))
        }
    }
}

/// `deepswift evaluate FILE --data DIR`: accuracy on the MNIST test set.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Accuracy and loss of a classifier (any supported model file) on the MNIST-style test set in --data (IDX files).")

    @Argument(help: "The model file.") var model: String
    @Option(help: "Directory with t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz). Default: DEEPSWIFT_DATA, the user cache, then ../shared/data/mnist.")
    var data: String?
    @Option(name: .customLong("batch-size"), help: "Samples per forward pass.") var batchSize = 256
    @OptionGroup var compute: ComputeOptions
    @Flag(help: "Print a JSON summary as the last line.") var json = false

    func run() throws {
        compute.apply()
        let archive: ModelArchive
        do { archive = try ModelFiles.load(model).0 } catch let error as ModelFileError { throw ValidationError(error.description) }
        let test: DataSet
        do { test = try MNIST.load(directory: data, flatten: false).test } catch let error as DataError { throw ValidationError(error.description) }
        // MNIST arrives as [N, 1, 28, 28] in [0, 1]; shape it as the model's input says.
        var images = test.features
        let n = images.shape[0]
        if let spec = archive.inputs.first {
            let sample = spec.shape.map { $0 < 0 ? 1 : $0 }
            guard sample.reduce(1, *) == 784 else {
                throw ValidationError("\(model) takes inputs of shape \(spec.shape); MNIST images have 784 pixels")
            }
            if sample == [28, 28, 1] || sample == [28, 28] {
                images = images.permuted([0, 2, 3, 1]).contiguous().reshaped([n] + sample)
            } else {
                images = images.reshaped([n] + sample)
            }
        }
        let network = archive.model
        network.setTraining(false)
        var correct = 0, lossSum = 0.0
        var first = 0
        let labels = test.labels.cast(to: .int64).scalars(as: Int64.self)
        while first < n {
            let count = Swift.min(batchSize, n - first)
            let output = ModelFiles.run(network, [images.narrowed(axis: 0, start: first, length: count).contiguous()])[0].cast(to: .float64)
            let rows = output.scalars(as: Double.self), classes = output.shape.last ?? 1
            guard output.rank == 2, classes >= 10 else {
                throw ValidationError("\(model) gives outputs of shape \(output.shape); evaluating on MNIST needs [N, ≥10] class scores")
            }
            for r in 0..<count {
                let row = rows[(r * classes)..<((r + 1) * classes)]
                let best = row.indices.max { row[$0] < row[$1] }! - r * classes
                let label = Int(labels[first + r])
                if best == label { correct += 1 }
                // Probabilities (rows summing to 1, e.g. a softmax output layer) or logits.
                let total = row.reduce(0, +)
                if row.allSatisfy({ $0 >= 0 }) && abs(total - 1) < 1e-3 {
                    lossSum -= Foundation.log(Swift.max(row[row.startIndex + label], 1e-12))
                } else {
                    let top = row.max()!
                    lossSum -= row[row.startIndex + label] - top - Foundation.log(row.map { Foundation.exp($0 - top) }.reduce(0, +))
                }
            }
            first += count
        }
        let accuracy = Double(correct) / Double(n), loss = lossSum / Double(n)
        print(String(format: "%@: test accuracy %.4f, test loss %.4f (%d images)", model, accuracy, loss, n))
        if json { print(jsonLine([("model", .string(model)), ("test_accuracy", .double4(accuracy)), ("test_loss", .double4(loss)), ("samples", .int(n))])) }
    }
}

/// `deepswift bench import --file F`: importing a model against reading its bytes.
struct ImportBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Time to import a model file (any supported format) against the time to read the file's bytes (both from the page cache, best of several runs).")
    @Option(help: "The model file (make ~100 MB ones with scripts/make_large_models.py).") var file: String
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        compute.apply()
        // The baseline: read(2) of the whole file into one buffer (what any loader must at least do).
        var size = 0
        let read = bestTime(minimumSeconds: 2) {
            let fd = open(file, O_RDONLY)
            guard fd >= 0 else { return }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0 else { return }
            let total = Int(info.st_size)
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(total, 1), alignment: 64)
            defer { buffer.deallocate() }
            var done = 0
            while done < total {
                let n = Foundation.read(fd, buffer + done, total - done)
                if n <= 0 { break }
                done += n
            }
            size = done
        }
        var parameters = 0
        var failure: (any Error)? = nil
        let format = try ModelFiles.format(of: file)
        let load = bestTime(minimumSeconds: 2) {
            do { parameters = try ModelFiles.load(file).0.model.parameterCount } catch { failure = error }
        }
        if let failure { throw ValidationError("\(failure)") }
        print(jsonLine([("op", .string("import")), ("file", .string(file)), ("format", .string(format.rawValue)), ("megabytes", .double(Double(size) / 1e6)),
                        ("parameters", .int(parameters)), ("read_ms", .double(read * 1000)), ("import_ms", .double(load * 1000)),
                        ("ratio", .double(load / read)), ("threads", .int(ThreadSettings.numThreads))]))
    }
}
