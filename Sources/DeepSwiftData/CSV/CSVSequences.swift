import DeepSwiftTensor
import Foundation

/// Variable-length sequences from CSV (DataVec's CSVSequenceRecordReader): one file per sequence,
/// or one file whose rows are grouped by an id column. Sequences are padded to the longest into
/// `features [N, T, F]` with a `mask [N, T]` (1 = real step) that recurrent layers and sequence
/// losses use.
///
/// ```swift
/// let s = try CSVSequences.read(files: paths, label: "label", labelsPerStep: false)
/// let (features, mask, labels) = (s.features, s.mask, s.labels)   // [N, T, F], [N, T], [N]
/// ```
public struct CSVSequences: Sendable {
    /// `[N, T, F]` float32, zero at padded steps.
    public var features: Tensor
    /// `[N, T]` float32: 1 at real steps, 0 at padding.
    public var mask: Tensor
    /// `[N]` (one label per sequence: its last row's) or `[N, T]` (per step, padding −1), when a label column is named.
    public var labels: Tensor?
    public var featureNames: [String]
    /// Sequence lengths.
    public var lengths: [Int]

    /// One sequence per file (all with the same header).
    public static func read(files: [String], label: String? = nil, labelsPerStep: Bool = true, format: CSVFormat = CSVFormat()) throws -> CSVSequences {
        guard !files.isEmpty else { throw DataError.notFound(dataset: "sequences", searched: [], hint: "No files were given.") }
        var sequences: [[[Double]]] = [], labels: [[Double]] = []
        var names: [String]? = nil
        for file in files {
            let table = try CSV.read(file, format: format)
            if let names, names != table.columns {
                throw DataError.mismatch(file: file, field: "header", expected: names.joined(separator: ","), actual: table.columns.joined(separator: ","))
            }
            names = table.columns
            let (steps, stepLabels) = try numericRows(table, label: label)
            guard !steps.isEmpty else {
                throw DataError.malformedRecord(file: file, line: 2, column: nil, expected: "at least one step", actual: "an empty sequence")
            }
            sequences.append(steps)
            labels.append(stepLabels)
        }
        let featureNames = names!.filter { $0 != label }
        return pack(sequences, labels: label == nil ? nil : labels, perStep: labelsPerStep, names: featureNames)
    }

    /// One file; rows with the same `id` form a sequence, in order of first appearance.
    public static func read(file: String, id: String, label: String? = nil, labelsPerStep: Bool = true,
                            format: CSVFormat = CSVFormat()) throws -> CSVSequences {
        let table = try CSV.read(file, format: format)
        guard let idIndex = table.columns.firstIndex(of: id) else {
            throw DataError.mismatch(file: file, field: "id column", expected: "one of \(table.columns)", actual: "'\(id)'")
        }
        var order: [String] = [], groups: [String: [Int]] = [:]
        for (r, row) in table.rows.enumerated() {
            let key = row[idIndex]
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
        }
        var reduced = table
        reduced.columns.remove(at: idIndex)
        reduced.rows = table.rows.map { var r = $0; r.remove(at: idIndex); return r }
        var sequences: [[[Double]]] = [], labels: [[Double]] = []
        for key in order {
            var part = reduced
            part.rows = groups[key]!.map { reduced.rows[$0] }
            part.lines = groups[key]!.map { reduced.lines[$0] }
            let (steps, stepLabels) = try numericRows(part, label: label)
            sequences.append(steps)
            labels.append(stepLabels)
        }
        return pack(sequences, labels: label == nil ? nil : labels, perStep: labelsPerStep, names: reduced.columns.filter { $0 != label })
    }

    static func numericRows(_ table: CSVTable, label: String?) throws -> ([[Double]], [Double]) {
        let labelIndex = label.flatMap { table.columns.firstIndex(of: $0) }
        if let label, labelIndex == nil {
            throw DataError.mismatch(file: table.file, field: "label column", expected: "one of \(table.columns)", actual: "'\(label)'")
        }
        var steps: [[Double]] = [], labels: [Double] = []
        let missing = CSVFormat().missingValues
        for (r, row) in table.rows.enumerated() {
            var values: [Double] = []
            for (c, text) in row.enumerated() {
                let t = text.trimmingCharacters(in: .whitespaces)
                guard let v = Double(t) ?? (missing.contains(t) ? .nan : nil) else {
                    throw DataError.malformedRecord(file: table.file, line: table.lines[r], column: "\(c + 1) ('\(table.columns[c])')",
                                                    expected: "a number", actual: "'\(text)'")
                }
                if c == labelIndex { labels.append(v) } else { values.append(v) }
            }
            steps.append(values)
        }
        return (steps, labels)
    }

    static func pack(_ sequences: [[[Double]]], labels: [[Double]]?, perStep: Bool, names: [String]) -> CSVSequences {
        let n = sequences.count, t = sequences.map(\.count).max() ?? 0, f = names.count
        var x = [Float](repeating: 0, count: n * t * f), m = [Float](repeating: 0, count: n * t)
        for (i, s) in sequences.enumerated() {
            for (step, row) in s.enumerated() {
                m[i * t + step] = 1
                for (k, v) in row.enumerated() { x[(i * t + step) * f + k] = Float(v) }
            }
        }
        var labelTensor: Tensor? = nil
        if let labels {
            if perStep {
                var y = [Int64](repeating: -1, count: n * t)
                for (i, l) in labels.enumerated() { for (step, v) in l.enumerated() { y[i * t + step] = Int64(v) } }
                labelTensor = Tensor(y, shape: [n, t])
            } else {
                labelTensor = Tensor(labels.map { Int64($0.last ?? -1) }, shape: [n])
            }
        }
        return CSVSequences(features: Tensor(x, shape: [n, t, f]), mask: Tensor(m, shape: [n, t]), labels: labelTensor,
                            featureNames: names, lengths: sequences.map(\.count))
    }
}
