import DeepSwiftAutodiff
import DeepSwiftIO
import DeepSwiftNN
import DeepSwiftTensor
import Foundation

/// Imports Keras models: legacy `.h5` files (Keras 2 and 3) and Keras 3 `.keras` archives,
/// Sequential and Functional.
///
/// The imported model takes its inputs in Keras's layout (channels last for images, integer ids
/// for embeddings) and gives Keras's outputs: channels-first layers run inside ``ChannelsLast``
/// wrappers, and kernels are transposed into DeepSwift's layouts. It can be trained further and
/// saved as a native archive.
///
/// ```swift
/// let archive = try KerasImporter.load("model.keras")
/// let y = archive.model.predict(x)                         // x: [N, 28, 28, 1], as in Keras
/// try archive.save(to: "model.dsm")
/// ```
/// A layer class, option or activation that has no DeepSwift equivalent throws
/// ``ModelFileError`` (kind `.unsupported`) naming the layer, its class and what is supported.
public enum KerasImporter {
    public static let supportedLayers = [
        "InputLayer", "Dense", "Activation", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
        "GaussianNoise", "AlphaDropout", "Flatten", "Reshape", "Permute", "RepeatVector", "Masking", "Conv1D", "Conv2D", "Conv3D",
        "Conv2DTranspose", "SeparableConv2D", "DepthwiseConv2D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
        "AveragePooling2D", "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
        "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D", "ZeroPadding1D", "ZeroPadding2D", "Cropping1D",
        "Cropping2D", "UpSampling1D", "UpSampling2D", "BatchNormalization", "LayerNormalization", "Embedding", "SimpleRNN", "LSTM", "GRU",
        "Bidirectional", "TimeDistributed", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "ReLU",
        "LeakyReLU", "PReLU", "ELU", "Softmax", "MultiHeadAttention", "Rescaling", "Normalization", "Identity", "ActivityRegularization",
    ]

    /// Whether `data` starts like a Keras file (HDF5 signature, or a zip holding `config.json`).
    public static func looksLikeKeras(_ data: Data) -> Bool {
        if data.starts(with: HDF5File.signature) { return true }
        guard data.starts(with: [0x50, 0x4B, 0x03, 0x04]), let zip = try? ZipArchive(data: data, file: "") else { return false }
        return zip.entries.contains { $0.name == "config.json" } && zip.entries.contains { $0.name == "model.weights.h5" }
    }

    /// Reads a Keras model file (`.h5` or `.keras`, recognised by content).
    public static func load(_ path: String) throws -> ModelArchive {
        let file = try KerasFile(path: path)
        var converter = Converter(file: file)
        let (model, inputs) = try converter.model(file.config)
        var archive = ModelArchive(model: model, inputs: inputs)
        archive.metadata = ["source": "keras", "source_format": file.format, "source_file": URL(fileURLWithPath: path).lastPathComponent]
        return archive
    }
}

/// Turns a Keras configuration into DeepSwift layers.
struct Converter {
    let file: KerasFile
    var path: String { file.path }

    // MARK: Model level

    mutating func model(_ root: JSON) throws -> (any Layer, [ModelArchive.Input]) {
        guard let className = root["class_name"]?.string, let config = root["config"] else {
            throw ModelFileError(.badConfig, file: path, "model config", "expected {class_name, config}")
        }
        switch className {
        case "Sequential": return try sequential(config)
        case "Functional", "Model": return try functional(config)
        default:
            throw ModelFileError(.unsupported, file: path, "model", "model class '\(className)' is not supported; supported: Sequential, Functional")
        }
    }

    func inputSpec(name: String, config: JSON) -> ModelArchive.Input? {
        guard let shape = (config["batch_shape"] ?? config["batch_input_shape"])?.array else { return nil }
        let dims = shape.dropFirst().map { $0.int ?? -1 }
        let dtype = config["dtype"]?.string ?? (config["dtype"]?["config"]?["name"]?.string ?? "float32")
        return ModelArchive.Input(name: name, shape: dims, dtype: dtype.hasPrefix("int") || dtype.hasPrefix("uint") ? .int64 : .float32)
    }

    mutating func sequential(_ config: JSON) throws -> (any Layer, [ModelArchive.Input]) {
        guard let entries = config["layers"]?.array else { throw ModelFileError(.badConfig, file: path, "model config", "Sequential without 'layers'") }
        var layers: [any Layer] = []
        var inputs: [ModelArchive.Input] = []
        for entry in entries {
            let className = entry["class_name"]?.string ?? "?"
            let layerConfig = entry["config"] ?? [:]
            let name = layerConfig["name"]?.string ?? className
            if inputs.isEmpty, let spec = inputSpec(name: className == "InputLayer" ? name : "input", config: layerConfig) { inputs = [spec] }
            if className == "InputLayer" { continue }
            switch try layer(entry, name: name) {
            case .layer(let l): layers.append(l)
            case .merge, .attention:
                throw ModelFileError(.unsupported, file: path, "layer '\(name)' (\(className))", "a merge layer cannot be part of a Sequential model")
            }
        }
        return (Sequential(Self.fuseChannelsLast(layers)), inputs)
    }

    /// Runs of channels-last wrappers (with elementwise layers between them) become one wrapper
    /// around a `Sequential`, so a Keras CNN permutes its activations once instead of around every
    /// convolution and pooling layer.
    static func fuseChannelsLast(_ layers: [any Layer]) -> [any Layer] {
        var result: [any Layer] = []
        var run: [any Layer] = []
        var pending: [any Layer] = []   // elementwise layers after the last wrapper of the run
        func flush() {
            if run.count == 1, let only = run.first { result.append(ChannelsLast(only)) }
            else if run.count > 1 { result.append(ChannelsLast(Sequential(run))) }
            run = []
            result += pending
            pending = []
        }
        for layer in layers {
            if let wrapped = layer as? ChannelsLast {
                run += pending + [wrapped.layer]
                pending = []
            } else if !run.isEmpty && isElementwise(layer) {
                pending.append(layer)
            } else {
                flush()
                result.append(layer)
            }
        }
        flush()
        return result
    }

    /// Layers that act on each element alone (any layout gives the same result).
    static func isElementwise(_ layer: any Layer) -> Bool {
        if let a = layer as? ActivationLayer {
            switch a.activation {
            case .softmax, .logSoftmax: return false
            default: return true
            }
        }
        return layer is Dropout || layer is GaussianNoise || layer is GaussianDropout || layer is AlphaDropout
    }

    /// The tensors a call node reads: `[layer name, node index, tensor index]` triples, in argument order.
    func callInputs(_ node: JSON, layer name: String) throws -> [(String, Int, Int)] {
        func triple(_ j: JSON) -> (String, Int, Int)? {
            if let history = j["config"]?["keras_history"]?.array, history.count >= 3, let n = history[0].string,
               let i = history[1].int, let t = history[2].int { return (n, i, t) }
            if let a = j.array, a.count >= 3, let n = a[0].string, let i = a[1].int, let t = a[2].int { return (n, i, t) }   // Keras 2
            return nil
        }
        func tensors(_ j: JSON) -> [(String, Int, Int)] {
            if let t = triple(j) { return [t] }
            if let a = j.array { return a.flatMap(tensors) }
            return []
        }
        var result: [(String, Int, Int)] = []
        if let args = node["args"] {   // Keras 3
            for key in ["attention_mask", "query_mask", "value_mask", "key_mask", "initial_state", "constants"] where node["kwargs"]?[key].map({ !$0.isNull }) ?? false {
                throw ModelFileError(.unsupported, file: path, "layer '\(name)'", "the call argument '\(key)' is not supported")
            }
            result = tensors(args)
            for key in ["query", "value", "key", "inputs"] { if let v = node["kwargs"]?[key] { result += tensors(v) } }
        } else {
            result = tensors(node)       // Keras 2: [[name, node, tensor, kwargs], ...]
        }
        guard !result.isEmpty else {
            throw ModelFileError(.badConfig, file: path, "layer '\(name)'", "an inbound node names no input tensors")
        }
        return result
    }

    /// `input_layers` / `output_layers`: one `[name, node, tensor]` triple, or a list of them.
    static func tensorTriples(_ value: JSON?) -> [JSON] {
        guard let value else { return [] }
        return value[0]?.string != nil ? [value] : (value.array ?? [])
    }

    mutating func functional(_ config: JSON) throws -> (any Layer, [ModelArchive.Input]) {
        guard let entries = config["layers"]?.array else { throw ModelFileError(.badConfig, file: path, "model config", "Functional without 'layers'") }
        let builder = GraphBuilder()
        var handles: [String: [GraphNode]] = [:]   // layer name → one handle per call
        var inputs: [ModelArchive.Input] = []
        var maskOps: [String: String] = [:]
        // Graph inputs in the model's own order (`input_layers`), which need not be the order of `layers`.
        let inputEntries = Dictionary(entries.compactMap { e -> (String, JSON)? in
            guard e["class_name"]?.string == "InputLayer", let n = e["name"]?.string ?? e["config"]?["name"]?.string else { return nil }
            return (n, e)
        }, uniquingKeysWith: { a, _ in a })
        let declared = Self.tensorTriples(config["input_layers"]).compactMap { $0[0]?.string }
        for name in declared + inputEntries.keys.sorted() where handles[name] == nil {
            guard let entry = inputEntries[name] else {
                throw ModelFileError(.badConfig, file: path, "model config", "'input_layers' names '\(name)', which is not an InputLayer")
            }
            guard let spec = inputSpec(name: name, config: entry["config"] ?? [:]) else {
                throw ModelFileError(.badConfig, file: path, "layer '\(name)' (InputLayer)", "no batch_shape")
            }
            guard spec.shape.allSatisfy({ $0 == -1 || ($0 > 0 && $0 < 1 << 24) }) else {
                throw ModelFileError(.badConfig, file: path, "layer '\(name)' (InputLayer)", "input shape \(spec.shape) is not a list of positive sizes")
            }
            inputs.append(spec)
            handles[name] = [builder.input(name, shape: spec.shape.map { $0 < 0 ? 1 : $0 })]
        }
        for entry in entries {
            let className = entry["class_name"]?.string ?? "?"
            let layerConfig = entry["config"] ?? [:]
            guard let name = entry["name"]?.string ?? layerConfig["name"]?.string else {
                throw ModelFileError(.badConfig, file: path, "model config", "a \(className) layer without a name")
            }
            // Keras 3 records mask computations of Functional models as op layers (NotEqual, ...)
            // whose outputs go only to `mask=` arguments; DeepSwift's graph carries masks itself.
            if (entry["module"]?.string ?? "").hasPrefix("keras.src.ops") {
                maskOps[name] = className
                continue
            }
            if className == "InputLayer" { continue }
            let converted = try layer(entry, name: name)
            let calls = entry["inbound_nodes"]?.array ?? []
            var made: [GraphNode] = []
            for (index, call) in calls.enumerated() {
                let sources = try callInputs(call, layer: name).map { (source, node, tensor) -> GraphNode in
                    if let op = maskOps[source] {
                        throw ModelFileError(.unsupported, file: path, "layer '\(name)' (\(className))",
                                             "reads Keras operation '\(source)' (\(op)); operation layers are supported only as masks")
                    }
                    guard tensor == 0, let list = handles[source], node >= 0, node < list.count else {
                        throw ModelFileError(.badConfig, file: path, "layer '\(name)' (\(className))",
                                             "input \(source)[\(node)][\(tensor)] is not an earlier layer's output (multi-output layers are not supported)")
                    }
                    return list[node]
                }
                let nodeName = index == 0 ? name : "\(name)_\(index)"
                switch converted {
                case .layer(let l):
                    guard sources.count == 1 else {
                        throw ModelFileError(.unsupported, file: path, "layer '\(name)' (\(className))", "called with \(sources.count) inputs; it takes one")
                    }
                    made.append(builder.add(nodeName, l, sources[0]))
                case .merge(let operation):
                    made.append(builder.merge(nodeName, operation, sources))
                case .attention(let mha):
                    let causal = call["kwargs"]?["use_causal_mask"]?.bool ?? false
                    if index > 0 && causal != mha.causal {
                        throw ModelFileError(.unsupported, file: path, "layer '\(name)' (\(className))", "calls with and without use_causal_mask share the layer")
                    }
                    mha.causal = causal
                    guard (2...3).contains(sources.count) else {
                        throw ModelFileError(.unsupported, file: path, "layer '\(name)' (\(className))", "expected query and value (and key) inputs, found \(sources.count)")
                    }
                    made.append(builder.add(nodeName, mha, sources))
                }
            }
            handles[name] = made
        }
        func outputs(_ key: String) throws -> [GraphNode] {
            guard let value = config[key] else { throw ModelFileError(.badConfig, file: path, "model config", "'\(key)' is missing") }
            return try Self.tensorTriples(value).map { t in
                guard let n = t[0]?.string, let i = t[1]?.int, let list = handles[n], i >= 0, i < list.count else {
                    throw ModelFileError(.badConfig, file: path, "model config", "'\(key)' names an unknown tensor \(String(decoding: t.serialized(), as: UTF8.self))")
                }
                return list[i]
            }
        }
        // Unknown sizes (None) would make the shape check run layers on made-up sizes.
        let known = inputs.allSatisfy { $0.shape.allSatisfy { $0 > 0 } }
        do {
            return (try builder.build(outputs: try outputs("output_layers"), validate: known), inputs)
        } catch let error as GraphError {
            throw ModelFileError(.badConfig, file: path, "model graph", error.description)
        }
    }

    // MARK: Layers

    enum Converted {
        case layer(any Layer)
        case merge(MergeOperation)
        case attention(MultiHeadAttention)
    }

    func unsupported(_ name: String, _ className: String, _ detail: String) -> ModelFileError {
        ModelFileError(.unsupported, file: path, "layer '\(name)' (\(className))", detail)
    }

    /// One Keras layer entry. `weights` are taken from the file unless given (nested layers).
    func layer(_ entry: JSON, name: String, weights given: [Tensor]? = nil) throws -> Converted {
        let className = entry["class_name"]?.string ?? "?"
        let c = entry["config"] ?? [:]
        // Dense kernels are read transposed (the common large weight); everything else as stored.
        let dense = className == "Dense" && given == nil ? try file.denseWeights(of: name) : nil
        let w = try given ?? (dense != nil ? [] : file.weights(of: name, className: className))
        let place = "layer '\(name)' (\(className))"
        func fail(_ detail: String) -> ModelFileError { ModelFileError(.badConfig, file: path, place, detail) }
        func int(_ key: String) throws -> Int {
            if let v = c[key]?.int { return v }
            if let v = c[key]?.array, v.count == 1, let n = v[0].int { return n }
            throw fail("field '\(key)' is missing or not an integer")
        }
        func ints(_ key: String, _ count: Int) throws -> [Int] {
            if let v = c[key]?.int { return Array(repeating: v, count: count) }
            guard let v = c[key]?.ints, v.count == count else { throw fail("field '\(key)' is missing or not \(count) integers") }
            return v
        }
        func bool(_ key: String, _ fallback: Bool) -> Bool { c[key]?.bool ?? fallback }
        func double(_ key: String, _ fallback: Double) -> Double { c[key]?.double ?? fallback }
        func rate(_ key: String) throws -> Double {
            let r = double(key, 0)
            guard r >= 0 && r < 1 else { throw fail("field '\(key)' is \(r), expected a rate in [0, 1)") }
            return r
        }
        func weight(_ i: Int, rank: Int? = nil) throws -> Tensor {
            guard i < w.count else { throw ModelFileError(.missingTensor, file: path, place, "weight \(i) is missing (the file has \(w.count) for this layer)") }
            if let rank, w[i].rank != rank { throw ModelFileError(.shapeMismatch, file: path, place, "weight \(i) has shape \(w[i].shape), expected rank \(rank)") }
            return w[i]
        }
        func expectWeights(_ n: Int) throws {
            guard w.count == n else {
                throw ModelFileError(.shapeMismatch, file: path, place, "expected \(n) weights, the file has \(w.count) (\(w.map(\.shape)))")
            }
        }
        var rng = PhiloxGenerator(seed: 0)
        let channelsLast = (c["data_format"]?.string ?? "channels_last") == "channels_last"
        func spatial(_ l: any Layer) -> any Layer { channelsLast ? ChannelsLast(l) : l }
        func activationOf(_ key: String = "activation") throws -> Activation {
            try KerasActivations.map(c[key], place: place, file: path)
        }
        func withActivation(_ l: any Layer, _ key: String = "activation") throws -> any Layer {
            let a = try activationOf(key)
            return a == .identity ? l : Sequential([l, ActivationLayer(a)])
        }
        func padding(_ kernel: [Int], dilation: [Int]) throws -> String {
            let p = c["padding"]?.string ?? "valid"
            guard ["valid", "same", "causal"].contains(p) else { throw unsupported(name, className, "padding '\(p)'; supported: valid, same, causal (Conv1D)") }
            return p
        }
        func assign(_ parameter: Parameter?, _ value: Tensor) throws {
            guard let parameter else { throw fail("the layer has no parameter for a weight of shape \(value.shape)") }
            guard parameter.value.shape == value.shape else {
                throw ModelFileError(.shapeMismatch, file: path, place, "weight of shape \(value.shape) does not fit parameter \(parameter.value.shape)")
            }
            parameter.value = value.contiguous()
        }

        switch className {
        case "Dense":
            let useBias = bool("use_bias", true)
            let matrix: Tensor, bias: Tensor?
            if let dense {
                guard dense.count == (useBias ? 2 : 1) else {
                    throw ModelFileError(.shapeMismatch, file: path, place, "expected \(useBias ? 2 : 1) weights, the file has \(dense.count)")
                }
                (matrix, bias) = (dense.kernel, dense.bias)
            } else {
                try expectWeights(useBias ? 2 : 1)
                matrix = try weight(0, rank: 2).transposed().contiguous()
                bias = useBias ? try weight(1, rank: 1) : nil
            }
            if let bias, bias.shape != [matrix.shape[0]] {
                throw ModelFileError(.shapeMismatch, file: path, place, "bias \(bias.shape) does not fit kernel \(Array(matrix.shape.reversed()))")
            }
            return .layer(Dense(weight: matrix, bias: bias, activation: try activationOf()))
        case "Activation":
            return .layer(ActivationLayer(try activationOf()))
        case "ReLU":
            let maxValue = c["max_value"]?.double, slope = double("negative_slope", 0), threshold = double("threshold", 0)
            guard threshold == 0 else { throw unsupported(name, className, "threshold \(threshold) (only 0 is supported)") }
            switch (maxValue, slope) {
            case (nil, 0): return .layer(ActivationLayer(.relu))
            case (6?, 0): return .layer(ActivationLayer(.relu6))
            case (nil, let s): return .layer(ActivationLayer(.leakyRelu(s)))
            default: throw unsupported(name, className, "max_value \(maxValue!) with negative_slope \(slope) (supported: max_value 6 or none)")
            }
        case "LeakyReLU":
            return .layer(ActivationLayer(.leakyRelu(c["negative_slope"]?.double ?? c["alpha"]?.double ?? 0.3)))
        case "ELU":
            return .layer(ActivationLayer(.elu(double("alpha", 1))))
        case "Softmax":
            let axis = c["axis"]?.int ?? (c["axis"]?.ints?.count == 1 ? c["axis"]!.ints![0] : nil)
            guard let axis else { throw unsupported(name, className, "softmax over several axes") }
            return .layer(ActivationLayer(.softmax(axis: axis)))
        case "PReLU":
            try expectWeights(1)
            let alpha = try weight(0)
            let p: PReLU
            guard alpha.count > 0 else { throw fail("empty alpha") }
            if alpha.rank == 0 {
                p = PReLU(channels: 1)
                try assign(p.weight, alpha.reshaped([1]))
                return .layer(p)
            } else if alpha.rank == 1 {
                p = PReLU(channels: alpha.shape[0])
            } else if alpha.shape.dropLast().allSatisfy({ $0 == 1 }) && alpha.shape.last! > 1 {
                let prelu = PReLU(channels: alpha.shape.last!)
                try assign(prelu.weight, alpha.reshaped([alpha.shape.last!]))
                return .layer(ChannelsLast(prelu))
            } else {
                p = PReLU(sampleShape: alpha.shape)
            }
            try assign(p.weight, alpha)
            return .layer(p)
        case "Dropout":
            return .layer(Dropout(rate: try rate("rate")))
        case "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D":
            return .layer(spatial(SpatialDropout(rate: try rate("rate"))))
        case "GaussianDropout":
            return .layer(GaussianDropout(rate: try rate("rate")))
        case "GaussianNoise":
            return .layer(GaussianNoise(std: double("stddev", 0)))
        case "AlphaDropout":
            return .layer(AlphaDropout(rate: try rate("rate")))
        case "Flatten":
            return .layer(Flatten())
        case "Reshape":
            guard let shape = c["target_shape"]?.ints else { throw fail("field 'target_shape' is missing") }
            return .layer(Reshape(shape))
        case "Permute":
            guard let dims = c["dims"]?.ints, dims.sorted() == Array(1...dims.count) else { throw fail("field 'dims' is not a permutation of 1...n") }
            return .layer(Permute(dims.map { $0 - 1 }))
        case "RepeatVector":
            let n = try int("n")
            guard n > 0 else { throw fail("field 'n' is \(n), expected a positive count") }
            return .layer(RepeatVector(n))
        case "Masking":
            return .layer(Masking(value: double("mask_value", 0)))
        case "Identity", "ActivityRegularization":
            return .layer(Identity())
        case "Rescaling":
            func values(_ key: String, _ fallback: Double) throws -> [Double] {
                guard let v = c[key], !v.isNull else { return [fallback] }
                if let d = v.double { return [d] }
                guard let a = v.array?.compactMap(\.double), !a.isEmpty, a.count == v.array!.count else { throw fail("field '\(key)' is not a number or list of numbers") }
                return a
            }
            let scale = try values("scale", 1), offset = try values("offset", 0)
            guard (scale + offset).allSatisfy(\.isFinite) else { throw fail("scale and offset must be finite") }
            return .layer(Rescaling(scale: scale, offset: offset))
        case "Normalization":
            // (x − mean) / max(√variance, ε) over the last axis; mean and variance come from adapt()
            // (weights mean, variance, count) or from the config.
            if bool("invert", false) { throw unsupported(name, className, "invert=True") }
            let axis = c["axis"]?.int ?? (c["axis"]?.ints?.count == 1 ? c["axis"]!.ints![0] : -1)
            guard axis == -1 || axis == (entry["build_config"]?["input_shape"]?.array?.count).map({ $0 - 1 }) ?? -1 else {
                throw unsupported(name, className, "normalization axis \(axis) (supported: the last axis)")
            }
            let mean: [Double], variance: [Double]
            if w.count >= 2 {
                mean = w[0].cast(to: .float64).contiguous().scalars(as: Double.self)
                variance = w[1].cast(to: .float64).contiguous().scalars(as: Double.self)
            } else if let m = c["mean"], let v = c["variance"] {
                mean = m.double.map { [$0] } ?? (m.array ?? []).compactMap(\.double)
                variance = v.double.map { [$0] } ?? (v.array ?? []).compactMap(\.double)
            } else {
                throw fail("neither adapted weights nor mean/variance in the config")
            }
            guard !mean.isEmpty, mean.count == variance.count, (mean + variance).allSatisfy(\.isFinite), variance.allSatisfy({ $0 >= 0 }) else {
                throw fail("mean \(mean.count) and variance \(variance.count) values do not fit")
            }
            let deviation = variance.map { Swift.max($0.squareRoot(), 1e-7) }   // Keras's epsilon
            return .layer(Rescaling(scale: deviation.map { 1 / $0 }, offset: zip(mean, deviation).map { -$0 / $1 }))

        case "Conv1D", "Conv2D", "Conv3D":
            let rank = className == "Conv1D" ? 1 : (className == "Conv2D" ? 2 : 3)
            let useBias = bool("use_bias", true)
            try expectWeights(useBias ? 2 : 1)
            let kernel = try weight(0, rank: rank + 2)          // [k..., in/groups, out]
            let groups = c["groups"]?.int ?? 1
            let k = Array(kernel.shape.prefix(rank)), inPerGroup = kernel.shape[rank], out = kernel.shape[rank + 1]
            guard groups >= 1, out % groups == 0, inPerGroup > 0, out > 0, k.allSatisfy({ $0 > 0 }) else {
                throw fail("kernel \(kernel.shape) with \(groups) groups does not describe a convolution")
            }
            let stride = try ints("strides", rank), dilation = try ints("dilation_rate", rank)
            let pad = try padding(k, dilation: dilation)
            let ours = kernel.permuted([rank + 1, rank] + Array(0..<rank))   // [out, in/groups, k...]
            let bias = useBias ? try weight(1) : nil
            let activation = try activationOf()
            let effective = zip(k, dilation).map { ($0 - 1) * $1 + 1 }
            switch rank {
            case 2:
                let conv = Conv2D(inPerGroup * groups, out, kernel: (k[0], k[1]), stride: (stride[0], stride[1]), padding: pad == "same" ? .same : .valid,
                                  dilation: (dilation[0], dilation[1]), groups: groups, bias: useBias, activation: activation, using: &rng)
                try assign(conv.weight, ours)
                if let bias { try assign(conv.bias, bias) }
                return .layer(spatial(conv))
            case 1:
                if pad == "same" && stride[0] > 1 {
                    // TF's "same" with a stride depends on the length: run it as a 2-D convolution of height 1.
                    let conv = Conv2D(inPerGroup * groups, out, kernel: (1, k[0]), stride: (1, stride[0]), padding: .same,
                                      dilation: (1, dilation[0]), groups: groups, bias: useBias, activation: activation, using: &rng)
                    try assign(conv.weight, ours.unsqueezed(axis: 2))
                    if let bias { try assign(conv.bias, bias) }
                    return .layer(spatial(Sequential([Unsqueeze(axis: 2), conv, Squeeze(axis: 2)])))
                }
                let conv = Conv1D(inPerGroup * groups, out, kernel: k[0], stride: stride[0], padding: 0, dilation: dilation[0], groups: groups,
                                  bias: useBias, activation: activation, using: &rng)
                try assign(conv.weight, ours)
                if let bias { try assign(conv.bias, bias) }
                let total = effective[0] - 1
                switch pad {
                case "same": return .layer(spatial(Sequential([ZeroPadding1D(left: total / 2, right: total - total / 2), conv])))
                case "causal": return .layer(spatial(Sequential([ZeroPadding1D(left: total, right: 0), conv])))
                default: return .layer(spatial(conv))
                }
            default:
                guard groups == 1 else { throw unsupported(name, className, "grouped 3-D convolution") }
                var padding3 = (0, 0, 0)
                if pad == "same" {
                    guard stride.allSatisfy({ $0 == 1 }), effective.allSatisfy({ $0 % 2 == 1 }) else {
                        throw unsupported(name, className, "padding 'same' with strides \(stride) or an even kernel \(effective) (supported: stride 1, odd kernel)")
                    }
                    padding3 = ((effective[0] - 1) / 2, (effective[1] - 1) / 2, (effective[2] - 1) / 2)
                }
                let conv = Conv3D(inPerGroup, out, kernel: (k[0], k[1], k[2]), stride: (stride[0], stride[1], stride[2]), padding: padding3,
                                  dilation: (dilation[0], dilation[1], dilation[2]), bias: useBias, activation: activation, using: &rng)
                try assign(conv.weight, ours)
                if let bias { try assign(conv.bias, bias) }
                return .layer(spatial(conv))
            }
        case "Conv2DTranspose":
            let useBias = bool("use_bias", true)
            try expectWeights(useBias ? 2 : 1)
            let kernel = try weight(0, rank: 4)                 // [kh, kw, out, in]
            let k = [kernel.shape[0], kernel.shape[1]], out = kernel.shape[2], input = kernel.shape[3]
            let stride = try ints("strides", 2), dilation = try ints("dilation_rate", 2)
            let pad = try padding(k, dilation: dilation)
            guard c["output_padding"] == nil || c["output_padding"]!.isNull else { throw unsupported(name, className, "output_padding") }
            guard (c["groups"]?.int ?? 1) == 1 else { throw unsupported(name, className, "groups") }
            // The full transposed convolution, then TF's crop: (k_eff − stride) split with the smaller half first.
            var cropping = [0, 0, 0, 0], extra = [0, 0]
            for axis in 0..<2 {
                let excess = (k[axis] - 1) * dilation[axis] + 1 - stride[axis]
                if pad == "same" {
                    if excess >= 0 { cropping[2 * axis] = excess / 2; cropping[2 * axis + 1] = excess - excess / 2 } else { extra[axis] = -excess }
                } else if excess < 0 {
                    extra[axis] = -excess
                }
            }
            let conv = Conv2DTranspose(input, out, kernel: (k[0], k[1]), stride: (stride[0], stride[1]), outputPadding: (extra[0], extra[1]),
                                       dilation: (dilation[0], dilation[1]), bias: useBias, using: &rng)
            try assign(conv.weight, kernel.permuted([3, 2, 0, 1]))
            if useBias { try assign(conv.bias, try weight(1)) }
            var parts: [any Layer] = [conv]
            if cropping.contains(where: { $0 > 0 }) { parts.append(Cropping2D(top: cropping[0], bottom: cropping[1], left: cropping[2], right: cropping[3])) }
            let a = try activationOf()
            if a != .identity { parts.append(ActivationLayer(a)) }
            return .layer(spatial(parts.count == 1 ? conv : Sequential(parts)))
        case "DepthwiseConv2D", "SeparableConv2D":
            let separable = className == "SeparableConv2D"
            let useBias = bool("use_bias", true)
            try expectWeights((separable ? 2 : 1) + (useBias ? 1 : 0))
            let depthKernel = try weight(0, rank: 4)            // [kh, kw, in, multiplier]
            let kh = depthKernel.shape[0], kw = depthKernel.shape[1], channels = depthKernel.shape[2], multiplier = depthKernel.shape[3]
            guard kh > 0, kw > 0, channels > 0, multiplier > 0 else { throw fail("depthwise kernel \(depthKernel.shape) has an empty axis") }
            let stride = try ints("strides", 2), dilation = try ints("dilation_rate", 2)
            let pad = try padding([kh, kw], dilation: dilation)
            let depthwise = Conv2D(channels, channels * multiplier, kernel: (kh, kw), stride: (stride[0], stride[1]), padding: pad == "same" ? .same : .valid,
                                   dilation: (dilation[0], dilation[1]), groups: channels, bias: !separable && useBias, using: &rng)
            try assign(depthwise.weight, depthKernel.permuted([2, 3, 0, 1]).contiguous().reshaped([channels * multiplier, 1, kh, kw]))
            if !separable {
                if useBias { try assign(depthwise.bias, try weight(1)) }
                return .layer(spatial(try withActivation(depthwise)))
            }
            let pointKernel = try weight(1, rank: 4)            // [1, 1, in·multiplier, out]
            let pointwise = Conv2D(channels * multiplier, pointKernel.shape[3], kernel: (1, 1), bias: useBias, activation: try activationOf(), using: &rng)
            try assign(pointwise.weight, pointKernel.permuted([3, 2, 0, 1]))
            if useBias { try assign(pointwise.bias, try weight(2)) }
            return .layer(spatial(SeparableConv2D(depthwise: depthwise, pointwise: pointwise)))

        case "MaxPooling1D", "AveragePooling1D", "MaxPooling2D", "AveragePooling2D":
            let rank = className.hasSuffix("1D") ? 1 : 2, isMax = className.hasPrefix("Max")
            let size = try ints("pool_size", rank)
            let stride = (c["strides"].map { $0.isNull } ?? true) ? size : try ints("strides", rank)
            let pad = c["padding"]?.string ?? "valid"
            guard pad == "valid" || pad == "same" else { throw unsupported(name, className, "padding '\(pad)'") }
            let padding: Padding = pad == "same" ? .same : .valid
            let kernel = rank == 1 ? (1, size[0]) : (size[0], size[1]), strides = rank == 1 ? (1, stride[0]) : (stride[0], stride[1])
            let pool: any Layer = isMax ? MaxPool2D(kernel: kernel, stride: strides, padding: padding)
                                        : AvgPool2D(kernel: kernel, stride: strides, padding: padding, countIncludePad: false)
            return .layer(spatial(rank == 1 ? Sequential([Unsqueeze(axis: 2), pool, Squeeze(axis: 2)]) : pool))
        case "MaxPooling3D", "AveragePooling3D":
            let size = try ints("pool_size", 3)
            let stride = (c["strides"].map { $0.isNull } ?? true) ? size : try ints("strides", 3)
            guard (c["padding"]?.string ?? "valid") == "valid" else { throw unsupported(name, className, "padding 'same' (supported: valid)") }
            return .layer(spatial(Pool3D(kernel: (size[0], size[1], size[2]), stride: (stride[0], stride[1], stride[2]), max: className.hasPrefix("Max"))))
        case "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D":
            let rank = Int(String(className.dropLast().last!))!
            guard !bool("keepdims", false) else { throw unsupported(name, className, "keepdims") }
            let axes = channelsLast ? Array(1...rank) : Array(2...(rank + 1))
            return .layer(GlobalPooling(axes: axes, max: className.hasPrefix("GlobalMax")))
        case "ZeroPadding1D", "Cropping1D":
            let key = className == "ZeroPadding1D" ? "padding" : "cropping"
            let amounts = try ints(key, 2)
            let l: any Layer = className == "ZeroPadding1D" ? ZeroPadding1D(left: amounts[0], right: amounts[1]) : Cropping1D(left: amounts[0], right: amounts[1])
            return .layer(ChannelsLast(l))
        case "ZeroPadding2D", "Cropping2D":
            let key = className == "ZeroPadding2D" ? "padding" : "cropping"
            var a: [Int]
            if let n = c[key]?.int { a = [n, n, n, n] }
            else if let pair = c[key]?.ints, pair.count == 2 { a = [pair[0], pair[0], pair[1], pair[1]] }
            else if let nested = c[key]?.array, nested.count == 2, let h = nested[0].ints, let v = nested[1].ints, h.count == 2, v.count == 2 { a = h + v }
            else { throw fail("field '\(key)' is not an int, a pair or a pair of pairs") }
            let l: any Layer = className == "ZeroPadding2D" ? ZeroPadding2D(top: a[0], bottom: a[1], left: a[2], right: a[3])
                                                            : Cropping2D(top: a[0], bottom: a[1], left: a[2], right: a[3])
            return .layer(spatial(l))
        case "UpSampling1D":
            return .layer(UpSampling1D(scale: try int("size"), axis: 1))
        case "UpSampling2D":
            let size = try ints("size", 2)
            switch c["interpolation"]?.string ?? "nearest" {
            case "nearest": return .layer(spatial(UpSampling2D(scale: (size[0], size[1]))))
            case "bilinear": return .layer(spatial(BilinearUpSampling2D(scale: (size[0], size[1]))))
            case let other: throw unsupported(name, className, "interpolation '\(other)' (supported: nearest, bilinear)")
            }

        case "BatchNormalization":
            let center = bool("center", true), scale = bool("scale", true)
            try expectWeights(2 + (center ? 1 : 0) + (scale ? 1 : 0))
            var i = 0
            let gamma = scale ? try weight(i) : nil; if scale { i += 1 }
            let beta = center ? try weight(i) : nil; if center { i += 1 }
            let mean = try weight(i, rank: 1), variance = try weight(i + 1, rank: 1)
            let bn = BatchNorm(channels: mean.shape[0], momentum: 1 - double("momentum", 0.99), epsilon: double("epsilon", 1e-3), affine: center || scale)
            if center || scale {
                try assign(bn.weight, gamma ?? Tensor.ones(mean.shape))
                try assign(bn.bias, beta ?? Tensor.zeros(mean.shape))
            }
            bn.runningMean = mean
            bn.runningVariance = variance
            let axis = c["axis"]?.int ?? (c["axis"]?.ints?.count == 1 ? c["axis"]!.ints![0] : nil)
            if axis == 1 { return .layer(bn) }
            let inputRank = entry["build_config"]?["input_shape"]?.array?.count
            // Keras 2 writes the positive index of the last axis (e.g. 3 for images) and no input shape.
            guard let axis, axis == -1 || (axis >= 2 && (inputRank == nil || axis == inputRank! - 1)) else {
                throw unsupported(name, className, "normalization axis \(c["axis"].map { String(decoding: $0.serialized(), as: UTF8.self) } ?? "?") (supported: the last axis, or 1)")
            }
            return .layer(ChannelsLast(bn))
        case "LayerNormalization":
            guard !bool("rms_scaling", false) else { throw unsupported(name, className, "rms_scaling") }
            let axes = c["axis"]?.ints ?? c["axis"]?.int.map { [$0] } ?? [-1]
            let inputRank = entry["build_config"]?["input_shape"]?.array?.count
            guard axes.count == 1, axes[0] == -1 || (axes[0] >= 1 && (inputRank == nil || axes[0] == inputRank! - 1)) else {
                throw unsupported(name, className, "normalization over axes \(axes) (supported: the last axis)")
            }
            let center = bool("center", true), scale = bool("scale", true)
            try expectWeights((center ? 1 : 0) + (scale ? 1 : 0))
            let size = w.first?.shape.last ?? (entry["build_config"]?["input_shape"]?.array?.last?.int ?? 0)
            guard size > 0 else { throw fail("the normalized size is unknown (no weights and no build_config)") }
            let norm = LayerNorm([size], epsilon: double("epsilon", 1e-3), affine: center || scale)
            if center || scale {
                try assign(norm.weight, scale ? try weight(0) : Tensor.ones([size]))
                try assign(norm.bias, center ? try weight(scale ? 1 : 0) : Tensor.zeros([size]))
            }
            return .layer(norm)
        case "Embedding":
            try expectWeights(1)
            let table = try weight(0, rank: 2)
            let e = Embedding(count: table.shape[0], dimension: table.shape[1], paddingIndex: bool("mask_zero", false) ? 0 : nil, using: &rng)
            try assign(e.weight, table)
            return .layer(e)
        case "SimpleRNN", "LSTM", "GRU":
            return .layer(try recurrent(className, c, w, place: place))
        case "Bidirectional":
            guard let inner = c["layer"], let innerClass = inner["class_name"]?.string, ["SimpleRNN", "LSTM", "GRU"].contains(innerClass) else {
                throw unsupported(name, className, "only recurrent layers (SimpleRNN, LSTM, GRU) can be wrapped")
            }
            let backwardEntry = c["backward_layer"] ?? inner
            let backwardClass = backwardEntry["class_name"]?.string ?? innerClass
            guard w.count % 2 == 0 else { throw ModelFileError(.shapeMismatch, file: path, place, "expected an even number of weights, found \(w.count)") }
            let half = w.count / 2
            let forward = try recurrent(innerClass, inner["config"] ?? [:], Array(w[..<half]), place: place + " forward", forceBackwards: false)
            let backward = try recurrent(backwardClass, backwardEntry["config"] ?? [:], Array(w[half...]), place: place + " backward", forceBackwards: true)
            let merge: Bidirectional.Merge
            switch c["merge_mode"]?.string {
            case "concat"?: merge = .concat
            case "sum"?: merge = .sum
            case "mul"?: merge = .multiply
            case "ave"?: merge = .average
            default: throw unsupported(name, className, "merge_mode \(c["merge_mode"].map { String(decoding: $0.serialized(), as: UTF8.self) } ?? "none") (supported: concat, sum, mul, ave)")
            }
            return .layer(Bidirectional(forward, backward, merge: merge))
        case "TimeDistributed":
            guard let inner = c["layer"] else { throw fail("field 'layer' is missing") }
            let innerName = inner["config"]?["name"]?.string ?? name + ".layer"
            guard case .layer(let l) = try layer(inner, name: innerName, weights: w) else { throw unsupported(name, className, "wrapping a merge layer") }
            return .layer(TimeDistributed(l))
        case "Add": return .merge(.add)
        case "Subtract": return .merge(.subtract)
        case "Multiply": return .merge(.multiply)
        case "Average": return .merge(.average)
        case "Maximum": return .merge(.maximum)
        case "Minimum": return .merge(.minimum)
        case "Concatenate": return .merge(.concatenate(axis: c["axis"]?.int ?? -1))
        case "MultiHeadAttention":
            return .attention(try attention(c, w, place: place, name: name, className: className))
        default:
            throw unsupported(name, className, "this layer class is not supported; supported: \(KerasImporter.supportedLayers.joined(separator: ", "))")
        }
    }

    /// SimpleRNN, LSTM or GRU with Keras's weights `kernel [in, G·h]`, `recurrent_kernel [h, G·h]`,
    /// `bias [G·h]` (GRU with reset_after: `[2, 3h]`, input and recurrent bias).
    func recurrent(_ className: String, _ c: JSON, _ w: [Tensor], place: String, forceBackwards: Bool? = nil) throws -> RecurrentLayer {
        func unsupported(_ detail: String) -> ModelFileError { ModelFileError(.unsupported, file: path, place, detail) }
        for flag in ["return_state", "stateful"] where c[flag]?.bool == true { throw unsupported("\(flag)=true") }
        let useBias = c["use_bias"]?.bool ?? true
        guard w.count == (useBias ? 3 : 2), w[0].rank == 2, w[1].rank == 2 else {
            throw ModelFileError(.shapeMismatch, file: path, place, "expected kernel, recurrent kernel\(useBias ? " and bias" : ""), found shapes \(w.map(\.shape))")
        }
        let activation = c["activation"]?.string ?? "tanh"
        let cell: RecurrentCell
        switch className {
        case "LSTM":
            guard activation == "tanh", (c["recurrent_activation"]?.string ?? "sigmoid") == "sigmoid" else {
                throw unsupported("activation \(activation) / recurrent_activation \(c["recurrent_activation"]?.string ?? "?") (supported: tanh / sigmoid)")
            }
            cell = .lstm
        case "GRU":
            guard activation == "tanh", (c["recurrent_activation"]?.string ?? "sigmoid") == "sigmoid" else {
                throw unsupported("activation \(activation) / recurrent_activation \(c["recurrent_activation"]?.string ?? "?") (supported: tanh / sigmoid)")
            }
            cell = .gru(resetAfter: c["reset_after"]?.bool ?? true)
        default:
            guard activation == "tanh" || activation == "relu" else { throw unsupported("activation \(activation) (supported: tanh, relu)") }
            cell = .simple(relu: activation == "relu")
        }
        let input = w[0].shape[0], hidden = w[1].shape[0]
        for key in ["dropout", "recurrent_dropout"] {
            let r = c[key]?.double ?? 0
            guard r >= 0 && r < 1 else { throw ModelFileError(.badConfig, file: path, place, "field '\(key)' is \(r), expected a rate in [0, 1)") }
        }
        guard input > 0, hidden > 0, w[1].shape[1] == w[0].shape[1] else {
            throw ModelFileError(.shapeMismatch, file: path, place, "kernel \(w[0].shape) and recurrent kernel \(w[1].shape) do not fit together")
        }
        var rng = PhiloxGenerator(seed: 0)
        if forceBackwards == nil && c["go_backwards"]?.bool == true && (c["return_sequences"]?.bool ?? false) {
            throw unsupported("go_backwards with return_sequences outside Bidirectional (Keras returns that sequence reversed)")
        }
        let layer = RecurrentLayer(cell: cell, inputSize: input, hiddenSize: hidden, bias: useBias,
                                   returnSequences: c["return_sequences"]?.bool ?? false, goBackwards: forceBackwards ?? (c["go_backwards"]?.bool ?? false),
                                   dropout: c["dropout"]?.double ?? 0, recurrentDropout: c["recurrent_dropout"]?.double ?? 0, using: &rng)
        let isGRU: Bool
        if case .gru = cell { isGRU = true } else { isGRU = false }
        func gates(_ t: Tensor) -> Tensor {   // Keras GRU gate blocks (z, r, h) → DeepSwift's (r, z, n)
            guard isGRU else { return t }
            let h = t.shape[0] / 3
            return Tensor.concat([t.narrowed(axis: 0, start: h, length: h), t.narrowed(axis: 0, start: 0, length: h),
                                  t.narrowed(axis: 0, start: 2 * h, length: h)], axis: 0)
        }
        func set(_ p: Parameter?, _ value: Tensor) throws {
            guard let p, p.value.shape == value.shape else {
                throw ModelFileError(.shapeMismatch, file: path, place, "weight of shape \(value.shape) does not fit \(p?.value.shape ?? [])")
            }
            p.value = value.contiguous()
        }
        try set(layer.weightIH, gates(w[0].transposed().contiguous()))
        try set(layer.weightHH, gates(w[1].transposed().contiguous()))
        if useBias {
            let bias = w[2]
            if bias.rank == 2 {
                guard bias.shape[0] == 2 else { throw ModelFileError(.shapeMismatch, file: path, place, "bias shape \(bias.shape), expected [2, \(3 * hidden)]") }
                try set(layer.biasIH, gates(bias[0]))
                try set(layer.biasHH, gates(bias[1]))
            } else {
                try set(layer.biasIH, gates(bias))
                try set(layer.biasHH, Tensor.zeros(bias.shape))
            }
        }
        return layer
    }

    func attention(_ c: JSON, _ w: [Tensor], place: String, name: String, className: String) throws -> MultiHeadAttention {
        if let axes = c["attention_axes"], !axes.isNull, axes.ints != [1] {
            throw unsupported(name, className, "attention_axes \(String(decoding: axes.serialized(), as: UTF8.self)) (supported: the sequence axis)")
        }
        if c["use_gate"]?.bool == true { throw unsupported(name, className, "use_gate") }
        let useBias = c["use_bias"]?.bool ?? true
        guard w.count == (useBias ? 8 : 4) else {
            throw ModelFileError(.shapeMismatch, file: path, place, "expected \(useBias ? 8 : 4) weights, found \(w.count)")
        }
        let step = useBias ? 2 : 1
        let q = w[0], k = w[step], v = w[2 * step], o = w[3 * step]
        guard q.rank == 3, k.rank == 3, v.rank == 3, o.rank == 3 else {
            throw ModelFileError(.shapeMismatch, file: path, place, "expected [in, heads, dim] kernels, found \(w.map(\.shape)) (only a single output axis is supported)")
        }
        let heads = q.shape[1], keyDim = q.shape[2], valueDim = v.shape[2]
        let dropout = c["dropout"]?.double ?? 0
        guard dropout >= 0 && dropout < 1, heads > 0, keyDim > 0, valueDim > 0, k.shape[1] == heads, k.shape[2] == keyDim,
              v.shape[1] == heads, o.shape[0] == heads, o.shape[1] == valueDim else {
            throw ModelFileError(.shapeMismatch, file: path, place, "kernels \(w.map(\.shape)) do not describe one attention layer")
        }
        var rng = PhiloxGenerator(seed: 0)
        let mha = MultiHeadAttention(queryInput: q.shape[0], keyInput: k.shape[0], valueInput: v.shape[0], heads: heads, headDimension: keyDim,
                                     valueHeadDimension: valueDim, outputDimension: o.shape[2], bias: useBias, dropout: dropout, using: &rng)
        func set(_ p: Parameter?, _ value: Tensor) throws {
            guard let p, p.value.shape == value.shape else {
                throw ModelFileError(.shapeMismatch, file: path, place, "weight of shape \(value.shape) does not fit \(p?.value.shape ?? [])")
            }
            p.value = value.contiguous()
        }
        for (i, dense) in [mha.query, mha.key, mha.value].enumerated() {
            let kernel = w[i * step]
            try set(dense.weight, kernel.reshaped([kernel.shape[0], kernel.shape[1] * kernel.shape[2]]).transposed())
            if useBias { try set(dense.bias, w[i * step + 1].reshaped([-1])) }
        }
        try set(mha.output.weight, o.reshaped([o.shape[0] * o.shape[1], o.shape[2]]).transposed())
        if useBias { try set(mha.output.bias, w[7]) }
        return mha
    }
}
