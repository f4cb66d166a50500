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

    /// Where tests find MNIST: `DEEPSWIFT_DATA` (or its `mnist` subfolder) when set, otherwise
    /// `../shared/data/mnist` next to this repository. `nil` when neither holds the files.
    public static var mnistDirectory: String? {
        let repository = directory.deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [ProcessInfo.processInfo.environment["DEEPSWIFT_DATA"].map { $0 + "/mnist" },
                          ProcessInfo.processInfo.environment["DEEPSWIFT_DATA"],
                          repository.appendingPathComponent("../shared/data/mnist").standardizedFileURL.path].compactMap { $0 }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/train-images-idx3-ubyte.gz")
            || FileManager.default.fileExists(atPath: $0 + "/train-images-idx3-ubyte") }
    }

    /// The path of a fixture file relative to `Tests/Fixtures`.
    public static func path(_ relative: String) -> String { directory.appendingPathComponent(relative).path }

    /// Loads `Tests/Fixtures/torch/NAME.npz` (PyTorch references, see generate_torch_fixtures.py).
    public static func torch(_ name: String) throws -> NumPyArchive {
        NumPyArchive(arrays: try NumPy.loadArchive(path("torch/\(name).npz")), name: name)
    }

    /// Loads `Tests/Fixtures/keras/NAME.npz`.
    public static func keras(_ name: String) throws -> NumPyArchive {
        NumPyArchive(arrays: try NumPy.loadArchive(path("keras/\(name).npz")), name: name)
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

    public init(arrays: [String: Tensor], name: String) {
        self.arrays = arrays
        self.name = name
    }

    public subscript(_ key: String) -> Tensor {
        guard let tensor = arrays[key] else {
            preconditionFailure("fixture \(name).npz has no key '\(key)'; keys: \(arrays.keys.sorted())")
        }
        return tensor
    }
}
