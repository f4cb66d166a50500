import DeepSwiftAutodiff
import DeepSwiftData
import DeepSwiftNN
import DeepSwiftOptim
import DeepSwiftTensor
import Foundation

/// One file that holds a model: DeepSwift's native format (`.dsm`).
///
/// A zip archive (stored entries) with
/// - `deepswift.json`: the format name and version;
/// - `config.json`: the architecture (``LayerConfig``), the inputs the model takes, and optionally
///   the optimizer's class and hyperparameters;
/// - `weights.safetensors`: parameters and buffers under their dotted names (`layers.0.weight`,
///   `layers.1.running_mean`), readable by any safetensors reader;
/// - optionally `optimizer.safetensors` (the optimizer's buffers and step count),
///   `normalizer.json`, `transform.json` and `training.json` (finished epochs, steps, seed).
///
/// ```swift
/// var archive = ModelArchive(model: network)
/// archive.inputs = [.init(name: "image", shape: [1, 28, 28])]
/// try archive.save(to: "lenet.dsm")                      // atomic: temporary file, then rename
/// let loaded = try ModelArchive.load(from: "lenet.dsm")
/// let y = loaded.model.predict(x)                        // the same outputs, bit for bit
/// ```
/// A file from a newer format version, a truncated or corrupt file, or weights that do not fit
/// the architecture throw ``ModelFileError`` naming the problem.
public struct ModelArchive {
    /// The format version this DeepSwift writes; it reads this version and older ones.
    public static let formatVersion = 1
    public static let formatName = "deepswift-model"

    /// A model input: name, shape of one sample, dtype.
    public struct Input: Equatable, Sendable, Codable {
        public var name: String
        public var shape: [Int]
        public var dtype: String
        public init(name: String, shape: [Int], dtype: DType = .float32) {
            self.name = name
            self.shape = shape
            self.dtype = "\(dtype)"
        }
    }

    /// Where training stopped, for resuming.
    public struct TrainingState: Equatable, Sendable, Codable {
        public var finishedEpochs: Int
        public var step: Int
        public var seed: UInt64
        public var notes: [String: String]
        public init(finishedEpochs: Int, step: Int, seed: UInt64, notes: [String: String] = [:]) {
            self.finishedEpochs = finishedEpochs
            self.step = step
            self.seed = seed
            self.notes = notes
        }
    }

    public var model: any Layer
    public var inputs: [Input] = []
    public var optimizer: (any Optimizer)?
    public var normalizer: Normalizer?
    public var transform: TransformProcess?
    public var training: TrainingState?
    /// Free-form strings (e.g. where the model came from), stored in `config.json`.
    public var metadata: [String: String] = [:]

    public init(model: any Layer, inputs: [Input] = [], optimizer: (any Optimizer)? = nil) {
        self.model = model
        self.inputs = inputs
        self.optimizer = optimizer
    }

    // MARK: Saving

    /// The archive's bytes.
    public func encoded(file: String = "model") throws -> Data {
        var config: [String: JSON] = ["model": try LayerConfig.encode(model, file: file)]
        config["inputs"] = JSON.from(inputs)
        // Every random generator's position (dropout, noise), by layer path: a resumed run continues
        // the same random streams, also inside composite layers.
        let generators = Self.generators(of: model)
        if !generators.isEmpty { config["generators"] = .object(generators.mapValues { JSON(generator: $0) }) }
        if !metadata.isEmpty { config["metadata"] = JSON.from(metadata) }
        var entries: [(name: String, data: Data)] = [
            ("deepswift.json", (["format": .string(Self.formatName), "version": JSON(Self.formatVersion)] as JSON).serialized()),
        ]
        var weights: [String: Tensor] = [:]
        for (name, p) in model.namedParameters { weights[name] = p.value }
        for (name, b) in model.namedBuffers { weights[name] = b.value }
        if let optimizer {
            config["optimizer"] = try OptimizerConfig.encode(optimizer, file: file)
        }
        entries.append(("config.json", JSON.object(config).serialized()))
        entries.append(("weights.safetensors", SafeTensors.encode(weights, metadata: ["format": "pt", "writer": "DeepSwift"])))
        if let optimizer { entries.append(("optimizer.safetensors", SafeTensors.encode(optimizer.state))) }
        // Encoded directly (not through `JSON`, whose numbers are doubles): seeds keep all 64 bits.
        func encode<T: Encodable>(_ value: T) throws -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            do { return try encoder.encode(value) } catch { throw ModelFileError(.unwritable, file: file, nil, "cannot encode \(T.self): \(error)") }
        }
        if let normalizer { entries.append(("normalizer.json", try encode(normalizer))) }
        if let transform { entries.append(("transform.json", try encode(transform))) }
        if let training { entries.append(("training.json", try encode(training))) }
        do { return try ZipArchive.write(entries, compressed: false, file: file) } catch { throw ModelFileError.wrapping(error, file: file) }
    }

    /// Writes the archive atomically (a temporary file in the same folder, then a rename).
    public func save(to path: String) throws {
        let data = try encoded(file: path)
        do { try NumPy.writeFileAtomically(data, to: path) } catch { throw ModelFileError.wrapping(error, file: path) }
    }

    // MARK: Loading

    /// Whether `data` starts like a native archive (a zip whose first entry is `deepswift.json`).
    public static func looksLikeArchive(_ data: Data) -> Bool {
        let prefix = [UInt8](data.prefix(30 + 14))
        guard prefix.count == 44, prefix[0] == 0x50, prefix[1] == 0x4B, prefix[2] == 3, prefix[3] == 4 else { return false }
        return String(decoding: prefix[30..<44], as: UTF8.self) == "deepswift.json"
    }

    public static func load(from path: String) throws -> ModelArchive {
        let data: Data
        do { data = try NumPy.readFile(path) } catch { throw ModelFileError.wrapping(error, file: path) }
        return try decode(data, file: path)
    }

    public static func decode(_ data: Data, file: String) throws -> ModelArchive {
        let zip: ZipArchive
        do { zip = try ZipArchive(data: data, file: file) } catch {
            throw ModelFileError(.notRecognized, file: file, nil, "not a DeepSwift model archive (\(ModelFileError.wrapping(error, file: file).detail))")
        }
        func entry(_ name: String) throws -> Data? {
            do {
                guard let e = zip.entries.first(where: { $0.name == name }) else { return nil }
                return try zip.storedContents(of: e)    // no copy for stored entries
            } catch { throw ModelFileError.wrapping(error, file: file) }
        }
        func json(_ name: String) throws -> JSON? {
            guard let bytes = try entry(name) else { return nil }
            do { return try JSON.parse(bytes) } catch { throw ModelFileError(.corrupt, file: file, "entry '\(name)'", "not valid JSON") }
        }
        guard let manifest = try json("deepswift.json") else {
            throw ModelFileError(.notRecognized, file: file, nil, "a zip file without 'deepswift.json': not a DeepSwift model archive")
        }
        guard manifest["format"]?.string == formatName, let version = manifest["version"]?.int else {
            throw ModelFileError(.notRecognized, file: file, "entry 'deepswift.json'", "expected format '\(formatName)' with an integer version")
        }
        guard version <= formatVersion else {
            throw ModelFileError(.newerVersion, file: file, "entry 'deepswift.json'",
                                 "format version \(version) is newer than this DeepSwift reads (\(formatVersion)); update DeepSwift")
        }
        guard let config = try json("config.json") else { throw ModelFileError(.corrupt, file: file, nil, "entry 'config.json' is missing") }
        guard let modelConfig = config["model"] else { throw ModelFileError(.badConfig, file: file, "entry 'config.json'", "field 'model' is missing") }
        let model = try LayerConfig.decode(modelConfig, file: file)
        guard let weightBytes = try entry("weights.safetensors") else { throw ModelFileError(.corrupt, file: file, nil, "entry 'weights.safetensors' is missing") }
        let weights = try SafeTensors.decode(weightBytes, file: file + ": weights.safetensors").tensors
        try StateDict.assign(weights, to: model, file: file, strict: true, keepFileDTypes: true)
        var archive = ModelArchive(model: model)
        if let inputs = config["inputs"] {
            do { archive.inputs = try inputs.decode([Input].self) } catch {
                throw ModelFileError(.badConfig, file: file, "entry 'config.json'", "field 'inputs' is not a list of {name, shape, dtype}")
            }
        }
        if let meta = config["metadata"] { archive.metadata = (try? meta.decode([String: String].self)) ?? [:] }
        if let generators = config["generators"]?.object {
            var positions: [String: PhiloxGenerator] = [:]
            for (path, value) in generators {
                guard let g = value.generator else {
                    throw ModelFileError(.badConfig, file: file, "entry 'config.json'", "generator '\(path)' is not {seed, counter}")
                }
                positions[path] = g
            }
            Self.setGenerators(positions, in: model)
        }
        if let optimizerConfig = config["optimizer"] {
            let optimizer = try OptimizerConfig.decode(optimizerConfig, parameters: model.parameters, file: file)
            if let bytes = try entry("optimizer.safetensors") {
                let state = try SafeTensors.decode(bytes, file: file + ": optimizer.safetensors").tensors
                for (key, value) in state {
                    let parts = key.split(separator: ".", maxSplits: 1)
                    guard parts.count == 2, let i = Int(parts[0]) else {
                        // Optimizer-level values (step count, NAdam's momentum product): one number each.
                        guard value.count == 1 else {
                            throw ModelFileError(.shapeMismatch, file: file, "optimizer tensor '\(key)'", "expected one value, the file has shape \(value.shape)")
                        }
                        continue
                    }
                    guard i >= 0, i < model.parameters.count else {
                        throw ModelFileError(.unexpectedTensor, file: file, "optimizer tensor '\(key)'", "names no parameter (the model has \(model.parameters.count))")
                    }
                    guard value.shape == model.parameters[i].value.shape else {
                        throw ModelFileError(.shapeMismatch, file: file, "optimizer tensor '\(key)'",
                                             "shape \(model.parameters[i].value.shape) expected, the file has \(value.shape)")
                    }
                }
                optimizer.state = state
            }
            archive.optimizer = optimizer
        }
        func decoded<T: Decodable>(_ name: String, _ type: T.Type) throws -> T? {
            guard let bytes = try entry(name) else { return nil }
            do { return try JSONDecoder().decode(T.self, from: bytes) } catch {
                throw ModelFileError(.badConfig, file: file, "entry '\(name)'", "does not describe a \(T.self)")
            }
        }
        archive.normalizer = try decoded("normalizer.json", Normalizer.self)
        archive.transform = try decoded("transform.json", TransformProcess.self)
        archive.training = try decoded("training.json", TrainingState.self)
        return archive
    }

    /// The generators of `layer` and its sublayers, by dotted path.
    static func generators(of layer: any Layer, path: String = "") -> [String: PhiloxGenerator] {
        var result: [String: PhiloxGenerator] = [:]
        if let g = (layer as? any RandomizedLayer)?.generator { result[path.isEmpty ? "." : path] = g }
        for (name, sub) in layer.sublayers {
            result.merge(generators(of: sub, path: path.isEmpty ? name : path + "." + name)) { a, _ in a }
        }
        return result
    }

    static func setGenerators(_ positions: [String: PhiloxGenerator], in layer: any Layer, path: String = "") {
        if let g = positions[path.isEmpty ? "." : path], let randomized = layer as? any RandomizedLayer { randomized.generator = g }
        for (name, sub) in layer.sublayers { setGenerators(positions, in: sub, path: path.isEmpty ? name : path + "." + name) }
    }
}
