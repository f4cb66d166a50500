import DeepSwiftTensor
import Foundation

/// One step of a ``TransformProcess`` (DataVec's transform operations). Steps that need the data
/// (the categories of a column) are fitted once on training data; the fitted values are part of
/// the step, so the JSON of a fitted process reproduces it exactly at inference.
public enum TransformStep: Codable, Sendable, Equatable {
    case removeColumns([String])
    case renameColumn(from: String, to: String)
    /// Keeps only these columns, in this order.
    case selectColumns([String])
    /// Drops rows with a missing value in any of these columns (all columns when empty).
    case removeRowsWithMissing([String])
    /// Replaces missing values of a numeric column.
    case fillMissing(column: String, value: Double)
    /// Text → category index (0 ..< count, in the order of `categories`; fitted: sorted distinct values).
    case categoricalToInteger(column: String, categories: [String]?)
    /// Text → one 0/1 column per category, named `column=category`.
    case categoricalToOneHot(column: String, categories: [String]?)
    /// `column = column op value` (log1p, abs and sqrt ignore `value`).
    case math(column: String, op: MathOperation, value: Double)
    /// A new numeric column from two others.
    case derived(name: String, left: String, op: MathOperation, right: String)
    /// Keeps the rows whose numeric `column` satisfies `column comparison value` (missing values fail).
    case keepRows(column: String, comparison: Comparison, value: Double)

    public enum Comparison: String, Codable, Sendable { case less, lessOrEqual, equal, notEqual, greaterOrEqual, greater }

    public enum MathOperation: String, Codable, Sendable {
        case add, subtract, multiply, divide, power, minimum, maximum, log1p, abs, sqrt
    }
}

/// An ordered list of column transforms, fitted on training data and saved as JSON with a model.
///
/// ```swift
/// var process = TransformProcess([.categoricalToOneHot(column: "color", categories: nil),
///                                 .removeRowsWithMissing([])])
/// let train = try process.fitApply(trainTable)            // learns the categories
/// let json = try process.json()                           // ... later, at inference:
/// let same = try TransformProcess(json: json).apply(newTable)
/// ```
public struct TransformProcess: Codable, Sendable, Equatable {
    public var steps: [TransformStep]

    public init(_ steps: [TransformStep]) { self.steps = steps }

    public init(json: Data) throws {
        do { self = try JSONDecoder().decode(TransformProcess.self, from: json) } catch {
            throw DataError.unreadable(file: "<transform process JSON>", reason: "\(error)")
        }
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Fits the steps that learn from data (the categories) on `data`, then applies all steps.
    public mutating func fitApply(_ data: TabularData) throws -> TabularData {
        var current = data
        for i in steps.indices {
            switch steps[i] {
            case .categoricalToInteger(let column, nil):
                steps[i] = .categoricalToInteger(column: column, categories: try Self.categories(current, column))
            case .categoricalToOneHot(let column, nil):
                steps[i] = .categoricalToOneHot(column: column, categories: try Self.categories(current, column))
            default: break
            }
            current = try Self.apply(steps[i], to: current)
        }
        return current
    }

    /// Applies fitted steps; a category not seen in fitting is an error naming its row.
    public func apply(_ data: TabularData) throws -> TabularData {
        try steps.reduce(data) { try Self.apply($1, to: $0) }
    }

    static func categories(_ data: TabularData, _ column: String) throws -> [String] {
        let i = try data.index(of: column)
        switch data.columns[i] {
        case .text(let values): return Array(Set(values.compactMap { $0 })).sorted()
        case .numeric(let values): return Array(Set(values.filter { !$0.isNaN })).sorted().map { Self.format($0) }
        }
    }

    static func format(_ v: Double) -> String { v == v.rounded() && Swift.abs(v) < 1e15 ? String(Int64(v)) : String(v) }

    static func texts(_ data: TabularData, _ i: Int) -> [String?] {
        switch data.columns[i] {
        case .text(let v): return v
        case .numeric(let v): return v.map { $0.isNaN ? nil : format($0) }
        }
    }

    static func apply(_ step: TransformStep, to data: TabularData) throws -> TabularData {
        var d = data
        switch step {
        case .removeColumns(let names):
            for name in names { _ = try d.index(of: name) }
            let keep = d.names.indices.filter { !names.contains(d.names[$0]) }
            d.names = keep.map { d.names[$0] }
            d.columns = keep.map { d.columns[$0] }
        case .renameColumn(let from, let to):
            d.names[try d.index(of: from)] = to
        case .selectColumns(let names):
            let indices = try names.map { try d.index(of: $0) }
            d.names = names
            d.columns = indices.map { data.columns[$0] }
        case .removeRowsWithMissing(let names):
            let indices = names.isEmpty ? Array(d.names.indices) : try names.map { try d.index(of: $0) }
            var keep = [Bool](repeating: true, count: d.rowCount)
            for i in indices {
                switch d.columns[i] {
                case .numeric(let v): for r in v.indices where v[r].isNaN { keep[r] = false }
                case .text(let v): for r in v.indices where v[r] == nil { keep[r] = false }
                }
            }
            d = d.filteredRows(keep)
        case .fillMissing(let column, let value):
            let i = try d.index(of: column)
            let v = try d.numeric(column)
            d.columns[i] = .numeric(v.map { $0.isNaN ? value : $0 })
        case .categoricalToInteger(let column, let categories):
            let i = try d.index(of: column)
            let cats = try categories ?? Self.categories(d, column)
            let lookup = Dictionary(uniqueKeysWithValues: cats.enumerated().map { ($1, Double($0)) })
            d.columns[i] = .numeric(try texts(d, i).enumerated().map { r, t in
                guard let t else { return .nan }
                guard let id = lookup[t] else { throw unknownCategory(d, row: r, column: column, value: t, categories: cats) }
                return id
            })
        case .categoricalToOneHot(let column, let categories):
            let i = try d.index(of: column)
            let cats = try categories ?? Self.categories(d, column)
            let lookup = Dictionary(uniqueKeysWithValues: cats.enumerated().map { ($1, $0) })
            var ones = [[Double]](repeating: [Double](repeating: 0, count: d.rowCount), count: cats.count)
            for (r, t) in texts(d, i).enumerated() {
                guard let t else { for k in cats.indices { ones[k][r] = .nan }; continue }
                guard let k = lookup[t] else { throw unknownCategory(d, row: r, column: column, value: t, categories: cats) }
                ones[k][r] = 1
            }
            d.names.replaceSubrange(i...i, with: cats.map { "\(column)=\($0)" })
            d.columns.replaceSubrange(i...i, with: ones.map { .numeric($0) })
        case .math(let column, let op, let value):
            let i = try d.index(of: column)
            d.columns[i] = .numeric(try d.numeric(column).map { Self.compute(op, $0, value) })
        case .keepRows(let column, let comparison, let value):
            let v = try d.numeric(column)
            d = d.filteredRows(v.map { x in
                switch comparison {
                case .less: return x < value
                case .lessOrEqual: return x <= value
                case .equal: return x == value
                case .notEqual: return !x.isNaN && x != value
                case .greaterOrEqual: return x >= value
                case .greater: return x > value
                }
            })
        case .derived(let name, let left, let op, let right):
            let a = try d.numeric(left), b = try d.numeric(right)
            d.names.append(name)
            d.columns.append(.numeric(zip(a, b).map { Self.compute(op, $0, $1) }))
        }
        return d
    }

    static func unknownCategory(_ d: TabularData, row: Int, column: String, value: String, categories: [String]) -> DataError {
        .malformedRecord(file: d.file, line: d.lines.indices.contains(row) ? d.lines[row] : row + 1, column: "'\(column)'",
                         expected: "one of the fitted categories \(categories)", actual: "'\(value)'")
    }

    static func compute(_ op: TransformStep.MathOperation, _ a: Double, _ b: Double) -> Double {
        switch op {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        case .power: return Foundation.pow(a, b)
        case .minimum: return Swift.min(a, b)
        case .maximum: return Swift.max(a, b)
        case .log1p: return Foundation.log1p(a)
        case .abs: return Swift.abs(a)
        case .sqrt: return a.squareRoot()
        }
    }
}
