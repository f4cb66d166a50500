/// Why a data file could not be used. Every case names the file and says what was expected.
public enum DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// No data set was found; `searched` lists every place that was tried.
    case notFound(dataset: String, searched: [String], hint: String)
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// A header field holds the wrong value.
    case badHeader(file: String, field: String, expected: String, actual: String)
    /// The file is shorter than its header says.
    case truncated(file: String, expectedBytes: Int, actualBytes: Int)
    /// Two files that belong together disagree.
    case mismatch(file: String, field: String, expected: String, actual: String)
    /// A record of a text file (CSV, LibSVM, ...) is malformed: where (1-based line; column as
    /// a 1-based field number or a column name), what was expected and what was found.
    case malformedRecord(file: String, line: Int, column: String?, expected: String, actual: String)

    public var description: String {
        switch self {
        case .notFound(let dataset, let searched, let hint):
            return "\(dataset) not found. Looked in:\n" + searched.map { "  - \($0)" }.joined(separator: "\n") + "\n" + hint
        case .unreadable(let file, let reason): return "\(file): cannot read: \(reason)"
        case .badHeader(let file, let field, let expected, let actual):
            return "\(file): bad \(field): expected \(expected), found \(actual)"
        case .truncated(let file, let expected, let actual):
            return "\(file): truncated: expected \(expected) bytes, found \(actual)"
        case .mismatch(let file, let field, let expected, let actual):
            return "\(file): \(field) does not match: expected \(expected), found \(actual)"
        case .malformedRecord(let file, let line, let column, let expected, let actual):
            return "\(file):\(line)\(column.map { ", column \($0)" } ?? ""): expected \(expected), found \(actual)"
        }
    }
}
