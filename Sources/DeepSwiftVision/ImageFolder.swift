import DeepSwiftData
import DeepSwiftTensor
import Dispatch
import Foundation

/// A folder of images sorted into one subfolder per class (DataVec's ImageRecordReader with a
/// parent-path label generator): `root/cat/1.jpg`, `root/dog/2.png` ... Classes are the
/// subfolder names in sorted order.
///
/// ```swift
/// let folder = try ImageFolder("data/train")
/// let data = try folder.load(height: 64, width: 64, channels: 3)   // float32 [N, 3, 64, 64] in [0, 1], labels [N]
/// ```
public struct ImageFolder: Sendable {
    public let root: String
    public let classes: [String]
    /// Every image file and its class index, in class then file-name order.
    public let files: [(path: String, label: Int)]
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    public init(_ root: String) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError.unreadable(file: root, reason: "not a directory")
        }
        let subfolders = try manager.contentsOfDirectory(atPath: root).filter { name in
            var dir: ObjCBool = false
            return !name.hasPrefix(".") && manager.fileExists(atPath: root + "/" + name, isDirectory: &dir) && dir.boolValue
        }.sorted()
        var files: [(String, Int)] = []
        for (label, name) in subfolders.enumerated() {
            let images = try manager.contentsOfDirectory(atPath: root + "/" + name)
                .filter { Self.extensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
            files += images.map { (root + "/" + name + "/" + $0, label) }
        }
        guard !files.isEmpty else {
            throw DataError.notFound(dataset: "images", searched: [root],
                                     hint: "Expected one subfolder per class holding .png or .jpg files, e.g. \(root)/cat/1.jpg.")
        }
        self.root = root
        classes = subfolders
        self.files = files
    }

    /// Decodes and resizes every image (in parallel) into float32 `[N, channels, height, width]`
    /// scaled to [0, 1], with int64 labels. A file that is not a valid image is an error naming it
    /// (or, with `.skip`, left out).
    public func load(height: Int, width: Int, channels: Int = 3, badFiles: BadRecordPolicy = .fail) throws -> DataSet {
        let count = files.count, size = channels * height * width
        var pixels = [UInt8](repeating: 0, count: count * size)
        var failures = [DataError?](repeating: nil, count: count)
        let files = self.files
        pixels.withUnsafeMutableBufferPointer { out in
            failures.withUnsafeMutableBufferPointer { errors in
                let out = UncheckedSendable(out.baseAddress!), errors = UncheckedSendable(errors.baseAddress!)
                Parallel.forRanges(count, grain: 16) { range in
                    for i in range {
                        do {
                            let planes = try Image.read(files[i].path, channels: channels, minimumSize: (height, width))
                                .resized(height: height, width: width).planes()
                            (out.value + i * size).update(from: planes, count: size)
                        } catch let error as DataError {
                            errors.value[i] = error
                        } catch {
                            errors.value[i] = .unreadable(file: files[i].path, reason: "\(error)")
                        }
                    }
                }
            }
        }
        var keep = Array(0..<count)
        if let first = failures.firstIndex(where: { $0 != nil }) {
            guard badFiles == .skip else { throw failures[first]! }
            keep = keep.filter { failures[$0] == nil }
        }
        let images = Tensor(pixels, shape: [count, channels, height, width])
        let labels = Tensor(files.map { Int64($0.label) })
        let index = Tensor(keep.map(Int64.init))
        return DataSet(features: images.indexSelect(axis: 0, indices: index).cast(to: .float32) / 255,
                       labels: labels.indexSelect(axis: 0, indices: index))
    }
}

extension ImageFolder {
    /// Batches decoded on a background thread while training runs (memory bounded by `prefetch`
    /// batches, whatever the number of files): for folders too large to ``load(height:width:channels:badFiles:)``.
    /// Shuffled per epoch from `(shuffleSeed, epoch)`; features float32 `[B, C, H, W]` in [0, 1]. A
    /// file that cannot be decoded ends the iteration with the iterator's `error` naming it
    /// (`badFiles: .fail`), or is left out of its batch (`.skip`).
    ///
    /// ```swift
    /// for batch in try folder.batches(size: 64, height: 64, width: 64, shuffleSeed: 1, epoch: e) { step(batch) }
    /// ```
    public func batches(size: Int, height: Int, width: Int, channels: Int = 3, shuffleSeed: UInt64? = nil, epoch: Int = 0,
                        prefetch: Int = 4, badFiles: BadRecordPolicy = .fail) -> BatchIterator {
        // An index data set: the "features" are file numbers, decoded per batch by the transform.
        let indices = DataSet(features: Tensor((0..<files.count).map { Int64($0) }).reshaped([-1, 1]),
                              labels: Tensor(files.map { Int64($0.label) }))
        let files = self.files
        return BatchIterator(indices, batchSize: size, shuffleSeed: shuffleSeed, epoch: epoch, prefetch: prefetch) { batch in
            let numbers = batch.features.scalars(as: Int64.self)
            var pixels: [Float] = []
            var labels: [Int64] = []
            pixels.reserveCapacity(numbers.count * channels * height * width)
            for n in numbers {
                let image: Image
                do {
                    image = try Image.read(files[Int(n)].path, channels: channels, minimumSize: (height, width)).resized(height: height, width: width)
                } catch {
                    if badFiles == .skip { continue }
                    throw error
                }
                pixels += image.planes().map { Float($0) / 255 }
                labels.append(Int64(files[Int(n)].label))
            }
            return DataSet.Batch(features: Tensor(pixels, shape: [labels.count, channels, height, width]), labels: Tensor(labels, shape: [labels.count]))
        }
    }
}
