import Foundation

/// An RFC 4180 reader over bytes: quoted fields (with `""` for a quote, delimiters and line
/// breaks inside), `\n` or `\r\n` line endings, optional comment lines. Every malformed record is
/// reported with its file, line and field number.
struct CSVParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let file: String
    let format: CSVFormat
    var position = 0
    var line = 1

    init(_ bytes: UnsafeBufferPointer<UInt8>, file: String, format: CSVFormat) {
        self.bytes = bytes
        self.file = file
        self.format = format
    }

    var atEnd: Bool { position >= bytes.count }

    /// Field byte ranges of the next record, or nil at the end. Quoted fields are unescaped into
    /// `scratch` (the returned ranges then point there, marked by `quoted`).
    /// Returns the line where the record started.
    mutating func nextRecord(into fields: inout [CSVField]) throws -> Int? {
        fields.removeAll(keepingCapacity: true)
        // Skip comment lines (and a blank last line).
        while position < bytes.count {
            if let c = format.commentPrefix, bytes[position] == c {
                skipLine()
                continue
            }
            break
        }
        guard position < bytes.count else { return nil }
        let startLine = line
        let delimiter = format.delimiter, quote = format.quote
        while true {
            if position < bytes.count && bytes[position] == quote {
                // Quoted field.
                let quoteLine = line
                position += 1
                var text: [UInt8] = []
                var closed = false
                while position < bytes.count {
                    let b = bytes[position]
                    if b == quote {
                        if position + 1 < bytes.count && bytes[position + 1] == quote {
                            text.append(quote)
                            position += 2
                            continue
                        }
                        position += 1
                        closed = true
                        break
                    }
                    if b == UInt8(ascii: "\n") { line += 1 }
                    text.append(b)
                    position += 1
                }
                guard closed else {
                    throw DataError.malformedRecord(file: file, line: quoteLine, column: "\(fields.count + 1)",
                                                    expected: "a closing quote", actual: "the end of the file")
                }
                fields.append(CSVField(range: 0..<0, unescaped: text))
                // After the closing quote: a delimiter, the end of the line or of the file.
                if position >= bytes.count { return startLine }
                let next = bytes[position]
                if next == delimiter { position += 1; continue }
                if next == UInt8(ascii: "\n") { position += 1; line += 1; return startLine }
                if next == UInt8(ascii: "\r") && position + 1 < bytes.count && bytes[position + 1] == UInt8(ascii: "\n") {
                    position += 2; line += 1; return startLine
                }
                throw DataError.malformedRecord(file: file, line: line, column: "\(fields.count)",
                                                expected: "a delimiter or the end of the line after a closing quote",
                                                actual: describe(next))
            }
            // Unquoted field.
            let start = position
            while position < bytes.count {
                let b = bytes[position]
                if b == delimiter || b == UInt8(ascii: "\n") { break }
                if b == quote {
                    throw DataError.malformedRecord(file: file, line: line, column: "\(fields.count + 1)",
                                                    expected: "a quote only at the start of a field (RFC 4180)",
                                                    actual: "a quote inside the unquoted field")
                }
                position += 1
            }
            var end = position
            if end > start && bytes[end - 1] == UInt8(ascii: "\r") && (position >= bytes.count || bytes[position] == UInt8(ascii: "\n")) { end -= 1 }
            fields.append(CSVField(range: start..<end, unescaped: nil))
            if position >= bytes.count { return startLine }
            if bytes[position] == delimiter { position += 1; continue }
            position += 1   // newline
            line += 1
            return startLine
        }
    }

    mutating func skipLine() {
        while position < bytes.count && bytes[position] != UInt8(ascii: "\n") { position += 1 }
        if position < bytes.count { position += 1; line += 1 }
    }

    func describe(_ b: UInt8) -> String {
        b >= 32 && b < 127 ? "'\(Character(Unicode.Scalar(b)))'" : String(format: "byte 0x%02x", b)
    }

    /// The text of a field, validated as UTF-8.
    func string(_ field: CSVField, line: Int, column: Int) throws -> String {
        if let text = field.unescaped {
            guard let s = String(validating: text, as: UTF8.self) else {
                throw DataError.malformedRecord(file: file, line: line, column: "\(column)", expected: "UTF-8 text", actual: "invalid UTF-8 bytes")
            }
            return s
        }
        guard let s = String(validating: UnsafeBufferPointer(rebasing: bytes[field.range]), as: UTF8.self) else {
            throw DataError.malformedRecord(file: file, line: line, column: "\(column)", expected: "UTF-8 text", actual: "invalid UTF-8 bytes")
        }
        return s
    }
}

/// One field: a range of the file's bytes, or (quoted fields) its unescaped bytes.
struct CSVField {
    var range: Range<Int>
    var unescaped: [UInt8]?
}
