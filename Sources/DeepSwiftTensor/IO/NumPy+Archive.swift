import Foundation

/// `.npz` archives: a zip of `.npy` files, as written by `np.savez` and `np.savez_compressed`.
///
/// ```swift
/// let arrays = try NumPy.loadArchive("checkpoint.npz")       // ["weights": Tensor, ...]
/// try NumPy.saveArchive(["w": w, "b": b], to: "out.npz", compressed: true)
/// ```
extension NumPy {
    /// Reads every array of a `.npz` archive, keyed by name (without the `.npy` suffix).
    public static func loadArchive(_ path: String) throws -> [String: Tensor] {
        let archive = try ZipArchive(data: readFile(path), file: path)
        var result: [String: Tensor] = [:]
        for entry in archive.entries where !entry.name.hasSuffix("/") {
            let key = entry.name.hasSuffix(".npy") ? String(entry.name.dropLast(4)) : entry.name
            result[key] = try decode(archive.contents(of: entry), file: path, entry: entry.name)
        }
        return result
    }

    /// Reads one array of a `.npz` archive.
    public static func loadArchive(_ path: String, key: String) throws -> Tensor {
        let archive = try ZipArchive(data: readFile(path), file: path)
        guard let entry = archive.entries.first(where: { $0.name == key + ".npy" || $0.name == key }) else {
            let available = archive.entries.map { $0.name.hasSuffix(".npy") ? String($0.name.dropLast(4)) : $0.name }
            throw NumPyFormatError(.missingEntry, file: path, "no array named '\(key)'; the archive holds \(available)")
        }
        return try decode(archive.contents(of: entry), file: path, entry: entry.name)
    }

    /// Writes a `.npz` archive atomically, entries in key order.
    public static func saveArchive(_ tensors: [String: Tensor], to path: String, compressed: Bool = false) throws {
        let files = tensors.keys.sorted().map { (name: $0 + ".npy", data: encode(tensors[$0]!)) }
        try writeFileAtomically(ZipArchive.write(files, compressed: compressed, file: path), to: path)
    }
}
