import DeepSwiftAutodiff
import DeepSwiftTensor

/// Averages the gradients of a data-parallel step across the members while the backward pass is
/// still running: as soon as a parameter's gradient is final (reported by
/// `backward(_:parameterGradientReady:)`), it is scaled in place and its sum over the members is
/// started (`MPI_Iallreduce`) directly on the gradient's storage — no copies into staging buffers.
/// Reductions start in one fixed order on every member — reverse parameter order, the order the
/// backward pass usually finishes them — as collectives require (a member with an empty slice, or
/// a parameter finished out of order, just waits for its turn); parameters without a gradient are
/// reduced as zeros at the end.
///
/// ``Trainer`` uses it for data-parallel steps; a hand-written loop can too:
/// ```swift
/// let buckets = GradientBuckets(parameters: model.parameters, communicator: world)
/// buckets.beginStep(weight: 1 / Float(world.size))
/// loss.backward(nil) { buckets.gradientReady($0) }
/// buckets.finishStep()          // parameters now hold the averaged gradients
/// ```
public final class GradientBuckets: @unchecked Sendable {
    let parameters: [Parameter]
    let communicator: any Communicator
    private var index: [ObjectIdentifier: Int] = [:]
    private var started: [Bool] = []
    private var ready: [Bool] = []
    /// The next parameter (counting from the last) whose reduction may start.
    private var cursor = 0
    private var pending: [any PendingReduction] = []
    private var weight: Float = 1

    public init(parameters: [Parameter], communicator: any Communicator) {
        self.parameters = parameters
        self.communicator = communicator
        for (i, p) in parameters.enumerated() { index[ObjectIdentifier(p)] = i }
    }

    func matches(_ parameters: [Parameter]) -> Bool {
        parameters.count == self.parameters.count && zip(parameters, self.parameters).allSatisfy { $0 === $1 }
    }

    /// Starts a step; every local gradient is multiplied by `weight` before the sum.
    public func beginStep(weight: Float) {
        self.weight = weight
        started = parameters.map { _ in false }
        ready = parameters.map { _ in false }
        cursor = parameters.count - 1
        pending = []
    }

    /// A parameter's gradient is final: scale it and start its reduction.
    public func gradientReady(_ parameter: Parameter) {
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
        // Take the gradient out of the parameter first, so that the scaling below finds its storage
        // uniquely referenced and works in place instead of copying it.
        var g = p.grad.map { $0.dtype == .float32 ? $0 : $0.cast(to: .float32) } ?? Tensor.zeros(p.value.shape)
        p.grad = nil
        let w = weight
        // Scales in place; makes the storage unique and contiguous, so that it can be reduced in place.
        g.withUnsafeMutableBufferPointer(as: Float.self) { buffer in
            if w != 1 { for k in buffer.indices { buffer[k] *= w } }
        }
        p.grad = g
        let pointer = g.storage.pointer.assumingMemoryBound(to: Float.self) + g.offset
        pending.append(communicator.startAllreduceSum(UnsafeMutableBufferPointer(start: pointer, count: g.count)))
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
}
