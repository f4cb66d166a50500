import DeepSwiftTensor
import Foundation

/// Columns of a table, each numeric (Double, NaN = missing) or text — what CSV records become
/// once their types are known, and what ``TransformProcess`` steps work on.
///
/// ```swift
/// var data = try TabularData(try CSV.read("iris.csv"))     // types inferred per column
/// data.names                                                  // ["sepal_length", ..., "species"]
/// ```
public struct TabularData: Sendable, Equatable {
    public enum Values: Sendable, Equatable {
        case numeric([Double])
        case text([String?])   // nil = missing

        public var count: Int {
            switch self {
            case .numeric(let v): return v.count
            case .text(let v): return v.count
            }
        }
    }

    public var names: [String]
    public var columns: [Values]
    /// Where the rows came from, for error messages (file and line of each row).
    public var file: String
    public var lines: [Int]

    public var rowCount: Int { columns.first?.count ?? 0 }

    public init(names: [String], columns: [Values], file: String = "<memory>", lines: [Int]? = nil) {
        precondition(names.count == columns.count, "TabularData: \(names.count) names for \(columns.count) columns")
        self.names = names
        self.columns = columns
        self.file = file
        self.lines = lines ?? Array(1...Swift.max(1, columns.first?.count ?? 0)).prefix(columns.first?.count ?? 0).map { $0 }
    }

    /// Types from the text: a column is numeric when every value that is not missing is a number.
    public init(_ table: CSVTable, missingValues: Set<String> = CSVFormat().missingValues) throws {
        var columns: [Values] = []
        for c in table.columns.indices {
            let texts = table.rows.map { $0[c].trimmingCharacters(in: .whitespaces) }
            let missing = texts.map { missingValues.contains($0) }
            let numbers = texts.map { Double($0) }
            if zip(numbers, missing).allSatisfy({ $0 != nil || $1 }) && missing.contains(false) {
                columns.append(.numeric(zip(numbers, missing).map { $1 ? .nan : $0! }))
            } else {
                columns.append(.text(zip(texts, missing).map { $1 ? nil : $0 }))
            }
        }
        self.init(names: table.columns, columns: columns, file: table.file, lines: table.lines)
    }

    public func index(of name: String) throws -> Int {
        guard let i = names.firstIndex(of: name) else {
            throw DataError.mismatch(file: file, field: "column name", expected: "one of \(names)", actual: "'\(name)'")
        }
        return i
    }

    public func numeric(_ name: String) throws -> [Double] {
        let i = try index(of: name)
        guard case .numeric(let v) = columns[i] else {
            throw DataError.mismatch(file: file, field: "type of column '\(name)'", expected: "numbers", actual: "text")
        }
        return v
    }

    /// Keeps the rows where `keep` is true.
    public func filteredRows(_ keep: [Bool]) -> TabularData {
        var copy = self
        copy.columns = columns.map {
            switch $0 {
            case .numeric(let v): return .numeric(zip(v, keep).filter { $1 }.map { $0.0 })
            case .text(let v): return .text(zip(v, keep).filter { $1 }.map { $0.0 })
            }
        }
        copy.lines = zip(lines, keep).filter { $1 }.map { $0.0 }
        return copy
    }

    /// The rows at `indices`, in that order.
    public func rows(_ indices: [Int]) -> TabularData {
        var copy = self
        copy.columns = columns.map {
            switch $0 {
            case .numeric(let v): return .numeric(indices.map { v[$0] })
            case .text(let v): return .text(indices.map { v[$0] })
            }
        }
        copy.lines = indices.map { lines[$0] }
        return copy
    }

    /// Numeric columns as a float32 (or `dtype`) matrix `[rows, columns]`, in the order given (all
    /// columns by default); a text column is an error naming it.
    public func matrix(_ names: [String]? = nil, dtype: DType = .float32) throws -> Tensor {
        let selected = names ?? self.names
        var values = [Double](repeating: 0, count: rowCount * selected.count)
        for (j, name) in selected.enumerated() {
            let column = try numeric(name)
            for i in 0..<rowCount { values[i * selected.count + j] = column[i] }
        }
        return Tensor(values, shape: [rowCount, selected.count]).cast(to: dtype)
    }

    /// Row indices of a train/test split after a shuffle drawn from `seed`; with `stratifyBy`, each
    /// value of that column keeps its share in both parts (at least one test row per value).
    public func splitRows(testFraction: Double, seed: UInt64, stratifyBy column: String? = nil) throws -> (train: [Int], test: [Int]) {
        var rng = PhiloxGenerator(seed: seed)
        let order = Tensor.permutation(rowCount, using: &rng).scalars(as: Int64.self).map(Int.init)
        var keys = [String](repeating: "", count: rowCount)
        if let column {
            let i = try index(of: column)
            switch columns[i] {
            case .text(let v): keys = v.map { $0 ?? "" }
            case .numeric(let v): keys = v.map { String($0) }
            }
        }
        var groups: [String: [Int]] = [:]
        for i in order { groups[keys[i], default: []].append(i) }
        var train: [Int] = [], test: [Int] = []
        for key in groups.keys.sorted() {
            let rows = groups[key]!
            let held = Swift.min(rows.count, Swift.max(column == nil ? 0 : 1, Int((Double(rows.count) * testFraction).rounded())))
            test += rows.prefix(held)
            train += rows.dropFirst(held)
        }
        return (train, test)
    }
}
