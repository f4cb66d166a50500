import DeepSwiftTensor

/// Samples with several inputs and several targets (DL4J's MultiDataSet), for graph models with
/// more than one input or output: every tensor's first axis is the sample axis.
///
/// ```swift
/// let data = MultiDataSet(features: [images, metadata], labels: [classes, boxes])
/// for batch in data.batches(size: 32, shuffleSeed: 1, epoch: 0) { model(batch.features) }
/// ```
public struct MultiDataSet: Sendable {
    public let features: [Tensor]
    public let labels: [Tensor]

    public init(features: [Tensor], labels: [Tensor]) {
        let counts = (features + labels).map { $0.shape.first ?? 0 }
        tensorCheck(!features.isEmpty && Set(counts).count <= 1,
                    "MultiDataSet: every input and target needs the same number of samples, got shapes \((features + labels).map(\.shape))")
        self.features = features
        self.labels = labels
    }

    public var count: Int { features.first?.shape.first ?? 0 }

    public struct Batch: Sendable {
        public let features: [Tensor]
        public let labels: [Tensor]
        public var count: Int { features.first?.shape.first ?? 0 }
    }

    /// Minibatches, shuffled with a permutation drawn from `(shuffleSeed, epoch)` (same order as
    /// ``DataSet/batches(size:shuffleSeed:epoch:dropLast:)`` for the same seed and epoch).
    public func batches(size: Int, shuffleSeed: UInt64? = nil, epoch: Int = 0, dropLast: Bool = false) -> [Batch] {
        tensorCheck(size > 0, "batches: batch size must be positive, got \(size)")
        let order = shuffleSeed.map { DataSet.epochOrder(count: count, seed: $0, epoch: epoch) }
        var result: [Batch] = []
        var start = 0
        while start < count {
            let n = Swift.min(size, count - start)
            if n < size && dropLast { break }
            func take(_ t: Tensor) -> Tensor {
                if let order { return t.indexSelect(axis: 0, indices: Tensor(Array(order[start..<(start + n)]))) }
                return t.narrowed(axis: 0, start: start, length: n).contiguous()
            }
            result.append(Batch(features: features.map(take), labels: labels.map(take)))
            start += n
        }
        return result
    }
}
