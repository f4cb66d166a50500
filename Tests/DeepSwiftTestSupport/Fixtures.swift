import DeepSwiftTensor
import Foundation

/// Access to the committed reference fixtures under `Tests/Fixtures`.
///
/// ```swift
/// let unary = try Fixtures.numpy("unary")    // Tests/Fixtures/numpy/unary.npz
/// let x = unary["x"]!
/// ```
public enum Fixtures {
    /// `Tests/Fixtures`, found relative to this source file.
    public static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The path of a fixture file relative to `Tests/Fixtures`.
    public static func path(_ relative: String) -> String { directory.appendingPathComponent(relative).path }

    /// Loads `Tests/Fixtures/torch/NAME.npz` (PyTorch references, see generate_torch_fixtures.py).
    public static func torch(_ name: String) throws -> NumPyArchive {
        NumPyArchive(arrays: try NumPy.loadArchive(path("torch/\(name).npz")), name: name)
    }

    /// Loads `Tests/Fixtures/numpy/NAME.npz`.
    public static func numpy(_ name: String) throws -> NumPyArchive {
        NumPyArchive(arrays: try NumPy.loadArchive(path("numpy/\(name).npz")), name: name)
    }
}

/// The arrays of one fixture archive; a missing key is a test failure that names the archive.
public struct NumPyArchive: Sendable {
    public let arrays: [String: Tensor]
    public let name: String

    public subscript(_ key: String) -> Tensor {
        guard let tensor = arrays[key] else {
            preconditionFailure("fixture \(name).npz has no key '\(key)'; keys: \(arrays.keys.sorted())")
        }
        return tensor
    }
}
