import CZlib
import Foundation

/// Reads a file, inflating it when it is gzip-compressed (by magic bytes, not by name).
enum CompressedFile {
    static func read(_ path: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError.unreadable(file: path, reason: "file not found")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw DataError.unreadable(file: path, reason: error.localizedDescription)
        }
        guard data.count >= 2, data[data.startIndex] == 0x1F, data[data.startIndex + 1] == 0x8B else { return data }
        return try gunzip(data, file: path)
    }

    static func gunzip(_ input: Data, file: String) throws -> Data {
        var stream = z_stream()
        guard deepswift_inflateInit2(&stream, 15 + 32) == Z_OK else { throw DataError.unreadable(file: file, reason: "zlib failed to start") }
        defer { inflateEnd(&stream) }
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var input = input
        var status: Int32 = Z_OK
        input.withUnsafeMutableBytes { source in
            stream.next_in = source.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_in = uInt(source.count)
            repeat {
                chunk.withUnsafeMutableBytes { target in
                    stream.next_out = target.baseAddress?.assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = uInt(target.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    output.append(target.baseAddress!.assumingMemoryBound(to: UInt8.self), count: target.count - Int(stream.avail_out))
                }
            } while status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
        }
        guard status == Z_STREAM_END else {
            throw DataError.unreadable(file: file, reason: "corrupt or truncated gzip data (zlib status \(status))")
        }
        return output
    }
}
