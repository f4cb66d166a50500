import DeepSwiftTensor
import Foundation

/// A JSON value: model configurations are written and read through it, so a configuration can be
/// checked field by field with errors that name the field.
///
/// ```swift
/// let config: JSON = ["class": "Dense", "in": 784, "out": 10]
/// config["in"]?.int        // 784
/// ```
public enum JSON: Equatable, Sendable, Codable, ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral,
                  ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(Dictionary(elements, uniquingKeysWith: { $1 })) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(_ value: Int) { self = .number(Double(value)) }
    public init(_ values: [Int]) { self = .array(values.map { .number(Double($0)) }) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let n = try? container.decode(Double.self) { self = .number(n) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let a = try? container.decode([JSON].self) { self = .array(a) }
        else { self = .object(try container.decode([String: JSON].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let n): try container.encode(n)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }

    public subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public subscript(index: Int) -> JSON? {
        if case .array(let a) = self, index >= 0, index < a.count { return a[index] }
        return nil
    }

    public var int: Int? {
        if case .number(let n) = self, n.rounded() == n, abs(n) < 1e15 { return Int(n) }
        return nil
    }
    public var double: Double? { if case .number(let n) = self { return n } else { return nil } }
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var array: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    public var object: [String: JSON]? { if case .object(let o) = self { return o } else { return nil } }
    public var isNull: Bool { self == .null }
    /// An array of integers (nil when any element is not one).
    public var ints: [Int]? {
        guard let a = array else { return nil }
        let values = a.compactMap(\.int)
        return values.count == a.count ? values : nil
    }

    /// Compact JSON with sorted keys (the same value always gives the same bytes).
    public func serialized() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }

    /// Parses JSON text.
    public static func parse(_ data: Data) throws -> JSON { try JSONDecoder().decode(JSON.self, from: data) }

    /// A Codable value as JSON (`.null` when it cannot be encoded). Integers beyond 2⁵³ lose
    /// precision (JSON numbers are doubles here): write such values as strings.
    public static func from<T: Encodable>(_ value: T) -> JSON {
        (try? JSONDecoder().decode(JSON.self, from: JSONEncoder().encode(value))) ?? .null
    }

    /// This JSON as a Codable value.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: serialized()) }
}

extension JSON {
    /// A generator as `{"seed": "…", "counter": "…"}`: 64-bit values are written as decimal
    /// strings, since JSON numbers (doubles) keep only 53 bits.
    public init(generator g: PhiloxGenerator) {
        self = ["seed": .string(String(g.seed)), "counter": .string(String(g.counter))]
    }

    /// The generator written by ``init(generator:)`` (numbers are accepted when they are exact).
    public var generator: PhiloxGenerator? {
        func value(_ j: JSON?) -> UInt64? {
            if let s = j?.string { return UInt64(s) }
            if let d = j?.double, d >= 0, d < 9.007_199_254_740_992e15, d.rounded() == d { return UInt64(d) }
            return nil
        }
        guard let seed = value(self["seed"]), let counter = value(self["counter"]) else { return nil }
        return PhiloxGenerator(seed: seed, counter: counter)
    }
}
