/// How a delimited text file is written.
///
/// ```swift
/// var format = CSVFormat()          // comma, double quotes, a header row
/// format.delimiter = UInt8(ascii: ";")
/// format.commentPrefix = UInt8(ascii: "#")
/// ```
public struct CSVFormat: Sendable, Equatable, Codable {
    /// Field separator (RFC 4180: comma).
    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// Quote character; inside quotes, two quotes stand for one.
    public var quote: UInt8 = UInt8(ascii: "\"")
    /// The first record names the columns.
    public var hasHeader = true
    /// Lines starting with this byte are skipped (not part of RFC 4180; off by default).
    public var commentPrefix: UInt8? = nil
    /// Field texts that mean "missing" (compared after trimming spaces).
    public var missingValues: Set<String> = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "?"]

    public init() {}

    public init(delimiter: Character, hasHeader: Bool = true, commentPrefix: Character? = nil) {
        self.delimiter = delimiter.asciiValue ?? UInt8(ascii: ",")
        self.hasHeader = hasHeader
        self.commentPrefix = commentPrefix?.asciiValue
    }
}

/// What to do with a malformed record.
public enum BadRecordPolicy: Sendable, Equatable {
    /// Throw the first error (the default).
    case fail
    /// Skip the record, keep its error in the result's `skipped` list.
    case skip
}
