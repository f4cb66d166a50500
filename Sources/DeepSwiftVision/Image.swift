import CImageCodecs
import DeepSwiftData
import DeepSwiftTensor
import Foundation

/// An 8-bit image in memory: `height × width × channels` bytes, rows top to bottom (HWC).
///
/// ```swift
/// let image = try Image.read("cat.jpg", channels: 3)        // PNG or JPEG, by content
/// let small = image.resized(height: 64, width: 64)
/// let chw = small.tensor()                                   // uint8 [3, 64, 64]
/// ```
public struct Image: Sendable, Equatable {
    public var width: Int, height: Int, channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels, "Image: \(pixels.count) bytes for \(height)×\(width)×\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// Reads a PNG or JPEG file (recognized by its signature), as 1 (gray) or 3 (RGB) channels.
    /// `minimumSize` lets JPEG decoding scale down by 1/2, 1/4 or 1/8 while both sides stay at
    /// least that large (much faster when the image will be shrunk anyway).
    public static func read(_ path: String, channels: Int = 3, minimumSize: (height: Int, width: Int)? = nil) throws -> Image {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw DataError.unreadable(file: path, reason: FileManager.default.fileExists(atPath: path) ? error.localizedDescription : "no such file")
        }
        return try decode(data, file: path, channels: channels, minimumSize: minimumSize)
    }

    /// Decodes PNG or JPEG bytes (`file` names them in errors).
    public static func decode(_ data: Data, file: String = "<memory>", channels: Int = 3,
                              minimumSize: (height: Int, width: Int)? = nil) throws -> Image {
        precondition(channels == 1 || channels == 3, "Image: channels must be 1 or 3, got \(channels)")
        let bytes = [UInt8](data.prefix(8))
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try decodePNG(data, file: file, channels: channels) }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return try decodeJPEG(data, file: file, channels: channels, minimumSize: minimumSize) }
        throw DataError.badHeader(file: file, field: "image signature", expected: "PNG (89 50 4E 47) or JPEG (FF D8 FF)",
                                  actual: bytes.prefix(4).map { String(format: "%02X", $0) }.joined(separator: " "))
    }

    static func decodePNG(_ data: Data, file: String, channels: Int) throws -> Image {
        var image = png_image()
        image.version = png_uint_32(ds_png_image_version())
        let ok = data.withUnsafeBytes { raw in png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) }
        guard ok != 0 else { throw pngError(&image, file) }
        image.format = channels == 1 ? ds_png_format_gray() : ds_png_format_rgb()
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width * height <= 1 << 28 else {
            png_image_free(&image)
            throw DataError.badHeader(file: file, field: "PNG size", expected: "1 to 2^28 pixels", actual: "\(width)×\(height)")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let finished = data.withUnsafeBytes { _ in
            pixels.withUnsafeMutableBytes { out in png_image_finish_read(&image, nil, out.baseAddress, png_int_32(width * channels), nil) }
        }
        guard finished != 0 else { throw pngError(&image, file) }
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }

    static func pngError(_ image: inout png_image, _ file: String) -> DataError {
        let message = withUnsafeBytes(of: &image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        png_image_free(&image)
        return DataError.unreadable(file: file, reason: "invalid PNG: \(message)")
    }

    static func decodeJPEG(_ data: Data, file: String, channels: Int, minimumSize: (height: Int, width: Int)?) throws -> Image {
        guard let handle = tjInitDecompress() else { throw DataError.unreadable(file: file, reason: "cannot start the JPEG decoder") }
        defer { tjDestroy(handle) }
        func failure() -> DataError { DataError.unreadable(file: file, reason: "invalid JPEG: \(String(cString: tjGetErrorStr2(handle)))") }
        return try data.withUnsafeBytes { raw -> Image in
            let source = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            guard tjDecompressHeader3(handle, source, UInt(raw.count), &width, &height, &subsampling, &colorspace) == 0 else { throw failure() }
            guard width > 0, height > 0, Int(width) * Int(height) <= 1 << 28 else {
                throw DataError.badHeader(file: file, field: "JPEG size", expected: "1 to 2^28 pixels", actual: "\(width)×\(height)")
            }
            // The smallest libjpeg scale (8/8, 4/8, 2/8, 1/8) that keeps both sides ≥ the minimum.
            var scaledWidth = Int(width), scaledHeight = Int(height)
            if let minimumSize {
                for denominator in [8, 4, 2] {
                    let w = (Int(width) + denominator - 1) / denominator, h = (Int(height) + denominator - 1) / denominator
                    if w >= minimumSize.width && h >= minimumSize.height { scaledWidth = w; scaledHeight = h; break }
                }
            }
            var pixels = [UInt8](repeating: 0, count: scaledWidth * scaledHeight * channels)
            let format = channels == 1 ? TJPF_GRAY : TJPF_RGB
            let status = pixels.withUnsafeMutableBufferPointer { out in
                tjDecompress2(handle, source, UInt(raw.count), out.baseAddress, Int32(scaledWidth), 0, Int32(scaledHeight),
                              Int32(format.rawValue), Int32(TJFLAG_FASTDCT))
            }
            guard status == 0 else { throw failure() }
            return Image(width: scaledWidth, height: scaledHeight, channels: channels, pixels: pixels)
        }
    }

    /// PNG bytes of the image.
    public func pngData() throws -> Data {
        var image = png_image()
        image.version = png_uint_32(ds_png_image_version())
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = channels == 1 ? ds_png_format_gray() : ds_png_format_rgb()
        var size: Int = 0
        guard pixels.withUnsafeBytes({ png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, png_int_32(width * channels), nil) }) != 0 else {
            throw DataError.unreadable(file: "<png encoder>", reason: "cannot encode")
        }
        var out = Data(count: size)
        let ok = out.withUnsafeMutableBytes { o in
            pixels.withUnsafeBytes { png_image_write_to_memory(&image, o.baseAddress, &size, 0, $0.baseAddress, png_int_32(width * channels), nil) }
        }
        guard ok != 0 else { throw DataError.unreadable(file: "<png encoder>", reason: "cannot encode") }
        return out.prefix(size)
    }

    /// JPEG bytes of the image (quality 1–100).
    public func jpegData(quality: Int = 90) throws -> Data {
        guard let handle = tjInitCompress() else { throw DataError.unreadable(file: "<jpeg encoder>", reason: "cannot start") }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32((channels == 1 ? TJPF_GRAY : TJPF_RGB).rawValue),
                        &buffer, &size, Int32(channels == 1 ? TJSAMP_GRAY.rawValue : TJSAMP_420.rawValue), Int32(quality), 0)
        }
        defer { tjFree(buffer) }
        guard status == 0, let buffer else { throw DataError.unreadable(file: "<jpeg encoder>", reason: String(cString: tjGetErrorStr2(handle))) }
        return Data(bytes: buffer, count: Int(size))
    }

    /// The pixels plane by plane (CHW, the layout networks take) instead of interleaved (HWC).
    public func planes() -> [UInt8] {
        if channels == 1 { return pixels }
        let area = width * height
        var out = [UInt8](repeating: 0, count: pixels.count)
        for c in 0..<channels { for p in 0..<area { out[c * area + p] = pixels[p * channels + c] } }
        return out
    }

    /// `[channels, height, width]` uint8.
    public func tensor() -> Tensor { Tensor(planes(), shape: [channels, height, width]) }
}
