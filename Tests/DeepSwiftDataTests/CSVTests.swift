import DeepSwiftData
import DeepSwiftTensor
import DeepSwiftTestSupport
import Foundation
import Testing

/// The CSV reader against Python's csv module (quoted.csv) and a corpus of malformed files
/// (Tests/Fixtures/data/generate_data_fixtures.py), and the numeric fast path against the exact one.
@Suite struct CSVTests {
    static func fixture(_ name: String) -> String { Fixtures.path("data/\(name)") }

    @Test func quotedFieldsMatchPythonsCSVModule() throws {
        var format = CSVFormat()
        format.commentPrefix = UInt8(ascii: "#")
        let table = try CSV.read(Self.fixture("malformed/quoted.csv"), format: format)
        let expected = try JSONDecoder().decode([[String]].self, from: Data(contentsOf: URL(fileURLWithPath: Self.fixture("malformed/quoted_expected.json"))))
        #expect(table.rows == expected)
        #expect(table.columns == ["a", "b", "c"])
    }

    /// Each malformed file: the error names the file, the line and the field, and what was expected.
    @Test(arguments: [
        ("unterminated_quote.csv", 3, "2", "a closing quote"),
        ("ragged.csv", 4, nil, "3 fields"),
        ("stray_quote.csv", 2, "2", "a quote only at the start of a field (RFC 4180)"),
        ("bad_utf8.csv", 3, "2", "UTF-8 text"),
        ("empty.csv", 1, nil, "a header row"),
    ] as [(String, Int, String?, String)])
    func malformedFilesGivePreciseErrors(_ file: String, _ line: Int, _ column: String?, _ expected: String) {
        let path = Self.fixture("malformed/\(file)")
        do {
            _ = try CSV.read(path)
            Issue.record("\(file) must be rejected")
        } catch let DataError.malformedRecord(f, l, c, e, _) {
            #expect(f == path && l == line && c == column && e == expected, "\(file): got line \(l), column \(c ?? "-"), expected '\(e)'")
        } catch {
            Issue.record("\(file): unexpected error \(error)")
        }
    }

    @Test func headerOnlyIsAnEmptyTableAndBadNumbersAreNamed() throws {
        let table = try CSV.read(Self.fixture("malformed/header_only.csv"))
        #expect(table.columns == ["a", "b", "c"] && table.rows.isEmpty)
        do {
            _ = try CSV.readNumeric(Self.fixture("malformed/bad_number.csv"))
            Issue.record("1.2.3 is not a number")
        } catch let DataError.malformedRecord(_, line, column, expected, actual) {
            #expect(line == 3 && column == "2 ('b')" && expected == "a number" && actual == "'1.2.3'")
        }
        // Skipping bad records keeps the good ones and says what was skipped.
        let skipped = try CSV.read(Self.fixture("malformed/ragged.csv"), badRecords: .skip)
        #expect(skipped.rows == [["1", "2", "3"], ["4", "5", "6"], ["9", "10", "11"]])
        #expect(skipped.skipped.count == 1)
        #expect(throws: DataError.unreadable(file: "/no/such.csv", reason: "no such file")) { try CSV.read("/no/such.csv") }
    }

    /// The parallel numeric path: same values as the standard library's parser, and an error deep in
    /// the second half of a large file still names the right line.
    @Test func numericFastPathIsExactAndLocatesErrors() throws {
        var rng = PhiloxGenerator(seed: 3)
        let values = Tensor.normal([60_000, 5], dtype: .float64, using: &rng).scalars(as: Double.self)
        var lines = ["x1,x2,x3,x4,x5"]
        let formats = ["%.6g", "%.3f", "%.8e", "%g", "%.1f"]
        var expected: [Float] = []
        for r in 0..<60_000 {
            let fields = (0..<5).map { c in String(format: formats[c], values[r * 5 + c] * (c == 2 ? 1e-5 : 100)) }
            expected += fields.map { Float(Double($0)!) }
            lines.append(fields.joined(separator: ",") + (r % 7 == 0 ? "\r" : ""))   // some CRLF line ends
        }
        // (Built as lines: Swift treats "\r\n" as one Character, so splitting text on "\n" would not.)
        let text = lines.joined(separator: "\n") + "\n"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("deepswift-csv-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try text.write(toFile: directory + "/good.csv", atomically: true, encoding: .utf8)
        let (columns, matrix) = try CSV.readNumeric(directory + "/good.csv")
        #expect(columns == ["x1", "x2", "x3", "x4", "x5"] && matrix.shape == [60_000, 5])
        #expect(matrix.scalars(as: Float.self) == expected)
        lines[50_001] = "1,2,oops,4,5"
        try lines.joined(separator: "\n").write(toFile: directory + "/bad.csv", atomically: true, encoding: .utf8)
        #expect(throws: DataError.malformedRecord(file: directory + "/bad.csv", line: 50_002, column: "3 ('x3')", expected: "a number", actual: "'oops'")) {
            try CSV.readNumeric(directory + "/bad.csv")
        }
    }
}
