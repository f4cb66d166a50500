import CDeepSwiftKernels

/// Parallel regions for short, frequent jobs: part 0 runs on the calling thread, the others on a
/// team of worker threads that spin for ~0.2 ms between jobs instead of going to sleep, so a job
/// that follows soon starts within a microsecond instead of waiting for a thread to be woken (tens
/// of microseconds on a virtual machine). Used by the recurrent layers, which run one small GEMM
/// per time step; ``Parallel`` remains the choice for everything else.
///
/// ```swift
/// SpinTeam.run(parts: ThreadSettings.numThreads) { part in work(part) }
/// ```
public enum SpinTeam {
    private final class Job {
        let body: (Int) -> Void
        init(_ body: @escaping (Int) -> Void) { self.body = body }
    }

    /// Calls `body(part)` for every part in `0..<parts` and returns when all have finished. A call
    /// made while another is running (nested, or from another thread) runs its parts serially.
    public static func run(parts: Int, _ body: (Int) -> Void) {
        guard parts > 1 else {
            if parts == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let job = Job(body)
            let context = Unmanaged.passUnretained(job).toOpaque()
            ds_team_run({ context, part, _ in
                Unmanaged<Job>.fromOpaque(context!).takeUnretainedValue().body(part)
            }, context, parts)
            withExtendedLifetime(job) {}
        }
    }

    /// Sends the workers to sleep now (call after the last job of a burst, before other parallel work).
    public static func rest() { ds_team_rest() }
}
