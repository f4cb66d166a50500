import DeepSwiftTensor
import Dispatch
import Foundation

/// Minibatches prepared on a background thread while the caller trains on the previous ones
/// (DL4J's AsyncDataSetIterator). At most `prefetch` batches wait in memory, whatever the size of
/// the data set; `transform` (augmentation, normalization, decoding) runs on the background thread
/// too. If `transform` throws, the iteration ends early and ``error`` holds what went wrong:
/// check it after the loop.
///
/// ```swift
/// for batch in BatchIterator(train, batchSize: 64, shuffleSeed: 1, epoch: e, prefetch: 4) { step(batch) }
/// ```
public final class BatchIterator: Sequence, IteratorProtocol {
    /// Shared with the producer thread (which must not keep the iterator alive).
    private final class State: @unchecked Sendable {
        let lock = NSCondition()
        var queue: [DataSet.Batch] = []
        var finished = false
        var cancelled = false
        var error: (any Error)?
        let capacity: Int
        init(capacity: Int) { self.capacity = capacity }
    }
    private let state: State

    /// - Parameters:
    ///   - shuffleSeed: shuffles with a permutation drawn from `(shuffleSeed, epoch)`; nil keeps the order.
    ///   - prefetch: how many prepared batches may wait.
    public init(_ data: DataSet, batchSize: Int, shuffleSeed: UInt64? = nil, epoch: Int = 0, dropLast: Bool = false,
                prefetch: Int = 2, transform: (@Sendable (DataSet.Batch) throws -> DataSet.Batch)? = nil) {
        tensorCheck(batchSize > 0 && prefetch > 0, "BatchIterator: batch size and prefetch must be positive, got \(batchSize), \(prefetch)")
        let state = State(capacity: prefetch)
        self.state = state
        let order: [Int]? = shuffleSeed.map { DataSet.epochOrder(count: data.count, seed: $0, epoch: epoch).map(Int.init) }
        Thread.detachNewThread {
            var start = 0
            while start < data.count {
                let n = Swift.min(batchSize, data.count - start)
                if n < batchSize && dropLast { break }
                let batch: DataSet.Batch
                if let order {
                    let part = data.subset(Array(order[start..<(start + n)]))
                    batch = DataSet.Batch(features: part.features, labels: part.labels)
                } else {
                    batch = DataSet.Batch(features: data.features.narrowed(axis: 0, start: start, length: n).contiguous(),
                                          labels: data.labels.narrowed(axis: 0, start: start, length: n).contiguous())
                }
                let ready: DataSet.Batch
                do { ready = try transform?(batch) ?? batch } catch {
                    state.lock.lock()
                    state.error = error
                    state.finished = true
                    state.lock.broadcast()
                    state.lock.unlock()
                    return
                }
                state.lock.lock()
                while state.queue.count >= state.capacity && !state.cancelled { state.lock.wait() }
                if state.cancelled { state.lock.unlock(); return }
                state.queue.append(ready)
                state.lock.broadcast()
                state.lock.unlock()
                start += n
            }
            state.lock.lock()
            state.finished = true
            state.lock.broadcast()
            state.lock.unlock()
        }
    }

    /// Stops the producer (it finishes the batch it is preparing, then exits).
    deinit {
        state.lock.lock()
        state.cancelled = true
        state.lock.broadcast()
        state.lock.unlock()
    }

    /// Why the iteration ended early (a failing `transform`), or nil.
    public var error: (any Error)? {
        state.lock.lock()
        defer { state.lock.unlock() }
        return state.error
    }

    public func next() -> DataSet.Batch? {
        state.lock.lock()
        defer { state.lock.unlock() }
        while state.queue.isEmpty && !state.finished { state.lock.wait() }
        guard !state.queue.isEmpty else { return nil }
        let batch = state.queue.removeFirst()
        state.lock.broadcast()
        return batch
    }
}
