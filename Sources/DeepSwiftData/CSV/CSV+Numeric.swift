import DeepSwiftTensor
import Foundation

extension CSV {
    /// Reads an all-numeric CSV file straight into a `[rows, columns]` tensor (float32 by default):
    /// no strings are made. Without quotes in the file, the text is cut at line boundaries and the
    /// parts are parsed in parallel. Missing values (``CSVFormat/missingValues``, e.g. an empty
    /// field) become NaN; anything else that is not a number is an error naming its line and column.
    ///
    /// ```swift
    /// let x = try CSV.readNumeric("data.csv")   // header skipped; float32 [rows, columns]
    /// ```
    public static func readNumeric(_ path: String, format: CSVFormat = CSVFormat(), dtype: DType = .float32) throws -> (columns: [String], values: Tensor) {
        let data = try readFile(path)
        return try data.withUnsafeBytes { raw in
            try parseNumeric(raw.bindMemory(to: UInt8.self), file: path, format: format, dtype: dtype)
        }
    }

    static func parseNumeric(_ bytes: UnsafeBufferPointer<UInt8>, file: String, format: CSVFormat, dtype: DType) throws -> (columns: [String], values: Tensor) {
        // The header (and leading comments) through the general parser.
        var parser = CSVParser(bytes, file: file, format: format)
        var fields: [CSVField] = []
        var columns: [String] = []
        if format.hasHeader {
            guard let line = try parser.nextRecord(into: &fields) else {
                throw DataError.malformedRecord(file: file, line: 1, column: nil, expected: "a header row", actual: "an empty file")
            }
            columns = try fields.enumerated().map { try parser.string($1, line: line, column: $0 + 1).trimmingCharacters(in: .whitespaces) }
        }
        let bodyStart = parser.position, firstLine = parser.line
        let body = UnsafeBufferPointer(rebasing: bytes[bodyStart...])
        let hasQuotes = body.count > 0 && memchr(body.baseAddress!, Int32(format.quote), body.count) != nil
        if hasQuotes || format.commentPrefix != nil || dtype != .float32 {
            // Quoted numbers or comments, or a dtype wider than the float32 parts: the general
            // parser, one record at a time, exact in Double.
            let table = try parse(bytes, file: file, format: format, badRecords: .fail)
            let width = table.columns.count
            var values = [Double](repeating: 0, count: table.count * width)
            for (r, row) in table.rows.enumerated() {
                for (c, text) in row.enumerated() {
                    values[r * width + c] = try number(Array(text.utf8)[...], file: file, line: table.lines[r], column: c + 1, format: format)
                }
            }
            return (table.columns, Tensor(values, shape: [table.count, width]).cast(to: dtype))
        }
        // Width from the first data line (or the header).
        var width = columns.count
        if width == 0 {
            var end = 0
            while end < body.count && body[end] != UInt8(ascii: "\n") { end += 1 }
            width = body[0..<end].filter { $0 == format.delimiter }.count + 1
            columns = (1...width).map { "column\($0)" }
        }
        // Cut the body into parts at line starts; parse each part into its own buffer.
        let threads = body.count > 1 << 20 ? ThreadSettings.numThreads : 1
        var cuts = [0]
        for part in 1..<threads {
            var p = body.count * part / threads
            while p < body.count && body[p - 1] != UInt8(ascii: "\n") { p += 1 }
            cuts.append(Swift.max(p, cuts.last!))
        }
        cuts.append(body.count)
        var results = [NumericPart](repeating: NumericPart(), count: threads)
        let base = UncheckedSendable(body.baseAddress!)
        results.withUnsafeMutableBufferPointer { out in
            let out = UncheckedSendable(out.baseAddress!)
            Parallel.forEach(threads) { part in
                let slice = UnsafeBufferPointer(start: base.value + cuts[part], count: cuts[part + 1] - cuts[part])
                out.value[part] = parsePart(slice, width: width, format: format)
            }
        }
        if let failed = results.firstIndex(where: { $0.failure != nil }) {
            // Line numbers: count the lines before the failing part.
            var line = firstLine
            for i in 0..<cuts[failed] where body[i] == UInt8(ascii: "\n") { line += 1 }
            let f = results[failed].failure!
            throw DataError.malformedRecord(file: file, line: line + f.lineOffset, column: f.column.map { c in
                c <= columns.count ? "\(c) ('\(columns[c - 1])')" : "\(c)" }, expected: f.expected, actual: f.actual)
        }
        let rows = results.reduce(0) { $0 + $1.rows }
        let tensor = Tensor.uninitialized([rows, width], dtype: .float32)
        var row = 0
        for part in results {
            let p = tensor.storage.pointer.assumingMemoryBound(to: Float.self) + row * width
            part.values.withUnsafeBufferPointer { src in p.update(from: src.baseAddress!, count: part.rows * width) }
            row += part.rows
        }
        return (columns, tensor)
    }

    struct NumericPart {
        var values: [Float] = []
        var rows = 0
        var failure: (lineOffset: Int, column: Int?, expected: String, actual: String)? = nil
    }

    /// Parses whole lines of plain (unquoted) numeric fields.
    static func parsePart(_ bytes: UnsafeBufferPointer<UInt8>, width: Int, format: CSVFormat) -> NumericPart {
        FastNumber.powers.withUnsafeBufferPointer { parsePart(bytes, width: width, format: format, powers: $0.baseAddress!) }
    }

    static func parsePart(_ bytes: UnsafeBufferPointer<UInt8>, width: Int, format: CSVFormat, powers: UnsafePointer<Double>) -> NumericPart {
        var part = NumericPart()
        part.values.reserveCapacity(bytes.count / 6)
        var position = 0, lineOffset = 0
        let delimiter = format.delimiter, newline = UInt8(ascii: "\n")
        while position < bytes.count {
            // A blank line (e.g. the file's last) is skipped.
            if bytes[position] == newline { position += 1; lineOffset += 1; continue }
            if bytes[position] == UInt8(ascii: "\r") && position + 1 < bytes.count && bytes[position + 1] == newline {
                position += 2; lineOffset += 1; continue
            }
            var column = 0
            while true {
                let start = position
                column += 1
                if column > width {
                    part.failure = (lineOffset, nil, "\(width) fields", "more")
                    return part
                }
                // Fast path: the number is parsed while the field is scanned.
                if let (v, next) = FastNumber.scan(bytes.baseAddress!, position, bytes.count, delimiter, powers) {
                    part.values.append(Float(v))
                    position = next
                } else {
                    while position < bytes.count && bytes[position] != delimiter && bytes[position] != newline { position += 1 }
                    var end = position
                    if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
                    let trimmed = text.trimmingCharacters(in: .whitespaces)
                    if format.missingValues.contains(trimmed) {
                        part.values.append(.nan)
                    } else if let v = Double(trimmed) {
                        part.values.append(Float(v))
                    } else {
                        part.failure = (lineOffset, column, "a number", "'\(text)'")
                        return part
                    }
                }
                if position >= bytes.count || bytes[position] == newline { break }
                position += 1
            }
            if column != width {
                part.failure = (lineOffset, nil, "\(width) fields", "\(column)")
                return part
            }
            part.rows += 1
            position += 1
            lineOffset += 1
        }
        return part
    }

    static func number(_ text: ArraySlice<UInt8>, file: String, line: Int, column: Int, format: CSVFormat) throws -> Double {
        if let v = text.withUnsafeBufferPointer({ FastNumber.parse($0.baseAddress!, $0.count) }) { return v }
        let s = String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        if format.missingValues.contains(s) { return .nan }
        if let v = Double(s) { return v }
        throw DataError.malformedRecord(file: file, line: line, column: "\(column)", expected: "a number", actual: "'\(s)'")
    }
}

/// Decimal numbers from bytes without making strings: sign, digits, fraction, exponent. Exact
/// (correctly rounded) when the significand has at most 15 digits and the decimal exponent is
/// within ±22, which covers the numbers CSV files hold; anything else returns nil and the caller
/// falls back to the standard library's parser.
enum FastNumber {
    static let powers: [Double] = (0...22).map { Foundation.pow(10.0, Double($0)) }

    /// Parses a plain number (`-12.5`, `3e-4`) starting at `start` and ending at a delimiter, a line
    /// end or the end of the buffer; returns it with the position of that terminator, or nil when
    /// the field is anything else (spaces, quotes, text, too many digits) — the caller then takes
    /// the general path.
    @inline(__always)
    static func scan(_ p: UnsafePointer<UInt8>, _ start: Int, _ count: Int, _ delimiter: UInt8,
                     _ powers: UnsafePointer<Double>) -> (Double, Int)? {
        var i = start
        var negative = false
        if i < count && p[i] == UInt8(ascii: "-") { negative = true; i += 1 } else if i < count && p[i] == UInt8(ascii: "+") { i += 1 }
        var mantissa: UInt64 = 0, digits = 0, exponent = 0, sawDigit = false
        while i < count, case let d = p[i] &- UInt8(ascii: "0"), d < 10 {
            mantissa = mantissa &* 10 &+ UInt64(d)
            if mantissa > 0 { digits += 1 }
            sawDigit = true
            i += 1
        }
        if i < count && p[i] == UInt8(ascii: ".") {
            i += 1
            while i < count, case let d = p[i] &- UInt8(ascii: "0"), d < 10 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                if mantissa > 0 { digits += 1 }
                exponent -= 1
                sawDigit = true
                i += 1
            }
        }
        guard sawDigit, digits <= 15 else { return nil }
        if i < count && (p[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            var expNegative = false
            if i < count && p[i] == UInt8(ascii: "-") { expNegative = true; i += 1 } else if i < count && p[i] == UInt8(ascii: "+") { i += 1 }
            var e = 0, expDigits = 0
            while i < count, case let d = p[i] &- UInt8(ascii: "0"), d < 10, expDigits < 4 {
                e = e * 10 + Int(d)
                expDigits += 1
                i += 1
            }
            guard expDigits > 0 else { return nil }
            exponent += expNegative ? -e : e
        }
        // The field must end here.
        if i < count {
            let b = p[i]
            if b == UInt8(ascii: "\r") {
                guard i + 1 >= count || p[i + 1] == UInt8(ascii: "\n") else { return nil }
            } else if b != delimiter && b != UInt8(ascii: "\n") {
                return nil
            }
        }
        var value = Double(mantissa)
        if mantissa != 0 {
            if exponent >= 0 {
                guard exponent <= 22 else { return nil }
                value *= powers[exponent]
            } else {
                guard exponent >= -22 else { return nil }
                value /= powers[-exponent]
            }
        }
        // Step over a \r before the line end.
        if i < count && p[i] == UInt8(ascii: "\r") { i += 1 }
        return (negative ? -value : value, i)
    }

    /// A whole field (surrounding spaces allowed) that is a plain number, or nil.
    static func parse(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        var start = 0, end = n
        while start < end && p[start] == UInt8(ascii: " ") { start += 1 }
        while end > start && p[end - 1] == UInt8(ascii: " ") { end -= 1 }
        guard start < end else { return nil }
        // No delimiter inside one field: scan must stop exactly at its end.
        guard let (value, stop) = powers.withUnsafeBufferPointer({ scan(p, start, end, 0, $0.baseAddress!) }), stop == end else { return nil }
        return value
    }
}
