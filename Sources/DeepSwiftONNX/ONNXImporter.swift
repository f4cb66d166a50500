import DeepSwiftAutodiff
import DeepSwiftIO
import DeepSwiftNN
import DeepSwiftTensor
import Foundation
import SwiftProtobuf

/// Reads ONNX models (opsets 13–21) into an ``ONNXModel``.
///
/// ```swift
/// let archive = try ONNXImporter.load("model.onnx")
/// let y = archive.model.predict(x)
/// ```
/// An operator outside ``supportedOperators`` throws ``ModelFileError`` naming the node, its
/// operator and the opset; so do unsupported attributes (e.g. LSTM sequence lengths) and a file
/// that is not an ONNX model or is damaged.
public enum ONNXImporter {
    public static let supportedOperators = ONNXOperators.supported
    public static let supportedOpsets = 13...21

    public static func load(_ path: String) throws -> ModelArchive {
        let data: Data
        do { data = try NumPy.readFile(path) } catch { throw ModelFileError(.unreadable, file: path, nil, "cannot read the file") }
        return try decode(data, file: path)
    }

    public static func decode(_ data: Data, file: String) throws -> ModelArchive {
        let proto: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            proto = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch {
            throw ModelFileError(.notRecognized, file: file, nil, "not a valid ONNX model (protobuf decoding failed: \(error))")
        }
        guard proto.hasGraph, proto.irVersion > 0 else {
            throw ModelFileError(.notRecognized, file: file, nil, "not an ONNX model (no graph or IR version)")
        }
        let opset = Int(proto.opsetImport.first { $0.domain == "" || $0.domain == "ai.onnx" }?.version ?? 0)
        guard supportedOpsets.contains(opset) else {
            throw ModelFileError(.unsupported, file: file, "opset_import", "opset \(opset) is not supported; supported: \(supportedOpsets.lowerBound)–\(supportedOpsets.upperBound) (re-export with opset_version=17)")
        }
        let model = try build(proto.graph, opset: opset, file: file)
        var archive = ModelArchive(model: model, inputs: model.inputs)
        archive.metadata = ["source": "onnx", "opset": "\(opset)", "producer": proto.producerName + " " + proto.producerVersion,
                            "source_file": URL(fileURLWithPath: file).lastPathComponent]
        return archive
    }

    /// Whether `head` (the first bytes of a file) starts like an ONNX model: field 1 (ir_version) first.
    public static func looksLikeONNX(_ head: Data) -> Bool {
        let bytes = [UInt8](head.prefix(2))
        return bytes.count == 2 && bytes[0] == 0x08 && bytes[1] >= 3 && bytes[1] <= 20
    }

    // MARK: Tensors

    static func tensor(_ t: Onnx_TensorProto, file: String) throws -> Tensor {
        let place = "tensor '\(t.name)'"
        guard t.dataLocation != .external else {
            throw ModelFileError(.unsupported, file: file, place, "external data files are not supported; save the model with all tensors inside")
        }
        let shape = t.dims.map { Int(clamping: $0) }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw ModelFileError(.corrupt, file: file, place, "negative dimension in \(shape)") }
        guard let count = Tensor.elementCount(ofUntrustedShape: shape, limit: 1 << 40), count <= 1 << 31 else {
            throw ModelFileError(.corrupt, file: file, place, "shape \(shape) is too large")
        }
        let raw = t.rawData
        func fromRaw<T>(_ type: T.Type, _ dtype: DType, convert: ((T) -> Double)? = nil) throws -> Tensor {
            let width = MemoryLayout<T>.size
            guard raw.count == count * width else {
                throw ModelFileError(.corrupt, file: file, place, "raw_data has \(raw.count) bytes, shape \(shape) needs \(count * width)")
            }
            return raw.withUnsafeBytes { bytes in
                Tensor(shape: shape, dtype: dtype) { out in
                    if let convert {
                        let o = out.assumingMemoryBound(to: Float.self)
                        for i in 0..<count { o[i] = Float(convert(bytes.loadUnaligned(fromByteOffset: i * width, as: T.self))) }
                    } else if count > 0 {
                        out.copyMemory(from: bytes.baseAddress!, byteCount: count * width)
                    }
                }
            }
        }
        func checked<T>(_ values: [T], _ make: ([T]) -> Tensor) throws -> Tensor {
            guard values.count == count else {
                throw ModelFileError(.corrupt, file: file, place, "has \(values.count) values, shape \(shape) needs \(count)")
            }
            return make(values)
        }
        switch t.dataType {
        case 1:   // FLOAT
            return raw.isEmpty ? try checked(t.floatData) { Tensor($0, shape: shape) } : try fromRaw(Float.self, .float32)
        case 11:  // DOUBLE
            return raw.isEmpty ? try checked(t.doubleData) { Tensor($0, shape: shape) } : try fromRaw(Double.self, .float64)
        case 7:   // INT64
            return raw.isEmpty ? try checked(t.int64Data) { Tensor($0, shape: shape) } : try fromRaw(Int64.self, .int64)
        case 6:   // INT32
            return raw.isEmpty ? try checked(t.int32Data) { Tensor($0, shape: shape) } : try fromRaw(Int32.self, .int32)
        case 3, 5, 4:   // INT8, INT16, UINT16 (stored in int32_data)
            if raw.isEmpty { return try checked(t.int32Data) { Tensor($0, shape: shape) } }
            switch t.dataType {
            case 3: return try fromRaw(Int8.self, .int32) { Double($0) }.cast(to: .int32)
            case 5: return try fromRaw(Int16.self, .int32) { Double($0) }.cast(to: .int32)
            default: return try fromRaw(UInt16.self, .int32) { Double($0) }.cast(to: .int32)
            }
        case 2:   // UINT8
            return raw.isEmpty ? try checked(t.int32Data.map { UInt8(truncatingIfNeeded: $0) }) { Tensor($0, shape: shape) } : try fromRaw(UInt8.self, .uint8)
        case 9:   // BOOL
            return raw.isEmpty ? try checked(t.int32Data.map { $0 != 0 }) { Tensor($0, shape: shape) }
                               : try fromRaw(UInt8.self, .float32) { Double($0) }.cast(to: .bool)
        case 10:  // FLOAT16
            if raw.isEmpty { return try checked(t.int32Data.map { Float(Float16(bitPattern: UInt16(truncatingIfNeeded: $0))) }) { Tensor($0, shape: shape) } }
            return try fromRaw(UInt16.self, .float32) { Double(Float(Float16(bitPattern: $0))) }
        case 16:  // BFLOAT16
            if raw.isEmpty { return try checked(t.int32Data.map { Float(bitPattern: UInt32(truncatingIfNeeded: $0) << 16) }) { Tensor($0, shape: shape) } }
            return try fromRaw(UInt16.self, .float32) { Double(Float(bitPattern: UInt32($0) << 16)) }
        default:
            throw ModelFileError(.unsupported, file: file, place, "data type \(t.dataType) is not supported (float, double, float16, bfloat16, integers and bool are)")
        }
    }

    // MARK: Graph

    static func attribute(_ a: Onnx_AttributeProto, node: String, file: String, constant: (Tensor) -> String) throws -> ONNXAttribute {
        switch a.type {
        case .int: return .int(Int(clamping: a.i))
        case .float: return .float(Double(a.f))
        case .string: return .string(String(decoding: a.s, as: UTF8.self))
        case .ints: return .ints(a.ints.map { Int(clamping: $0) })
        case .floats: return .floats(a.floats.map(Double.init))
        case .strings: return .strings(a.strings.map { String(decoding: $0, as: UTF8.self) })
        case .tensor:
            let t = try tensor(a.t, file: file)
            if t.count == 1 { return .scalar(t.cast(to: .float64).scalars(as: Double.self)[0], dataType: Int(a.t.dataType)) }
            return .string(constant(t))
        default:
            throw ModelFileError(.unsupported, file: file, "node '\(node)'", "attribute '\(a.name)' of type \(a.type) is not supported")
        }
    }

    static func build(_ graph: Onnx_GraphProto, opset: Int, file: String) throws -> ONNXModel {
        var parameters: [(name: String, parameter: Parameter)] = []
        var constants: [(name: String, buffer: Buffer)] = []
        var initializers: [String: Tensor] = [:]
        for t in graph.initializer { initializers[t.name] = try tensor(t, file: file) }
        // Initializers read as running statistics or by recurrent nodes are not trainable weights.
        var notWeights = Set<String>()
        var recurrentInputs = Set<String>()
        for node in graph.node {
            if node.opType == "BatchNormalization" { for i in stride(from: 3, to: Swift.min(5, node.input.count), by: 1) { notWeights.insert(node.input[i]) } }
            if node.opType == "LSTM" || node.opType == "GRU" { for i in stride(from: 1, to: Swift.min(4, node.input.count), by: 1) { recurrentInputs.insert(node.input[i]) } }
        }
        var nodes: [ONNXNode] = []
        var recurrent: [String: ONNXModel.RecurrentNode] = [:]
        var constantValues: [String: Tensor] = initializers
        var counter = 0
        for (index, n) in graph.node.enumerated() {
            let name = n.name.isEmpty ? "\(n.opType)_\(index)" : n.name
            let label = "node '\(name)' (\(n.opType))"
            guard n.domain.isEmpty || n.domain == "ai.onnx" else {
                throw ModelFileError(.unsupported, file: file, label, "operator domain '\(n.domain)' is not supported (only the default ONNX domain, opset \(opset))")
            }
            guard supportedOperators.contains(n.opType) else {
                throw ModelFileError(.unsupported, file: file, label,
                                     "operator \(n.opType) (opset \(opset)) is not supported; supported: \(supportedOperators.joined(separator: ", "))")
            }
            var attributes: [String: ONNXAttribute] = [:]
            for a in n.attribute {
                attributes[a.name] = try attribute(a, node: name, file: file) { t in
                    counter += 1
                    let constantName = "\(name).\(a.name).\(counter)"
                    constantValues[constantName] = t
                    constants.append((constantName, Buffer(t)))
                    return constantName
                }
            }
            if n.opType == "Constant" {
                // A Constant node becomes a named constant.
                guard n.output.count == 1 else { throw ModelFileError(.badConfig, file: file, label, "expected one output") }
                let value: Tensor
                if let a = n.attribute.first(where: { $0.name == "value" }), a.type == .tensor { value = try tensor(a.t, file: file) }
                else if let a = n.attribute.first(where: { $0.name == "value_float" }) { value = Tensor([a.f], shape: []) }
                else if let a = n.attribute.first(where: { $0.name == "value_floats" }) { value = Tensor(a.floats, shape: [a.floats.count]) }
                else if let a = n.attribute.first(where: { $0.name == "value_int" }) { value = Tensor([a.i], shape: []) }
                else if let a = n.attribute.first(where: { $0.name == "value_ints" }) { value = Tensor(a.ints, shape: [a.ints.count]) }
                else { throw ModelFileError(.unsupported, file: file, label, "only tensor, float(s) and int(s) values are supported") }
                constantValues[n.output[0]] = value
                constants.append((n.output[0], Buffer(value)))
                continue
            }
            let node = ONNXNode(name: name, opType: n.opType, inputs: n.input, outputs: n.output, attributes: attributes)
            if n.opType == "LSTM" || n.opType == "GRU" {
                recurrent[name] = try recurrentLayers(node, values: constantValues, file: file)
            }
            if n.opType == "ConvTranspose" && (node.attributes["output_shape"] != nil || (node.string("auto_pad") ?? "NOTSET") != "NOTSET") {
                throw ModelFileError(.unsupported, file: file, label, "ConvTranspose with output_shape or auto_pad (explicit pads are supported)")
            }
            if (n.opType == "MaxPool" || n.opType == "AveragePool"), let d = node.ints("dilations"), d.contains(where: { $0 != 1 }) {
                throw ModelFileError(.unsupported, file: file, label, "pooling with dilations \(d)")
            }
            if n.opType == "MaxPool" && n.output.count > 1 && !n.output[1].isEmpty {
                throw ModelFileError(.unsupported, file: file, label, "MaxPool's Indices output")
            }
            if n.opType == "Slice", let steps = node.input(4), let t = constantValues[steps],
               t.cast(to: .int64).scalars(as: Int64.self).contains(where: { $0 != 1 }) {
                throw ModelFileError(.unsupported, file: file, label, "Slice with steps other than 1")
            }
            nodes.append(node)
        }
        for (name, t) in initializers.sorted(by: { $0.key < $1.key }) where !recurrentInputs.contains(name) {
            if t.dtype.isFloatingPoint && !notWeights.contains(name) {
                parameters.append((name, Parameter(t.dtype == .float64 ? t : t.cast(to: .float32))))
            } else {
                constants.append((name, Buffer(t)))
            }
        }
        let initializerNames = Set(initializers.keys)
        let inputs = try graph.input.filter { !initializerNames.contains($0.name) }.map { info -> ModelArchive.Input in
            let type = info.type.tensorType
            let dims = type.shape.dim.map { d -> Int in
                if case .dimValue(let v)? = d.value { return Int(clamping: v) }
                return -1
            }
            let dtype = ONNXOperators.dtype(onnx: Int(type.elemType))
            guard dims.count >= 1 else { throw ModelFileError(.unsupported, file: file, "input '\(info.name)'", "scalar graph inputs are not supported") }
            return ModelArchive.Input(name: info.name, shape: Array(dims.dropFirst()), dtype: dtype.isFloatingPoint ? .float32 : .int64)
        }
        let model = ONNXModel(nodes: nodes, inputs: inputs, outputNames: graph.output.map(\.name), opset: opset,
                              parameters: parameters, constants: constants, recurrent: recurrent)
        try validate(model, file: file)
        return model
    }

    /// Inputs an operator cannot do without (the rest are optional).
    static let requiredInputs: [String: Int] = [
        "Gemm": 2, "MatMul": 2, "Add": 2, "Sub": 2, "Mul": 2, "Div": 2, "Pow": 2, "Equal": 2, "Greater": 2, "Less": 2, "Where": 3,
        "Conv": 2, "ConvTranspose": 2, "BatchNormalization": 5, "LayerNormalization": 2, "Reshape": 2, "Expand": 2, "Gather": 2,
        "Slice": 3, "LSTM": 3, "GRU": 3, "Concat": 1, "Mod": 2, "PRelu": 2,
    ]

    /// Every node input is a graph input, a weight, a constant or an earlier node's output.
    static func validate(_ model: ONNXModel, file: String) throws {
        var known = Set(model.inputs.map(\.name))
        for (name, _) in model.parameterList { known.insert(name) }
        for (name, _) in model.constantList { known.insert(name) }
        for node in model.nodes {
            guard ONNXOperators.supported.contains(node.opType) else {
                throw ModelFileError(.unsupported, file: file, node.label, "operator \(node.opType) (opset \(model.opset)) is not supported")
            }
            let required = requiredInputs[node.opType] ?? 1
            guard node.inputs.count >= required, node.inputs.prefix(required).allSatisfy({ !$0.isEmpty }) else {
                throw ModelFileError(.badConfig, file: file, node.label, "needs \(required) inputs, the node has \(node.inputs.filter { !$0.isEmpty }.count)")
            }
            guard !node.outputs.isEmpty else { throw ModelFileError(.badConfig, file: file, node.label, "has no outputs") }
            for input in node.inputs where !input.isEmpty && !known.contains(input) {
                // LSTM/GRU weights live in their layers.
                if (node.opType == "LSTM" || node.opType == "GRU"), let i = node.inputs.firstIndex(of: input), (1...3).contains(i) { continue }
                throw ModelFileError(.badConfig, file: file, node.label, "input '\(input)' is produced by no earlier node, weight or graph input")
            }
            for output in node.outputs where !output.isEmpty { known.insert(output) }
        }
        for output in model.outputNames where !known.contains(output) {
            throw ModelFileError(.badConfig, file: file, "graph output '\(output)'", "is produced by no node")
        }
    }

    /// LSTM/GRU weights W `[dirs, G·H, I]`, R `[dirs, G·H, H]`, B `[dirs, 2·G·H]`, gate blocks in
    /// ONNX's order (LSTM i, o, f, c; GRU z, r, h) rearranged into DeepSwift's (LSTM i, f, c, o; GRU r, z, n).
    static func recurrentLayers(_ node: ONNXNode, values: [String: Tensor], file: String) throws -> ONNXModel.RecurrentNode {
        func fail(_ detail: String) -> ModelFileError { ModelFileError(.unsupported, file: file, node.label, detail) }
        guard let wName = node.input(1), let rName = node.input(2), let w = values[wName], let r = values[rName] else {
            throw fail("W and R must be constant weights")
        }
        if node.input(4) != nil { throw fail("sequence_lens is not supported (all sequences must run the full length)") }
        if node.input(7) != nil { throw fail("peephole weights P are not supported") }
        if let activations = node.attributes["activations"], case .strings(let names) = activations {
            let expected = node.opType == "LSTM" ? ["Sigmoid", "Tanh", "Tanh"] : ["Sigmoid", "Tanh"]
            for (i, name) in names.enumerated() where name != expected[i % expected.count] {
                throw fail("activation \(name) is not supported (expected \(expected))")
            }
        }
        if node.float("clip") != nil { throw fail("cell clipping is not supported") }
        if (node.int("input_forget") ?? 0) != 0 { throw fail("input_forget is not supported") }
        let direction = node.string("direction") ?? "forward"
        let directions = direction == "bidirectional" ? 2 : 1
        let gates = node.opType == "LSTM" ? 4 : 3
        guard w.rank == 3, r.rank == 3, w.shape[0] == directions, r.shape[0] == directions, w.shape[1] % gates == 0 else {
            throw ModelFileError(.shapeMismatch, file: file, node.label, "W \(w.shape) and R \(r.shape) do not fit \(directions) direction(s) of \(gates) gates")
        }
        let hidden = w.shape[1] / gates, input = w.shape[2]
        guard r.shape[1] == gates * hidden, r.shape[2] == hidden else {
            throw ModelFileError(.shapeMismatch, file: file, node.label, "R \(r.shape) does not fit hidden size \(hidden)")
        }
        let b = node.input(3).flatMap { values[$0] }
        if let b { guard b.shape == [directions, 2 * gates * hidden] else { throw ModelFileError(.shapeMismatch, file: file, node.label, "B \(b.shape)") } }
        let order = node.opType == "LSTM" ? [0, 2, 3, 1] : [1, 0, 2]
        func reorder(_ t: Tensor) -> Tensor {
            Tensor.concat(order.map { t.narrowed(axis: 0, start: $0 * hidden, length: hidden) }, axis: 0).contiguous()
        }
        let cell: RecurrentCell = node.opType == "LSTM" ? .lstm : .gru(resetAfter: (node.int("linear_before_reset") ?? 0) == 1)
        func layer(_ d: Int) -> RecurrentLayer {
            var rng = PhiloxGenerator(seed: 0)
            let l = RecurrentLayer(cell: cell, inputSize: input, hiddenSize: hidden, bias: true, returnSequences: true,
                                   goBackwards: direction == "reverse" || d == 1, using: &rng)
            l.weightIH.value = reorder(w[d].cast(to: .float32))
            l.weightHH.value = reorder(r[d].cast(to: .float32))
            if let b {
                let row = b[d].cast(to: .float32)
                l.biasIH!.value = reorder(row.narrowed(axis: 0, start: 0, length: gates * hidden).contiguous())
                l.biasHH!.value = reorder(row.narrowed(axis: 0, start: gates * hidden, length: gates * hidden).contiguous())
            } else {
                l.biasIH!.value = Tensor.zeros([gates * hidden])
                l.biasHH!.value = Tensor.zeros([gates * hidden])
            }
            return l
        }
        return ONNXModel.RecurrentNode(forward: direction == "reverse" ? nil : layer(0),
                                       backward: direction == "reverse" ? layer(0) : (directions == 2 ? layer(1) : nil),
                                       layout: node.int("layout") ?? 0)
    }
}
