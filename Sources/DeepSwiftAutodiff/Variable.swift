import DeepSwiftTensor

/// A tensor in a computation that may be differentiated.
///
/// A `Variable` whose ``node`` is `nil` is a constant: operations on constants run the plain
/// tensor code and record nothing, so inference pays nothing for autodiff. Operations with at
/// least one recorded input record a node holding the vector-Jacobian product (VJP) of the
/// primitive; ``backward()`` walks those nodes in reverse.
///
/// Two ways to get gradients:
/// ```swift
/// // 1. PyTorch style: accumulate into the parameters.
/// let loss = model(Variable(x)).crossEntropy(labels: y)
/// loss.backward()                     // fills parameter.grad
///
/// // 2. Functional: the loss and the gradients, in the order of `parameters`.
/// let (value, grads) = valueAndGrad(of: model.parameters) { model(Variable(x)).crossEntropy(labels: y) }
/// ```
public struct Variable: @unchecked Sendable {
    /// The value computed by the forward pass.
    public let value: Tensor
    /// The recording of how `value` was computed; `nil` for constants.
    public let node: GradientNode?

    /// A constant (no gradient flows into it).
    public init(_ value: Tensor) {
        self.value = value
        self.node = nil
    }

    /// A leaf bound to a parameter: gradients reaching it accumulate into `parameter.grad`.
    /// Records nothing (a constant) when the parameter does not require gradients or when
    /// recording is disabled (see ``Gradients/withoutRecording(_:)``).
    public init(_ parameter: Parameter) {
        self.value = parameter.value
        self.node = parameter.requiresGrad && Gradients.isRecording ? GradientNode(parameter: parameter) : nil
    }

    init(value: Tensor, node: GradientNode?) {
        self.value = value
        self.node = node
    }

    /// `true` when gradients flow through this variable.
    public var requiresGrad: Bool { node != nil }
    public var shape: [Int] { value.shape }
    public var rank: Int { value.rank }
    public var dtype: DType { value.dtype }

    /// The same value, cut off from the recording.
    public func detached() -> Variable { Variable(value) }

    /// Records the result of a primitive with one input. `vjp` maps the upstream gradient (shaped
    /// like the output) to the gradient of the input; it runs only if the input is recorded.
    @inline(__always)
    public static func record(_ output: Tensor, _ input: Variable, vjp: @escaping (Tensor) -> Tensor) -> Variable {
        guard let node = input.node else { return Variable(output) }
        return Variable(value: output, node: GradientNode(inputs: [node]) { g in [vjp(g)] })
    }

    /// Records the result of a primitive with two inputs; `vjp` receives which gradients are needed
    /// (skip the work for constants) and returns them in input order.
    @inline(__always)
    public static func record(_ output: Tensor, _ a: Variable, _ b: Variable,
                              vjp: @escaping (Tensor, _ needA: Bool, _ needB: Bool) -> (Tensor?, Tensor?)) -> Variable {
        switch (a.node, b.node) {
        case (nil, nil): return Variable(output)
        case (let na?, nil): return Variable(value: output, node: GradientNode(inputs: [na]) { g in [vjp(g, true, false).0] })
        case (nil, let nb?): return Variable(value: output, node: GradientNode(inputs: [nb]) { g in [vjp(g, false, true).1] })
        case (let na?, let nb?):
            return Variable(value: output, node: GradientNode(inputs: [na, nb]) { g in
                let (ga, gb) = vjp(g, true, true)
                return [ga, gb]
            })
        }
    }

    /// Records the result of a primitive with any number of inputs.
    public static func record(_ output: Tensor, _ inputs: [Variable], vjp: @escaping (Tensor, [Bool]) -> [Tensor?]) -> Variable {
        let recorded = inputs.compactMap(\.node)
        guard !recorded.isEmpty else { return Variable(output) }
        let needed = inputs.map { $0.node != nil }
        return Variable(value: output, node: GradientNode(inputs: recorded) { g in
            let all = vjp(g, needed)
            return zip(all, needed).filter { $0.1 }.map { $0.0 }
        })
    }
}

extension Variable {
    /// Records a primitive with several outputs (a recurrent layer's sequence and final states).
    /// `vjp` receives one upstream gradient per output (`nil` for an output no gradient reached)
    /// and which inputs need gradients, and returns the inputs' gradients in order.
    ///
    /// ```swift
    /// let outs = Variable.record([y, hT], [x, w]) { grads, needed in ... }
    /// ```
    public static func record(_ outputs: [Tensor], _ inputs: [Variable],
                              vjp: @escaping ([Tensor?], [Bool]) -> [Tensor?]) -> [Variable] {
        let recorded = inputs.compactMap(\.node)
        guard !recorded.isEmpty else { return outputs.map { Variable($0) } }
        let needed = inputs.map { $0.node != nil }
        let joint = GradientNode(inputs: recorded, outputCount: outputs.count) { slots in
            zip(vjp(slots, needed), needed).filter { $0.1 }.map { $0.0 }
        }
        return outputs.enumerated().map { k, output in
            Variable(value: output, node: GradientNode(output: k, of: joint))
        }
    }
}

/// One recorded primitive: its recorded inputs and the rule mapping the output's gradient to
/// theirs. Leaves carry the parameter that receives the gradient. A primitive with several outputs
/// is one joint node (whose rule takes a gradient per output) and one projection node per output.
public final class GradientNode {
    let inputs: [GradientNode]
    /// Released after use, so that a backward pass frees the tensors the forward pass saved.
    var vjp: ((Tensor) -> [Tensor?])?
    /// Joint nodes: the rule over all outputs' gradients, and the gradients gathered so far.
    var jointVJP: (([Tensor?]) -> [Tensor?])?
    var outputGradients: [Tensor?] = []
    /// Projection nodes: which output of the joint node (their only input) they are.
    let outputIndex: Int?
    let parameter: Parameter?
    /// Creation order; a node is always created after its inputs, so sorting by it descending
    /// is a valid reverse topological order.
    let sequence: UInt64
    var gradient: Tensor?

    init(inputs: [GradientNode], vjp: @escaping (Tensor) -> [Tensor?]) {
        self.inputs = inputs
        self.vjp = vjp
        self.parameter = nil
        self.outputIndex = nil
        self.sequence = Gradients.nextSequence()
    }

    init(parameter: Parameter) {
        self.inputs = []
        self.vjp = nil
        self.parameter = parameter
        self.outputIndex = nil
        self.sequence = Gradients.nextSequence()
    }

    init(inputs: [GradientNode], outputCount: Int, jointVJP: @escaping ([Tensor?]) -> [Tensor?]) {
        self.inputs = inputs
        self.vjp = nil
        self.jointVJP = jointVJP
        self.outputGradients = Array(repeating: nil, count: outputCount)
        self.parameter = nil
        self.outputIndex = nil
        self.sequence = Gradients.nextSequence()
    }

    init(output index: Int, of joint: GradientNode) {
        self.inputs = [joint]
        self.vjp = nil
        self.parameter = nil
        self.outputIndex = index
        self.sequence = Gradients.nextSequence()
    }
}
