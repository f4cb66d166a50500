import Dispatch

/// Wraps a value (usually a raw pointer) so that it can cross into a parallel loop body.
/// Each chunk of a parallel loop touches a disjoint part of the memory behind the pointer.
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public var value: Value
    public init(_ value: Value) { self.value = value }
}

/// Data-parallel loops over index ranges, sized by ``ThreadSettings/numThreads``.
public enum Parallel {
    /// Below this many elements of work, loops run on the calling thread.
    public static let minimumElementsPerThread = 32_768

    /// Number of chunks to split `count` items into when each chunk must hold at least `grain`.
    static func chunkCount(_ count: Int, grain: Int) -> Int {
        let threads = ThreadSettings.numThreads
        guard threads > 1, count >= 2 * grain else { return 1 }
        return Swift.min(threads, count / grain)
    }

    /// Calls `body` on contiguous sub-ranges that partition `0..<count`, concurrently when the
    /// work is large enough. The partition depends only on `count`, `grain` and the thread count.
    public static func forRanges(_ count: Int, grain: Int = minimumElementsPerThread, _ body: (Range<Int>) -> Void) {
        let chunks = chunkCount(count, grain: grain)
        if chunks <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = count * chunk / chunks
                let end = count * (chunk + 1) / chunks
                box.value(start..<end)
            }
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count`, concurrently when `count > 1` and more than one
    /// thread is configured. Use for a handful of large, independent tasks.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        let threads = ThreadSettings.numThreads
        if threads <= 1 || count <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            let chunks = Swift.min(threads, count)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                var i = chunk
                while i < count {
                    box.value(i)
                    i += chunks
                }
            }
        }
    }
}
