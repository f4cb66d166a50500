import CDeepSwiftKernels
import DeepSwiftAutodiff
import DeepSwiftTensor
import Foundation

/// A group of cooperating processes (or threads) that train one model together: the collective
/// operations data-parallel training needs. `DeepSwiftDistributed` implements it on MPI;
/// ``InProcessGroup`` implements it with threads (for tests and single-machine experiments).
///
/// Every member must call the same collectives in the same order with buffers of the same size.
public protocol Communicator: AnyObject {
    /// Whether a started reduction makes progress while the caller computes (non-blocking
    /// collectives with a core to spare). When not, data-parallel steps reduce every gradient after
    /// the backward pass instead of during it: reductions that block anyway would only add points
    /// where the members wait for each other.
    var overlapsReductions: Bool { get }
    /// This member's index, `0 ..< size`.
    var rank: Int { get }
    /// Number of members.
    var size: Int { get }
    /// Replaces `buffer` on every member by the element-wise sum over all members.
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>)
    /// Replaces `buffer` (IEEE float16 values) by the element-wise half-precision sum over all
    /// members: half the bytes of ``allreduceSum(_:)-(UnsafeMutableBufferPointer<Float>)``.
    func allreduceSumHalf(_ buffer: UnsafeMutableBufferPointer<UInt16>)
    /// Copies `root`'s `buffer` into every member's.
    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int)
    /// Every member's `values`, in rank order.
    func allgather(_ values: [Double]) -> [[Double]]
    /// Returns when every member has called it.
    func barrier()
    /// Starts summing `buffer` over the members (MPI_Iallreduce); the buffer must stay valid and
    /// untouched until the returned operation's `wait()` returns.
    func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> any PendingReduction
    /// Lets outstanding non-blocking operations advance (MPI progresses them only inside MPI calls).
    func progress()
}

/// A reduction in flight.
public protocol PendingReduction {
    func wait()
}

struct CompletedReduction: PendingReduction {
    func wait() {}
}

extension Communicator {
    public var overlapsReductions: Bool { false }

    /// Without non-blocking support: reduce now.
    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> any PendingReduction {
        allreduceSum(buffer)
        return CompletedReduction()
    }

    public func progress() {}

    /// Without a native half-precision reduction: widened, summed as float32, rounded once.
    public func allreduceSumHalf(_ buffer: UnsafeMutableBufferPointer<UInt16>) {
        guard buffer.count > 0 else { return }
        var wide = [Float](repeating: 0, count: buffer.count)
        wide.withUnsafeMutableBufferPointer { w in
            ds_f16_to_f32(buffer.baseAddress!, w.baseAddress!, buffer.count, 0)
            allreduceSum(w)
            ds_f32_to_f16(w.baseAddress!, buffer.baseAddress!, buffer.count, 0)
        }
    }

    /// Sums small Double vectors (loss and accuracy counts) over the members.
    public func allreduceSum(_ values: [Double]) -> [Double] {
        allgather(values).reduce(into: [Double](repeating: 0, count: values.count)) { total, part in
            for i in part.indices { total[i] += part[i] }
        }
    }
}

/// Threads in one process acting as a communicator group: `InProcessGroup(size: 3).members` gives
/// three communicators to hand to three threads. Sums are taken in rank order, so results do not
/// depend on thread timing.
///
/// ```swift
/// let group = InProcessGroup(size: 2)
/// DispatchQueue.concurrentPerform(iterations: 2) { rank in train(communicator: group.members[rank]) }
/// ```
public final class InProcessGroup: @unchecked Sendable {
    public let size: Int
    private let condition = NSCondition()
    private var arrived = 0, generation = 0
    private var slots: [UnsafeMutableBufferPointer<Float>?]
    private var gathered: [[Double]]
    public private(set) var members: [InProcessCommunicator] = []

    public init(size: Int) {
        precondition(size > 0, "InProcessGroup: size must be positive")
        self.size = size
        slots = Array(repeating: nil, count: size)
        gathered = Array(repeating: [], count: size)
        members = (0..<size).map { InProcessCommunicator(group: self, rank: $0) }
    }

    /// Blocks until all members arrive (a reusable barrier).
    func wait() {
        condition.lock()
        let current = generation
        arrived += 1
        if arrived == size {
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == current { condition.wait() }
        }
        condition.unlock()
    }

    func allreduce(_ buffer: UnsafeMutableBufferPointer<Float>, rank: Int) {
        slots[rank] = buffer
        wait()
        // Every member computes the same rank-ordered sum into a private result, then all write.
        var sum = [Float](repeating: 0, count: buffer.count)
        for r in 0..<size {
            let part = slots[r]!
            precondition(part.count == buffer.count, "allreduce: rank \(r) has \(part.count) elements, rank \(rank) \(buffer.count)")
            for i in 0..<buffer.count { sum[i] += part[i] }
        }
        wait()
        for i in 0..<buffer.count { buffer[i] = sum[i] }
        wait()
    }

    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int, rank: Int) {
        slots[rank] = buffer
        wait()
        if rank != root {
            let source = slots[root]!
            precondition(source.count == buffer.count, "broadcast: root has \(source.count) elements, rank \(rank) \(buffer.count)")
            for i in 0..<buffer.count { buffer[i] = source[i] }
        }
        wait()
    }

    func allgather(_ values: [Double], rank: Int) -> [[Double]] {
        gathered[rank] = values
        wait()
        let result = gathered
        wait()
        return result
    }
}

/// One member of an ``InProcessGroup``.
public final class InProcessCommunicator: Communicator, @unchecked Sendable {
    unowned let group: InProcessGroup
    public let rank: Int
    public var size: Int { group.size }

    init(group: InProcessGroup, rank: Int) {
        self.group = group
        self.rank = rank
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) { group.allreduce(buffer, rank: rank) }
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) { group.broadcast(buffer, root: root, rank: rank) }
    public func allgather(_ values: [Double]) -> [[Double]] { group.allgather(values, rank: rank) }
    public func barrier() { group.wait() }
}

/// The parameters of a model as one flat float32 vector (for broadcasts, allreduces and checksums).
public enum FlatParameters {
    /// Copies the parameters' values into one buffer.
    public static func gather(_ parameters: [Parameter]) -> [Float] {
        parameters.flatMap { $0.value.cast(to: .float32).contiguous().scalars(as: Float.self) }
    }

    /// Writes a flat buffer back into the parameters' values.
    public static func scatter(_ flat: [Float], into parameters: [Parameter]) {
        var offset = 0
        for p in parameters {
            let n = p.value.count
            p.value = Tensor(Array(flat[offset..<(offset + n)]), shape: p.value.shape).cast(to: p.value.dtype)
            offset += n
        }
    }

    /// Copies `root`'s parameter values to every member.
    public static func broadcast(_ parameters: [Parameter], from root: Int = 0, over communicator: any Communicator) {
        var flat = gather(parameters)
        flat.withUnsafeMutableBufferPointer { communicator.broadcast($0, root: root) }
        scatter(flat, into: parameters)
    }

    /// Every member's sum of its parameter values, in rank order (equal values mean the replicas agree).
    public static func checksums(_ parameters: [Parameter], over communicator: (any Communicator)?) -> [Double] {
        let local = gather(parameters).reduce(0.0) { $0 + Double($1) }
        return communicator?.allgather([local]).map { $0[0] } ?? [local]
    }
}
