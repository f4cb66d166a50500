import DeepSwiftTensor
import Foundation

/// Declared column names and types (DataVec's Schema). Reading a table through a schema checks the
/// header and every value, and reports the first misfit with its file, line and column.
///
/// ```swift
/// let schema = Schema([.numeric("age"), .categorical("color", ["red", "green"]), .text("note")])
/// let data = try schema.read(try CSV.read("people.csv"))
/// ```
public struct Schema: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case numeric, categorical, text }

    public struct Column: Codable, Sendable, Equatable {
        public var name: String
        public var kind: Kind
        /// Allowed values of a categorical column (nil: any).
        public var categories: [String]?

        public static func numeric(_ name: String) -> Column { Column(name: name, kind: .numeric, categories: nil) }
        public static func categorical(_ name: String, _ categories: [String]? = nil) -> Column {
            Column(name: name, kind: .categorical, categories: categories)
        }
        public static func text(_ name: String) -> Column { Column(name: name, kind: .text, categories: nil) }
    }

    public var columns: [Column]

    public init(_ columns: [Column]) { self.columns = columns }

    /// The schema a table's values suggest: numeric where every present value is a number, else
    /// categorical with the values seen.
    public static func infer(_ data: TabularData) -> Schema {
        Schema(zip(data.names, data.columns).map { name, values in
            switch values {
            case .numeric: return .numeric(name)
            case .text(let v): return .categorical(name, Array(Set(v.compactMap { $0 })).sorted())
            }
        })
    }

    /// Checks `table` against the schema and converts it.
    public func read(_ table: CSVTable, missingValues: Set<String> = CSVFormat().missingValues) throws -> TabularData {
        guard table.columns == columns.map(\.name) else {
            throw DataError.mismatch(file: table.file, field: "header", expected: columns.map(\.name).joined(separator: ","),
                                     actual: table.columns.joined(separator: ","))
        }
        var result: [TabularData.Values] = []
        for (c, column) in columns.enumerated() {
            let allowed = column.categories.map(Set.init)
            switch column.kind {
            case .numeric:
                result.append(.numeric(try table.rows.enumerated().map { r, row in
                    let t = row[c].trimmingCharacters(in: .whitespaces)
                    if missingValues.contains(t) { return .nan }
                    guard let v = Double(t) else {
                        throw DataError.malformedRecord(file: table.file, line: table.lines[r], column: "\(c + 1) ('\(column.name)')",
                                                        expected: "a number", actual: "'\(row[c])'")
                    }
                    return v
                }))
            case .categorical, .text:
                result.append(.text(try table.rows.enumerated().map { r, row in
                    let t = row[c].trimmingCharacters(in: .whitespaces)
                    if missingValues.contains(t) { return nil }
                    if let allowed, !allowed.contains(t) {
                        throw DataError.malformedRecord(file: table.file, line: table.lines[r], column: "\(c + 1) ('\(column.name)')",
                                                        expected: "one of \(column.categories!)", actual: "'\(t)'")
                    }
                    return t
                }))
            }
        }
        return TabularData(names: table.columns, columns: result, file: table.file, lines: table.lines)
    }
}
