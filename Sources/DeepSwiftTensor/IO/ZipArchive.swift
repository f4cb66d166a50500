import CZlib
import Dispatch
import Foundation

/// The minimal ZIP reader and writer that `.npz` files and model archives need: stored and
/// deflated entries, ZIP64 size fields, CRC-32 checks. Every malformed structure throws a
/// ``NumPyFormatError`` naming the file and entry; nothing is read out of bounds.
///
/// ```swift
/// let zip = try ZipArchive(data: Data(contentsOf: url), file: url.path)
/// let config = try zip.contents(named: "config.json")
/// ```
public struct ZipArchive: Sendable {
    public struct Entry: Sendable {
        public var name: String
        var method: UInt16
        var crc32: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        var localHeaderOffset: Int
    }

    let data: Data
    let file: String
    public private(set) var entries: [Entry] = []

    private func fail(_ detail: String, entry: String? = nil) -> NumPyFormatError {
        NumPyFormatError(.corruptArchive, file: file, entry: entry, detail)
    }

    private func u16(_ at: Int) throws -> Int {
        guard at >= 0, at + 2 <= data.count else { throw fail("unexpected end of archive at byte \(at)") }
        return Int(data[data.startIndex + at]) | Int(data[data.startIndex + at + 1]) << 8
    }

    private func u32(_ at: Int) throws -> Int { try u16(at) | (try u16(at + 2)) << 16 }
    private func u64(_ at: Int) throws -> Int {
        let low = try u32(at), high = try u32(at + 4)
        guard high < 1 << 30 else { throw fail("64-bit size field out of range at byte \(at)") }
        return low | high << 32
    }

    public init(data: Data, file: String) throws {
        self.data = data
        self.file = file
        // End of central directory: the last occurrence of PK\5\6 within the final 64 KiB + 22 bytes.
        let signature: [UInt8] = [0x50, 0x4B, 0x05, 0x06]
        var eocd = -1
        let lowest = Swift.max(0, data.count - 65_557)
        var i = data.count - 22
        while i >= lowest {
            if data[data.startIndex + i] == signature[0] && data[data.startIndex + i + 1] == signature[1]
                && data[data.startIndex + i + 2] == signature[2] && data[data.startIndex + i + 3] == signature[3] {
                eocd = i
                break
            }
            i -= 1
        }
        guard eocd >= 0 else { throw fail("not a zip archive: no end-of-central-directory record (is this a .npz file?)") }
        var entryCount = try u16(eocd + 10)
        var directoryOffset = try u32(eocd + 16)
        // ZIP64 end-of-central-directory locator precedes the record.
        if (entryCount == 0xFFFF || directoryOffset == 0xFFFF_FFFF), eocd >= 20, try u32(eocd - 20) == 0x0706_4B50 {
            let record = try u64(eocd - 12)
            guard try u32(record) == 0x0606_4B50 else { throw fail("bad ZIP64 end-of-central-directory record") }
            entryCount = try u64(record + 32)
            directoryOffset = try u64(record + 48)
        }
        var position = directoryOffset
        for _ in 0..<entryCount {
            guard try u32(position) == 0x0201_4B50 else { throw fail("bad central directory entry signature at byte \(position)") }
            let method = UInt16(try u16(position + 10))
            let crc = UInt32(try u32(position + 16))
            var compressed = try u32(position + 20)
            var uncompressed = try u32(position + 24)
            let nameLength = try u16(position + 28), extraLength = try u16(position + 30), commentLength = try u16(position + 32)
            var localOffset = try u32(position + 42)
            let nameStart = position + 46
            guard nameStart + nameLength + extraLength <= data.count else { throw fail("central directory entry runs past the end of the archive") }
            let name = String(decoding: data[data.startIndex + nameStart ..< data.startIndex + nameStart + nameLength], as: UTF8.self)
            // ZIP64 extended information: present fields are those whose 32-bit value is 0xFFFFFFFF.
            var extra = nameStart + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = try u16(extra), size = try u16(extra + 2)
                if id == 0x0001 {
                    var field = extra + 4
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try u64(field); field += 8 }
                    if compressed == 0xFFFF_FFFF { compressed = try u64(field); field += 8 }
                    if localOffset == 0xFFFF_FFFF { localOffset = try u64(field); field += 8 }
                }
                extra += 4 + size
            }
            entries.append(Entry(name: name, method: method, crc32: crc, compressedSize: compressed,
                                 uncompressedSize: uncompressed, localHeaderOffset: localOffset))
            position = extraEnd + commentLength
        }
    }

    /// The uncompressed bytes of the entry called `name`, or `nil` when there is none.
    public func contents(named name: String) throws -> Data? {
        guard let entry = entries.first(where: { $0.name == name }) else { return nil }
        return try contents(of: entry)
    }

    /// The bytes of an entry, CRC-checked, without a copy when the entry is stored uncompressed
    /// (a slice of the archive's data: index it from its `startIndex`).
    public func storedContents(of entry: Entry) throws -> Data {
        guard entry.method == 0 else { return try contents(of: entry) }
        let header = entry.localHeaderOffset
        guard try u32(header) == 0x0403_4B50 else { throw fail("bad local header signature", entry: entry.name) }
        let start = header + 30 + (try u16(header + 26)) + (try u16(header + 28))
        guard start >= 0, start + entry.compressedSize <= data.count, entry.compressedSize == entry.uncompressedSize else {
            throw NumPyFormatError(.truncated, file: file, entry: entry.name,
                                   "entry data runs past the end of the archive: needs \(entry.compressedSize) bytes at offset \(start), archive has \(data.count)")
        }
        let slice = data[data.startIndex + start ..< data.startIndex + start + entry.compressedSize]
        let actual = ZipArchive.crc32(slice)
        guard actual == entry.crc32 else {
            throw fail(String(format: "CRC-32 mismatch: expected %08x, computed %08x (the file is corrupt)", entry.crc32, actual), entry: entry.name)
        }
        return slice
    }

    /// The uncompressed bytes of an entry, CRC-checked.
    public func contents(of entry: Entry) throws -> Data {
        let header = entry.localHeaderOffset
        guard try u32(header) == 0x0403_4B50 else { throw fail("bad local header signature", entry: entry.name) }
        let start = header + 30 + (try u16(header + 26)) + (try u16(header + 28))
        guard start >= 0, start + entry.compressedSize <= data.count else {
            throw NumPyFormatError(.truncated, file: file, entry: entry.name,
                                   "entry data runs past the end of the archive: needs \(entry.compressedSize) bytes at offset \(start), archive has \(data.count)")
        }
        let raw = data[data.startIndex + start ..< data.startIndex + start + entry.compressedSize]
        let output: Data
        switch entry.method {
        case 0: output = Data(raw)
        case 8: output = try inflate(raw, expected: entry.uncompressedSize, entry: entry.name)
        default: throw fail("unsupported compression method \(entry.method); supported: stored (0), deflate (8)", entry: entry.name)
        }
        guard output.count == entry.uncompressedSize else {
            throw fail("size mismatch: directory says \(entry.uncompressedSize) bytes, found \(output.count)", entry: entry.name)
        }
        let actual = ZipArchive.crc32(output)
        guard actual == entry.crc32 else {
            throw fail(String(format: "CRC-32 mismatch: expected %08x, computed %08x (the file is corrupt)", entry.crc32, actual), entry: entry.name)
        }
        return output
    }

    private func inflate(_ input: Data, expected: Int, entry: String) throws -> Data {
        // Deflate cannot expand more than ~1032:1; a larger declared size is a damaged directory.
        guard expected <= input.count * 1032 + 1024, expected < 1 << 32, input.count < 1 << 32 else {
            throw fail("declared size \(expected) bytes is impossible for \(input.count) compressed bytes (or over 4 GiB)", entry: entry)
        }
        var output = Data(count: expected)
        var stream = z_stream()
        guard deepswift_inflateInit2(&stream, -15) == Z_OK else { throw fail("zlib could not start inflating", entry: entry) }
        defer { inflateEnd(&stream) }
        var input = input
        let status: Int32 = input.withUnsafeMutableBytes { source in
            output.withUnsafeMutableBytes { target in
                stream.next_in = source.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(target.count)
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else {
            throw fail("deflate stream is corrupt or longer than the declared \(expected) bytes (zlib status \(status))", entry: entry)
        }
        output.count = Int(stream.total_out)
        return output
    }

    static func crc32(_ data: Data) -> UInt32 {
        data.withUnsafeBytes { raw -> UInt32 in
            func serial(_ start: Int, _ count: Int) -> uLong {
                var crc: uLong = CZlib.crc32(0, nil, 0)
                var offset = start
                while offset < start + count {
                    let chunk = Swift.min(start + count - offset, 1 << 30)
                    crc = CZlib.crc32(crc, raw.baseAddress!.assumingMemoryBound(to: Bytef.self) + offset, uInt(chunk))
                    offset += chunk
                }
                return crc
            }
            // Large entries (model weights): pieces on several threads, joined with crc32_combine.
            let pieces = raw.count >= 1 << 24 ? Swift.min(ThreadSettings.numThreads, 8) : 1
            guard pieces > 1 else { return UInt32(serial(0, raw.count)) }
            let size = (raw.count + pieces - 1) / pieces
            let results = UncheckedSendable(UnsafeMutablePointer<uLong>.allocate(capacity: pieces))
            defer { results.value.deallocate() }
            let base = UncheckedSendable(raw)
            DispatchQueue.concurrentPerform(iterations: pieces) { i in
                let start = i * size, count = Swift.max(0, Swift.min(size, base.value.count - start))
                var crc: uLong = CZlib.crc32(0, nil, 0)
                var offset = 0
                while offset < count {   // zlib takes at most 4 GiB per call
                    let chunk = Swift.min(count - offset, 1 << 30)
                    crc = CZlib.crc32(crc, base.value.baseAddress!.assumingMemoryBound(to: Bytef.self) + start + offset, uInt(chunk))
                    offset += chunk
                }
                results.value[i] = crc
            }
            var crc = results.value[0]
            for i in 1..<pieces {
                let count = Swift.max(0, Swift.min(size, raw.count - i * size))
                crc = crc32_combine(crc, results.value[i], off_t(count))
            }
            return UInt32(crc)
        }
    }

    /// A zip archive of stored (uncompressed) or deflated entries.
    public static func write(_ files: [(name: String, data: Data)], compressed: Bool, file: String) throws -> Data {
        var archive = Data()
        var directory = Data()
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        for (name, contents) in files {
            let crc = Int(crc32(contents))
            let body = compressed ? try deflate(contents, file: file, entry: name) : contents
            guard body.count < 0xFFFF_FFFF, contents.count < 0xFFFF_FFFF, archive.count < 0xFFFF_FFFF else {
                throw NumPyFormatError(.unwritable, file: file, entry: name, "entry or archive larger than 4 GiB (ZIP64 writing is not supported)")
            }
            let nameBytes = Array(name.utf8)
            let method = compressed ? 8 : 0
            let offset = archive.count
            archive.append(contentsOf: le32(0x0403_4B50) + le16(20) + le16(0) + le16(method) + le16(0) + le16(0x21)
                           + le32(crc) + le32(body.count) + le32(contents.count) + le16(nameBytes.count) + le16(0))
            archive.append(contentsOf: nameBytes)
            archive.append(body)
            directory.append(contentsOf: le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(method) + le16(0) + le16(0x21)
                             + le32(crc) + le32(body.count) + le32(contents.count) + le16(nameBytes.count)
                             + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset))
            directory.append(contentsOf: nameBytes)
        }
        let directoryOffset = archive.count
        archive.append(directory)
        archive.append(contentsOf: le32(0x0605_4B50) + le16(0) + le16(0) + le16(files.count) + le16(files.count)
                       + le32(directory.count) + le32(directoryOffset) + le16(0))
        return archive
    }

    private static func deflate(_ input: Data, file: String, entry: String) throws -> Data {
        var stream = z_stream()
        guard deepswift_deflateInit2(&stream, Z_DEFAULT_COMPRESSION, -15) == Z_OK else {
            throw NumPyFormatError(.unwritable, file: file, entry: entry, "zlib could not start deflating")
        }
        defer { deflateEnd(&stream) }
        var output = Data(count: Int(deflateBound(&stream, uLong(input.count))))
        var input = input
        let status: Int32 = input.withUnsafeMutableBytes { source in
            output.withUnsafeMutableBytes { target in
                stream.next_in = source.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(target.count)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else {
            throw NumPyFormatError(.unwritable, file: file, entry: entry, "zlib deflate failed (status \(status))")
        }
        output.count = Int(stream.total_out)
        return output
    }
}
