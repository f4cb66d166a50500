import DeepSwiftIO
import DeepSwiftKeras
import DeepSwiftNN
import DeepSwiftTensor
import DeepSwiftTestSupport
import Foundation
import Testing

/// Damaged Keras files end in a ``ModelFileError`` (or, for a flip in bytes nobody reads, a model
/// that still loads), never in a crash.
@Suite struct KerasCorruptionTests {
    static func loadBytes(_ data: Data, suffix: String) -> Result<ModelArchive, any Error> {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("deepswift-corrupt-\(UUID().uuidString).\(suffix)").path
        FileManager.default.createFile(atPath: path, contents: data)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return Result { try KerasImporter.load(path) }
    }

    @Test(arguments: ["lenet.h5", "lenet.keras", "bidirectional.h5", "merges.keras"])
    func truncatedFilesFail(_ name: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("keras_import/\(name)")))
        let suffix = String(name.split(separator: ".").last!)
        for length in stride(from: 0, to: data.count, by: Swift.max(1, data.count / 40)) {
            switch Self.loadBytes(data.prefix(length), suffix: suffix) {
            case .success: Issue.record("\(name) cut to \(length) bytes loaded")
            case .failure(let error): #expect(error is ModelFileError, "\(error)")
            }
        }
    }

    @Test(arguments: ["lenet.h5", "lenet.keras", "embedding_rnn.h5", "mha.keras"])
    func flippedBytesFailCleanlyOrLoad(_ name: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("keras_import/\(name)")))
        let suffix = String(name.split(separator: ".").last!)
        var rng = PhiloxGenerator(seed: 77)
        for _ in 0..<60 {
            var damaged = data
            // Flips concentrated in the first 8 KiB (HDF5 superblock, object headers, the zip's first entries).
            let position = Int(rng.next() % UInt64(Swift.min(8192, data.count)))
            damaged[position] ^= 0xFF
            if case .failure(let error) = Self.loadBytes(damaged, suffix: suffix) { #expect(error is ModelFileError, "\(error)") }
        }
    }

    @Test func foreignFilesAndUnsupportedLayersAreNamed() throws {
        for text in ["not a model", ""] {
            if case .failure(let error) = Self.loadBytes(Data(text.utf8), suffix: "h5") {
                #expect((error as? ModelFileError)?.kind == .notRecognized, "\(error)")
            } else { Issue.record("text loaded as a Keras model") }
        }
        // A .keras archive whose config names a layer class DeepSwift does not have.
        let original = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("keras_import/dense.keras")))
        let zip = try ZipArchive(data: original, file: "dense.keras")
        let entries: [(name: String, data: Data)] = try zip.entries.map { entry in
            var bytes = try zip.contents(of: entry)
            if entry.name == "config.json" {
                bytes = Data(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"class_name\": \"Dense\"", with: "\"class_name\": \"Hyperdense\"").utf8)
            }
            return (entry.name, bytes)
        }
        let edited = try ZipArchive.write(entries, compressed: false, file: "edited.keras")
        guard case .failure(let error) = Self.loadBytes(edited, suffix: "keras") else { Issue.record("an unknown layer class loaded"); return }
        let description = "\(error)"
        #expect((error as? ModelFileError)?.kind == .unsupported, "\(error)")
        #expect(description.contains("Hyperdense") && description.contains("'dense'") && description.contains("LSTM"), "\(description)")
    }
}
