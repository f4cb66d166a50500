import Foundation

/// Ends the process when training stops making progress: after `seconds` without a finished
/// batch it prints why and exits immediately with status 2 (no exit handlers). In a data-parallel job a peer that hangs (instead
/// of dying, which MPI already reports) blocks every collective; the launcher then sees this
/// process exit and aborts the whole job instead of waiting forever.
///
/// ```swift
/// try trainer.fit(data, epochs: 1, batchSize: 64, listeners: [Watchdog(seconds: 300, label: "rank 1")])
/// ```
public final class Watchdog: TrainingListener, @unchecked Sendable {
    public let seconds: Double
    public let label: String
    private let lock = NSLock()
    private var last = Date()
    private var stopped = false

    public init(seconds: Double, label: String = "training") {
        self.seconds = seconds
        self.label = label
        Thread.detachNewThread { [weak self] in
            while let self {
                Thread.sleep(forTimeInterval: Swift.min(1, self.seconds / 4))
                self.lock.lock()
                let idle = Date().timeIntervalSince(self.last), done = self.stopped
                self.lock.unlock()
                if done { return }
                if idle > self.seconds {
                    FileHandle.standardError.write(Data("\(self.label): no training progress for \(Int(idle)) s (a peer may be hung); exiting\n".utf8))
                    // _exit, not exit: exit handlers (MPI_Finalize) would wait for the hung peer too.
                    _exit(2)
                }
            }
        }
    }

    deinit { stop() }

    /// Stops watching (training has finished).
    public func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
    }

    public func trainingDidStart(epochs: Int, batchesPerEpoch: Int) { alive() }
    public func batchDidEnd(_ progress: TrainingProgress) { alive() }

    /// Reports progress from a hand-written training loop (``Trainer`` does it per batch).
    public func alive() {
        lock.lock()
        last = Date()
        lock.unlock()
    }
}
