import ArgumentParser
import DeepSwift
import DeepSwiftDistributed
import Foundation

/// `deepswift bench ...`: release-mode micro-benchmarks, one JSON object as the last line.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks of the hot paths (build with -c release). The last line of output is JSON.",
        subcommands: [MatmulBench.self, ElementwiseBench.self, ReduceBench.self, TrainStepBench.self, InferBench.self, ConvolutionBench.self,
                      CSVBench.self, ImagesBench.self, AllreduceBench.self, ImportBench.self])
}

/// Runs `body` once to warm up, then repeatedly for at least `minimumSeconds` (and 3 runs);
/// returns the fastest run in seconds.
func bestTime(minimumSeconds: Double = 1.0, _ body: () -> Void) -> Double {
    body()
    var best = Double.infinity
    var elapsed = 0.0, runs = 0
    while elapsed < minimumSeconds || runs < 3 {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        best = Swift.min(best, seconds)
        elapsed += seconds
        runs += 1
    }
    return best
}

struct MatmulBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "matmul", abstract: "Square matrix product through BLAS.")
    @OptionGroup var compute: ComputeOptions
    @Option(help: "Matrix size N (N×N · N×N).") var size = 2048
    @Option(help: "float32 or float64.") var dtype = "float32"

    func run() throws {
        compute.apply()
        guard let type = DType(rawValue: dtype), type.isFloatingPoint else {
            throw ValidationError("--dtype must be float32 or float64, got '\(dtype)'")
        }
        var rng = PhiloxGenerator(seed: 1)
        let a = Tensor.uniform([size, size], low: -1, high: 1, dtype: type, using: &rng)
        let b = Tensor.uniform([size, size], low: -1, high: 1, dtype: type, using: &rng)
        var sink = 0
        let seconds = bestTime { sink &+= a.matmul(b).count }
        let gflops = 2 * Double(size) * Double(size) * Double(size) / seconds / 1e9
        print(jsonLine([("op", .string("matmul")), ("size", .int(size)), ("dtype", .string(dtype)),
                        ("gflops", .double(gflops)), ("threads", .int(ThreadSettings.numThreads))]))
        if sink == -1 { print(sink) }
    }
}

struct ElementwiseBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "elementwise", abstract: "Elementwise float32 ops over a large vector.")
    @OptionGroup var compute: ComputeOptions
    @Option(help: "add, mul, exp, tanh, sigmoid, relu, gelu (erf form), gelu-tanh, log, softplus, swish.") var op = "exp"
    @Option(help: "Number of elements.") var count = 16 * 1024 * 1024

    func run() throws {
        compute.apply()
        var rng = PhiloxGenerator(seed: 2)
        let a = Tensor.uniform([count], low: -4, high: 4, using: &rng)
        let b = Tensor.uniform([count], low: -4, high: 4, using: &rng)
        let operation: () -> Tensor
        var bytesPerElement = 8.0
        switch op {
        case "add": operation = { a + b }; bytesPerElement = 12
        case "mul": operation = { a * b }; bytesPerElement = 12
        case "exp": operation = { a.exp() }
        case "tanh": operation = { a.tanh() }
        case "sigmoid": operation = { a.sigmoid() }
        case "relu": operation = { a.relu() }
        case "gelu": operation = { a.gelu() }
        case "gelu-tanh": operation = { a.gelu(approximation: .tanh) }
        case "log": operation = { a.abs().log() }
        case "softplus": operation = { a.softplus() }
        case "swish": operation = { a.swish() }
        default: throw ValidationError("unknown --op '\(op)'")
        }
        var sink = 0
        let seconds = bestTime { sink &+= operation().count }
        report(op: op, count: count, seconds: seconds, bytesPerElement: bytesPerElement)
        if sink == -1 { print(sink) }
    }
}

struct ReduceBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reduce", abstract: "Reductions over a large float32 tensor.")
    @OptionGroup var compute: ComputeOptions
    @Option(help: "sum, max or softmax (rows of 1024).") var op = "sum"
    @Option(help: "Number of elements.") var count = 16 * 1024 * 1024

    func run() throws {
        compute.apply()
        var rng = PhiloxGenerator(seed: 3)
        let a = Tensor.uniform([count], low: -4, high: 4, using: &rng)
        let operation: () -> Tensor
        var bytesPerElement = 4.0
        switch op {
        case "sum": operation = { a.sum() }
        case "max": operation = { a.max() }
        case "softmax":
            let rows = a.reshaped([count / 1024, 1024])
            operation = { rows.softmax(axis: -1) }
            bytesPerElement = 8
        default: throw ValidationError("unknown --op '\(op)'")
        }
        var sink = 0
        let seconds = bestTime { sink &+= operation().count }
        report(op: op, count: count, seconds: seconds, bytesPerElement: bytesPerElement)
        if sink == -1 { print(sink) }
    }
}

func report(op: String, count: Int, seconds: Double, bytesPerElement: Double) {
    print(jsonLine([("op", .string(op)), ("count", .int(count)),
                    ("gbps", .double(Double(count) * bytesPerElement / seconds / 1e9)),
                    ("melem_per_s", .double(Double(count) / seconds / 1e6)),
                    ("ms", .double(seconds * 1e3)),
                    ("threads", .int(ThreadSettings.numThreads))]))
}

struct TrainStepBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train-step", abstract: "Training steps per second (forward, backward, optimizer) on random data.")
    @OptionGroup var compute: ComputeOptions
    @Option(help: "Model: mlp-mnist, lenet-mnist, char-lstm or a zoo name (resnet18, mobilenetv2, ...).") var model = "mlp-mnist"
    @Option(name: .customLong("batch-size")) var batchSize = 128
    @Option(name: .customLong("image-size"), help: "Input height and width for zoo models (default 224).") var imageSize = 224
    @Option(name: .customLong("seq-len"), help: "char-lstm: window length.") var seqLen = 64
    @Option(help: "char-lstm: LSTM size.") var hidden = 256
    @Option(help: "char-lstm: embedding size.") var embedding = 64
    @Option(help: "char-lstm: vocabulary size.") var vocab = 64
    @Option(help: "Timed steps.") var steps = 200
    @Option(help: "Warm-up steps.") var warmup = 10

    func run() throws {
        compute.apply()
        if model == "char-lstm" { return try runCharLSTM() }
        let network: Sequential, sampleShape: [Int], classes: Int
        if let recipe = Recipes.all.first(where: { $0.name == model }) {
            (network, sampleShape, classes) = (recipe.make(1), recipe.sampleShape, 10)
        } else if let zoo = ModelZoo.make(model, seed: 1) {
            let channels = ModelZoo.inputShape(model)[0]
            (network, sampleShape, classes) = (zoo, [channels, imageSize, imageSize], model == "lenet" || model == "simplecnn" ? 10 : 1000)
        } else {
            throw ValidationError("unknown model '\(model)'")
        }
        let trainer = Trainer(model: network, optimizer: Adam(network.parameters, learningRate: 1e-3), loss: Recipes.crossEntropy)
        var rng = PhiloxGenerator(seed: 2)
        let x = Tensor.uniform([batchSize] + sampleShape, using: &rng)
        let y = Tensor.randomInt([batchSize], low: 0, high: classes, using: &rng)
        for _ in 0..<warmup { trainer.trainStep(x, y) }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { trainer.trainStep(x, y) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        print(jsonLine([("model", .string(model)), ("batch_size", .int(batchSize)), ("steps_per_second", .double(Double(steps) / seconds)),
                        ("ms_per_step", .double(seconds / Double(steps) * 1e3)), ("threads", .int(ThreadSettings.numThreads))]))
    }
}

extension TrainStepBench {
    /// Embedding → LSTM → dense over every step, cross-entropy, Adam, on random windows of a random text.
    func runCharLSTM() throws {
        guard vocab > 1, seqLen > 0, hidden > 0, embedding > 0 else { throw ValidationError("char-lstm sizes must be positive") }
        let alphabet = (0..<vocab).map { Character(Unicode.Scalar(UInt8(32 + $0 % 95))) }
        let model = CharacterLanguageModel(vocabulary: CharacterVocabulary(characters: alphabet), embedding: embedding, hidden: hidden, seed: 1)
        let optimizer = Adam(model.parameters, learningRate: 1e-3)
        var rng = PhiloxGenerator(seed: 2)
        let ids = Tensor.randomInt([100_000], low: 0, high: vocab, using: &rng).scalars(as: Int64.self).map { Int($0) }
        for _ in 0..<warmup { model.trainStep(windows: model.randomWindows(ids, count: batchSize, length: seqLen, using: &rng), optimizer: optimizer) }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { model.trainStep(windows: model.randomWindows(ids, count: batchSize, length: seqLen, using: &rng), optimizer: optimizer) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        print(jsonLine([("model", .string("char-lstm")), ("batch_size", .int(batchSize)), ("seq_len", .int(seqLen)), ("hidden", .int(hidden)),
                        ("vocab", .int(vocab)), ("steps_per_second", .double(Double(steps) / seconds)),
                        ("ms_per_step", .double(seconds / Double(steps) * 1e3)), ("threads", .int(ThreadSettings.numThreads))]))
    }
}

struct InferBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "infer", abstract: "Inference latency: median of 200 timed calls after warm-up.")
    @OptionGroup var compute: ComputeOptions
    @Option(help: "Model recipe: mlp-mnist or lenet-mnist.") var model = "mlp-mnist"
    @Option(name: .customLong("batch-size")) var batchSize = 1
    @Option(help: "Timed calls.") var calls = 200

    func run() throws {
        compute.apply()
        let recipe = try Recipes.recipe(model)
        let network = recipe.make(1)
        network.setTraining(false)
        var rng = PhiloxGenerator(seed: 2)
        let x = Tensor.uniform([batchSize] + recipe.sampleShape, using: &rng)
        var sink = 0.0
        for _ in 0..<50 { sink += network.predict(x).scalar(at: [0, 0], as: Double.self) }
        var times: [Double] = []
        for _ in 0..<calls {
            let start = DispatchTime.now().uptimeNanoseconds
            let y = network.predict(x)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-6)
            sink += y.scalar(at: [0, 0], as: Double.self)
        }
        times.sort()
        print(jsonLine([("model", .string(model)), ("batch_size", .int(batchSize)), ("median_ms", .double4(times[times.count / 2])),
                        ("p90_ms", .double4(times[times.count * 9 / 10])), ("threads", .int(ThreadSettings.numThreads))]))
        if sink.isNaN { print(sink) }
    }
}

struct ConvolutionBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "conv", abstract: "2-D convolution forward and backward (float32) for one shape, both backends.")
    @OptionGroup var compute: ComputeOptions
    @Option(name: .customLong("batch-size")) var batchSize = 64
    @Option(help: "Input channels.") var channels = 20
    @Option(help: "Output channels.") var outputs = 50
    @Option(help: "Input height and width.") var size = 12
    @Option(help: "Kernel size.") var kernel = 5
    @Option(help: "Stride.") var stride = 1
    @Option(help: "Padding on each side.") var padding = 0
    @Option(help: "gemm or onednn.") var backend = "gemm"

    func run() throws {
        compute.apply()
        switch backend {
        case "gemm": Convolution.backend = .gemm
        case "onednn": Convolution.backend = .oneDNN
        default: throw ValidationError("--backend must be gemm or onednn")
        }
        var rng = PhiloxGenerator(seed: 3)
        let x = Tensor.uniform([batchSize, channels, size, size], using: &rng)
        let w = Tensor.uniform([outputs, channels, kernel, kernel], using: &rng)
        let g = ConvolutionGeometry(input: x.shape, outputChannels: outputs, kernel: (kernel, kernel), stride: (stride, stride),
                                    padding: .symmetric(padding, padding))
        let flops = 2.0 * Double(batchSize * outputs * g.outputHeight * g.outputWidth * channels * kernel * kernel)
        let (y, saved) = Convolution.forwardSaving(x, w, nil, g)
        let forward = bestTime(minimumSeconds: 0.5) { _ = Convolution.forwardSaving(x, w, nil, g) }
        let backward = bestTime(minimumSeconds: 0.5) {
            _ = Convolution.backward(y, x: x, w: w, saved: saved, g, input: true, weights: true, bias: false)
        }
        print(jsonLine([("op", .string("conv2d")), ("backend", .string(backend)), ("shape", .string("\(x.shape)→\(g.outputShape) k\(kernel)")),
                        ("forward_ms", .double(forward * 1e3)), ("forward_gflops", .double(flops / forward / 1e9)),
                        ("backward_ms", .double(backward * 1e3)), ("backward_gflops", .double(2 * flops / backward / 1e9)),
                        ("threads", .int(ThreadSettings.numThreads))]))
    }
}

struct CSVBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "csv", abstract: "Parse a numeric CSV file into a float32 tensor (best of 3 runs).")
    @OptionGroup var compute: ComputeOptions
    @Option(help: "The CSV file (a header row, then numbers).") var file: String
    @Option(help: "Timed runs (the best counts).") var runs = 3

    func run() throws {
        compute.apply()
        let bytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        var best = Double.infinity, rows = 0
        for _ in 0..<Swift.max(1, runs) {
            let start = DispatchTime.now().uptimeNanoseconds
            let (_, values) = try CSV.readNumeric(file)
            best = Swift.min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            rows = values.shape[0]
        }
        let mb = Double(bytes) / 1e6
        print(jsonLine([("op", .string("csv")), ("mb", .double(mb)), ("rows", .int(rows)), ("mb_per_s", .double(mb / best)),
                        ("rows_per_s", .double(Double(rows) / best)), ("threads", .int(ThreadSettings.numThreads))]))
    }
}

struct ImagesBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "Decode and resize every image of a folder (class subfolders) to S×S RGB.")
    @OptionGroup var compute: ComputeOptions
    @Option(help: "Folder with one subfolder of .png/.jpg files per class.") var data: String
    @Option(name: .customLong("image-size")) var imageSize = 64
    @Option(help: "Timed runs (the best counts).") var runs = 3

    func run() throws {
        compute.apply()
        let folder = try ImageFolder(data)
        var best = Double.infinity
        for _ in 0..<Swift.max(1, runs) {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try folder.load(height: imageSize, width: imageSize, channels: 3)
            best = Swift.min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        print(jsonLine([("op", .string("images")), ("images", .int(folder.files.count)), ("image_size", .int(imageSize)),
                        ("images_per_s", .double(Double(folder.files.count) / best)), ("threads", .int(ThreadSettings.numThreads))]))
    }
}

struct AllreduceBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "allreduce",
        abstract: "Sum a float32 buffer across the ranks of `mpirun -np N` (median of the runs; bus bandwidth as NCCL reports it).")
    @Option(help: "Floats per rank.") var count = 10_000_000
    @Option(help: "Timed runs.") var runs = 10
    @Option(help: "Also time the training path's gradient reduction (in place, parameter by parameter) for this model's parameters: mlp-mnist or lenet-mnist.")
    var model: String?
    @Option(help: "With --model: gradient compression, none or fp16.") var compress = "none"

    func run() throws {
        let world = try MPICommunicator()
        if let model { return try gradientPath(world, model) }
        var buffer = [Float](repeating: 1, count: count)
        buffer.withUnsafeMutableBufferPointer { world.allreduceSum($0) }   // warm-up
        var times: [Double] = []
        for _ in 0..<Swift.max(1, runs) {
            world.barrier()
            let start = DispatchTime.now().uptimeNanoseconds
            buffer.withUnsafeMutableBufferPointer { world.allreduceSum($0) }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        guard world.rank == 0 else { return }
        let median = times.sorted()[times.count / 2]
        let bytes = Double(count * 4), n = Double(world.size)
        _ = n
        print(jsonLine([("op", .string("allreduce")), ("count", .int(count)), ("ranks", .int(world.size)), ("median_ms", .double4(median * 1e3)),
                        ("bus_gb_per_s", .double4(bytes * 2 * (n - 1) / n / median / 1e9))]))
    }
}

extension AllreduceBench {
    /// The data-parallel step's gradient reduction alone (no forward or backward) against a plain
    /// allreduce of as many floats.
    func gradientPath(_ world: MPICommunicator, _ model: String) throws {
        let network = try Recipes.model(model, seed: 1)
        let parameters = network.parameters
        for p in parameters { p.grad = Tensor.ones(p.value.shape) }
        let floats = parameters.reduce(0) { $0 + $1.value.count }
        let averager = GradientAverager(parameters: parameters, communicator: world)
        guard let compression = GradientCompression(rawValue: compress) else { throw ValidationError("--compress must be none or fp16") }
        averager.compression = compression
        var plain = [Float](repeating: 1, count: floats)
        func median(_ body: () -> Void) -> Double {
            body()
            var times: [Double] = []
            for _ in 0..<Swift.max(1, runs) {
                world.barrier()
                let start = DispatchTime.now().uptimeNanoseconds
                body()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            }
            return times.sorted()[times.count / 2]
        }
        let path = median {
            averager.beginStep()
            for p in parameters.reversed() { averager.gradientReady(p) }
            averager.finishStep()
        }
        let reference = median { plain.withUnsafeMutableBufferPointer { world.allreduceSum($0) } }
        guard world.rank == 0 else { return }
        print(jsonLine([("op", .string("gradient-allreduce")), ("model", .string(model)), ("compression", .string(compress)), ("count", .int(floats)), ("ranks", .int(world.size)),
                        ("training_path_ms", .double4(path * 1e3)), ("plain_allreduce_ms", .double4(reference * 1e3)),
                        ("bandwidth_ratio", .double4(reference / path))]))
    }
}
