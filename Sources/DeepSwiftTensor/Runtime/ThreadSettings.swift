#if canImport(Glibc)
import Glibc
#endif
import CDeepSwiftKernels
import COpenBLAS
import Foundation
import Synchronization

/// The one place that owns DeepSwift's thread count.
///
/// Every pool follows it: DeepSwift's own parallel loops and OpenBLAS's pthread pool (and, in later
/// targets, oneDNN's OpenMP pool). It starts from the `DEEPSWIFT_NUM_THREADS` environment variable,
/// or the number of cores, and can be changed in code:
///
/// ```swift
/// ThreadSettings.numThreads = 1   // deterministic single-threaded run
/// ```
public enum ThreadSettings {
    private static let current = Atomic<Int>(0)
    private static let hooks = Mutex<[@Sendable (Int) -> Void]>([])

    /// Number of cores the process may use: the CPUs in its affinity mask (launchers such as
    /// `mpirun`, `taskset` and container CPU sets restrict it), at most the active processors.
    public static var availableCores: Int {
        let active = ProcessInfo.processInfo.activeProcessorCount
        let allowed = Int(ds_affinity_cpu_count())
        return allowed > 0 ? Swift.min(allowed, active) : active
    }

    /// Threads used by every DeepSwift pool. Setting it also resizes OpenBLAS's pool.
    public static var numThreads: Int {
        get {
            let value = current.load(ordering: .relaxed)
            if value > 0 { return value }
            return initialize()
        }
        set {
            let value = Swift.max(1, newValue)
            current.store(value, ordering: .relaxed)
            apply(value)
        }
    }

    /// Registers a function called with the new thread count whenever it changes (and once now).
    /// Backends with their own pools (oneDNN/OpenMP) use this to follow the setting.
    public static func onChange(_ hook: @escaping @Sendable (Int) -> Void) {
        hooks.withLock { $0.append(hook) }
        hook(numThreads)
    }

    /// Runs `body` with `threads` threads, then restores the previous setting.
    public static func withThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        let previous = numThreads
        numThreads = threads
        defer { numThreads = previous }
        return try body()
    }

    private static func initialize() -> Int {
        var value = availableCores
        if let text = ProcessInfo.processInfo.environment["DEEPSWIFT_NUM_THREADS"],
           let parsed = Int(text.trimmingCharacters(in: .whitespaces)), parsed > 0 {
            value = parsed
        }
        let (exchanged, original) = current.compareExchange(expected: 0, desired: value, ordering: .relaxed)
        if exchanged { apply(value) }
        return exchanged ? value : original
    }

    private static func apply(_ value: Int) {
        // GEMMScheduler then picks, per product, between OpenBLAS's pool and DeepSwift's.
        GEMMScheduler.useOpenBLASThreads(value)
        let registered = hooks.withLock { $0 }
        for hook in registered { hook(value) }
    }
}
