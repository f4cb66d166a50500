import DeepSwiftAutodiff
import DeepSwiftData
import DeepSwiftIO
import DeepSwiftNN
import DeepSwiftTensor
import DeepSwiftTestSupport
import Foundation
import Testing

/// Damaged, foreign and mismatched files: each fails with a ``ModelFileError`` that says what is
/// wrong, and nothing crashes.
@Suite struct ModelFileErrorTests {
    static func archiveBytes() throws -> Data {
        try ModelArchive(model: ModelArchiveTests.imageNetwork(), inputs: [.init(name: "x", shape: [2, 8, 8])]).encoded()
    }

    @Test func truncatedArchivesFailCleanly() throws {
        let bytes = try Self.archiveBytes()
        for length in stride(from: 0, to: bytes.count, by: Swift.max(1, bytes.count / 97)) {
            #expect(throws: ModelFileError.self, "prefix of \(length) bytes") { try ModelArchive.decode(bytes.prefix(length), file: "cut.dsm") }
        }
    }

    @Test func flippedBitsAreCaughtOrHarmless() throws {
        let bytes = try Self.archiveBytes()
        var rng = PhiloxGenerator(seed: 21)
        var caught = 0
        for _ in 0..<300 {
            var damaged = bytes
            let position = Int(rng.next() % UInt64(bytes.count))
            damaged[position] ^= UInt8(1 << (rng.next() % 8))
            do { _ = try ModelArchive.decode(damaged, file: "flipped.dsm") } catch is ModelFileError { caught += 1 }
        }
        // Stored zip entries carry CRC-32s: every flip inside an entry's data is caught; a flip in
        // a few header fields (timestamps, version-made-by) is harmless.
        #expect(caught > 270, "\(caught) of 300 flips detected")
    }

    @Test func newerVersionsWrongSizesAndForeignFilesAreNamed() throws {
        // A newer format version.
        let model = Sequential { Dense(3, 2, seed: 1) }
        let good = try ModelArchive(model: model).encoded()
        var zip = try ZipArchive(data: good, file: "m")
        var entries: [(name: String, data: Data)] = try zip.entries.map { ($0.name, try zip.contents(of: $0)) }
        entries[0].data = Data(#"{"format":"deepswift-model","version":7}"#.utf8)
        let newer = try ZipArchive.write(entries, compressed: false, file: "m")
        do { _ = try ModelArchive.decode(newer, file: "newer.dsm"); Issue.record("accepted a newer version") } catch let e as ModelFileError {
            #expect(e.kind == .newerVersion && e.description.contains("version 7"), "\(e)")
        }
        // Weights of another size.
        zip = try ZipArchive(data: good, file: "m")
        entries = try zip.entries.map { ($0.name, try zip.contents(of: $0)) }
        let index = entries.firstIndex { $0.name == "weights.safetensors" }!
        entries[index].data = SafeTensors.encode(["layers.0.weight": Tensor.zeros([2, 4]), "layers.0.bias": Tensor.zeros([2])])
        do { _ = try ModelArchive.decode(try ZipArchive.write(entries, compressed: false, file: "m"), file: "sizes.dsm") } catch let e as ModelFileError {
            #expect(e.kind == .shapeMismatch && e.description.contains("layers.0.weight") && e.description.contains("[2, 3]") && e.description.contains("[2, 4]"), "\(e)")
        }
        // A configuration with a bad field.
        let ci = entries.firstIndex { $0.name == "config.json" }!
        entries[ci].data = Data(#"{"model":{"class":"Sequential","layers":[{"class":"Dense","in":3,"out":-2,"bias":true,"activation":{"identity":{}}}]}}"#.utf8)
        do { _ = try ModelArchive.decode(try ZipArchive.write(entries, compressed: false, file: "m"), file: "config.dsm") } catch let e as ModelFileError {
            #expect(e.kind == .badConfig && e.description.contains("model.layers.0") && e.description.contains("'out'"), "\(e)")
        }
        entries[ci].data = Data(#"{"model":{"class":"Sequential","layers":[{"class":"Wormhole"}]}}"#.utf8)
        do { _ = try ModelArchive.decode(try ZipArchive.write(entries, compressed: false, file: "m"), file: "unknown.dsm") } catch let e as ModelFileError {
            #expect(e.kind == .unsupported && e.description.contains("Wormhole") && e.description.contains("Conv2D"), "\(e)")
        }
        entries[ci].data = Data(#"{"model":{"class":"Dense","in":1000000,"out":1000000,"bias":true,"activation":{"identity":{}}}}"#.utf8)
        do { _ = try ModelArchive.decode(try ZipArchive.write(entries, compressed: false, file: "m"), file: "huge.dsm") } catch let e as ModelFileError {
            #expect(e.kind == .badConfig && e.description.contains("2^30"), "\(e)")
        }
        // Not an archive at all.
        #expect(throws: ModelFileError.self) { try ModelArchive.decode(Data("hello".utf8), file: "text.dsm") }
        #expect(throws: ModelFileError.self) { try ModelArchive.load(from: "/nonexistent/model.dsm") }
    }

    @Test func unsupportedLayersCannotBeSaved() {
        final class Custom: Layer {
            var isTraining = true
            func callAsFunction(_ x: Variable) -> Variable { x }
        }
        do { _ = try ModelArchive(model: Sequential { Custom() }).encoded(file: "custom.dsm") } catch let e as ModelFileError {
            #expect(e.kind == .unsupported && e.description.contains("Custom") && e.description.contains("layers.0"), "\(e)")
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func savingIsAtomic() throws {
        let path = temporaryPath(".dsm")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let model = Sequential { Dense(3, 2, seed: 1) }
        try ModelArchive(model: model).save(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        final class Custom: Layer {
            var isTraining = true
            func callAsFunction(_ x: Variable) -> Variable { x }
        }
        #expect(throws: ModelFileError.self) { try ModelArchive(model: Sequential { Custom() }).save(to: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "a failed save leaves the old file")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
            .filter { $0.hasPrefix(".\(URL(fileURLWithPath: path).lastPathComponent).tmp") }
        #expect(leftovers.isEmpty)
    }
}

@Suite struct SafeTensorsTests {
    @Test func readsWhatPyTorchWrites() throws {
        let tensors = try SafeTensors.load(Fixtures.path("safetensors/dtypes.safetensors"))
        let expected = try NumPy.loadArchive(Fixtures.path("safetensors/dtypes_expected.npz"))
        for (name, value) in expected {
            let actual = try #require(tensors[name], "tensor \(name)")
            #expect(actual.shape == value.shape, "\(name)")
            expectEqual(actual.cast(to: value.dtype), value, "\(name)")
        }
        #expect(tensors["f16"]?.dtype == .float32 && tensors["i8"]?.dtype == .int32 && tensors["bool"]?.dtype == .bool)
        #expect(try SafeTensors.metadata(Fixtures.path("safetensors/mlp_state_dict.safetensors")) == ["format": "pt"])
    }

    @Test func roundTripsEveryDType() throws {
        let tensors: [String: Tensor] = [
            "a": Tensor([1.5, -2, 3], shape: [3]).cast(to: .float32), "b": Tensor([1.0, 2], shape: [2, 1]),
            "c": Tensor([Int32(-4), 5], shape: [2]), "d": Tensor([Int64(1) << 40], shape: [1]), "e": Tensor([UInt8(7)], shape: [1]),
            "f": Tensor([true, false], shape: [2]), "empty": Tensor.zeros([0, 3]), "scalar": Tensor([Float(2)], shape: []),
        ]
        let decoded = try SafeTensors.decode(SafeTensors.encode(tensors, metadata: ["k": "v \"quoted\""]), file: "t")
        #expect(decoded.metadata == ["k": "v \"quoted\""])
        for (name, t) in tensors { expectEqual(decoded.tensors[name]!, t, name) }
    }

    @Test func loadsAPyTorchStateDict() throws {
        var rng = PhiloxGenerator(seed: 0)
        let model = Sequential {
            Dense(6, 8, using: &rng)
            BatchNorm(channels: 8)
            ActivationLayer(.relu)
            Dense(8, 3, using: &rng)
        }
        try StateDict.load(into: model, from: Fixtures.path("safetensors/mlp_state_dict.safetensors"), pytorchNames: true)
        model.setTraining(false)
        let io = try NumPy.loadArchive(Fixtures.path("safetensors/mlp_state_dict_io.npz"))
        expectClose(model.predict(io["input"]!), io["output"]!, rtol: 1e-5, atol: 1e-6, "PyTorch's output")
        // And back: the names PyTorch expects.
        let path = temporaryPath(".safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try StateDict.save(model, to: path, pytorchNames: true)
        #expect(Set(try SafeTensors.load(path).keys) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "3.weight", "3.bias"])
        // A state dict for another model names the problem.
        let other = Sequential { Dense(6, 5, seed: 1) }
        do { try StateDict.load(into: other, from: Fixtures.path("safetensors/mlp_state_dict.safetensors"), pytorchNames: true) } catch let e as ModelFileError {
            #expect(e.kind == .shapeMismatch && e.description.contains("layers.0.weight"), "\(e)")
        }
    }

    @Test func malformedHeadersThrow() throws {
        let good = SafeTensors.encode(["w": Tensor.ones([4])])
        for length in 0..<good.count { #expect(throws: ModelFileError.self) { try SafeTensors.decode(good.prefix(length), file: "cut") } }
        func file(_ header: String, data: Int = 16) -> Data {
            var d = Data((0..<8).map { UInt8((header.utf8.count >> (8 * $0)) & 0xFF) })
            d.append(Data(header.utf8))
            d.append(Data(count: data))
            return d
        }
        for header in [#"[1,2]"#, #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,20]}}"#,
                       #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#, #"{"w":{"dtype":"Q9","shape":[4],"data_offsets":[0,16]}}"#,
                       #"{"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}"#, #"{"w":{"dtype":"F32","shape":[4]}}"#,
                       #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#,
                       #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#] {
            #expect(throws: ModelFileError.self, "\(header)") { try SafeTensors.decode(file(header), file: "bad") }
        }
    }
}
