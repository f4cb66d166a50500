import DeepSwiftTensor
import Foundation

/// LibSVM / SVMLight files: `label index:value index:value ... [# comment]`, indices 1-based and
/// increasing. Read into a dense `[N, features]` float32 matrix (absent entries are 0) and float
/// labels (or int64 when every label is an integer).
///
/// ```swift
/// let data = try LibSVM.read("a9a.txt", features: 123)   // DataSet
/// ```
public enum LibSVM {
    public static func read(_ path: String, features: Int? = nil) throws -> DataSet {
        let data = try CSV.readFile(path)
        guard let text = String(data: data, encoding: .utf8) else {
            throw DataError.unreadable(file: path, reason: "not UTF-8 text")
        }
        var rows: [[(Int, Double)]] = [], labels: [Double] = []
        var width = features ?? 0
        // Split on bytes: "\r\n" is a single Character, so splitting the String on "\n" would miss it.
        for (offset, bytes) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let rawLine = Substring(decoding: bytes, as: UTF8.self)
            let line = offset + 1
            let content = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let parts = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let first = parts.first else { continue }
            guard let label = Double(first) else {
                throw DataError.malformedRecord(file: path, line: line, column: "label", expected: "a number", actual: "'\(first)'")
            }
            var entries: [(Int, Double)] = []
            var previous = 0
            for (k, item) in parts.dropFirst().enumerated() {
                let pair = item.split(separator: ":", maxSplits: 1)
                guard pair.count == 2, let index = Int(pair[0]), let value = Double(pair[1]) else {
                    throw DataError.malformedRecord(file: path, line: line, column: "entry \(k + 1)", expected: "index:value", actual: "'\(item)'")
                }
                guard index > previous else {
                    throw DataError.malformedRecord(file: path, line: line, column: "entry \(k + 1)",
                                                    expected: "an index above \(previous) (1-based, increasing)", actual: "\(index)")
                }
                if let features, index > features {
                    throw DataError.malformedRecord(file: path, line: line, column: "entry \(k + 1)", expected: "an index ≤ \(features)", actual: "\(index)")
                }
                previous = index
                entries.append((index - 1, value))
            }
            width = Swift.max(width, previous)
            rows.append(entries)
            labels.append(label)
        }
        var x = [Float](repeating: 0, count: rows.count * width)
        for (r, entries) in rows.enumerated() { for (i, v) in entries { x[r * width + i] = Float(v) } }
        let integral = labels.allSatisfy { $0 == $0.rounded() }
        let y = integral ? Tensor(labels.map { Int64($0) }) : Tensor(labels.map { Float($0) })
        return DataSet(features: Tensor(x, shape: [rows.count, width]), labels: y)
    }
}

/// Plain text, one record per line (DataVec's LineRecordReader); `\r\n` endings are accepted.
public enum LineReader {
    public static func read(_ path: String, skipEmpty: Bool = true) throws -> [String] {
        let data = try CSV.readFile(path)
        guard let text = String(data: data, encoding: .utf8) else {
            throw DataError.unreadable(file: path, reason: "not UTF-8 text")
        }
        // Split on bytes: "\r\n" is a single Character, so splitting the String on "\n" would miss it.
        return text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).compactMap { bytes -> String? in
            var line = String(decoding: bytes, as: UTF8.self)
            if line.utf8.last == UInt8(ascii: "\r") { line = String(decoding: line.utf8.dropLast(), as: UTF8.self) }
            return skipEmpty && line.isEmpty ? nil : line
        }
    }
}

/// Arrays from a NumPy `.npz` as a data set (e.g. saved with `np.savez(f, x=..., y=...)`).
public enum NumPyRecords {
    public static func read(_ path: String, features: String = "x", labels: String = "y") throws -> DataSet {
        let arrays = try NumPy.loadArchive(path)
        guard let x = arrays[features] else {
            throw DataError.mismatch(file: path, field: "array name", expected: "'\(features)' (have \(arrays.keys.sorted()))", actual: "no such array")
        }
        guard let y = arrays[labels] else {
            throw DataError.mismatch(file: path, field: "array name", expected: "'\(labels)' (have \(arrays.keys.sorted()))", actual: "no such array")
        }
        guard x.rank >= 1, y.rank >= 1, x.shape[0] == y.shape[0] else {
            throw DataError.mismatch(file: path, field: "number of samples", expected: "\(x.shape.first ?? 0) (from '\(features)' \(x.shape))",
                                     actual: "\(y.shape.first ?? 0) (from '\(labels)' \(y.shape))")
        }
        return DataSet(features: x, labels: y)
    }
}
