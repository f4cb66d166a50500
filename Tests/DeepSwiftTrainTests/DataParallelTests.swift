import DeepSwiftAutodiff
import DeepSwiftData
import DeepSwiftNN
import DeepSwiftOptim
import DeepSwiftTensor
import DeepSwiftTestSupport
import DeepSwiftTrain
import Foundation
import Testing

/// Synchronous data parallelism on in-process groups (threads): N members with a global batch B
/// end with the weights of one member with batch B.
@Suite struct DataParallelTests {
    static func model(seed: UInt64) -> Sequential {
        var rng = PhiloxGenerator(seed: seed)
        return Sequential {
            Dense(6, 16, activation: .relu, using: &rng)
            Dense(16, 3, using: &rng)
        }
    }

    static func data() -> DataSet {
        var rng = PhiloxGenerator(seed: 5)
        return DataSet(features: Tensor.normal([50, 6], using: &rng), labels: Tensor.randomInt([50], low: 0, high: 3, using: &rng))
    }

    static func train(_ network: Sequential, communicator: (any Communicator)?) throws -> [EpochResult] {
        let trainer = Trainer(model: network, optimizer: Adam(network.parameters, learningRate: 1e-2)) {
            Losses.softmaxCrossEntropy(logits: $0, labels: $1)
        }
        trainer.communicator = communicator
        return try trainer.fit(data(), epochs: 2, batchSize: 12, seed: 7)
    }

    /// Runs `body(rank)` on `size` real threads (a barrier inside needs them all running at once).
    static func onThreads(_ size: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let done = DispatchSemaphore(value: 0)
        for rank in 0..<size {
            Thread.detachNewThread {
                body(rank)
                done.signal()
            }
        }
        for _ in 0..<size { done.wait() }
    }

    final class Results: @unchecked Sendable {
        var weights: [[Float]]
        var losses: [[Double]]
        var checksums: [[Double]] = []
        init(_ n: Int) { weights = Array(repeating: [], count: n); losses = Array(repeating: [], count: n) }
    }

    @Test(arguments: [2, 3])
    func membersMatchOneProcessWithTheSameGlobalBatch(_ size: Int) throws {
        let single = Self.model(seed: 1)
        let reference = try Self.train(single, communicator: nil)
        let expected = FlatParameters.gather(single.parameters)

        let group = InProcessGroup(size: size)
        let results = Results(size)
        Self.onThreads(size) { rank in
            // Different initial weights per member: rank 0's are broadcast at the start.
            let network = Self.model(seed: 1 + UInt64(rank) * 100)
            let history = try! Self.train(network, communicator: group.members[rank])
            results.weights[rank] = FlatParameters.gather(network.parameters)
            results.losses[rank] = history.map(\.loss)
        }
        for rank in 0..<size {
            expectClose(Tensor(results.weights[rank]), Tensor(expected), rtol: 1e-5, atol: 1e-5, "rank \(rank) of \(size)")
            for (a, b) in zip(results.losses[rank], reference.map(\.loss)) { #expect(abs(a - b) < 1e-5, "epoch loss \(a) vs \(b)") }
        }
    }

    @Test func collectivesSumBroadcastAndGatherInRankOrder() {
        let group = InProcessGroup(size: 3)
        let results = Results(3)
        Self.onThreads(3) { rank in
            let c = group.members[rank]
            var buffer: [Float] = [Float(rank), 1, Float(rank * rank)]
            buffer.withUnsafeMutableBufferPointer { c.allreduceSum($0) }
            var root: [Float] = rank == 2 ? [7, 8] : [0, 0]
            root.withUnsafeMutableBufferPointer { c.broadcast($0, root: 2) }
            let gathered = c.allgather([Double(rank) * 10])
            c.barrier()
            results.weights[rank] = buffer + root + gathered.map { Float($0[0]) }
        }
        for rank in 0..<3 { #expect(results.weights[rank] == [3, 3, 5, 7, 8, 0, 10, 20]) }
    }
}
