#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Prints training progress: a live progress bar with loss, accuracy, samples/s and ETA on a
/// terminal; plain log lines every `logInterval` seconds (and at each epoch end) otherwise.
public final class ProgressReporter: TrainingListener {
    public let interactive: Bool
    public let logInterval: Double
    private var lastLog = 0.0
    private let write: (String) -> Void

    /// `interactive` defaults to whether standard output is a terminal.
    public init(interactive: Bool? = nil, logInterval: Double = 10, write: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) }) {
        self.interactive = interactive ?? (isatty(STDOUT_FILENO) != 0)
        self.logInterval = logInterval
        self.write = write
    }

    static func format(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : String(format: "%.1fs", seconds)
    }

    func line(_ p: TrainingProgress) -> String {
        var text = "loss \(String(format: "%.4f", p.loss))"
        if let a = p.accuracy { text += "  acc \(String(format: "%.4f", a))" }
        text += "  \(Int(p.samplesPerSecond)) samples/s  ETA \(Self.format(p.eta))"
        return text
    }

    public func batchDidEnd(_ p: TrainingProgress) {
        if interactive {
            let width = 30
            let done = Int(Double(width) * Double(p.batch + 1) / Double(Swift.max(p.batchesPerEpoch, 1)))
            let bar = String(repeating: "=", count: done) + String(repeating: " ", count: width - done)
            write("\r\u{1B}[2KEpoch \(p.epoch + 1)/\(p.epochs) [\(bar)] \(p.batch + 1)/\(p.batchesPerEpoch)  " + line(p))
        } else if p.seconds - lastLog >= logInterval {
            lastLog = p.seconds
            write("epoch \(p.epoch + 1)/\(p.epochs) batch \(p.batch + 1)/\(p.batchesPerEpoch) " + line(p) + "\n")
        }
    }

    public func epochDidEnd(_ r: EpochResult) {
        lastLog = 0
        var text = "epoch \(r.epoch + 1): loss \(String(format: "%.4f", r.loss))"
        if let a = r.accuracy { text += "  acc \(String(format: "%.4f", a))" }
        if let l = r.validationLoss { text += "  val_loss \(String(format: "%.4f", l))" }
        if let a = r.validationAccuracy { text += "  val_acc \(String(format: "%.4f", a))" }
        text += "  \(Self.format(r.seconds))  \(Int(r.samplesPerSecond)) samples/s"
        write((interactive ? "\r\u{1B}[2K" : "") + text + "\n")
    }
}
