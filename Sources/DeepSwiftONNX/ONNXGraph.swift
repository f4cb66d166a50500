import DeepSwiftIO

/// One operator of an imported ONNX graph, in a form DeepSwift can store in its own archives.
public struct ONNXNode: Codable, Sendable, Equatable {
    public var name: String
    public var opType: String
    public var inputs: [String]     // "" = an omitted optional input
    public var outputs: [String]
    public var attributes: [String: ONNXAttribute]

    public init(name: String, opType: String, inputs: [String], outputs: [String], attributes: [String: ONNXAttribute]) {
        self.name = name
        self.opType = opType
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }
}

/// An operator attribute. Tensor-valued attributes are turned into named constants at import.
public enum ONNXAttribute: Codable, Sendable, Equatable {
    case int(Int)
    case float(Double)
    case string(String)
    case ints([Int])
    case floats([Double])
    case strings([String])
    /// A one-element tensor value (`ConstantOfShape`): the number and its ONNX data type.
    case scalar(Double, dataType: Int)
}

extension ONNXNode {
    func int(_ key: String) -> Int? { if case .int(let v)? = attributes[key] { return v } else { return nil } }
    func float(_ key: String) -> Double? {
        switch attributes[key] {
        case .float(let v)?: return v
        case .int(let v)?: return Double(v)
        default: return nil
        }
    }
    func string(_ key: String) -> String? { if case .string(let v)? = attributes[key] { return v } else { return nil } }
    func ints(_ key: String) -> [Int]? {
        switch attributes[key] {
        case .ints(let v)?: return v
        case .int(let v)?: return [v]
        default: return nil
        }
    }
    func floats(_ key: String) -> [Double]? { if case .floats(let v)? = attributes[key] { return v } else { return nil } }
    func input(_ i: Int) -> String? { i < inputs.count && !inputs[i].isEmpty ? inputs[i] : nil }
    var label: String { "node '\(name)' (\(opType))" }
}
