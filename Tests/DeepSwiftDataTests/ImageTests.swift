import DeepSwiftData
import DeepSwiftTensor
import DeepSwiftTestSupport
import DeepSwiftVision
import Foundation
import Testing

@Suite struct ImageTests {
    static func gradient(_ h: Int, _ w: Int, _ c: Int) -> Image {
        Image(width: w, height: h, channels: c, pixels: (0..<(h * w * c)).map { UInt8(($0 * 7) % 256) })
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("deepswift-images-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func pngIsLosslessAndJPEGIsClose() throws {
        for c in [1, 3] {
            let image = Self.gradient(13, 17, c)
            #expect(try Image.decode(image.pngData(), channels: c) == image)
            let smooth = Image(width: 32, height: 24, channels: c, pixels: (0..<(24 * 32 * c)).map { UInt8(($0 / c) % 32 * 4 + 40) })
            let jpeg = try Image.decode(smooth.jpegData(quality: 95), channels: c)
            #expect(jpeg.width == 32 && jpeg.height == 24)
            let error = zip(jpeg.pixels, smooth.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / jpeg.pixels.count
            #expect(error < 6, "mean JPEG error \(error)")
        }
        // RGB decoded as gray and the reverse work; a non-image is an error naming the file.
        #expect(try Image.decode(Self.gradient(5, 5, 3).pngData(), channels: 1).channels == 1)
        #expect(throws: DataError.self) { try Image.decode(Data("GIF89a".utf8), file: "x.gif") }
        #expect(throws: DataError.self) { try Image.decode(Data([0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0, 1, 2]), file: "cut.png") }
        #expect(throws: DataError.self) { try Image.decode(Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 1]), file: "cut.jpg") }
    }

    @Test func resizingAveragesWhenShrinking() {
        let constant = Image(width: 20, height: 10, channels: 3, pixels: Array(repeating: 77, count: 600))
        #expect(constant.resized(height: 7, width: 13).pixels.allSatisfy { $0 == 77 })
        // A checkerboard of 0 and 254 halved: away from the border (where the filter is clipped)
        // every output pixel is the average, 127, not a sample of one square (aliasing).
        let board = Image(width: 8, height: 8, channels: 1, pixels: (0..<64).map { ($0 / 8 + $0 % 8) % 2 == 0 ? 0 : 254 })
        let half = board.resized(height: 4, width: 4).pixels
        for y in 1..<3 { for x in 1..<3 { #expect(half[y * 4 + x] == 127) } }
        let up = Self.gradient(4, 4, 1).resized(height: 9, width: 11)
        #expect(up.width == 11 && up.height == 9)
        #expect(Self.gradient(3, 4, 3).tensor().shape == [3, 3, 4])
    }

    @Test func imageFoldersLoadWithLabelsAndNameBadFiles() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (k, name) in ["cat", "dog"].enumerated() {
            try FileManager.default.createDirectory(atPath: "\(root)/\(name)", withIntermediateDirectories: true)
            for i in 0..<3 {
                let image = Image(width: 12, height: 10, channels: 3, pixels: Array(repeating: UInt8(40 * k + 10 * i), count: 360))
                try (i == 2 ? image.jpegData(quality: 100) : image.pngData()).write(to: URL(fileURLWithPath: "\(root)/\(name)/\(i).\(i == 2 ? "jpg" : "png")"))
            }
        }
        let folder = try ImageFolder(root)
        #expect(folder.classes == ["cat", "dog"] && folder.files.count == 6)
        let data = try folder.load(height: 5, width: 6, channels: 3)
        #expect(data.features.shape == [6, 3, 5, 6])
        #expect(data.labels.scalars(as: Int64.self) == [0, 0, 0, 1, 1, 1])
        expectClose(data.features[4], Tensor.full([3, 5, 6], value: 50.0 / 255, dtype: .float32), rtol: 0, atol: 1e-6)
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: "\(root)/dog/broken.png"))
        let broken = try ImageFolder(root)
        do {
            _ = try broken.load(height: 5, width: 6)
            Issue.record("a broken file must be reported")
        } catch let error as DataError {
            #expect(error.description.contains("broken.png"))
        }
        #expect(try broken.load(height: 5, width: 6, badFiles: .skip).count == 6)
        #expect(throws: DataError.self) { try ImageFolder(root + "/missing") }
    }

    @Test func augmentationIsSeededAndFlipsExactly() {
        var rng = PhiloxGenerator(seed: 1)
        let batch = Tensor.uniform([4, 3, 6, 6], using: &rng)
        let augment = ImageAugmentation(flipHorizontal: true, cropPadding: 1, maxRotationDegrees: 10, brightness: 0.1, contrast: 0.1)
        var a = PhiloxGenerator(seed: 9), b = PhiloxGenerator(seed: 9)
        #expect(augment.apply(batch, using: &a) == augment.apply(batch, using: &b))
        // Flip only: each image is either itself or its mirror image.
        var r = PhiloxGenerator(seed: 3)
        let flipped = ImageAugmentation(flipHorizontal: true).apply(batch, using: &r)
        let mirrored = batch.flipped(axes: [3])
        for i in 0..<4 { #expect(flipped[i] == batch[i] || flipped[i] == mirrored[i]) }
    }
}
