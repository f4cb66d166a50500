/// Why a `.npy` or `.npz` file could not be read or written.
///
/// Every error names the file (and the archive entry, for `.npz`) and says what was expected and
/// what was found:
/// ```
/// weights.npz, entry 'bias.npy': truncated data: expected 16 bytes for shape [4] float32, found 9
/// ```
public struct NumPyFormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The category of problem.
    public enum Kind: String, Sendable {
        case unreadable, unwritable, badMagic, unsupportedVersion, malformedHeader
        case unsupportedDType, fortranOrder, byteOrder, truncated, corruptArchive, missingEntry
    }

    public let kind: Kind
    /// The file (path) involved.
    public let file: String
    /// The archive entry, for `.npz` files.
    public let entry: String?
    /// What was expected and what was found.
    public let detail: String

    public init(_ kind: Kind, file: String, entry: String? = nil, _ detail: String) {
        self.kind = kind
        self.file = file
        self.entry = entry
        self.detail = detail
    }

    public var description: String {
        let place = entry.map { "\(file), entry '\($0)'" } ?? file
        return "\(place): \(detail)"
    }
}
