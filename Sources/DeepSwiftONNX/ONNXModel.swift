import DeepSwiftAutodiff
import DeepSwiftIO
import DeepSwiftNN
import DeepSwiftTensor

/// An imported ONNX graph, run operator by operator on DeepSwift's differentiable primitives.
///
/// Float initializers become trainable parameters (batch-norm statistics and other non-weight
/// constants become buffers); LSTM and GRU nodes become ``RecurrentLayer``s. The batch size is
/// whatever the inputs have. Save it as a native archive like any model; before loading such an
/// archive, register the class: `LayerConfig.register(ONNXModel.self)`.
///
/// ```swift
/// let archive = try ONNXImporter.load("resnet.onnx")
/// let logits = archive.model.predict(images)                  // [N, 3, 224, 224] → [N, 1000]
/// let outputs = (archive.model as! ONNXModel)([Variable(a), Variable(b)])   // several inputs
/// ```
public final class ONNXModel: Layer, MultiInputOutputModel {
    /// A recurrent node's layers: one per direction.
    struct RecurrentNode {
        var forward: RecurrentLayer?
        var backward: RecurrentLayer?
        var layout: Int
    }

    public let nodes: [ONNXNode]
    public let inputs: [ModelArchive.Input]
    public let outputNames: [String]
    public let opset: Int
    let parameterList: [(name: String, parameter: Parameter)]
    let constantList: [(name: String, buffer: Buffer)]
    let recurrentNodes: [String: RecurrentNode]
    public var isTraining = false

    init(nodes: [ONNXNode], inputs: [ModelArchive.Input], outputNames: [String], opset: Int,
         parameters: [(name: String, parameter: Parameter)], constants: [(name: String, buffer: Buffer)],
         recurrent: [String: RecurrentNode]) {
        self.nodes = nodes
        self.inputs = inputs
        self.outputNames = outputNames
        self.opset = opset
        parameterList = parameters
        constantList = constants
        recurrentNodes = recurrent
    }

    public var localParameters: [(name: String, parameter: Parameter)] { parameterList }
    public var localBuffers: [(name: String, buffer: Buffer)] { constantList }
    public var sublayers: [(name: String, layer: any Layer)] {
        var result: [(name: String, layer: any Layer)] = []
        for (index, node) in nodes.enumerated() {
            guard let r = recurrentNodes[node.name] else { continue }
            if let f = r.forward { result.append(("rnn\(index).forward", f)) }
            if let b = r.backward { result.append(("rnn\(index).backward", b)) }
        }
        return result
    }

    public var summaryName: String { "ONNXModel(opset \(opset), \(nodes.count) nodes)" }

    public func callAsFunction(_ input: Variable) -> Variable { self([input])[0] }

    /// Runs the graph on one value per graph input; returns the graph outputs in order.
    public func callAsFunction(_ given: [Variable]) -> [Variable] {
        tensorCheck(given.count == inputs.count, "ONNXModel: \(given.count) inputs given, the graph takes \(inputs.count) (\(inputs.map(\.name)))")
        var values: [String: Variable] = [:]
        for (name, p) in parameterList { values[name] = Variable(p) }
        for (name, b) in constantList { values[name] = Variable(b.value) }
        for (spec, value) in zip(inputs, given) { values[spec.name] = value }
        for node in nodes {
            let arguments = node.inputs.map { $0.isEmpty ? nil : values[$0] }
            let weightsInLayers = recurrentNodes[node.name] != nil
            for (i, (name, value)) in zip(node.inputs, arguments).enumerated() where !name.isEmpty && value == nil {
                if weightsInLayers && (1...3).contains(i) { continue }   // W, R, B live in the recurrent layers
                tensorFailure("ONNXModel: \(node.label) reads '\(name)', which no earlier node produced")
            }
            let results = ONNXOperators.run(node, arguments, model: self)
            for (name, value) in zip(node.outputs, results) where !name.isEmpty { values[name] = value }
        }
        return outputNames.map { name in
            guard let v = values[name] else { tensorFailure("ONNXModel: output '\(name)' was not computed") }
            return v
        }
    }
}

extension ONNXModel: ArchivableLayer {
    public static var archiveClassName: String { "ONNXModel" }

    public func archiveConfig() throws -> JSON {
        var recurrent: [JSON] = []
        for node in nodes {
            guard let r = recurrentNodes[node.name] else { continue }
            func describe(_ l: RecurrentLayer?) -> JSON {
                guard let l else { return .null }
                return ["cell": JSON(stringLiteral: "\(l.cell)"), "gru_reset_after": .bool({ if case .gru(let a) = l.cell { return a } else { return false } }()),
                        "input": JSON(l.inputSize), "hidden": JSON(l.hiddenSize), "bias": .bool(l.biasIH != nil)]
            }
            recurrent.append(["node": .string(node.name), "layout": JSON(r.layout), "forward": describe(r.forward), "backward": describe(r.backward)])
        }
        let encodedNodes = JSON.from(nodes), encodedInputs = JSON.from(inputs)
        return ["opset": JSON(opset), "nodes": encodedNodes, "inputs": encodedInputs, "outputs": .array(outputNames.map { .string($0) }),
                "parameters": .array(parameterList.map { ["name": .string($0.name), "shape": JSON($0.parameter.value.shape)] }),
                "constants": .array(constantList.map { ["name": .string($0.name), "shape": JSON($0.buffer.value.shape), "dtype": .string("\($0.buffer.value.dtype)")] }),
                "recurrent": .array(recurrent)]
    }

    public static func fromArchiveConfig(_ json: JSON, file: String, path: String) throws -> ONNXModel {
        let c = ConfigReader(json: json, file: file, path: path)
        let nodes: [ONNXNode], inputs: [ModelArchive.Input]
        do {
            nodes = try c.field("nodes").decode([ONNXNode].self)
            inputs = try c.field("inputs").decode([ModelArchive.Input].self)
        } catch let error as ModelFileError { throw error } catch {
            throw c.invalid("nodes", "not a list of ONNX nodes and inputs (\(error))")
        }
        let outputs = try c.array("outputs").map { j -> String in
            guard let s = j.string else { throw c.invalid("outputs", "expected names") }
            return s
        }
        func shape(_ j: JSON, _ what: String) throws -> [Int] {
            guard let s = j["shape"]?.ints, s.allSatisfy({ $0 >= 0 }) else { throw c.invalid(what, "an entry has no valid shape") }
            try c.limit(s.reduce(1, *))
            return s
        }
        let parameters = try c.array("parameters").map { j -> (name: String, parameter: Parameter) in
            guard let name = j["name"]?.string else { throw c.invalid("parameters", "an entry has no name") }
            return (name, Parameter(Tensor.zeros(try shape(j, "parameters"))))
        }
        let constants = try c.array("constants").map { j -> (name: String, buffer: Buffer) in
            guard let name = j["name"]?.string else { throw c.invalid("constants", "an entry has no name") }
            let dtype: DType = ["float32": .float32, "float64": .float64, "int32": .int32, "int64": .int64, "uint8": .uint8, "bool": .bool][j["dtype"]?.string ?? ""] ?? .float32
            return (name, Buffer(Tensor.zeros(try shape(j, "constants"), dtype: dtype)))
        }
        var recurrent: [String: RecurrentNode] = [:]
        for entry in try c.array("recurrent") {
            let r = ConfigReader(json: entry, file: file, path: path + ".recurrent")
            func layer(_ key: String, backwards: Bool) throws -> RecurrentLayer? {
                guard let j = entry[key], !j.isNull else { return nil }
                let l = ConfigReader(json: j, file: file, path: path + ".recurrent." + key)
                let cell: RecurrentCell
                switch try l.string("cell") {
                case "lstm": cell = .lstm
                case let s where s.hasPrefix("gru"): cell = .gru(resetAfter: try l.bool("gru_reset_after"))
                case let s where s.hasPrefix("simple"): cell = .simple(relu: s.contains("true"))
                case let other: throw l.invalid("cell", "unknown cell '\(other)'")
                }
                let input = try l.positive("input"), hidden = try l.positive("hidden")
                try l.limit(4, hidden, input + hidden)
                var rng = PhiloxGenerator(seed: 0)
                return RecurrentLayer(cell: cell, inputSize: input, hiddenSize: hidden, bias: try l.bool("bias"), returnSequences: true,
                                      goBackwards: backwards, using: &rng)
            }
            recurrent[try r.string("node")] = RecurrentNode(forward: try layer("forward", backwards: false), backward: try layer("backward", backwards: true),
                                                             layout: try r.nonNegative("layout"))
        }
        let model = ONNXModel(nodes: nodes, inputs: inputs, outputNames: outputs, opset: try c.positive("opset"),
                              parameters: parameters, constants: constants, recurrent: recurrent)
        try ONNXImporter.validate(model, file: file)
        return model
    }
}
