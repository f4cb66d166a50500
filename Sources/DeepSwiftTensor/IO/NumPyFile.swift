#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Reading and writing NumPy `.npy` files (format versions 1.0, 2.0 and 3.0; little-endian,
/// C order; float32, float64, int32, int64, uint8 and bool).
///
/// ```swift
/// let x = try NumPy.load("inputs.npy")
/// try NumPy.save(x.softmax(axis: -1), to: "probabilities.npy")   // atomic: temp file + rename
/// ```
/// Fortran-ordered arrays, big-endian or unsupported dtypes, and truncated or corrupt files throw a
/// ``NumPyFormatError`` naming the file and the problem; nothing traps.
public enum NumPy {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    /// Reads a `.npy` file.
    public static func load(_ path: String) throws -> Tensor {
        try decode(readFile(path), file: path)
    }

    /// Writes a `.npy` file atomically.
    public static func save(_ tensor: Tensor, to path: String) throws {
        try writeFileAtomically(encode(tensor), to: path)
    }

    // MARK: Decoding

    static func descriptor(for dtype: DType) -> String {
        switch dtype {
        case .float32: return "<f4"
        case .float64: return "<f8"
        case .int32: return "<i4"
        case .int64: return "<i8"
        case .uint8: return "|u1"
        case .bool: return "|b1"
        }
    }

    static func dtype(forDescriptor descr: String, file: String, entry: String?) throws -> DType {
        let table: [String: DType] = [
            "<f4": .float32, "<f8": .float64, "<i4": .int32, "<i8": .int64,
            "|u1": .uint8, "<u1": .uint8, "u1": .uint8, "|b1": .bool, "<b1": .bool, "b1": .bool,
        ]
        if let dtype = table[descr] { return dtype }
        if descr.hasPrefix(">") {
            throw NumPyFormatError(.byteOrder, file: file, entry: entry,
                                   "big-endian dtype '\(descr)' is not supported; expected little-endian (e.g. '<f4'); convert with arr.astype(arr.dtype.newbyteorder('<'))")
        }
        throw NumPyFormatError(.unsupportedDType, file: file, entry: entry,
                               "unsupported dtype '\(descr)'; supported: float32 '<f4', float64 '<f8', int32 '<i4', int64 '<i8', uint8 '|u1', bool '|b1'")
    }

    /// Decodes the bytes of a `.npy` file. `file`/`entry` name it in errors.
    public static func decode(_ data: Data, file: String, entry: String? = nil) throws -> Tensor {
        func fail(_ kind: NumPyFormatError.Kind, _ detail: String) -> NumPyFormatError {
            NumPyFormatError(kind, file: file, entry: entry, detail)
        }
        let bytes = [UInt8](data.prefix(12))
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail(.badMagic, "not a .npy file: expected the magic string \\x93NUMPY, found \(bytes.prefix(6).map { String(format: "%02x", $0) }.joined(separator: " "))")
        }
        let major = bytes[6], minor = bytes[7]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail(.truncated, "file ends inside the header length field") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail(.unsupportedVersion, "unsupported .npy format version \(major).\(minor); supported: 1.0, 2.0, 3.0")
        }
        guard data.count >= headerStart + headerLength else {
            throw fail(.truncated, "file ends inside the header: expected \(headerStart + headerLength) bytes, found \(data.count)")
        }
        let headerBytes = data[data.startIndex + headerStart ..< data.startIndex + headerStart + headerLength]
        guard let header = String(bytes: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw fail(.malformedHeader, "header is not valid text")
        }
        let fields = try NumPyHeader.parse(header, file: file, entry: entry)
        if fields.fortranOrder {
            throw fail(.fortranOrder, "array is stored in Fortran (column-major) order; expected C order; save it with np.ascontiguousarray(arr)")
        }
        let dtype = try dtype(forDescriptor: fields.descr, file: file, entry: entry)
        guard let count = Tensor.elementCount(ofUntrustedShape: fields.shape, limit: 1 << 44) else {
            throw fail(.malformedHeader, "shape \(shapeString(fields.shape)) is too large")
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw fail(.malformedHeader, "shape \(fields.shape) is too large") }
        let dataStart = headerStart + headerLength
        let available = data.count - dataStart
        guard available >= byteCount else {
            throw fail(.truncated, "truncated data: expected \(byteCount) bytes for shape \(shapeString(fields.shape)) \(dtype), found \(available)")
        }
        let tensor = Tensor(uninitializedShape: fields.shape, dtype: dtype)
        data.withUnsafeBytes { raw in
            if byteCount > 0 { tensor.storage.pointer.copyMemory(from: raw.baseAddress! + dataStart, byteCount: byteCount) }
        }
        if dtype == .bool {
            // NumPy bools are 0/1 bytes; normalize anything else so Swift's Bool stays valid.
            let p = tensor.storage.pointer.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count where p[i] > 1 { p[i] = 1 }
        }
        return tensor
    }

    // MARK: Encoding

    /// The bytes of a `.npy` file holding `tensor` (format 1.0, or 2.0 for very long headers).
    public static func encode(_ tensor: Tensor) -> Data {
        let shapeText: String
        switch tensor.rank {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(tensor.shape[0]),)"
        default: shapeText = "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '\(descriptor(for: tensor.dtype))', 'fortran_order': False, 'shape': \(shapeText), }"
        let version: UInt8 = header.utf8.count + 11 < 65_536 ? 1 : 2
        let prefixLength = version == 1 ? 10 : 12
        let total = prefixLength + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var data = Data(magic)
        data.append(contentsOf: [version, 0])
        let length = header.utf8.count
        if version == 1 {
            data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        } else {
            data.append(contentsOf: (0..<4).map { UInt8((length >> (8 * $0)) & 0xFF) })
        }
        data.append(contentsOf: Array(header.utf8))
        let source = tensor.contiguous()
        data.append(Data(bytes: source.storage.pointer + source.offset * source.dtype.byteSize,
                         count: source.count * source.dtype.byteSize))
        return data
    }

    // MARK: Files

    /// The bytes of a file (memory-mapped when possible); a missing or unreadable file throws.
    public static func readFile(_ path: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else {
            throw NumPyFormatError(.unreadable, file: path, "file not found")
        }
        #if os(Linux)
        // Large files are mapped with MAP_POPULATE: the kernel fills the mapping in one pass instead
        // of one page fault per 4 KiB page as the readers walk it (a 100 MB model: ~25,000 faults).
        let fd = open(path, O_RDONLY)
        if fd >= 0 {
            defer { close(fd) }
            var info = stat()
            if fstat(fd, &info) == 0, info.st_size >= 1 << 20 {
                let size = Int(info.st_size)
                if let base = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), base != MAP_FAILED {
                    return Data(bytesNoCopy: base, count: size, deallocator: .custom { pointer, count in munmap(pointer, count) })
                }
            }
        }
        #endif
        do { return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe) }
        catch { throw NumPyFormatError(.unreadable, file: path, "cannot read: \(error.localizedDescription)") }
    }

    /// Writes to a temporary file in the same directory, then renames it over `path`, so readers
    /// never see a half-written file and a failed save leaves the old file intact.
    public static func writeFileAtomically(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try data.write(to: temporary)
        } catch {
            throw NumPyFormatError(.unwritable, file: path, "cannot write temporary file \(temporary.path): \(error.localizedDescription)")
        }
        if rename(temporary.path, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw NumPyFormatError(.unwritable, file: path, "cannot rename temporary file into place: \(reason)")
        }
    }
}

/// The Python-literal dictionary at the start of a `.npy` file.
struct NumPyHeader {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]

    static func parse(_ text: String, file: String, entry: String?) throws -> NumPyHeader {
        func fail(_ detail: String) -> NumPyFormatError {
            NumPyFormatError(.malformedHeader, file: file, entry: entry, "malformed header (\(detail)): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        func value(after key: String) throws -> Substring {
            guard let keyRange = text.range(of: "'\(key)'") ?? text.range(of: "\"\(key)\"") else { throw fail("no '\(key)' key") }
            var rest = text[keyRange.upperBound...].drop { $0 == " " }
            guard rest.first == ":" else { throw fail("no ':' after '\(key)'") }
            rest = rest.dropFirst().drop { $0 == " " }
            return rest
        }
        // descr: a quoted string.
        let descrText = try value(after: "descr")
        guard let quote = descrText.first, quote == "'" || quote == "\"",
              let end = descrText.dropFirst().firstIndex(of: quote) else { throw fail("'descr' is not a string") }
        let descr = String(descrText[descrText.index(after: descrText.startIndex)..<end])
        // fortran_order: True or False.
        let fortranText = try value(after: "fortran_order")
        let fortran: Bool
        if fortranText.hasPrefix("True") { fortran = true }
        else if fortranText.hasPrefix("False") { fortran = false }
        else { throw fail("'fortran_order' is neither True nor False") }
        // shape: a tuple of non-negative integers.
        let shapeText = try value(after: "shape")
        guard shapeText.first == "(", let close = shapeText.firstIndex(of: ")") else { throw fail("'shape' is not a tuple") }
        let inside = shapeText[shapeText.index(after: shapeText.startIndex)..<close]
        var shape: [Int] = []
        for part in inside.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
            if trimmed.isEmpty { continue }
            guard let dim = Int(trimmed), dim >= 0 else { throw fail("shape entry '\(trimmed)' is not a non-negative integer") }
            shape.append(dim)
        }
        return NumPyHeader(descr: descr, fortranOrder: fortran, shape: shape)
    }
}
