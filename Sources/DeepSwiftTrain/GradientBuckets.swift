import DeepSwiftAutodiff
import DeepSwiftTensor

/// The gradients of a data-parallel step in flat float32 buckets of about 2 MB, each reduced
/// across the members as soon as all its parameters' gradients are final — while the backward
/// pass is still computing the earlier layers' gradients (parameters are bucketed in reverse
/// order, the order backward produces them). Every member forms the same buckets and starts them
/// in the same order, as collective operations require.
final class GradientBuckets: @unchecked Sendable {
    struct Bucket {
        var parameters: [Int]            // indices into the parameter list
        var offsets: [Int]               // start of each parameter in the bucket
        var count: Int
        var buffer: UnsafeMutablePointer<Float>
    }

    let parameters: [Parameter]
    private(set) var buckets: [Bucket] = []
    private var bucketOf: [ObjectIdentifier: (bucket: Int, slot: Int)] = [:]
    private var remaining: [Int] = []
    private var pending: [(any PendingReduction)?] = []
    private var nextToStart = 0
    private var ready: [Bool] = []
    var weight: Float = 1
    let communicator: any Communicator

    static let targetFloats = 512 * 1024

    init(parameters: [Parameter], communicator: any Communicator) {
        self.parameters = parameters
        self.communicator = communicator
        var current: [Int] = [], offsets: [Int] = [], count = 0
        func close() {
            guard !current.isEmpty else { return }
            buckets.append(Bucket(parameters: current, offsets: offsets, count: count,
                                  buffer: UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))))
            current = []; offsets = []; count = 0
        }
        for index in parameters.indices.reversed() {
            current.append(index)
            offsets.append(count)
            count += parameters[index].value.count
            if count >= Self.targetFloats { close() }
        }
        close()
        for (b, bucket) in buckets.enumerated() {
            for (slot, index) in bucket.parameters.enumerated() { bucketOf[ObjectIdentifier(parameters[index])] = (b, slot) }
        }
    }

    deinit { for bucket in buckets { bucket.buffer.deallocate() } }

    func matches(_ parameters: [Parameter]) -> Bool {
        parameters.count == self.parameters.count && zip(parameters, self.parameters).allSatisfy { $0 === $1 }
    }

    func beginStep(weight: Float) {
        self.weight = weight
        remaining = buckets.map(\.parameters.count)
        ready = buckets.map { _ in false }
        pending = buckets.map { _ in nil }
        nextToStart = 0
    }

    /// A parameter's gradient is final: copy it (weighted) into its bucket; start the buckets that
    /// are complete, in bucket order.
    func gradientReady(_ parameter: Parameter) {
        guard let (b, slot) = bucketOf[ObjectIdentifier(parameter)] else { return }
        copy(parameter, into: buckets[b], slot: slot)
        remaining[b] -= 1
        if remaining[b] == 0 { ready[b] = true }
        startReadyBuckets()
        communicator.progress()
    }

    private func copy(_ parameter: Parameter, into bucket: Bucket, slot: Int) {
        let n = parameter.value.count, out = bucket.buffer + bucket.offsets[slot]
        guard let g = parameter.grad else { out.update(repeating: 0, count: n); return }
        let g32 = g.cast(to: .float32).contiguous()
        let w = weight
        g32.withUnsafeBufferPointer(as: Float.self) { src in for i in 0..<n { out[i] = src[i] * w } }
    }

    private func startReadyBuckets() {
        while nextToStart < buckets.count && ready[nextToStart] {
            let bucket = buckets[nextToStart]
            pending[nextToStart] = communicator.startAllreduceSum(UnsafeMutableBufferPointer(start: bucket.buffer, count: bucket.count))
            nextToStart += 1
        }
    }

    /// After backward: parameters that got no gradient count as zero; wait for every bucket and
    /// write the averaged gradients back.
    func finishStep() {
        for (b, bucket) in buckets.enumerated() where !ready[b] {
            // Some parameter got no gradient this step: copy the whole bucket now (zeros for those).
            for (slot, index) in bucket.parameters.enumerated() { copy(parameters[index], into: bucket, slot: slot) }
            ready[b] = true
        }
        startReadyBuckets()
        for (b, bucket) in buckets.enumerated() {
            pending[b]?.wait()
            for (slot, index) in bucket.parameters.enumerated() {
                let p = parameters[index]
                let g = Tensor.uninitialized(p.value.shape, dtype: .float32)
                g.storage.pointer.assumingMemoryBound(to: Float.self).update(from: bucket.buffer + bucket.offsets[slot], count: p.value.count)
                p.grad = p.value.dtype == .float32 ? g : g.cast(to: p.value.dtype)
            }
        }
    }
}
