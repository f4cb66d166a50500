#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A caching allocator for tensor storage: freed blocks are kept in size-class buckets and reused,
/// so a training step does not call `malloc` for every temporary.
///
/// Blocks are 64-byte aligned. Sizes are rounded up to a class (64-byte steps below 512 bytes,
/// then quarter powers of two, so at most 25% is wasted). The cache holds at most
/// ``cacheLimitBytes``; beyond that, freed blocks go back to the system.
///
/// ```swift
/// TensorAllocator.cacheLimitBytes = 512 << 20   // keep at most 512 MiB of freed blocks
/// print(TensorAllocator.statistics)             // hits, misses, cached bytes
/// TensorAllocator.emptyCache()                  // give everything back to the system
/// ```
public enum TensorAllocator {
    /// Counters describing the cache's behaviour since the process started.
    public struct Statistics: Sendable, CustomStringConvertible {
        /// Allocations served from the cache.
        public var hits = 0
        /// Allocations that went to the system allocator.
        public var misses = 0
        /// Bytes currently held by the cache (freed, ready for reuse).
        public var cachedBytes = 0
        /// Bytes currently handed out to live tensors (rounded to size classes).
        public var liveBytes = 0

        public var description: String {
            "TensorAllocator(hits: \(hits), misses: \(misses), cachedBytes: \(cachedBytes), liveBytes: \(liveBytes))"
        }
    }

    private struct State {
        var buckets: [Int: [UInt]] = [:]  // size class -> block addresses
        var statistics = Statistics()
        var limit = TensorAllocator.defaultLimit
    }

    private static let state = Mutex(State())

    /// Default cache limit: a quarter of physical memory, at most 4 GiB.
    static var defaultLimit: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        let physical = pages > 0 && pageSize > 0 ? pages * pageSize : 1 << 32
        return Swift.min(physical / 4, 4 << 30)
    }

    /// The most bytes of freed blocks the cache keeps.
    public static var cacheLimitBytes: Int {
        get { state.withLock { $0.limit } }
        set {
            state.withLock { $0.limit = Swift.max(0, newValue) }
            trim()
        }
    }

    /// A snapshot of the counters.
    public static var statistics: Statistics { state.withLock { $0.statistics } }

    /// Returns every cached block to the system.
    public static func emptyCache() {
        let blocks: [UInt] = state.withLock { state in
            let all = state.buckets.values.flatMap { $0 }
            state.buckets.removeAll()
            state.statistics.cachedBytes = 0
            return all
        }
        for block in blocks { free(UnsafeMutableRawPointer(bitPattern: block)) }
    }

    /// The size class that a request of `byteCount` bytes is rounded to.
    static func sizeClass(_ byteCount: Int) -> Int {
        let bytes = Swift.max(byteCount, 1)
        if bytes <= 512 { return (bytes + 63) & ~63 }
        let highBit = Int.bitWidth - 1 - bytes.leadingZeroBitCount
        let step = (1 << highBit) / 4
        return (bytes + step - 1) / step * step
    }

    /// Allocates at least `byteCount` bytes, 64-byte aligned. Returns the pointer and the
    /// rounded size that must be passed back to ``deallocate(_:byteCount:)``.
    static func allocate(byteCount: Int) -> (UnsafeMutableRawPointer, Int) {
        let size = sizeClass(byteCount)
        let cached: UInt? = state.withLock { state in
            state.statistics.liveBytes += size
            if let block = state.buckets[size]?.popLast() {
                state.statistics.hits += 1
                state.statistics.cachedBytes -= size
                return block
            }
            state.statistics.misses += 1
            return nil
        }
        if let cached, let block = UnsafeMutableRawPointer(bitPattern: cached) { return (block, size) }
        var raw: UnsafeMutableRawPointer?
        let status = posix_memalign(&raw, 64, size)
        guard status == 0, let raw else {
            // Memory pressure: give the cache back and try once more before failing.
            emptyCache()
            var retry: UnsafeMutableRawPointer?
            guard posix_memalign(&retry, 64, size) == 0, let retry else {
                tensorFailure("TensorAllocator: out of memory allocating \(size) bytes")
            }
            return (retry, size)
        }
        return (raw, size)
    }

    /// Blocks at least this large go straight back to the system: a training step's temporaries are
    /// far smaller, and caching data-set-sized blocks would only hold on to memory.
    public static let largestCachedBlock = 160 << 20

    /// Returns a block to the cache (or to the system when the cache is full).
    static func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount size: Int) {
        let address = UInt(bitPattern: pointer)
        let keep: Bool = state.withLock { state in
            state.statistics.liveBytes -= size
            guard size < largestCachedBlock, state.statistics.cachedBytes + size <= state.limit else { return false }
            state.buckets[size, default: []].append(address)
            state.statistics.cachedBytes += size
            return true
        }
        if !keep { free(pointer) }
    }

    private static func trim() {
        let blocks: [UInt] = state.withLock { state in
            var freed: [UInt] = []
            for size in state.buckets.keys.sorted(by: >) where state.statistics.cachedBytes > state.limit {
                while state.statistics.cachedBytes > state.limit, let block = state.buckets[size]?.popLast() {
                    freed.append(block)
                    state.statistics.cachedBytes -= size
                }
            }
            return freed
        }
        for block in blocks { free(UnsafeMutableRawPointer(bitPattern: block)) }
    }
}

/// A reference-counted, 64-byte-aligned block of memory shared by tensors and their views.
///
/// ``Tensor`` copies it before writing when it is shared (copy-on-write).
public final class TensorStorage: @unchecked Sendable {
    /// Start of the block.
    public let pointer: UnsafeMutableRawPointer
    /// Usable bytes (the requested size; the block may be larger).
    public let byteCount: Int
    private let allocatedBytes: Int

    /// Allocates uninitialized storage of `byteCount` bytes.
    public init(byteCount: Int) {
        let (pointer, allocated) = TensorAllocator.allocate(byteCount: byteCount)
        self.pointer = pointer
        self.byteCount = byteCount
        self.allocatedBytes = allocated
    }

    deinit { TensorAllocator.deallocate(pointer, byteCount: allocatedBytes) }
}
