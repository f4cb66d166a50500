import DeepSwiftTensor
import Synchronization

/// Reverse-mode differentiation: ``Variable/backward(_:)``, ``valueAndGrad(of:_:)`` and the
/// switch that turns recording off for inference.
public enum Gradients {
    private static let counter = Atomic<UInt64>(0)

    static func nextSequence() -> UInt64 { counter.add(1, ordering: .relaxed).newValue }

    @TaskLocal static var recordingDisabled = false

    /// `false` inside ``withoutRecording(_:)``.
    public static var isRecording: Bool { !recordingDisabled }

    /// Runs `body` without recording any operation (for evaluation and inference).
    ///
    /// ```swift
    /// let logits = Gradients.withoutRecording { model(Variable(x)) }
    /// ```
    public static func withoutRecording<R>(_ body: () throws -> R) rethrows -> R {
        try $recordingDisabled.withValue(true) { try body() }
    }

    /// Propagates `seed` (the gradient of some scalar with respect to `root`) back through the
    /// recording, accumulating into the parameters at the leaves.
    static func backpropagate(from root: GradientNode, seed: Tensor, parameterGradientReady: ((Parameter) -> Void)? = nil) {
        // Collect the graph reachable from the root.
        var nodes: [GradientNode] = []
        var seen = Set<ObjectIdentifier>()
        var stack = [root]
        while let node = stack.popLast() {
            guard seen.insert(ObjectIdentifier(node)).inserted else { continue }
            nodes.append(node)
            stack.append(contentsOf: node.inputs)
        }
        nodes.sort { $0.sequence > $1.sequence }
        // A parameter used several times has several leaves: it is reported once, after the last.
        var uses: [ObjectIdentifier: Int] = [:]
        if parameterGradientReady != nil {
            for node in nodes { if let p = node.parameter { uses[ObjectIdentifier(p), default: 0] += 1 } }
        }
        root.gradient = seed
        for node in nodes {
            if parameterGradientReady != nil, let p = node.parameter, node.gradient == nil {
                uses[ObjectIdentifier(p)]! -= 1
                if uses[ObjectIdentifier(p)] == 0 && p.grad != nil { parameterGradientReady?(p) }
            }
            let inputGradients: [Tensor?]
            if let jointVJP = node.jointVJP {
                // A multi-output primitive: its projections (created later) have deposited their gradients.
                let slots = node.outputGradients
                node.outputGradients = []
                node.jointVJP = nil
                guard slots.contains(where: { $0 != nil }) else { continue }
                inputGradients = jointVJP(slots)
            } else {
                guard let g = node.gradient else { continue }
                node.gradient = nil  // release as we go
                if let parameter = node.parameter {
                    parameter.accumulate(g)
                    if parameterGradientReady != nil {
                        uses[ObjectIdentifier(parameter)]! -= 1
                        if uses[ObjectIdentifier(parameter)] == 0 { parameterGradientReady?(parameter) }
                    }
                    continue
                }
                if let index = node.outputIndex {
                    let joint = node.inputs[0]
                    if joint.outputGradients.indices.contains(index) {
                        if let existing = joint.outputGradients[index] { joint.outputGradients[index] = existing + g } else { joint.outputGradients[index] = g }
                    }
                    continue
                }
                guard let vjp = node.vjp else { continue }
                node.vjp = nil  // the graph is used once (PyTorch's default retain_graph=False)
                inputGradients = vjp(g)
            }
            for (input, gi) in zip(node.inputs, inputGradients) {
                guard let gi else { continue }
                if input.gradient == nil { input.gradient = gi } else { input.gradient! += gi }
            }
        }
    }
}

extension Variable {
    /// Back-propagates from this variable, accumulating into every parameter it depends on.
    /// Without `seed` the seed is all ones (1 for a scalar loss). The recording is consumed: the
    /// tensors saved by the forward pass are released, and a second `backward()` through the same
    /// nodes propagates nothing (record the computation again instead).
    public func backward(_ seed: Tensor? = nil) {
        backward(seed, parameterGradientReady: nil)
    }

    /// ``backward(_:)`` that calls `parameterGradientReady` right after each parameter's gradient
    /// has been accumulated (for a parameter used once, when it is final): data-parallel training
    /// starts reducing gradients there while the rest of the backward pass runs.
    ///
    /// ```swift
    /// loss.backward(nil) { parameter in averager.gradientReady(parameter) }
    /// ```
    public func backward(_ seed: Tensor?, parameterGradientReady: ((Parameter) -> Void)?) {
        guard let node else { return }
        let seed = seed ?? Tensor.ones(value.shape, dtype: value.dtype)
        tensorCheck(seed.shape == value.shape,
                           "backward: seed of shape \(seed.shape) does not match the value's shape \(value.shape)")
        Gradients.backpropagate(from: node, seed: seed, parameterGradientReady: parameterGradientReady)
    }
}

/// The value of `body` and its gradient with respect to each of `parameters` (zeros for a
/// parameter the value does not depend on). The parameters' own `grad` fields are left as they were.
///
/// ```swift
/// let (loss, grads) = valueAndGrad(of: [w, b]) {
///     (Variable(x).matmul(Variable(w)) + Variable(b)).squared().mean()
/// }
/// ```
public func valueAndGrad(of parameters: [Parameter], _ body: () -> Variable) -> (value: Tensor, gradients: [Tensor]) {
    let saved = parameters.map(\.grad)
    for p in parameters { p.grad = nil }
    let result = body()
    result.backward()
    let grads = parameters.map { $0.grad ?? Tensor.zeros(like: $0.value) }
    for (p, g) in zip(parameters, saved) { p.grad = g }
    return (result.value, grads)
}

