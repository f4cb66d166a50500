import DeepSwiftAutodiff
import DeepSwiftTensor

/// Updates parameters from their accumulated gradients.
///
/// Every optimizer keeps its per-parameter buffers (momenta, second moments, ...) as plain
/// tensors in ``state``, keyed `"<parameter index>.<buffer>"`, plus the step count, so a checkpoint
/// can save and restore it exactly.
///
/// ```swift
/// let optimizer = Adam(model.parameters, learningRate: 1e-3)
/// loss.backward()
/// optimizer.step()          // reads parameter.grad, updates parameter.value in place
/// optimizer.zeroGrad()
/// ```
public protocol Optimizer: AnyObject {
    /// The parameters, in a fixed order.
    var parameters: [Parameter] { get }
    /// The learning rate used by the next ``step()``; schedules set it.
    var learningRate: Double { get set }
    /// Number of steps taken.
    var stepCount: Int { get }
    /// Applies one update to every parameter that has a gradient.
    func step()
    /// The optimizer's buffers and step count, as plain tensors.
    var state: [String: Tensor] { get set }
}

extension Optimizer {
    /// Clears the gradients of every parameter.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}

/// Regularization shared by all optimizers, applied to the gradient (L1, L2) or to the
/// parameter (decoupled weight decay, as AdamW) before the optimizer's own rule.
public struct Regularization: Sendable, Equatable, Codable {
    /// Adds `l2 · p` to the gradient (PyTorch's `weight_decay`).
    public var l2: Double
    /// Adds `l1 · sign(p)` to the gradient.
    public var l1: Double
    /// Multiplies `p` by `1 − lr · decoupledWeightDecay` before the update (Loshchilov & Hutter).
    public var decoupledWeightDecay: Double

    public init(l2: Double = 0, l1: Double = 0, decoupledWeightDecay: Double = 0) {
        self.l2 = l2
        self.l1 = l1
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    public static let none = Regularization()

    /// The gradient with L1/L2 terms added (the parameter itself is unchanged).
    func effectiveGradient(_ g: Tensor, _ p: Tensor) -> Tensor {
        var g = g
        if l2 != 0 { g = g + p * l2 }
        if l1 != 0 { g = g + p.sign() * l1 }
        return g
    }

    func decay(_ p: inout Tensor, learningRate: Double) {
        if decoupledWeightDecay != 0 { p *= (1 - learningRate * decoupledWeightDecay) }
    }
}

/// Shared plumbing: per-parameter buffers stored by name, step counting, state export.
open class OptimizerBase {
    public let parameters: [Parameter]
    public var learningRate: Double
    public var regularization: Regularization
    public internal(set) var stepCount = 0
    /// Buffers per parameter index and name.
    var buffers: [[String: Tensor]]

    init(_ parameters: [Parameter], learningRate: Double, regularization: Regularization) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.regularization = regularization
        self.buffers = Array(repeating: [:], count: parameters.count)
    }

    public var state: [String: Tensor] {
        get {
            var result: [String: Tensor] = ["step": Tensor([Int64(stepCount)])]
            for (i, named) in buffers.enumerated() { for (name, t) in named { result["\(i).\(name)"] = t } }
            return result
        }
        set {
            stepCount = Int(newValue["step"]?.scalars(as: Int64.self).first ?? 0)
            buffers = Array(repeating: [:], count: parameters.count)
            for (key, t) in newValue where key != "step" {
                let parts = key.split(separator: ".", maxSplits: 1)
                guard parts.count == 2, let i = Int(parts[0]), i < parameters.count else { continue }
                buffers[i][String(parts[1])] = t
            }
        }
    }

    /// A zero buffer shaped like parameter `i`, created on first use.
    func buffer(_ i: Int, _ name: String) -> Tensor {
        if let t = buffers[i][name] { return t }
        let t = Tensor.zeros(parameters[i].value.shape, dtype: parameters[i].value.dtype)
        buffers[i][name] = t
        return t
    }

    /// Calls `update` for each parameter that has a gradient, with the regularized gradient.
    func forEachParameter(_ update: (Int, Parameter, Tensor) -> Void) {
        stepCount += 1
        for (i, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            let grad = regularization.effectiveGradient(g.cast(to: p.value.dtype), p.value)
            regularization.decay(&p.value, learningRate: learningRate)
            update(i, p, grad)
        }
    }
}

// MARK: Gradient clipping

/// Gradient clipping over a set of parameters.
public enum GradientClipping {
    /// Scales all gradients by `maxNorm / (norm + 1e-6)` when their joint L2 norm exceeds `maxNorm`
    /// (`torch.nn.utils.clip_grad_norm_`). Returns the norm before clipping.
    @discardableResult
    public static func clipByGlobalNorm(_ parameters: [Parameter], maxNorm: Double) -> Double {
        let grads = parameters.compactMap(\.grad)
        let total = grads.reduce(0.0) { $0 + $1.cast(to: .float64).squared().sum().scalarValue }.squareRoot()
        let coefficient = maxNorm / (total + 1e-6)
        if coefficient < 1 {
            for p in parameters where p.grad != nil { p.grad! *= coefficient }
        }
        return total
    }

    /// Limits every gradient element to `[-limit, limit]`.
    public static func clipByValue(_ parameters: [Parameter], limit: Double) {
        for p in parameters where p.grad != nil { p.grad = p.grad!.clamped(min: -limit, max: limit) }
    }
}
