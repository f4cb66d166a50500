import DeepSwiftTensor
import Foundation

/// The IDX format of the MNIST files (plain or gzipped): a magic number naming the element type
/// and rank, big-endian dimension sizes, then the data.
///
/// ```swift
/// let images = try IDXFile.read("train-images-idx3-ubyte.gz")   // uint8 [60000, 28, 28]
/// ```
public enum IDXFile {
    /// Reads an IDX file of unsigned bytes. `expectedRank` (if given) is checked against the header.
    public static func read(_ path: String, expectedRank: Int? = nil) throws -> Tensor {
        let data = try CompressedFile.read(path)
        guard data.count >= 4 else { throw DataError.truncated(file: path, expectedBytes: 4, actualBytes: data.count) }
        let bytes = [UInt8](data.prefix(4))
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw DataError.badHeader(file: path, field: "magic number", expected: "00 00 <type> <rank>",
                                      actual: bytes.map { String(format: "%02x", $0) }.joined(separator: " "))
        }
        guard bytes[2] == 0x08 else {
            throw DataError.badHeader(file: path, field: "element type", expected: "0x08 (unsigned byte)", actual: String(format: "0x%02x", bytes[2]))
        }
        let rank = Int(bytes[3])
        if let expectedRank, rank != expectedRank {
            throw DataError.badHeader(file: path, field: "rank", expected: "\(expectedRank)", actual: "\(rank)")
        }
        let headerSize = 4 + 4 * rank
        guard data.count >= headerSize else { throw DataError.truncated(file: path, expectedBytes: headerSize, actualBytes: data.count) }
        var shape: [Int] = []
        for axis in 0..<rank {
            let offset = data.startIndex + 4 + 4 * axis
            shape.append(Int(data[offset]) << 24 | Int(data[offset + 1]) << 16 | Int(data[offset + 2]) << 8 | Int(data[offset + 3]))
        }
        let count = shape.reduce(1, *)
        guard data.count >= headerSize + count else {
            throw DataError.truncated(file: path, expectedBytes: headerSize + count, actualBytes: data.count)
        }
        guard data.count == headerSize + count else {
            throw DataError.badHeader(file: path, field: "file size", expected: "\(headerSize + count) bytes for shape \(shape)",
                                      actual: "\(data.count) bytes")
        }
        var tensor = Tensor.zeros(shape, dtype: .uint8)
        tensor.withUnsafeMutableBufferPointer(as: UInt8.self) { target in
            data.withUnsafeBytes { source in
                if count > 0 { target.baseAddress!.update(from: source.baseAddress!.assumingMemoryBound(to: UInt8.self) + headerSize, count: count) }
            }
        }
        return tensor
    }
}
