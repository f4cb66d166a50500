import DeepSwiftTensor

/// An in-memory data set: features `[N, ...]` and labels `[N]` (or `[N, ...]`).
///
/// ```swift
/// let (train, test) = try MNIST.load()
/// for batch in train.batches(size: 128, shuffleSeed: 42, epoch: 0) {
///     // batch.features: [128, 784], batch.labels: [128]
/// }
/// ```
public struct DataSet: Sendable {
    public let features: Tensor
    public let labels: Tensor

    public init(features: Tensor, labels: Tensor) {
        tensorCheck(features.shape.first == labels.shape.first,
                    "DataSet: features \(features.shape) and labels \(labels.shape) have different numbers of samples")
        self.features = features
        self.labels = labels
    }

    public var count: Int { features.shape.first ?? 0 }

    /// One minibatch.
    public struct Batch: Sendable {
        public let features: Tensor
        public let labels: Tensor
        public var count: Int { features.shape[0] }

        public init(features: Tensor, labels: Tensor) {
            self.features = features
            self.labels = labels
        }
    }

    /// The first `n` samples.
    public func prefix(_ n: Int) -> DataSet {
        let n = Swift.min(n, count)
        return DataSet(features: features.narrowed(axis: 0, start: 0, length: n).contiguous(),
                       labels: labels.narrowed(axis: 0, start: 0, length: n).contiguous())
    }

    /// The sample order of one epoch: a permutation drawn from `(seed, epoch)`. Every batching API
    /// (``batches(size:shuffleSeed:epoch:dropLast:)``, ``MultiDataSet``, ``BatchIterator``) uses it,
    /// so the same seed and epoch give the same order everywhere.
    public static func epochOrder(count: Int, seed: UInt64, epoch: Int) -> [Int64] {
        var rng = PhiloxGenerator(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(epoch + 1))
        return Tensor.permutation(count, using: &rng).scalars(as: Int64.self)
    }

    /// Minibatches in order, or shuffled with a permutation drawn from `(shuffleSeed, epoch)` —
    /// the same seed and epoch always give the same order.
    public func batches(size: Int, shuffleSeed: UInt64? = nil, epoch: Int = 0, dropLast: Bool = false) -> [Batch] {
        MultiDataSet(features: [features], labels: [labels]).batches(size: size, shuffleSeed: shuffleSeed, epoch: epoch, dropLast: dropLast)
            .map { Batch(features: $0.features[0], labels: $0.labels[0]) }
    }
}
