import CDeepSwiftKernels
import DeepSwiftAutodiff
import DeepSwiftTensor

/// Sums the gradients of a data-parallel step over the members while the backward pass is still
/// running: as soon as a parameter's gradient is final (reported by
/// `backward(_:parameterGradientReady:)`), its sum over the members is started directly on the
/// gradient's storage — no copies into staging buffers. Weight each member's loss (count / total)
/// before backward, and the sums are the global mean gradients.
/// Reductions start in one fixed order on every member — reverse parameter order, the order the
/// backward pass usually finishes them — as collectives require (a member with an empty slice, or
/// a parameter finished out of order, just waits for its turn); parameters without a gradient are
/// reduced as zeros at the end.
///
/// ``Trainer`` uses it for data-parallel steps; a hand-written loop can too:
/// ```swift
/// let averager = GradientAverager(parameters: model.parameters, communicator: world)
/// averager.beginStep()
/// (loss * (1.0 / Double(world.size))).backward(nil) { averager.gradientReady($0) }
/// averager.finishStep()          // parameters now hold the summed (here: averaged) gradients
/// ```
/// How gradients travel between data-parallel members.
public enum GradientCompression: String, Sendable, CaseIterable {
    /// float32, exact.
    case none
    /// IEEE float16 (half the bytes) with error feedback: what rounding loses in one step is added
    /// to the next step's gradient, so nothing is lost over time (DL4J's gradient sharing keeps a
    /// residual the same way). Not bit-exact: sums are rounded to half precision.
    case fp16
}

public final class GradientAverager: @unchecked Sendable {
    let parameters: [Parameter]
    /// Compression of the exchanged gradients (default none: exact float32 sums).
    public var compression: GradientCompression = .none
    /// Per-parameter rounding residuals (error feedback) for fp16 compression.
    private var residuals: [[Float]] = []
    private var halfScratch: [UInt16] = []
    private var floatScratch: [Float] = []
    public let communicator: any Communicator
    private var index: [ObjectIdentifier: Int] = [:]
    private var started: [Bool] = []
    private var ready: [Bool] = []
    /// The next parameter (counting from the last) whose reduction may start.
    private var cursor = 0
    private var pending: [any PendingReduction] = []

    public init(parameters: [Parameter], communicator: any Communicator) {
        self.parameters = parameters
        self.communicator = communicator
        for (i, p) in parameters.enumerated() { index[ObjectIdentifier(p)] = i }
    }

    func matches(_ parameters: [Parameter]) -> Bool {
        parameters.count == self.parameters.count && zip(parameters, self.parameters).allSatisfy { $0 === $1 }
    }

    /// Starts a step.
    public func beginStep() {
        started = parameters.map { _ in false }
        ready = parameters.map { _ in false }
        cursor = parameters.count - 1
        pending = []
    }

    /// A parameter's gradient is final: start its reduction (when its turn in the fixed order comes).
    /// With blocking reductions (``Communicator/overlapsReductions`` false) nothing starts before
    /// ``finishStep()``: a blocking reduction during backward would only make the members wait for
    /// each other once per parameter instead of once per step.
    public func gradientReady(_ parameter: Parameter) {
        guard communicator.overlapsReductions else { return }
        guard let i = index[ObjectIdentifier(parameter)], !started[i] else { return }
        ready[i] = true
        while cursor >= 0 && ready[cursor] {
            start(cursor)
            cursor -= 1
        }
        communicator.progress()
    }

    private func start(_ i: Int) {
        let p = parameters[i]
        // Take the gradient out of the parameter first: then its storage is uniquely referenced and
        // making it unique and contiguous (for the in-place reduction) copies nothing.
        var g = p.grad.map { $0.dtype == .float32 ? $0 : $0.cast(to: .float32) } ?? Tensor.zeros(p.value.shape)
        p.grad = nil
        g.withUnsafeMutableBufferPointer(as: Float.self) { _ in }
        p.grad = g
        let pointer = g.storage.pointer.assumingMemoryBound(to: Float.self) + g.offset
        if compression == .fp16 {
            reduceCompressed(i, UnsafeMutableBufferPointer(start: pointer, count: g.count))
        } else {
            pending.append(communicator.startAllreduceSum(UnsafeMutableBufferPointer(start: pointer, count: g.count)))
        }
        started[i] = true
    }

    /// After backward: reduce what was not reported (no gradient: zeros), in parameter order, then
    /// wait for every reduction. The parameters' gradients then hold the sums.
    public func finishStep() {
        while cursor >= 0 {
            start(cursor)
            cursor -= 1
        }
        for reduction in pending { reduction.wait() }
        pending = []
        for p in parameters where p.value.dtype != .float32 { p.grad = p.grad?.cast(to: p.value.dtype) }
    }

    /// fp16 with error feedback: g + residual is rounded to half precision, the rounding error is
    /// kept for the next step, and the halves are summed over the members.
    private func reduceCompressed(_ i: Int, _ gradient: UnsafeMutableBufferPointer<Float>) {
        let n = gradient.count
        if residuals.count != parameters.count { residuals = parameters.map { [Float](repeating: 0, count: $0.value.count) } }
        if halfScratch.count < n { halfScratch = [UInt16](repeating: 0, count: n); floatScratch = [Float](repeating: 0, count: n) }
        residuals[i].withUnsafeMutableBufferPointer { residual in
            halfScratch.withUnsafeMutableBufferPointer { half in
                floatScratch.withUnsafeMutableBufferPointer { rounded in
                    let g = gradient.baseAddress!, r = residual.baseAddress!, h = half.baseAddress!, f = rounded.baseAddress!
                    for k in 0..<n { g[k] += r[k] }
                    ds_f32_to_f16(g, h, n, 0)
                    ds_f16_to_f32(h, f, n, 0)
                    for k in 0..<n { r[k] = g[k] - f[k] }
                    communicator.allreduceSumHalf(UnsafeMutableBufferPointer(start: h, count: n))
                    ds_f16_to_f32(h, g, n, 0)
                }
            }
        }
    }
}
