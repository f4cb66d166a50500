import DeepSwiftNN
import DeepSwiftTensor
import Synchronization

/// A layer defined outside DeepSwiftNN that can be written to and read from model archives.
/// Register the type once (``LayerConfig/register(_:)``) before loading archives that contain it.
///
/// ```swift
/// LayerConfig.register(ONNXModel.self)
/// ```
public protocol ArchivableLayer: Layer {
    /// The `"class"` written to `config.json`.
    static var archiveClassName: String { get }
    /// The fields that rebuild this layer (without `"class"`); weights travel separately.
    func archiveConfig() throws -> JSON
    /// Rebuilds the layer from ``archiveConfig()``'s fields.
    static func fromArchiveConfig(_ json: JSON, file: String, path: String) throws -> Self
}

/// The architecture of a layer tree as JSON, and back: the `config.json` of a model archive.
///
/// Each layer is an object with its `"class"` and the fields that rebuild it with parameters of
/// the right shapes (the values come from the weights; random generator positions are training
/// state, which ``ModelArchive`` stores by layer path). Containers nest their children:
/// `Sequential` under `"layers"`, a graph under `"nodes"`. Rebuilt layers start with the
/// parameters of seed 0 until weights are loaded into them.
///
/// ```swift
/// let json = try LayerConfig.encode(model)                 // {"class": "Sequential", "layers": [...]}
/// let copy = try LayerConfig.decode(json, file: "model.dsm")
/// ```
public enum LayerConfig {
    /// The layer classes that can be written and read.
    public static let supportedClasses = [
        "Sequential", "Graph", "Dense", "Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "SeparableConv2D",
        "MaxPool2D", "AvgPool2D", "Pool1D", "Pool3D", "GlobalAveragePool2D", "GlobalMaxPool2D", "AdaptiveAvgPool2D", "GlobalPooling",
        "Flatten", "Reshape", "Permute", "Identity", "Unsqueeze", "Squeeze", "Rescaling", "ChannelsLast", "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D",
        "UpSampling1D", "UpSampling2D", "BilinearUpSampling2D", "Dropout", "AlphaDropout", "GaussianNoise", "GaussianDropout",
        "SpatialDropout", "BatchNorm", "LayerNorm", "GroupNorm", "InstanceNorm", "LocalResponseNorm", "Activation", "PReLU",
        "Embedding", "Masking", "TimeDistributed", "RepeatVector", "LastTimeStep", "Recurrent", "Bidirectional",
        "MultiHeadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer", "SinusoidalPositionalEncoding",
        "LearnedPositionalEmbedding", "ResidualBlock", "BottleneckBlock", "FeaturesClassifier",
    ]

    private static let registry = Mutex<[String: @Sendable (JSON, String, String) throws -> any Layer]>([:])

    /// Makes archives with layers of `type` loadable.
    public static func register<T: ArchivableLayer>(_ type: T.Type) {
        let name = T.archiveClassName
        registry.withLock { $0[name] = { json, file, path in try T.fromArchiveConfig(json, file: file, path: path) } }
    }

    // MARK: Encoding

    /// The configuration of `layer` and everything under it. A layer class outside
    /// ``supportedClasses`` throws ``ModelFileError`` (kind `.unsupported`) naming it.
    public static func encode(_ layer: any Layer, file: String = "model", path: String = "model") throws -> JSON {
        func child(_ l: any Layer, _ name: String) throws -> JSON { try encode(l, file: file, path: path + "." + name) }
        func pair(_ p: (Int, Int)) -> JSON { JSON([p.0, p.1]) }
        func triple(_ p: (Int, Int, Int)) -> JSON { JSON([p.0, p.1, p.2]) }
        switch layer {
        case let l as Sequential:
            return ["class": "Sequential", "layers": .array(try l.layers.enumerated().map { try child($0.element, "layers.\($0.offset)") })]
        case let l as GraphModel:
            var first: [ObjectIdentifier: Int] = [:]
            var nodes: [JSON] = []
            for (index, node) in l.nodes.enumerated() {
                switch node.kind {
                case .input(let shape):
                    nodes.append(["name": .string(node.name), "kind": "input", "shape": JSON(shape)])
                case .layer(let sub, let inputs):
                    if let shared = first[ObjectIdentifier(sub)] {
                        nodes.append(["name": .string(node.name), "kind": "layer", "shared": JSON(shared), "inputs": JSON(inputs)])
                    } else {
                        first[ObjectIdentifier(sub)] = index
                        nodes.append(["name": .string(node.name), "kind": "layer", "layer": try child(sub, node.name), "inputs": JSON(inputs)])
                    }
                case .merge(let operation, let inputs):
                    nodes.append(["name": .string(node.name), "kind": "merge", "operation": JSON.from(operation), "inputs": JSON(inputs)])
                }
            }
            return ["class": "Graph", "nodes": .array(nodes), "outputs": JSON(l.outputs)]
        case let l as Dense:
            return ["class": "Dense", "in": JSON(l.inputSize), "out": JSON(l.outputSize), "bias": .bool(l.bias != nil), "activation": JSON.from(l.activation)]
        case let l as Conv1D:
            let w = l.weight.shape
            return ["class": "Conv1D", "in": JSON(w[1] * l.groups), "out": JSON(w[0]), "kernel": JSON(w[2]), "stride": JSON(l.stride),
                    "padding": JSON(l.padding), "dilation": JSON(l.dilation), "groups": JSON(l.groups), "bias": .bool(l.bias != nil),
                    "activation": JSON.from(l.activation)]
        case let l as Conv2D:
            let w = l.weight.shape
            return ["class": "Conv2D", "in": JSON(w[1] * l.groups), "out": JSON(w[0]), "kernel": JSON([w[2], w[3]]), "stride": pair(l.stride),
                    "padding": JSON.from(l.padding), "dilation": pair(l.dilation), "groups": JSON(l.groups), "bias": .bool(l.bias != nil),
                    "activation": JSON.from(l.activation)]
        case let l as Conv3D:
            let w = l.weight.shape
            return ["class": "Conv3D", "in": JSON(w[1]), "out": JSON(w[0]), "kernel": JSON([w[2], w[3], w[4]]), "stride": triple(l.stride),
                    "padding": triple(l.padding), "dilation": triple(l.dilation), "bias": .bool(l.bias != nil), "activation": JSON.from(l.activation)]
        case let l as Conv2DTranspose:
            let w = l.weight.shape
            return ["class": "Conv2DTranspose", "in": JSON(w[0]), "out": JSON(w[1] * l.groups), "kernel": JSON([w[2], w[3]]), "stride": pair(l.stride),
                    "padding": pair(l.padding), "output_padding": pair(l.outputPadding), "dilation": pair(l.dilation), "groups": JSON(l.groups),
                    "bias": .bool(l.bias != nil)]
        case let l as SeparableConv2D:
            return ["class": "SeparableConv2D", "depthwise": try child(l.depthwise, "depthwise"), "pointwise": try child(l.pointwise, "pointwise")]
        case let l as MaxPool2D:
            return ["class": "MaxPool2D", "kernel": pair(l.kernel), "stride": pair(l.stride), "padding": JSON.from(l.padding), "ceil_mode": .bool(l.ceilMode)]
        case let l as AvgPool2D:
            return ["class": "AvgPool2D", "kernel": pair(l.kernel), "stride": pair(l.stride), "padding": JSON.from(l.padding), "ceil_mode": .bool(l.ceilMode),
                    "count_include_pad": .bool(l.countIncludePad)]
        case let l as Pool1D:
            return ["class": "Pool1D", "kernel": JSON(l.kernel), "stride": JSON(l.stride), "padding": JSON(l.padding), "max": .bool(l.isMax)]
        case let l as Pool3D:
            return ["class": "Pool3D", "kernel": triple(l.kernel), "stride": triple(l.stride), "padding": triple(l.padding), "max": .bool(l.isMax)]
        case is GlobalAveragePool2D: return ["class": "GlobalAveragePool2D"]
        case is GlobalMaxPool2D: return ["class": "GlobalMaxPool2D"]
        case let l as AdaptiveAvgPool2D: return ["class": "AdaptiveAvgPool2D", "output_size": pair(l.outputSize)]
        case let l as GlobalPooling: return ["class": "GlobalPooling", "axes": JSON(l.axes), "max": .bool(l.isMax)]
        case is Flatten: return ["class": "Flatten"]
        case let l as Reshape: return ["class": "Reshape", "shape": JSON(l.shape)]
        case let l as Permute: return ["class": "Permute", "axes": JSON(l.axes)]
        case is Identity: return ["class": "Identity"]
        case let l as ChannelsLast: return ["class": "ChannelsLast", "layer": try child(l.layer, "layer")]
        case let l as ZeroPadding1D: return ["class": "ZeroPadding1D", "left": JSON(l.left), "right": JSON(l.right)]
        case let l as ZeroPadding2D:
            return ["class": "ZeroPadding2D", "top": JSON(l.top), "bottom": JSON(l.bottom), "left": JSON(l.left), "right": JSON(l.right)]
        case let l as Cropping1D: return ["class": "Cropping1D", "left": JSON(l.left), "right": JSON(l.right)]
        case let l as Cropping2D:
            return ["class": "Cropping2D", "top": JSON(l.top), "bottom": JSON(l.bottom), "left": JSON(l.left), "right": JSON(l.right)]
        case let l as UpSampling1D: return ["class": "UpSampling1D", "scale": JSON(l.scale), "axis": JSON(l.axis)]
        case let l as UpSampling2D: return ["class": "UpSampling2D", "scale": pair(l.scale)]
        case let l as BilinearUpSampling2D: return ["class": "BilinearUpSampling2D", "scale": pair(l.scale)]
        case let l as Dropout: return ["class": "Dropout", "rate": .number(l.rate)]
        case let l as AlphaDropout: return ["class": "AlphaDropout", "rate": .number(l.rate)]
        case let l as GaussianNoise: return ["class": "GaussianNoise", "std": .number(l.std)]
        case let l as GaussianDropout: return ["class": "GaussianDropout", "rate": .number(l.rate)]
        case let l as SpatialDropout: return ["class": "SpatialDropout", "rate": .number(l.rate)]
        case let l as BatchNorm:
            return ["class": "BatchNorm", "channels": JSON(l.channels), "momentum": .number(l.momentum), "epsilon": .number(l.epsilon),
                    "affine": .bool(l.weight != nil)]
        case let l as LayerNorm:
            return ["class": "LayerNorm", "shape": JSON(l.normalizedShape), "epsilon": .number(l.epsilon), "affine": .bool(l.weight != nil)]
        case let l as GroupNorm:
            return ["class": "GroupNorm", "groups": JSON(l.groups), "channels": JSON(l.channels), "epsilon": .number(l.epsilon), "affine": .bool(l.weight != nil)]
        case let l as InstanceNorm:
            return ["class": "InstanceNorm", "channels": JSON(l.channels), "epsilon": .number(l.epsilon), "affine": .bool(l.weight != nil)]
        case let l as LocalResponseNorm:
            return ["class": "LocalResponseNorm", "size": JSON(l.size), "alpha": .number(l.alpha), "beta": .number(l.beta), "k": .number(l.k)]
        case let l as ActivationLayer: return ["class": "Activation", "activation": JSON.from(l.activation)]
        case let l as PReLU:
            return l.weight.shape.count > 1 ? ["class": "PReLU", "sample_shape": JSON(l.weight.shape)] : ["class": "PReLU", "channels": JSON(l.weight.shape.reduce(1, *))]
        case let l as Rescaling:
            return ["class": "Rescaling", "scale": .array(l.scale.map { .number($0) }), "offset": .array(l.offset.map { .number($0) })]
        case let l as Unsqueeze: return ["class": "Unsqueeze", "axis": JSON(l.axis)]
        case let l as Squeeze: return ["class": "Squeeze", "axis": JSON(l.axis)]
        case let l as Embedding:
            return ["class": "Embedding", "count": JSON(l.count), "dimension": JSON(l.dimension), "padding_index": l.paddingIndex.map { JSON($0) } ?? .null]
        case let l as Masking: return ["class": "Masking", "value": .number(l.value)]
        case let l as TimeDistributed: return ["class": "TimeDistributed", "layer": try child(l.layer, "layer")]
        case let l as RepeatVector: return ["class": "RepeatVector", "count": JSON(l.count)]
        case is LastTimeStep: return ["class": "LastTimeStep"]
        case let l as RecurrentLayer:
            return ["class": "Recurrent", "cell": JSON.from(l.cell), "input": JSON(l.inputSize), "hidden": JSON(l.hiddenSize), "bias": .bool(l.biasIH != nil),
                    "peepholes": .bool(l.peepholes != nil), "return_sequences": .bool(l.returnSequences), "go_backwards": .bool(l.goBackwards),
                    "dropout": .number(l.dropout), "recurrent_dropout": .number(l.recurrentDropout)]
        case let l as Bidirectional:
            return ["class": "Bidirectional", "forward": try child(l.forward, "forward"), "backward": try child(l.backward, "backward"),
                    "merge": .string(l.merge.rawValue)]
        case let l as MultiHeadAttention:
            return ["class": "MultiHeadAttention", "query_input": JSON(l.query.inputSize), "key_input": JSON(l.key.inputSize),
                    "value_input": JSON(l.value.inputSize), "heads": JSON(l.heads), "head_dimension": JSON(l.query.outputSize / l.heads),
                    "value_head_dimension": JSON(l.value.outputSize / l.heads), "output_dimension": JSON(l.output.outputSize),
                    "bias": .bool(l.query.bias != nil), "dropout": .number(l.dropout), "causal": .bool(l.causal)]
        case let l as TransformerEncoderLayer:
            return ["class": "TransformerEncoderLayer", "model": JSON(l.selfAttention.embedDimension), "heads": JSON(l.selfAttention.heads),
                    "feed_forward": JSON(l.feedForward.linear1.outputSize), "dropout": .number(l.selfAttention.dropout),
                    "activation": JSON.from(l.feedForward.activation), "norm_first": .bool(l.normFirst), "epsilon": .number(l.norm1.epsilon)]
        case let l as TransformerDecoderLayer:
            return ["class": "TransformerDecoderLayer", "model": JSON(l.selfAttention.embedDimension), "heads": JSON(l.selfAttention.heads),
                    "feed_forward": JSON(l.feedForward.linear1.outputSize), "dropout": .number(l.selfAttention.dropout),
                    "activation": JSON.from(l.feedForward.activation), "norm_first": .bool(l.normFirst), "epsilon": .number(l.norm1.epsilon)]
        case let l as SinusoidalPositionalEncoding:
            return ["class": "SinusoidalPositionalEncoding", "dimension": JSON(l.table.shape[1]), "max_length": JSON(l.table.shape[0])]
        case let l as LearnedPositionalEmbedding:
            return ["class": "LearnedPositionalEmbedding", "max_length": JSON(l.weight.shape[0]), "dimension": JSON(l.weight.shape[1])]
        case let l as ResidualBlock:
            return ["class": "ResidualBlock", "in": JSON(l.conv1.weight.shape[1]), "out": JSON(l.conv1.weight.shape[0]), "stride": JSON(l.conv1.stride.0)]
        case let l as BottleneckBlock:
            return ["class": "BottleneckBlock", "in": JSON(l.conv1.weight.shape[1]), "width": JSON(l.conv1.weight.shape[0]), "stride": JSON(l.conv2.stride.0)]
        case let l as FeaturesClassifier:
            return ["class": "FeaturesClassifier", "features": try child(l.features, "features"), "classifier": try child(l.classifier, "classifier")]
        case let l as any ArchivableLayer:
            guard case .object(var fields) = try l.archiveConfig() else {
                throw ModelFileError(.unsupported, file: file, "layer '\(path)'", "\(type(of: l)).archiveConfig() did not return an object")
            }
            fields["class"] = .string(type(of: l).archiveClassName)
            return .object(fields)
        default:
            throw ModelFileError(.unsupported, file: file, "layer '\(path)'",
                                 "layer class \(type(of: layer)) cannot be saved in a model archive; supported: \(supportedClasses.joined(separator: ", ")) (other layers: conform to ArchivableLayer)")
        }
    }

    // MARK: Decoding

    /// Rebuilds the layer tree of `json` (written by ``encode(_:file:path:)``). A missing or
    /// invalid field throws ``ModelFileError`` naming the layer path and the field.
    public static func decode(_ json: JSON, file: String, path: String = "model") throws -> any Layer {
        let c = ConfigReader(json: json, file: file, path: path)
        var rng = PhiloxGenerator(seed: 0)
        func child(_ key: String, _ name: String? = nil) throws -> any Layer {
            guard let value = json[key] else { throw c.missing(key) }
            return try decode(value, file: file, path: path + "." + (name ?? key))
        }
        let className = try c.string("class")
        switch className {
        case "Sequential":
            let items = try c.array("layers")
            return Sequential(try items.enumerated().map { try decode($0.element, file: file, path: path + ".layers.\($0.offset)") })
        case "Graph":
            return try decodeGraph(c, file: file, path: path)
        case "Dense":
            try c.limit(c.positive("in"), c.positive("out"))
            // Shape-only placeholders (no memory): the archive's weights replace them.
            let input = try c.positive("in"), output = try c.positive("out")
            return Dense(weight: Tensor.zeros([1, 1]).expanded(to: [output, input]), bias: try c.bool("bias") ? Tensor.zeros([1]).expanded(to: [output]) : nil,
                         activation: try c.value("activation", Activation.self))
        case "Conv1D":
            let groups = try c.positive("groups"), input = try c.positive("in"), output = try c.positive("out")
            try c.require(input % groups == 0 && output % groups == 0, "groups", "\(groups) groups must divide in \(input) and out \(output)")
            try c.limit(input, output, c.positive("kernel"))
            return Conv1D(input, output, kernel: try c.positive("kernel"), stride: try c.positive("stride"), padding: try c.nonNegative("padding"),
                          dilation: try c.positive("dilation"), groups: groups, bias: try c.bool("bias"),
                          activation: try c.value("activation", Activation.self), using: &rng)
        case "Conv2D":
            let groups = try c.positive("groups"), input = try c.positive("in"), output = try c.positive("out")
            try c.require(input % groups == 0 && output % groups == 0, "groups", "\(groups) groups must divide in \(input) and out \(output)")
            let kernel = try c.pair("kernel")
            try c.limit(input, output, kernel.0, kernel.1)
            return Conv2D(input, output, kernel: try c.pair("kernel"), stride: try c.pair("stride"), padding: try c.value("padding", Padding.self),
                          dilation: try c.pair("dilation"), groups: groups, bias: try c.bool("bias"),
                          activation: try c.value("activation", Activation.self), using: &rng)
        case "Conv3D":
            let kernel = try c.triple("kernel")
            try c.limit(c.positive("in"), c.positive("out"), kernel.0, kernel.1, kernel.2)
            return Conv3D(try c.positive("in"), try c.positive("out"), kernel: try c.triple("kernel"), stride: try c.triple("stride"),
                          padding: try c.triple("padding", positive: false), dilation: try c.triple("dilation"), bias: try c.bool("bias"),
                          activation: try c.value("activation", Activation.self), using: &rng)
        case "Conv2DTranspose":
            let groups = try c.positive("groups"), input = try c.positive("in"), output = try c.positive("out")
            try c.require(input % groups == 0 && output % groups == 0, "groups", "\(groups) groups must divide in \(input) and out \(output)")
            let kernel = try c.pair("kernel")
            try c.limit(input, output, kernel.0, kernel.1)
            return Conv2DTranspose(input, output, kernel: try c.pair("kernel"), stride: try c.pair("stride"), padding: try c.pair("padding", positive: false),
                                   outputPadding: try c.pair("output_padding", positive: false), dilation: try c.pair("dilation"), groups: groups,
                                   bias: try c.bool("bias"), using: &rng)
        case "SeparableConv2D":
            guard let depthwise = try child("depthwise") as? Conv2D, let pointwise = try child("pointwise") as? Conv2D else {
                throw c.invalid("depthwise", "SeparableConv2D needs two Conv2D layers")
            }
            return SeparableConv2D(depthwise: depthwise, pointwise: pointwise)
        case "MaxPool2D":
            return MaxPool2D(kernel: try c.pair("kernel"), stride: try c.pair("stride"), padding: try c.value("padding", Padding.self), ceilMode: try c.bool("ceil_mode"))
        case "AvgPool2D":
            return AvgPool2D(kernel: try c.pair("kernel"), stride: try c.pair("stride"), padding: try c.value("padding", Padding.self),
                             ceilMode: try c.bool("ceil_mode"), countIncludePad: try c.bool("count_include_pad"))
        case "Pool1D":
            let kernel = try c.positive("kernel"), stride = try c.positive("stride"), padding = try c.nonNegative("padding")
            return try c.bool("max") ? Pool1D(max: kernel, stride: stride, padding: padding) : Pool1D(average: kernel, stride: stride, padding: padding)
        case "Pool3D":
            return Pool3D(kernel: try c.triple("kernel"), stride: try c.triple("stride"), padding: try c.triple("padding", positive: false), max: try c.bool("max"))
        case "GlobalAveragePool2D": return GlobalAveragePool2D()
        case "GlobalMaxPool2D": return GlobalMaxPool2D()
        case "AdaptiveAvgPool2D": return AdaptiveAvgPool2D(outputSize: try c.pair("output_size"))
        case "GlobalPooling": return GlobalPooling(axes: try c.ints("axes"), max: try c.bool("max"))
        case "Flatten": return Flatten()
        case "Reshape": return Reshape(try c.ints("shape"))
        case "Permute":
            let axes = try c.ints("axes")
            try c.require(axes.sorted() == Array(0..<axes.count), "axes", "\(axes) is not a permutation of 0..<\(axes.count)")
            return Permute(axes)
        case "Identity": return Identity()
        case "ChannelsLast": return ChannelsLast(try child("layer"))
        case "ZeroPadding1D": return ZeroPadding1D(left: try c.nonNegative("left"), right: try c.nonNegative("right"))
        case "ZeroPadding2D":
            return ZeroPadding2D(top: try c.nonNegative("top"), bottom: try c.nonNegative("bottom"), left: try c.nonNegative("left"), right: try c.nonNegative("right"))
        case "Cropping1D": return Cropping1D(left: try c.nonNegative("left"), right: try c.nonNegative("right"))
        case "Cropping2D":
            return Cropping2D(top: try c.nonNegative("top"), bottom: try c.nonNegative("bottom"), left: try c.nonNegative("left"), right: try c.nonNegative("right"))
        case "UpSampling1D": return UpSampling1D(scale: try c.positive("scale"), axis: try c.nonNegative("axis"))
        case "UpSampling2D": return UpSampling2D(scale: try c.pair("scale"))
        case "BilinearUpSampling2D": return BilinearUpSampling2D(scale: try c.pair("scale"))
        case "Dropout": return Dropout(rate: try c.rate("rate"))
        case "AlphaDropout": return AlphaDropout(rate: try c.rate("rate"))
        case "GaussianNoise": return GaussianNoise(std: try c.double("std"))
        case "GaussianDropout": return GaussianDropout(rate: try c.rate("rate"))
        case "SpatialDropout": return SpatialDropout(rate: try c.rate("rate"))
        case "BatchNorm":
            try c.limit(c.positive("channels"))
            return BatchNorm(channels: try c.positive("channels"), momentum: try c.double("momentum"), epsilon: try c.double("epsilon"), affine: try c.bool("affine"))
        case "LayerNorm":
            let shape = try c.ints("shape")
            try c.require(!shape.isEmpty && shape.allSatisfy { $0 > 0 }, "shape", "expected positive sizes, found \(shape)")
            try c.limit(sizes: shape)
            return LayerNorm(shape, epsilon: try c.double("epsilon"), affine: try c.bool("affine"))
        case "GroupNorm":
            let groups = try c.positive("groups"), channels = try c.positive("channels")
            try c.require(channels % groups == 0, "groups", "\(groups) groups must divide \(channels) channels")
            try c.limit(channels)
            return GroupNorm(groups: groups, channels: channels, epsilon: try c.double("epsilon"), affine: try c.bool("affine"))
        case "InstanceNorm":
            try c.limit(c.positive("channels"))
            return InstanceNorm(channels: try c.positive("channels"), epsilon: try c.double("epsilon"), affine: try c.bool("affine"))
        case "LocalResponseNorm":
            return LocalResponseNorm(size: try c.positive("size"), alpha: try c.double("alpha"), beta: try c.double("beta"), k: try c.double("k"))
        case "Activation": return ActivationLayer(try c.value("activation", Activation.self))
        case "PReLU":
            if json["sample_shape"] != nil {
                let shape = try c.ints("sample_shape")
                try c.require(shape.count > 1 && shape.allSatisfy { $0 > 0 }, "sample_shape", "expected at least two positive sizes, found \(shape)")
                try c.limit(sizes: shape)
                return PReLU(sampleShape: shape)
            }
            try c.limit(c.positive("channels"))
            return PReLU(channels: try c.positive("channels"))
        case "Rescaling":
            func numbers(_ key: String) throws -> [Double] {
                let values = try c.array(key).compactMap(\.double)
                try c.require(!values.isEmpty && values.count == (try c.array(key)).count && values.allSatisfy(\.isFinite), key, "expected finite numbers")
                return values
            }
            return Rescaling(scale: try numbers("scale"), offset: try numbers("offset"))
        case "Unsqueeze": return Unsqueeze(axis: try c.int("axis"))
        case "Squeeze": return Squeeze(axis: try c.int("axis"))
        case "Embedding":
            let count = try c.positive("count")
            try c.limit(count, c.positive("dimension"))
            let padding = try c.optionalInt("padding_index")
            if let padding { try c.require(padding >= 0 && padding < count, "padding_index", "\(padding) is not in 0..<\(count)") }
            return Embedding(count: count, dimension: try c.positive("dimension"), paddingIndex: padding, using: &rng)
        case "Masking": return Masking(value: try c.double("value"))
        case "TimeDistributed": return TimeDistributed(try child("layer"))
        case "RepeatVector": return RepeatVector(try c.positive("count"))
        case "LastTimeStep": return LastTimeStep()
        case "Recurrent":
            let cell = try c.value("cell", RecurrentCell.self), peepholes = try c.bool("peepholes")
            try c.require(!peepholes || cell == .lstm, "peepholes", "only LSTM cells have peepholes")
            try c.limit(4, c.positive("hidden"), c.positive("input") + c.positive("hidden"))
            return RecurrentLayer(cell: cell, inputSize: try c.positive("input"), hiddenSize: try c.positive("hidden"), bias: try c.bool("bias"),
                                  peepholes: peepholes, returnSequences: try c.bool("return_sequences"), goBackwards: try c.bool("go_backwards"),
                                  dropout: try c.rate("dropout"), recurrentDropout: try c.rate("recurrent_dropout"), using: &rng)
        case "Bidirectional":
            guard let forward = try child("forward") as? RecurrentLayer, let backward = try child("backward") as? RecurrentLayer else {
                throw c.invalid("forward", "Bidirectional needs two recurrent layers")
            }
            guard let merge = Bidirectional.Merge(rawValue: try c.string("merge")) else { throw c.invalid("merge", "expected concat, sum, multiply or average") }
            return Bidirectional(forward, backward, merge: merge)
        case "MultiHeadAttention":
            try c.limit(c.positive("heads"), c.positive("head_dimension"), c.positive("query_input") + c.positive("key_input"))
            try c.limit(c.positive("heads"), c.positive("value_head_dimension"), c.positive("value_input") + c.positive("output_dimension"))
            let l = MultiHeadAttention(queryInput: try c.positive("query_input"), keyInput: try c.positive("key_input"), valueInput: try c.positive("value_input"),
                                       heads: try c.positive("heads"), headDimension: try c.positive("head_dimension"),
                                       valueHeadDimension: try c.positive("value_head_dimension"), outputDimension: try c.positive("output_dimension"),
                                       bias: try c.bool("bias"), dropout: try c.rate("dropout"), using: &rng)
            l.causal = json["causal"] == nil ? false : try c.bool("causal")
            return l
        case "TransformerEncoderLayer", "TransformerDecoderLayer":
            let model = try c.positive("model"), heads = try c.positive("heads")
            try c.limit(4 * model + 2 * c.positive("feed_forward"), model)
            try c.require(model % heads == 0, "heads", "\(heads) heads must divide the model dimension \(model)")
            if className == "TransformerEncoderLayer" {
                return TransformerEncoderLayer(model: model, heads: heads, feedForward: try c.positive("feed_forward"), dropout: try c.rate("dropout"),
                                               activation: try c.value("activation", Activation.self), normFirst: try c.bool("norm_first"),
                                               epsilon: try c.double("epsilon"), using: &rng)
            }
            return TransformerDecoderLayer(model: model, heads: heads, feedForward: try c.positive("feed_forward"), dropout: try c.rate("dropout"),
                                           activation: try c.value("activation", Activation.self), normFirst: try c.bool("norm_first"),
                                           epsilon: try c.double("epsilon"), using: &rng)
        case "SinusoidalPositionalEncoding":
            try c.limit(c.positive("dimension"), c.positive("max_length"))
            return SinusoidalPositionalEncoding(dimension: try c.positive("dimension"), maxLength: try c.positive("max_length"))
        case "LearnedPositionalEmbedding":
            try c.limit(c.positive("dimension"), c.positive("max_length"))
            return LearnedPositionalEmbedding(maxLength: try c.positive("max_length"), dimension: try c.positive("dimension"), using: &rng)
        case "ResidualBlock":
            try c.limit(c.positive("in") + c.positive("out"), c.positive("out"), 9)
            return ResidualBlock(try c.positive("in"), try c.positive("out"), stride: try c.positive("stride"), initializer: .glorotUniform(), using: &rng)
        case "BottleneckBlock":
            try c.limit(c.positive("in") + 4 * c.positive("width"), 4 * c.positive("width"), 9)
            return BottleneckBlock(try c.positive("in"), try c.positive("width"), stride: try c.positive("stride"), initializer: .glorotUniform(), using: &rng)
        case "FeaturesClassifier":
            guard let features = try child("features") as? Sequential, let classifier = try child("classifier") as? Sequential else {
                throw c.invalid("features", "FeaturesClassifier needs two Sequential containers")
            }
            return FeaturesClassifier(features: features, classifier: classifier)
        default:
            if let make = registry.withLock({ $0[className] }) { return try make(json, file, path) }
            throw ModelFileError(.unsupported, file: file, "layer '\(path)'",
                                 "unknown layer class '\(className)'; supported: \(supportedClasses.joined(separator: ", ")) "
                                 + "(classes from other modules load after LayerConfig.register(...), e.g. ONNXModel)")
        }
    }

    private static func decodeGraph(_ c: ConfigReader, file: String, path: String) throws -> GraphModel {
        let builder = GraphBuilder()
        var handles: [GraphNode] = []
        var layers: [Int: any Layer] = [:]
        for (index, node) in try c.array("nodes").enumerated() {
            let n = ConfigReader(json: node, file: file, path: path + ".nodes.\(index)")
            let name = try n.string("name")
            let inputs = node["inputs"] == nil ? [] : try n.ints("inputs")
            for i in inputs where i < 0 || i >= index {
                throw n.invalid("inputs", "input \(i) is not an earlier node (0..<\(index))")
            }
            let sources = inputs.map { handles[$0] }
            switch try n.string("kind") {
            case "input":
                let shape = try n.ints("shape")
                try n.require(shape.allSatisfy { $0 > 0 }, "shape", "expected positive sizes, found \(shape)")
                try n.limit(sizes: shape)
                handles.append(builder.input(name, shape: shape))
            case "layer":
                let layer: any Layer
                if let shared = try n.optionalInt("shared") {
                    guard let existing = layers[shared] else { throw n.invalid("shared", "node \(shared) has no layer of its own") }
                    layer = existing
                } else {
                    guard let value = node["layer"] else { throw n.missing("layer") }
                    layer = try decode(value, file: file, path: path + "." + name)
                    layers[index] = layer
                }
                guard !sources.isEmpty else { throw n.invalid("inputs", "a layer node needs at least one input") }
                if sources.count == 1 {
                    handles.append(builder.add(name, layer, sources[0]))
                } else {
                    guard let multi = layer as? any MultiInputLayer else {
                        throw n.invalid("inputs", "\(layer.summaryName) takes one input, the node lists \(sources.count)")
                    }
                    handles.append(builder.add(name, multi, sources))
                }
            case "merge":
                guard !sources.isEmpty else { throw n.invalid("inputs", "a merge needs at least one input") }
                handles.append(builder.merge(name, try n.value("operation", MergeOperation.self), sources))
            case let other:
                throw n.invalid("kind", "expected input, layer or merge, found '\(other)'")
            }
        }
        let outputs = try c.ints("outputs")
        for o in outputs where o < 0 || o >= handles.count { throw c.invalid("outputs", "output \(o) is not a node (0..<\(handles.count))") }
        do {
            return try builder.build(outputs: outputs.map { handles[$0] })
        } catch let error as GraphError {
            throw ModelFileError(.badConfig, file: file, "layer '\(path)'", error.description)
        }
    }
}

/// Reads the fields of one layer's configuration, with errors naming the layer and field.
public struct ConfigReader {
    public let json: JSON
    public let file: String
    public let path: String

    public init(json: JSON, file: String, path: String) {
        self.json = json
        self.file = file
        self.path = path
    }

    public var place: String { "layer '\(path)'" + (json["class"]?.string.map { " (\($0))" } ?? "") }

    public func missing(_ key: String) -> ModelFileError {
        ModelFileError(.badConfig, file: file, place, "field '\(key)' is missing")
    }

    public func invalid(_ key: String, _ detail: String) -> ModelFileError {
        ModelFileError(.badConfig, file: file, place, "field '\(key)': \(detail)")
    }

    public func require(_ condition: Bool, _ key: String, _ detail: @autoclosure () -> String) throws {
        if !condition { throw invalid(key, detail()) }
    }

    public func field(_ key: String) throws -> JSON {
        guard let value = json[key] else { throw missing(key) }
        return value
    }

    public func describe(_ value: JSON) -> String {
        let text = String(decoding: value.serialized(), as: UTF8.self)
        return text.count > 60 ? String(text.prefix(60)) + "…" : text
    }

    public func int(_ key: String) throws -> Int {
        let value = try field(key)
        guard let n = value.int else { throw invalid(key, "expected an integer, found \(describe(value))") }
        return n
    }

    public func positive(_ key: String) throws -> Int {
        let n = try int(key)
        try require(n > 0 && n < 1 << 31, key, "expected a positive integer, found \(n)")
        return n
    }

    public func nonNegative(_ key: String) throws -> Int {
        let n = try int(key)
        try require(n >= 0 && n < 1 << 31, key, "expected a non-negative integer, found \(n)")
        return n
    }

    public func optionalInt(_ key: String) throws -> Int? {
        guard let value = json[key], !value.isNull else { return nil }
        guard let n = value.int else { throw invalid(key, "expected an integer or null, found \(describe(value))") }
        return n
    }

    public func double(_ key: String) throws -> Double {
        let value = try field(key)
        guard let n = value.double, n.isFinite else { throw invalid(key, "expected a finite number, found \(describe(value))") }
        return n
    }

    public func rate(_ key: String) throws -> Double {
        let r = try double(key)
        try require(r >= 0 && r < 1, key, "expected a rate in [0, 1), found \(r)")
        return r
    }

    public func bool(_ key: String) throws -> Bool {
        let value = try field(key)
        guard let b = value.bool else { throw invalid(key, "expected true or false, found \(describe(value))") }
        return b
    }

    public func string(_ key: String) throws -> String {
        let value = try field(key)
        guard let s = value.string else { throw invalid(key, "expected a string, found \(describe(value))") }
        return s
    }

    public func array(_ key: String) throws -> [JSON] {
        let value = try field(key)
        guard let a = value.array else { throw invalid(key, "expected an array, found \(describe(value))") }
        return a
    }

    public func ints(_ key: String) throws -> [Int] {
        let value = try field(key)
        guard let a = value.ints, a.allSatisfy({ $0 >= -1 && $0 < 1 << 31 }) else {
            throw invalid(key, "expected an array of integers, found \(describe(value))")
        }
        return a
    }

    /// A weight of these dimensions must stay below 2³⁰ elements (4 GiB of float32): a corrupt
    /// size fails here instead of in the allocator.
    public func limit(_ sizes: Int...) throws { try limit(sizes: sizes) }

    public func limit(sizes: [Int]) throws {
        var product = 1
        for size in sizes {
            let (p, overflow) = product.multipliedReportingOverflow(by: Swift.max(size, 1))
            guard !overflow, p <= 1 << 30 else {
                throw ModelFileError(.badConfig, file: file, place, "sizes \(sizes) give a weight of more than 2^30 elements")
            }
            product = p
        }
    }

    public func pair(_ key: String, positive: Bool = true) throws -> (Int, Int) {
        let a = try ints(key)
        try require(a.count == 2 && a.allSatisfy { positive ? $0 > 0 : $0 >= 0 }, key,
                     "expected two \(positive ? "positive" : "non-negative") integers, found \(a)")
        return (a[0], a[1])
    }

    public func triple(_ key: String, positive: Bool = true) throws -> (Int, Int, Int) {
        let a = try ints(key)
        try require(a.count == 3 && a.allSatisfy { positive ? $0 > 0 : $0 >= 0 }, key,
                     "expected three \(positive ? "positive" : "non-negative") integers, found \(a)")
        return (a[0], a[1], a[2])
    }

    public func value<T: Decodable>(_ key: String, _ type: T.Type) throws -> T {
        let value = try field(key)
        do { return try value.decode(T.self) } catch {
            throw invalid(key, "expected a \(T.self), found \(describe(value))")
        }
    }
}
