import DeepSwiftTensor
import DeepSwiftTestSupport
import Foundation
import Testing

/// `.npy` / `.npz` reading (files written by NumPy), writing, round trips and error paths.
@Suite struct NumPyFileTests {
    @Test func readsEverySupportedDtypeWrittenByNumPy() throws {
        let f32 = try NumPy.load(Fixtures.path("numpy/npy/f32.npy"))
        #expect(f32.dtype == .float32 && f32.shape == [2, 3])
        #expect(f32.scalars(as: Float.self) == [0, 1, 2, 3, 4, 5])
        let f64 = try NumPy.load(Fixtures.path("numpy/npy/f64.npy"))
        #expect(f64.scalars(as: Double.self) == [0.1, -2.5, 1e300, -0.0])
        #expect(f64.scalars(as: Double.self)[3].sign == .minus)
        let i32 = try NumPy.load(Fixtures.path("numpy/npy/i32.npy"))
        #expect(i32.shape == [2, 2, 2] && i32.scalars(as: Int32.self) == (0..<8).map { Int32($0 - 5) })
        let i64 = try NumPy.load(Fixtures.path("numpy/npy/i64.npy"))
        #expect(i64.scalars(as: Int64.self) == [-(1 << 40), 0, 1 << 62])
        let u8 = try NumPy.load(Fixtures.path("numpy/npy/u8.npy"))
        #expect(u8.scalars(as: UInt8.self) == [0, 1, 127, 128, 255])
        let bool = try NumPy.load(Fixtures.path("numpy/npy/bool.npy"))
        #expect(bool.dtype == .bool && bool.scalars(as: Bool.self) == [true, false, false, true])
        let scalar = try NumPy.load(Fixtures.path("numpy/npy/scalar.npy"))
        #expect(scalar.shape == [] && scalar.item(as: Float.self) == 3.25)
        let empty = try NumPy.load(Fixtures.path("numpy/npy/empty.npy"))
        #expect(empty.shape == [0, 3] && empty.count == 0)
        let v2 = try NumPy.load(Fixtures.path("numpy/npy/v2header.npy"))
        #expect(v2.shape == [2, 2] && v2.dtype == .float32)
    }

    @Test func readsPlainAndCompressedArchives() throws {
        let expectedURL = URL(fileURLWithPath: Fixtures.path("numpy/npz/expected.json"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: expectedURL)) as! [String: Any]
        let arrays = json["arrays"] as! [String: [String: Any]]
        for file in ["plain", "compressed"] {
            let loaded = try NumPy.loadArchive(Fixtures.path("numpy/npz/\(file).npz"))
            #expect(Set(loaded.keys) == Set(arrays.keys), "\(file).npz keys")
            for (key, spec) in arrays {
                let tensor = try #require(loaded[key])
                #expect(tensor.dtype.rawValue == spec["dtype"] as? String, "\(file) \(key) dtype")
                #expect(tensor.shape == (spec["shape"] as! [Int]), "\(file) \(key) shape")
                let values = (spec["values"] as! [Any]).map { v -> Double in
                    if let b = v as? Bool { return b ? 1 : 0 }
                    return (v as! NSNumber).doubleValue
                }
                // Foundation's JSON parser may round the last digit of a double; compare within 1e-15.
                let close = zip(tensor.doubles, values).allSatisfy { abs($0 - $1) <= 1e-15 * max(1, abs($1)) }
                #expect(close && tensor.count == values.count, "\(file) \(key) values: \(tensor.doubles) vs \(values)")
            }
            let single = try NumPy.loadArchive(Fixtures.path("numpy/npz/\(file).npz"), key: "bias")
            #expect(single.shape == [4])
        }
    }

    @Test func roundTripsEveryDtypeAndLayout() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("deepswift-npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var rng = PhiloxGenerator(seed: 5)
        let tensors: [String: Tensor] = [
            "f32": Tensor.normal([3, 4, 5], using: &rng),
            "f64": Tensor.normal([7], dtype: .float64, using: &rng),
            "i32": Tensor.randomInt([2, 3], low: -100, high: 100, dtype: .int32, using: &rng),
            "i64": Tensor.randomInt([4], low: Int(Int32.min), high: Int(Int32.max), using: &rng),
            "u8": Tensor.randomInt([9], low: 0, high: 256, dtype: .uint8, using: &rng),
            "bool": Tensor.bernoulli([2, 2], probability: 0.5, using: &rng),
            "scalar": Tensor(Double(2.5)),
            "empty": Tensor.zeros([0, 4]),
            "view": Tensor.normal([4, 6], using: &rng).transposed()[1..., .range(step: 2)],
        ]
        for (name, tensor) in tensors {
            let path = directory.appendingPathComponent("\(name).npy").path
            try NumPy.save(tensor, to: path)
            expectEqual(try NumPy.load(path), tensor.contiguous(), name)
        }
        for compressed in [false, true] {
            let path = directory.appendingPathComponent("all-\(compressed).npz").path
            try NumPy.saveArchive(tensors, to: path, compressed: compressed)
            let loaded = try NumPy.loadArchive(path)
            #expect(Set(loaded.keys) == Set(tensors.keys))
            for (name, tensor) in tensors { expectEqual(loaded[name]!, tensor.contiguous(), "npz \(name)") }
        }
        // Saving leaves no temporary files behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func rejectsUnsupportedFilesWithClearErrors() throws {
        func error(_ path: String) -> NumPyFormatError? {
            do { _ = try NumPy.load(Fixtures.path(path)); return nil } catch let e as NumPyFormatError { return e } catch { return nil }
        }
        let fortran = try #require(error("numpy/npy/fortran.npy"))
        #expect(fortran.kind == .fortranOrder)
        #expect(fortran.description.contains("fortran.npy") && fortran.description.contains("Fortran"))
        let bigEndian = try #require(error("numpy/npy/bigendian.npy"))
        #expect(bigEndian.kind == .byteOrder && bigEndian.description.contains(">f4"))
        let complex = try #require(error("numpy/npy/complex.npy"))
        #expect(complex.kind == .unsupportedDType && complex.description.contains("<c8"))
        let missing = try #require(error("numpy/npy/does-not-exist.npy"))
        #expect(missing.kind == .unreadable)
    }

    @Test func corruptAndTruncatedFilesThrowInsteadOfCrashing() throws {
        let good = NumPy.encode(Tensor.arange(0, 100, step: 1, dtype: .float32))
        // Every truncation of a valid file throws a typed error.
        for length in [0, 5, 9, 20, 60, good.count - 1] {
            #expect(throws: NumPyFormatError.self) { try NumPy.decode(good.prefix(length), file: "cut.npy") }
        }
        do {
            _ = try NumPy.decode(good.prefix(good.count - 3), file: "cut.npy")
        } catch let e as NumPyFormatError {
            #expect(e.kind == .truncated)
            #expect(e.description.contains("expected 400 bytes") && e.description.contains("found 397"))
        }
        // Corrupting header bytes gives a header error, never a trap.
        var broken = good
        for i in 12..<40 { broken[i] = UInt8(ascii: "?") }
        #expect(throws: NumPyFormatError.self) { try NumPy.decode(broken, file: "broken.npy") }
        var badVersion = good
        badVersion[6] = 9
        #expect(throws: NumPyFormatError.self) { try NumPy.decode(badVersion, file: "v9.npy") }

        // Archives: truncated, bit-flipped (CRC) and non-zip inputs.
        let directory = FileManager.default.temporaryDirectory
        let path = directory.appendingPathComponent("deepswift-corrupt-\(UUID().uuidString).npz").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try NumPy.saveArchive(["a": Tensor.arange(0, 50, step: 1, dtype: .float32)], to: path)
        let archive = try Data(contentsOf: URL(fileURLWithPath: path))
        for variant in [archive.prefix(archive.count / 2), archive.prefix(30), Data("not a zip".utf8)] {
            try Data(variant).write(to: URL(fileURLWithPath: path))
            #expect(throws: NumPyFormatError.self) { try NumPy.loadArchive(path) }
        }
        var flipped = archive
        flipped[100] ^= 0xFF
        try flipped.write(to: URL(fileURLWithPath: path))
        do {
            _ = try NumPy.loadArchive(path)
            Issue.record("a flipped data byte must fail the CRC check")
        } catch let e as NumPyFormatError {
            #expect(e.description.contains("CRC") || e.kind == .malformedHeader)
        }
        try archive.write(to: URL(fileURLWithPath: path))
        #expect(throws: NumPyFormatError.self) { try NumPy.loadArchive(path, key: "missing") }
    }
}
