import DeepSwiftData
import DeepSwiftTensor
import DeepSwiftTestSupport
import Foundation
import Testing

@Suite struct TabularTests {
    static func iris() throws -> TabularData { try TabularData(CSV.read(Fixtures.path("data/iris.csv"))) }

    @Test func typesAreInferredAndTransformsRoundTripThroughJSON() throws {
        let data = try Self.iris()
        #expect(data.rowCount == 150 && data.names.last == "species")
        guard case .text(let species) = data.columns[4], case .numeric(let first) = data.columns[0] else {
            Issue.record("species is text and sepal_length numeric")
            return
        }
        #expect(Set(species.compactMap { $0 }) == ["setosa", "versicolor", "virginica"] && first[0] == 5.1)
        var process = TransformProcess([
            .renameColumn(from: "sepal_length", to: "sl"),
            .derived(name: "ratio", left: "petal_length", op: .divide, right: "petal_width"),
            .categoricalToOneHot(column: "species", categories: nil),
            .math(column: "sl", op: .multiply, value: 10),
            .removeColumns(["sepal_width"]),
        ])
        let out = try process.fitApply(data)
        #expect(out.names == ["sl", "petal_length", "petal_width", "species=setosa", "species=versicolor", "species=virginica", "ratio"])
        #expect(try out.numeric("sl")[0] == 51)
        #expect(try out.numeric("species=virginica")[149] == 1)
        let restored = try TransformProcess(json: process.json())
        #expect(restored == process)
        #expect(try restored.apply(data) == out)
        // An unseen category names its file, line and column.
        var other = data
        other.columns[4] = .text(species.enumerated().map { $0.offset == 7 ? "unknown" : $0.element })
        do {
            _ = try restored.apply(other)
            Issue.record("an unseen category must be rejected")
        } catch let DataError.malformedRecord(_, line, column, _, actual) {
            #expect(line == 9 && column == "'species'" && actual == "'unknown'")
        }
    }

    @Test func normalizersInvertAndSplitsStratify() throws {
        var rng = PhiloxGenerator(seed: 2)
        let x = Tensor.normal([200, 3], mean: 5, std: 3, dtype: .float64, using: &rng)
        let standard = Normalizer.standardize(fitting: x)
        let z = standard.transform(x)
        expectClose(z.mean(axis: 0), Tensor.zeros([3], dtype: .float64), rtol: 0, atol: 1e-12)
        expectClose(standard.inverse(z), x, rtol: 1e-12, atol: 1e-12)
        let scaled = Normalizer.minMax(fitting: x, low: -1, high: 1).transform(x)
        #expect(scaled.min().item(as: Double.self) == -1 && abs(scaled.max().item(as: Double.self) - 1) < 1e-12)
        // Per channel for images [N, C, H, W].
        let images = Tensor.uniform([4, 2, 3, 3], dtype: .float64, using: &rng) + Tensor([0.0, 10.0], shape: [1, 2, 1, 1])
        let perChannel = Normalizer.standardize(fitting: images).transform(images)
        expectClose(perChannel.mean(axes: [0, 2, 3]), Tensor.zeros([2], dtype: .float64), rtol: 0, atol: 1e-12)
        let decoded = try JSONDecoder().decode(Normalizer.self, from: JSONEncoder().encode(standard))
        #expect(decoded == standard)

        let labels = Tensor((0..<150).map { Int64($0 / 50) })
        let data = DataSet(features: Tensor.arange(150, dtype: .float32).reshaped([150, 1]), labels: labels)
        let parts = data.split([0.8, 0.2], seed: 1, stratified: true)
        #expect(parts[0].count == 120 && parts[1].count == 30)
        let testCounts = (0..<3).map { c in parts[1].labels.scalars(as: Int64.self).filter { $0 == c }.count }
        #expect(testCounts == [10, 10, 10])
        let all = Set(parts.flatMap { $0.features.scalars(as: Float.self) })
        #expect(all.count == 150)
    }

    @Test func prefetchingIteratorYieldsEverySampleOnceAndStopsEarly() {
        let data = DataSet(features: Tensor.arange(103, dtype: .float32).reshaped([103, 1]), labels: Tensor.zeros([103], dtype: .int64))
        var seen: [Float] = []
        var sizes: [Int] = []
        for batch in BatchIterator(data, batchSize: 10, shuffleSeed: 7, epoch: 1, prefetch: 3) {
            seen += batch.features.scalars(as: Float.self)
            sizes.append(batch.count)
        }
        #expect(seen.sorted() == (0..<103).map(Float.init) && seen != seen.sorted())
        #expect(sizes == Array(repeating: 10, count: 10) + [3])
        // Same seed and epoch: same order as the in-memory batches.
        let reference = data.batches(size: 10, shuffleSeed: 7, epoch: 1).flatMap { $0.features.scalars(as: Float.self) }
        #expect(seen == reference)
        // Leaving early must not block (the producer is cancelled when the iterator goes away).
        var iterator: BatchIterator? = BatchIterator(data, batchSize: 1, prefetch: 1)
        _ = iterator?.next()
        iterator = nil
        #expect(BatchIterator(data, batchSize: 50, dropLast: true).map(\.count) == [50, 50])
    }
}
