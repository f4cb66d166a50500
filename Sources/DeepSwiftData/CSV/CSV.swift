import DeepSwiftTensor
import Foundation

/// A CSV file read as text: the column names and every record's fields.
public struct CSVTable: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[String]]
    /// The 1-based line each row starts on (for error messages further down the pipeline).
    public var lines: [Int]
    /// Records skipped under ``BadRecordPolicy/skip``, with why.
    public var skipped: [DataError]
    /// The file the table came from.
    public var file: String

    public var count: Int { rows.count }

    /// The values of one column.
    public func column(_ name: String) throws -> [String] {
        guard let index = columns.firstIndex(of: name) else {
            throw DataError.mismatch(file: file, field: "column name", expected: "one of \(columns)", actual: "'\(name)'")
        }
        return rows.map { $0[index] }
    }
}

/// Reading delimited text files (DataVec's CSVRecordReader).
///
/// ```swift
/// let table = try CSV.read("iris.csv")                          // header + rows of strings
/// let matrix = try CSV.readNumeric("measurements.csv")           // float32 [rows, columns], fast path
/// ```
public enum CSV {
    /// Reads every record as text. Each record must have as many fields as the header (or the first
    /// record); a malformed record throws ``DataError/malformedRecord(file:line:column:expected:actual:)``
    /// or, with `badRecords: .skip`, is left out and listed in ``CSVTable/skipped``.
    public static func read(_ path: String, format: CSVFormat = CSVFormat(), badRecords: BadRecordPolicy = .fail) throws -> CSVTable {
        let data = try readFile(path)
        return try data.withUnsafeBytes { raw in
            try parse(raw.bindMemory(to: UInt8.self), file: path, format: format, badRecords: badRecords)
        }
    }

    /// Parses CSV text held in memory (`file` names it in errors).
    public static func parse(_ text: String, file: String = "<string>", format: CSVFormat = CSVFormat(),
                             badRecords: BadRecordPolicy = .fail) throws -> CSVTable {
        var copy = text
        return try copy.withUTF8 { try parse($0, file: file, format: format, badRecords: badRecords) }
    }

    static func readFile(_ path: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw DataError.unreadable(file: path, reason: "no such file") }
        do { return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw DataError.unreadable(file: path, reason: error.localizedDescription)
        }
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, file: String, format: CSVFormat, badRecords: BadRecordPolicy) throws -> CSVTable {
        var parser = CSVParser(bytes, file: file, format: format)
        var fields: [CSVField] = []
        var columns: [String] = []
        var table = CSVTable(columns: [], rows: [], lines: [], skipped: [], file: file)
        var width: Int? = nil
        while true {
            let startLine: Int
            do {
                guard let l = try parser.nextRecord(into: &fields) else { break }
                startLine = l
            } catch let error as DataError {
                // A quoting error leaves the parser mid-record: skip to the next line.
                guard badRecords == .skip else { throw error }
                table.skipped.append(error)
                parser.skipLine()
                continue
            }
            do {
                let values = try fields.enumerated().map { try parser.string($1, line: startLine, column: $0 + 1) }
                if format.hasHeader && columns.isEmpty && width == nil {
                    columns = values.map { $0.trimmingCharacters(in: .whitespaces) }
                    width = columns.count
                    continue
                }
                if let width, values.count != width {
                    throw DataError.malformedRecord(file: file, line: startLine, column: nil, expected: "\(width) fields",
                                                    actual: "\(values.count)")
                }
                if width == nil {
                    width = values.count
                    columns = (1...values.count).map { "column\($0)" }
                }
                table.rows.append(values)
                table.lines.append(startLine)
            } catch let error as DataError {
                guard badRecords == .skip else { throw error }
                table.skipped.append(error)
            }
        }
        guard width != nil else {
            throw DataError.malformedRecord(file: file, line: 1, column: nil, expected: format.hasHeader ? "a header row" : "a record",
                                            actual: "an empty file")
        }
        table.columns = columns
        return table
    }

    /// Calls `body` with each record's fields (header excluded) and its line, without keeping the
    /// table: memory stays bounded by one record whatever the file size (the file is memory-mapped,
    /// so the operating system pages it in and out). Return `false` from `body` to stop early.
    ///
    /// ```swift
    /// var total = 0.0
    /// try CSV.forEachRecord("big.csv") { fields, line in total += Double(fields[2]) ?? 0; return true }
    /// ```
    public static func forEachRecord(_ path: String, format: CSVFormat = CSVFormat(),
                                     _ body: (_ fields: [String], _ line: Int) throws -> Bool) throws {
        let data = try readFile(path)
        try data.withUnsafeBytes { raw in
            var parser = CSVParser(raw.bindMemory(to: UInt8.self), file: path, format: format)
            var fields: [CSVField] = []
            var width: Int? = nil
            var first = true
            while let line = try parser.nextRecord(into: &fields) {
                let values = try fields.enumerated().map { try parser.string($1, line: line, column: $0 + 1) }
                if first && format.hasHeader { first = false; width = values.count; continue }
                first = false
                if let width, values.count != width {
                    throw DataError.malformedRecord(file: path, line: line, column: nil, expected: "\(width) fields", actual: "\(values.count)")
                }
                width = values.count
                if try !body(values, line) { return }
            }
        }
    }
}
