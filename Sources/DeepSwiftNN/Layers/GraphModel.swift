import Foundation
import DeepSwiftAutodiff
import DeepSwiftTensor

/// How a merge vertex combines its inputs.
public enum MergeOperation: Sendable, Equatable, Codable {
    case add, subtract, multiply, average, maximum, minimum
    /// Concatenation along an axis of the full tensor (axis 1 is the first per-sample axis).
    case concatenate(axis: Int)
}

/// A problem found while building a graph, naming the node and the shapes involved.
public enum GraphError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(node: String, expected: [Int], actual: [Int], detail: String)
    case unknownNode(String)
    case duplicateName(String)
    case badMerge(node: String, detail: String)

    public var description: String {
        switch self {
        case .shapeMismatch(let node, let expected, let actual, let detail):
            return "graph node '\(node)': shapes do not fit: \(detail): expected \(expected), got \(actual)"
        case .unknownNode(let name): return "graph: unknown node '\(name)'"
        case .duplicateName(let name): return "graph: two nodes are named '\(name)'"
        case .badMerge(let node, let detail): return "graph node '\(node)': \(detail)"
        }
    }
}

/// A handle to a node of a graph under construction.
public struct GraphNode: Hashable, Sendable {
    let index: Int
}

/// Builds a ``GraphModel``: DL4J's ComputationGraph, Keras's functional API.
///
/// ```swift
/// var rng = PhiloxGenerator(seed: 0)
/// let graph = GraphBuilder()
/// let image = graph.input("image", shape: [1, 28, 28])
/// let features = graph.add("conv", Conv2D(1, 8, kernel: (3, 3), padding: .same, using: &rng), image)
/// let activated = graph.add("relu", ActivationLayer(.relu), features)
/// let residual = graph.merge("skip", .add, features, activated)            // skip connection
/// let logits = graph.add("head", Sequential { Flatten(); Dense(8 * 28 * 28, 10, using: &rng) }, residual)
/// let model = try graph.build(outputs: [logits])                             // shapes checked here
/// ```
public final class GraphBuilder {
    /// What a node computes; inputs are indices of earlier nodes.
    public enum Kind {
        case input(shape: [Int])
        /// A layer applied to one node, or a ``MultiInputLayer`` applied to several.
        case layer(any Layer, inputs: [Int])
        case merge(MergeOperation, inputs: [Int])
    }

    public struct Node {
        public let name: String
        public let kind: Kind
    }

    var nodes: [Node] = []

    public init() {}

    /// A model input with a per-sample `shape` (the batch axis is added in front).
    public func input(_ name: String, shape: [Int]) -> GraphNode { append(name, .input(shape: shape)) }

    /// Applies `layer` to `input`. The same layer object may be added at several nodes (shared weights).
    public func add(_ name: String, _ layer: any Layer, _ input: GraphNode) -> GraphNode {
        append(name, .layer(layer, inputs: [input.index]))
    }

    /// Applies a layer that takes several inputs (e.g. attention: query, value, key).
    public func add(_ name: String, _ layer: any MultiInputLayer, _ inputs: [GraphNode]) -> GraphNode {
        append(name, .layer(layer, inputs: inputs.map(\.index)))
    }

    /// Combines several nodes elementwise or by concatenation.
    public func merge(_ name: String, _ operation: MergeOperation, _ inputs: GraphNode...) -> GraphNode {
        append(name, .merge(operation, inputs: inputs.map(\.index)))
    }

    public func merge(_ name: String, _ operation: MergeOperation, _ inputs: [GraphNode]) -> GraphNode {
        append(name, .merge(operation, inputs: inputs.map(\.index)))
    }

    private func append(_ name: String, _ kind: Kind) -> GraphNode {
        nodes.append(Node(name: name, kind: kind))
        return GraphNode(index: nodes.count - 1)
    }

    /// Checks names and shapes (running every layer once on a zero batch of one sample) and
    /// returns the model. Throws ``GraphError`` naming the first node whose inputs do not fit.
    /// With `validate: false` nothing runs (for inputs whose sizes are not known yet, e.g. a
    /// variable sequence length); shape problems then surface when the model runs.
    public func build(outputs: [GraphNode], dtype: DType = .float32, validate: Bool = true) throws -> GraphModel {
        var seen = Set<String>()
        for node in nodes where !seen.insert(node.name).inserted { throw GraphError.duplicateName(node.name) }
        if !validate { return GraphModel(nodes: nodes, outputs: outputs.map(\.index), shapes: nodes.map { _ in [] }) }
        var shapes: [[Int]] = []
        try Gradients.withoutRecording {
            var values: [Variable] = []
            for node in nodes {
                switch node.kind {
                case .input(let shape):
                    values.append(Variable(Tensor.zeros([1] + shape, dtype: dtype)))
                case .layer(let layer, let inputs):
                    if inputs.count == 1, let checking = layer as? InputShapeChecking,
                       let problem = checking.problem(withInputShape: values[inputs[0]].shape) {
                        throw GraphError.shapeMismatch(node: node.name, expected: problem.expected, actual: values[inputs[0]].shape, detail: problem.detail)
                    }
                    guard inputs.count == 1 || layer is MultiInputLayer else {
                        throw GraphError.badMerge(node: node.name, detail: "\(layer.summaryName) takes one input, the node gives it \(inputs.count)")
                    }
                    let wasTraining = layer.isTraining
                    layer.setTraining(false)
                    values.append(GraphModel.applyLayer(layer, inputs.map { values[$0] }))
                    layer.setTraining(wasTraining)
                case .merge(let operation, let inputs):
                    guard !inputs.isEmpty else { throw GraphError.badMerge(node: node.name, detail: "a merge needs at least one input") }
                    let inputShapes = inputs.map { values[$0].shape }
                    try GraphModel.checkMerge(operation, inputShapes, node: node.name)
                    values.append(GraphModel.apply(operation, inputs.map { values[$0] }))
                }
                shapes.append(values.last!.shape)
            }
        }
        return GraphModel(nodes: nodes, outputs: outputs.map(\.index), shapes: shapes)
    }
}

/// A model with several inputs and outputs (``GraphModel``, imported ONNX graphs): tools such as
/// `deepswift predict` feed it one tensor per input and read one per output.
public protocol MultiInputOutputModel: Layer {
    /// Runs the model on one value per input (in the model's input order).
    func callAsFunction(_ inputs: [Variable]) -> [Variable]
}

extension GraphModel: MultiInputOutputModel {}

/// A layer that takes several inputs in a ``GraphModel`` node (e.g. ``MultiHeadAttention``:
/// query, value and optionally key, in Keras's order).
public protocol MultiInputLayer: Layer {
    func callAsFunction(_ inputs: [Variable]) -> Variable
    /// With the inputs' sequence masks; returns the output's mask. The default ignores the masks
    /// and passes the first one on.
    func callAsFunction(_ inputs: [Variable], masks: [Tensor?]) -> (output: Variable, mask: Tensor?)
}

extension MultiInputLayer {
    public func callAsFunction(_ inputs: [Variable], masks: [Tensor?]) -> (output: Variable, mask: Tensor?) {
        (self(inputs), masks.first ?? nil)
    }
}

/// Layers that can say, without running, whether an input shape fits them.
public protocol InputShapeChecking {
    /// `nil` when `shape` fits; otherwise the expected shape and what is wrong.
    func problem(withInputShape shape: [Int]) -> (expected: [Int], detail: String)?
}

extension Dense: InputShapeChecking {
    public func problem(withInputShape shape: [Int]) -> (expected: [Int], detail: String)? {
        shape.last == inputSize ? nil : (Array(shape.dropLast()) + [inputSize], "Dense(\(inputSize) → \(outputSize)) needs \(inputSize) input features")
    }
}

extension Conv2D: InputShapeChecking {
    public func problem(withInputShape shape: [Int]) -> (expected: [Int], detail: String)? {
        let channels = weight.shape[1] * groups
        guard shape.count == 4, shape[1] == channels else {
            return ([shape.first ?? 1, channels, shape.count > 2 ? shape[2] : 1, shape.count > 3 ? shape[3] : 1],
                    "Conv2D needs [N, \(channels), H, W] inputs")
        }
        return nil
    }
}

extension BatchNorm: InputShapeChecking {
    public func problem(withInputShape shape: [Int]) -> (expected: [Int], detail: String)? {
        guard shape.count >= 2, shape[1] == channels else {
            var expected = shape
            if expected.count >= 2 { expected[1] = channels }
            return (expected, "BatchNorm(\(channels)) needs \(channels) channels on axis 1")
        }
        return nil
    }
}

/// A directed acyclic graph of layers with merge vertices, several inputs and outputs, skip
/// connections and shared layers. Built (and shape-checked) by ``GraphBuilder``.
public final class GraphModel: Layer {
    /// The nodes in evaluation order.
    public let nodes: [GraphBuilder.Node]
    /// Indices of the output nodes.
    public let outputs: [Int]
    /// Output shape of every node for a batch of one, in node order.
    public let nodeShapes: [(name: String, shape: [Int])]
    public var isTraining = true

    init(nodes: [GraphBuilder.Node], outputs: [Int], shapes: [[Int]]) {
        self.nodes = nodes
        self.outputs = outputs
        self.nodeShapes = zip(nodes, shapes).map { ($0.name, $1) }
    }

    /// Each layer once (shared layers are listed under the first node that uses them).
    public var sublayers: [(name: String, layer: any Layer)] {
        var seen = Set<ObjectIdentifier>()
        var result: [(name: String, layer: any Layer)] = []
        for node in nodes {
            if case .layer(let layer, _) = node.kind, seen.insert(ObjectIdentifier(layer)).inserted {
                result.append((name: node.name, layer: layer))
            }
        }
        return result
    }

    public var inputNames: [String] {
        nodes.compactMap { if case .input = $0.kind { return $0.name } else { return nil } }
    }

    /// Runs the graph on one tensor per input (in the order the inputs were declared).
    public func callAsFunction(_ inputs: [Variable]) -> [Variable] {
        self(inputs, masks: inputs.map { _ in nil }).map(\.output)
    }

    /// Runs the graph with a sequence mask per input (`[B, T]`, nonzero = real step; nil = none).
    /// Masks flow as in Keras: layers pass, create (`Embedding`, `Masking`) or drop them (see
    /// ``Layer/callAsFunction(_:mask:)``), recurrent layers and attention read them, and a merge
    /// keeps the steps that are real in every input.
    public func callAsFunction(_ inputs: [Variable], masks inputMasks: [Tensor?]) -> [(output: Variable, mask: Tensor?)] {
        var values: [Variable] = [], masks: [Tensor?] = []
        var nextInput = 0
        values.reserveCapacity(nodes.count)
        for node in nodes {
            switch node.kind {
            case .input:
                tensorCheck(nextInput < inputs.count, "GraphModel: \(inputs.count) inputs given, the graph has \(inputNames.count) (\(inputNames))")
                values.append(inputs[nextInput])
                masks.append(nextInput < inputMasks.count ? inputMasks[nextInput] : nil)
                nextInput += 1
            case .layer(let layer, let inputs):
                let (y, m): (Variable, Tensor?)
                if inputs.count == 1 {
                    (y, m) = layer(values[inputs[0]], mask: masks[inputs[0]])
                } else {
                    (y, m) = (layer as! any MultiInputLayer)(inputs.map { values[$0] }, masks: inputs.map { masks[$0] })
                }
                values.append(y)
                masks.append(m)
            case .merge(let operation, let inputs):
                values.append(GraphModel.apply(operation, inputs.map { values[$0] }))
                masks.append(GraphModel.mergeMasks(operation, inputs.map { masks[$0] }))
            }
        }
        return outputs.map { (values[$0], masks[$0]) }
    }

    /// Single-input, single-output use (as in `Sequential` and `Trainer`).
    public func callAsFunction(_ input: Variable) -> Variable { self([input])[0] }

    public func callAsFunction(_ input: Variable, mask: Tensor?) -> (output: Variable, mask: Tensor?) { self([input], masks: [mask])[0] }

    /// A step is real after a merge when it is real in every input that has a mask (Keras's rule);
    /// concatenating along the time axis concatenates the masks.
    static func mergeMasks(_ operation: MergeOperation, _ masks: [Tensor?]) -> Tensor? {
        let present = masks.compactMap { $0 }
        guard let first = present.first else { return nil }
        if case .concatenate(let axis) = operation, axis == 1 {
            guard present.count == masks.count else { return nil }
            return Tensor.concat(present.map { ($0 .!= 0).cast(to: .float32) }, axis: 1)
        }
        guard present.allSatisfy({ $0.shape == first.shape }) else { return nil }
        return present.dropFirst().reduce((first .!= 0).cast(to: .float32)) { $0 * ($1 .!= 0).cast(to: .float32) }
    }

    static func applyLayer(_ layer: any Layer, _ inputs: [Variable]) -> Variable {
        if inputs.count == 1 { return layer(inputs[0]) }
        return (layer as! any MultiInputLayer)(inputs)
    }

    static func checkMerge(_ operation: MergeOperation, _ shapes: [[Int]], node: String) throws {
        switch operation {
        case .concatenate(let axis):
            let rank = shapes[0].count
            let a = axis < 0 ? axis + rank : axis
            guard a >= 0 && a < rank else { throw GraphError.badMerge(node: node, detail: "concatenation axis \(axis) is out of range for rank \(rank)") }
            for shape in shapes.dropFirst() {
                var expected = shapes[0]
                expected[a] = shape.count == rank ? shape[a] : expected[a]
                if shape != expected {
                    throw GraphError.shapeMismatch(node: node, expected: expected, actual: shape, detail: "concatenation along axis \(axis) needs equal sizes elsewhere")
                }
            }
        default:
            for shape in shapes.dropFirst() where shape != shapes[0] {
                throw GraphError.shapeMismatch(node: node, expected: shapes[0], actual: shape, detail: "\(operation) needs inputs of one shape")
            }
        }
    }

    static func apply(_ operation: MergeOperation, _ values: [Variable]) -> Variable {
        switch operation {
        case .add: return values.dropFirst().reduce(values[0], +)
        case .subtract:
            return values.count == 1 ? values[0] : values.dropFirst().reduce(values[0], -)
        case .multiply: return values.dropFirst().reduce(values[0], *)
        case .average: return values.dropFirst().reduce(values[0], +) / Double(values.count)
        case .maximum: return values.dropFirst().reduce(values[0]) { $0.maximum($1) }
        case .minimum: return values.dropFirst().reduce(values[0]) { $0.minimum($1) }
        case .concatenate(let axis): return Variable.concat(values, axis: axis)
        }
    }

    /// A table of every node with its output shape (batch of one) and the parameters it adds.
    public func summary() -> String {
        var seen = Set<ObjectIdentifier>()
        var lines = ["Node                          Output shape        Parameters"]
        for (node, entry) in zip(nodes, nodeShapes) {
            var count = 0
            var kind = "input"
            switch node.kind {
            case .layer(let layer, _):
                kind = layer.summaryName
                if seen.insert(ObjectIdentifier(layer)).inserted { count = layer.parameterCount } else { kind += " (shared)" }
            case .merge(let operation, _): kind = "merge \(operation)"
            case .input: break
            }
            let label = "\(node.name): \(kind)"
            lines.append(label.padding(toLength: Swift.max(30, label.count + 1), withPad: " ", startingAt: 0)
                         + "\(entry.shape)".padding(toLength: 20, withPad: " ", startingAt: 0) + "\(count)")
        }
        lines.append("Total parameters: \(parameterCount)")
        return lines.joined(separator: "\n")
    }
}
