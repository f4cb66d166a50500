import DeepSwiftData
import DeepSwiftTensor
import DeepSwiftTestSupport
import DeepSwiftVision
import Foundation
import Testing

@Suite struct RecordReaderTests {
    static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("deepswift-records-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ text: String, _ path: String) throws { try text.write(toFile: path, atomically: true, encoding: .utf8) }

    @Test func sequencesArePaddedWithMasks() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.write("a,b,label\n1,2,0\n3,4,1\n5,6,1\n", dir + "/s1.csv")
        try Self.write("a,b,label\n7,8,2\n", dir + "/s2.csv")
        let s = try CSVSequences.read(files: [dir + "/s1.csv", dir + "/s2.csv"], label: "label")
        #expect(s.features.shape == [2, 3, 2] && s.lengths == [3, 1] && s.featureNames == ["a", "b"])
        #expect(s.mask.scalars(as: Float.self) == [1, 1, 1, 1, 0, 0])
        #expect(s.features.scalars(as: Float.self) == [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0])
        #expect(s.labels!.scalars(as: Int64.self) == [0, 1, 1, 2, -1, -1])
        let last = try CSVSequences.read(files: [dir + "/s1.csv", dir + "/s2.csv"], label: "label", labelsPerStep: false)
        #expect(last.labels!.scalars(as: Int64.self) == [1, 2])
        // Grouped by an id column, in order of first appearance.
        try Self.write("id,x,y\nq,1,0\np,2,1\nq,3,0\n", dir + "/grouped.csv")
        let g = try CSVSequences.read(file: dir + "/grouped.csv", id: "id", label: "y")
        #expect(g.lengths == [2, 1] && g.features.scalars(as: Float.self) == [1, 3, 2, 0])
        // A header that differs between files, and a non-number, are named.
        try Self.write("a,c,label\n1,2,0\n", dir + "/other.csv")
        #expect(throws: DataError.self) { try CSVSequences.read(files: [dir + "/s1.csv", dir + "/other.csv"]) }
        try Self.write("a,b,label\n1,x,0\n", dir + "/bad.csv")
        #expect(throws: DataError.malformedRecord(file: dir + "/bad.csv", line: 2, column: "2 ('b')", expected: "a number", actual: "'x'")) {
            try CSVSequences.read(files: [dir + "/bad.csv"], label: "label")
        }
    }

    @Test func libSVMLinesAndNumPyRecords() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.write("1 1:0.5 3:2\n0 2:1.5 # comment\n\n-1 4:1\n", dir + "/a.svm")
        let data = try LibSVM.read(dir + "/a.svm")
        #expect(data.features.shape == [3, 4])
        #expect(data.features.scalars(as: Float.self) == [0.5, 0, 2, 0, 0, 1.5, 0, 0, 0, 0, 0, 1])
        #expect(data.labels.scalars(as: Int64.self) == [1, 0, -1])
        try Self.write("1 3:1 2:1\n", dir + "/order.svm")
        #expect(throws: DataError.malformedRecord(file: dir + "/order.svm", line: 1, column: "entry 2",
                                                  expected: "an index above 3 (1-based, increasing)", actual: "2")) { try LibSVM.read(dir + "/order.svm") }
        try Self.write("1 1:x\n", dir + "/value.svm")
        #expect(throws: DataError.self) { try LibSVM.read(dir + "/value.svm") }

        try Self.write("first\r\nsecond\n\nthird", dir + "/lines.txt")
        #expect(try LineReader.read(dir + "/lines.txt") == ["first", "second", "third"])

        try NumPy.saveArchive(["x": Tensor.zeros([4, 2]), "y": Tensor.zeros([4], dtype: .int64), "z": Tensor.zeros([3])], to: dir + "/d.npz")
        #expect(try NumPyRecords.read(dir + "/d.npz").count == 4)
        #expect(throws: DataError.self) { try NumPyRecords.read(dir + "/d.npz", labels: "z") }
        #expect(throws: DataError.self) { try NumPyRecords.read(dir + "/d.npz", labels: "w") }
    }

    @Test func schemasCheckTypesAndCategories() throws {
        let schema = Schema([.numeric("age"), .categorical("color", ["red", "green"]), .text("note")])
        let good = try CSV.parse("age,color,note\n31,red,hi\n,green,\n", file: "people.csv")
        let data = try schema.read(good)
        let ages = try data.numeric("age")
        #expect(ages[0] == 31 && ages[1].isNaN)
        #expect(data.columns[2] == .text(["hi", nil]))
        let bad = try CSV.parse("age,color,note\n31,blue,hi\n", file: "people.csv")
        #expect(throws: DataError.malformedRecord(file: "people.csv", line: 2, column: "2 ('color')", expected: "one of [\"red\", \"green\"]",
                                                  actual: "'blue'")) { try schema.read(bad) }
        #expect(throws: DataError.self) { try schema.read(CSV.parse("age,colour,note\n1,red,x\n")) }
        let inferred = Schema.infer(try TabularData(good))
        #expect(inferred.columns.map(\.kind) == [.numeric, .categorical, .categorical])
        #expect(try JSONDecoder().decode(Schema.self, from: JSONEncoder().encode(schema)) == schema)
    }

    @Test func streamedImageBatchesMatchTheLoadedFolder() throws {
        let root = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for k in 0..<2 {
            try FileManager.default.createDirectory(atPath: "\(root)/c\(k)", withIntermediateDirectories: true)
            for i in 0..<5 {
                let image = Image(width: 9, height: 7, channels: 1, pixels: (0..<63).map { UInt8(($0 * (i + 1) + 30 * k) % 256) })
                try image.pngData().write(to: URL(fileURLWithPath: "\(root)/c\(k)/\(i).png"))
            }
        }
        let folder = try ImageFolder(root)
        let loaded = try folder.load(height: 7, width: 9, channels: 1)
        let iterator = folder.batches(size: 4, height: 7, width: 9, channels: 1)
        let streamed = iterator.map { $0 }
        #expect(iterator.error == nil && streamed.map(\.count) == [4, 4, 2])
        expectClose(Tensor.concat(streamed.map(\.features), axis: 0), loaded.features, rtol: 0, atol: 1e-7)
        try Data("broken".utf8).write(to: URL(fileURLWithPath: "\(root)/c1/9.png"))
        let failing = try ImageFolder(root).batches(size: 4, height: 7, width: 9, channels: 1)
        let seen = failing.map(\.count)
        #expect(seen.reduce(0, +) < 11 && failing.error != nil && "\(failing.error!)".contains("9.png"))
        let skipping = try ImageFolder(root).batches(size: 4, height: 7, width: 9, channels: 1, badFiles: .skip)
        #expect(skipping.map(\.count).reduce(0, +) == 10 && skipping.error == nil)
    }
}

@Suite struct StreamingAndMultiInputTests {
    @Test func recordsStreamAndRowsFilterAndMultiDataSetsBatch() throws {
        let table = try CSV.parse("a,b\n1,x\n5,y\n3,z\n", file: "t.csv")
        var process = TransformProcess([.keepRows(column: "a", comparison: .greater, value: 2)])
        let kept = try process.fitApply(try TabularData(table))
        #expect(try kept.numeric("a") == [5, 3] && kept.lines == [3, 4])

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("deepswift-stream-\(UUID()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "a,b\n1,2\n3,4\n5\n".write(toFile: path, atomically: true, encoding: .utf8)
        var sums: [Int] = []
        do {
            try CSV.forEachRecord(path) { fields, _ in sums.append(fields.compactMap { Int($0) }.reduce(0, +)); return true }
            Issue.record("the short last record must be reported")
        } catch let DataError.malformedRecord(_, line, _, expected, actual) {
            #expect(line == 4 && expected == "2 fields" && actual == "1")
        }
        #expect(sums == [3, 7])
        var first: [String] = []
        try CSV.forEachRecord(path) { fields, _ in first = fields; return false }
        #expect(first == ["1", "2"])

        let multi = MultiDataSet(features: [Tensor.arange(10, dtype: .float32).reshaped([10, 1]), Tensor.zeros([10, 3])],
                                 labels: [Tensor.arange(10)])
        let batches = multi.batches(size: 4, shuffleSeed: 2, epoch: 1)
        #expect(batches.map(\.count) == [4, 4, 2])
        let order = batches.flatMap { $0.labels[0].scalars(as: Int64.self) }
        #expect(batches.flatMap { $0.features[0].scalars(as: Float.self) } == order.map { Float($0) })
        let single = DataSet(features: multi.features[0], labels: multi.labels[0]).batches(size: 4, shuffleSeed: 2, epoch: 1)
        #expect(single.flatMap { $0.labels.scalars(as: Int64.self) } == order)
    }
}
