import DeepSwiftTensor

/// Why a model file (native archive, safetensors, Keras or ONNX file) could not be read or written.
///
/// Every error names the file, the place inside it (archive entry, tensor, layer or field) and
/// what was expected against what was found:
/// ```
/// model.dsm, tensor 'layers.0.weight': shape [512, 784] expected, the file has [512, 700]
/// ```
public struct ModelFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// The file is missing or cannot be read / written.
        case unreadable, unwritable
        /// The bytes are not a file of the expected format.
        case notRecognized
        /// The file ends early.
        case truncated
        /// The structure is damaged (bad offsets, checksums, malformed JSON, wrong types).
        case corrupt
        /// Written by a newer version of the format than this DeepSwift reads.
        case newerVersion
        /// A layer class or operator this DeepSwift does not implement.
        case unsupported
        /// A tensor the model needs is absent, or one the file has fits no part of the model.
        case missingTensor, unexpectedTensor
        /// A tensor's shape or dtype differs from what the model needs.
        case shapeMismatch
        /// A configuration value is missing or invalid.
        case badConfig
    }

    public let kind: Kind
    public let file: String
    /// Where in the file: an entry, tensor, layer or field (nil for the file as a whole).
    public let location: String?
    public let detail: String

    public init(_ kind: Kind, file: String, _ location: String? = nil, _ detail: String) {
        self.kind = kind
        self.file = file
        self.location = location
        self.detail = detail
    }

    public var description: String {
        (location.map { "\(file), \($0)" } ?? file) + ": " + detail
    }

    /// Wraps the errors of the lower-level readers (`.npy`/zip) into this type.
    public static func wrapping(_ error: any Error, file: String) -> ModelFileError {
        if let error = error as? ModelFileError { return error }
        if let error = error as? NumPyFormatError {
            let kind: Kind
            switch error.kind {
            case .unreadable: kind = .unreadable
            case .unwritable: kind = .unwritable
            case .truncated: kind = .truncated
            case .missingEntry: kind = .missingTensor
            default: kind = .corrupt
            }
            return ModelFileError(kind, file: file, error.entry.map { "entry '\($0)'" }, error.detail)
        }
        return ModelFileError(.corrupt, file: file, nil, "\(error)")
    }
}
