import DeepSwiftData
import DeepSwiftTensor
import DeepSwiftTestSupport
import Foundation
import Testing

/// The MNIST/IDX loader: real files from ../shared/data/mnist (or DEEPSWIFT_DATA), and every
/// error path on files written here.
@Suite struct MNISTTests {
    static var dataDirectory: String? { Fixtures.mnistDirectory }

    @Test(.enabled(if: MNISTTests.dataDirectory != nil, "MNIST files not found"))
    func loadsTheRealFiles() throws {
        let (train, test) = try MNIST.load(directory: Self.dataDirectory)
        #expect(train.features.shape == [60000, 784] && train.labels.shape == [60000])
        #expect(test.features.shape == [10000, 784] && test.labels.shape == [10000])
        #expect(train.features.dtype == .float32 && train.labels.dtype == .int64)
        #expect(train.features.min().scalarValue == 0 && train.features.max().scalarValue == 1)
        // The first training labels of MNIST are 5, 0, 4, 1, 9.
        #expect(train.labels[..<5].scalars(as: Int64.self) == [5, 0, 4, 1, 9])
        let counts = (0..<10).map { (train.labels .== Double($0)).cast(to: .int64).sum().scalarValue }
        #expect(counts.reduce(0, +) == 60000 && counts.min()! > 5000)
        let images = try MNIST.load(directory: Self.dataDirectory, flatten: false).test.features
        #expect(images.shape == [10000, 1, 28, 28])
    }

    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("deepswift-mnist-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func idx(rank: Int, shape: [Int], type: UInt8 = 0x08, payload: Int? = nil) -> Data {
        var data = Data([0, 0, type, UInt8(rank)])
        for d in shape { data.append(contentsOf: [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)]) }
        data.append(Data(repeating: 3, count: payload ?? shape.reduce(1, *)))
        return data
    }

    @Test func validatesHeadersAndSizes() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func write(_ name: String, _ data: Data) -> String {
            let path = dir + "/" + name
            _ = FileManager.default.createFile(atPath: path, contents: data)
            return path
        }
        let good = write("good", idx(rank: 3, shape: [2, 28, 28]))
        #expect(try IDXFile.read(good, expectedRank: 3).shape == [2, 28, 28])
        let cases: [(Data, String)] = [
            (Data([1, 2, 8, 3]), "magic number"),
            (idx(rank: 3, shape: [2, 28, 28], type: 0x0D), "element type"),
            (idx(rank: 1, shape: [2]), "rank"),
            (idx(rank: 3, shape: [2, 28, 28], payload: 100), "truncated"),
            (idx(rank: 3, shape: [2, 28, 28], payload: 2000), "file size"),
            (Data([0, 0]), "truncated"),
        ]
        for (index, (data, fragment)) in cases.enumerated() {
            let path = write("bad\(index)", data)
            do {
                _ = try IDXFile.read(path, expectedRank: 3)
                Issue.record("case \(index) should fail with \(fragment)")
            } catch let error as DataError {
                #expect(error.description.contains(fragment) && error.description.contains(path), "\(error)")
            }
        }
        // A corrupt gzip stream is an error, not a crash.
        let gz = write("broken.gz", Data([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]))
        #expect(throws: DataError.self) { try IDXFile.read(gz) }
    }

    @Test func missingDataSaysWhereItLooked() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            _ = try MNIST.load(directory: dir)
            Issue.record("an empty directory must not load")
        } catch let error as DataError {
            #expect(error.description.contains(dir))
            #expect(error.description.contains("DEEPSWIFT_DATA") && error.description.contains("--data"))
        }
        // Labels that disagree with the images are reported.
        for (name, data) in [(MNIST.trainImages, idx(rank: 3, shape: [3, 28, 28])), (MNIST.trainLabels, idx(rank: 1, shape: [2])),
                             (MNIST.testImages, idx(rank: 3, shape: [1, 28, 28])), (MNIST.testLabels, idx(rank: 1, shape: [1]))] {
            _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: data)
        }
        #expect(throws: DataError.self) { try MNIST.load(directory: dir) }
        #expect(MNIST.searchPath().contains { $0.hasSuffix("shared/data/mnist") })
    }

    @Test func batchesAreDeterministicAndCoverEverySample() {
        let data = DataSet(features: Tensor.arange(0, 10, step: 1, dtype: .float32).reshaped([10, 1]), labels: Tensor.arange(10))
        let a = data.batches(size: 4, shuffleSeed: 7, epoch: 0), b = data.batches(size: 4, shuffleSeed: 7, epoch: 0)
        #expect(a.map(\.count) == [4, 4, 2])
        #expect(a.flatMap { $0.labels.scalars(as: Int64.self) } == b.flatMap { $0.labels.scalars(as: Int64.self) })
        #expect(a.flatMap { $0.labels.scalars(as: Int64.self) }.sorted() == Array(0..<10))
        let nextEpoch = data.batches(size: 4, shuffleSeed: 7, epoch: 1).flatMap { $0.labels.scalars(as: Int64.self) }
        #expect(nextEpoch != a.flatMap { $0.labels.scalars(as: Int64.self) }, "each epoch has its own order")
        #expect(data.batches(size: 4, dropLast: true).count == 2)
        for batch in a { #expect(batch.features.reshaped([-1]).scalars(as: Float.self) == batch.labels.scalars(as: Float.self)) }
    }
}
