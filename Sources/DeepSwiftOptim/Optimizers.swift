import CDeepSwiftKernels
import Foundation
import DeepSwiftAutodiff
import DeepSwiftTensor

/// Stochastic gradient descent with momentum, dampening and Nesterov momentum, as `torch.optim.SGD`.
public final class SGD: OptimizerBase, Optimizer {
    public var momentum: Double, dampening: Double, nesterov: Bool

    public init(_ parameters: [Parameter], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
                nesterov: Bool = false, regularization: Regularization = .none) {
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        super.init(parameters, learningRate: learningRate, regularization: regularization)
    }

    public func step() {
        forEachParameter { i, p, g in
            var direction = g
            if momentum != 0 {
                // The buffer starts as the gradient itself (no dampening on the first step).
                var buf: Tensor
                if let existing = buffers[i]["momentum"] {
                    buf = existing
                    buffers[i]["momentum"] = nil
                    buf *= momentum
                    buf += g * (1 - dampening)
                } else {
                    buf = g.contiguousCopy()
                }
                buffers[i]["momentum"] = buf
                direction = nesterov ? g + buf * momentum : buf
            }
            p.value -= direction * learningRate
        }
    }
}

/// Adam and AMSGrad (Kingma & Ba), as `torch.optim.Adam`; AdamW through decoupled weight decay.
public final class Adam: OptimizerBase, Optimizer {
    public var beta1: Double, beta2: Double, epsilon: Double, amsgrad: Bool

    public init(_ parameters: [Parameter], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, amsgrad: Bool = false, regularization: Regularization = .none) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
        super.init(parameters, learningRate: learningRate, regularization: regularization)
    }

    public func step() {
        forEachParameter { i, p, g in
            let t = Double(stepCount)
            let bc1 = 1 - Foundation.pow(beta1, t), bc2 = 1 - Foundation.pow(beta2, t)
            var m = buffer(i, "m"), v = buffer(i, "v")
            var vmax: Tensor? = amsgrad ? buffer(i, "vmax") : nil
            buffers[i]["m"] = nil
            buffers[i]["v"] = nil
            if amsgrad { buffers[i]["vmax"] = nil }
            AdamKernel.update(&p.value, g, &m, &v, &vmax, learningRate: learningRate, beta1: beta1, beta2: beta2,
                              epsilon: epsilon, biasCorrection1: bc1, biasCorrection2: bc2)
            buffers[i]["m"] = m
            buffers[i]["v"] = v
            if amsgrad { buffers[i]["vmax"] = vmax }
        }
    }
}

/// Adam with decoupled weight decay (Loshchilov & Hutter), as `torch.optim.AdamW`.
public func AdamW(_ parameters: [Parameter], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                  epsilon: Double = 1e-8, weightDecay: Double = 0.01, amsgrad: Bool = false) -> Adam {
    Adam(parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: amsgrad,
         regularization: Regularization(decoupledWeightDecay: weightDecay))
}

/// The fused Adam update over contiguous buffers: one pass, no temporaries.
enum AdamKernel {
    static func update(_ p: inout Tensor, _ g: Tensor, _ m: inout Tensor, _ v: inout Tensor, _ vmax: inout Tensor?,
                       learningRate: Double, beta1: Double, beta2: Double, epsilon: Double,
                       biasCorrection1: Double, biasCorrection2: Double) {
        let grad = g.contiguous()
        if p.dtype == .float32 {
            // Vectorized C kernel, split across threads.
            let n = p.count
            let stepSize = Float(learningRate / biasCorrection1), inverse = Float(1 / biasCorrection2.squareRoot())
            let (b1, b2, eps) = (Float(beta1), Float(beta2), Float(epsilon))
            grad.withUnsafeBufferPointer(as: Float.self) { gb in
                p.withUnsafeMutableBufferPointer(as: Float.self) { pb in
                    m.withUnsafeMutableBufferPointer(as: Float.self) { mb in
                        v.withUnsafeMutableBufferPointer(as: Float.self) { vb in
                            func launch(_ xp: UnsafeMutablePointer<Float>?) {
                                let all = UncheckedSendable((gb.baseAddress!, pb.baseAddress!, mb.baseAddress!, vb.baseAddress!, xp))
                                Parallel.forRanges(n) { range in
                                    let (gp, pp, mp, vp, xp) = all.value
                                    let o = range.lowerBound
                                    ds_adam_f32(pp + o, gp + o, mp + o, vp + o, xp.map { $0 + o }, range.count, stepSize, b1, b2, eps, inverse)
                                }
                            }
                            if vmax != nil {
                                vmax!.withUnsafeMutableBufferPointer(as: Float.self) { launch($0.baseAddress!) }
                            } else {
                                launch(nil)
                            }
                        }
                    }
                }
            }
            return
        }
        func run<T: FloatElement>(_: T.Type) {
            let n = p.count
            grad.withUnsafeBufferPointer(as: T.self) { gb in
                p.withUnsafeMutableBufferPointer(as: T.self) { pb in
                    m.withUnsafeMutableBufferPointer(as: T.self) { mb in
                        v.withUnsafeMutableBufferPointer(as: T.self) { vb in
                            let b1 = T(beta1), b2 = T(beta2), eps = T(epsilon)
                            let stepSize = T(learningRate / biasCorrection1)
                            let inverseBC2Sqrt = T(1 / biasCorrection2.squareRoot())
                            let buffers = UncheckedSendable((gb.baseAddress!, pb.baseAddress!, mb.baseAddress!, vb.baseAddress!))
                            if vmax != nil {
                                vmax!.withUnsafeMutableBufferPointer(as: T.self) { xb in
                                    let xs = UncheckedSendable(xb.baseAddress!)
                                    Parallel.forRanges(n) { range in
                                        let (gp, pp, mp, vp) = buffers.value
                                        let xp = xs.value
                                        for i in range {
                                            let gi = gp[i]
                                            mp[i] = b1 * mp[i] + (1 - b1) * gi
                                            vp[i] = b2 * vp[i] + (1 - b2) * gi * gi
                                            xp[i] = Swift.max(xp[i], vp[i])
                                            pp[i] -= stepSize * mp[i] / (xp[i].squareRoot() * inverseBC2Sqrt + eps)
                                        }
                                    }
                                }
                            } else {
                                Parallel.forRanges(n) { range in
                                    let (gp, pp, mp, vp) = buffers.value
                                    for i in range {
                                        let gi = gp[i]
                                        let mi = b1 * mp[i] + (1 - b1) * gi
                                        let vi = b2 * vp[i] + (1 - b2) * gi * gi
                                        mp[i] = mi
                                        vp[i] = vi
                                        pp[i] -= stepSize * mi / (vi.squareRoot() * inverseBC2Sqrt + eps)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if p.dtype == .float32 { run(Float.self) } else { run(Double.self) }
    }
}

/// Adamax: Adam with the infinity norm, as `torch.optim.Adamax`.
public final class Adamax: OptimizerBase, Optimizer {
    public var beta1: Double, beta2: Double, epsilon: Double

    public init(_ parameters: [Parameter], learningRate: Double = 2e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, regularization: Regularization = .none) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        super.init(parameters, learningRate: learningRate, regularization: regularization)
    }

    public func step() {
        forEachParameter { i, p, g in
            let m = buffer(i, "m") * beta1 + g * (1 - beta1)
            let u = (buffer(i, "u") * beta2).maximum(g.abs() + epsilon)
            buffers[i]["m"] = m
            buffers[i]["u"] = u
            p.value -= m / u * (learningRate / (1 - Foundation.pow(beta1, Double(stepCount))))
        }
    }
}

/// Nesterov-accelerated Adam with momentum decay (Dozat), as `torch.optim.NAdam`.
public final class NAdam: OptimizerBase, Optimizer {
    public var beta1: Double, beta2: Double, epsilon: Double, momentumDecay: Double
    private var muProduct = 1.0

    public init(_ parameters: [Parameter], learningRate: Double = 2e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, momentumDecay: Double = 0.004, regularization: Regularization = .none) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.momentumDecay = momentumDecay
        super.init(parameters, learningRate: learningRate, regularization: regularization)
    }

    public func step() {
        let t = Double(stepCount + 1)
        let mu = beta1 * (1 - 0.5 * Foundation.pow(0.96, t * momentumDecay))
        let muNext = beta1 * (1 - 0.5 * Foundation.pow(0.96, (t + 1) * momentumDecay))
        muProduct *= mu
        let product = muProduct
        forEachParameter { i, p, g in
            let m = buffer(i, "m") * beta1 + g * (1 - beta1)
            let v = buffer(i, "v") * beta2 + g.squared() * (1 - beta2)
            buffers[i]["m"] = m
            buffers[i]["v"] = v
            let denominator = (v / (1 - Foundation.pow(beta2, t))).sqrt() + epsilon
            p.value -= g / denominator * (learningRate * (1 - mu) / (1 - product))
            p.value -= m / denominator * (learningRate * muNext / (1 - product * muNext))
        }
    }

    public override var state: [String: Tensor] {
        get { var s = super.state; s["mu_product"] = Tensor([muProduct]); return s }
        set { super.state = newValue; muProduct = newValue["mu_product"]?.scalarValue ?? 1 }
    }
}

/// RMSProp with optional centering and momentum, as `torch.optim.RMSprop`.
public final class RMSProp: OptimizerBase, Optimizer {
    public var alpha: Double, epsilon: Double, momentum: Double, centered: Bool

    public init(_ parameters: [Parameter], learningRate: Double = 1e-2, alpha: Double = 0.99, epsilon: Double = 1e-8,
                momentum: Double = 0, centered: Bool = false, regularization: Regularization = .none) {
        self.alpha = alpha
        self.epsilon = epsilon
        self.momentum = momentum
        self.centered = centered
        super.init(parameters, learningRate: learningRate, regularization: regularization)
    }

    public func step() {
        forEachParameter { i, p, g in
            let v = buffer(i, "square_avg") * alpha + g.squared() * (1 - alpha)
            buffers[i]["square_avg"] = v
            var average: Tensor
            if centered {
                let mean = buffer(i, "grad_avg") * alpha + g * (1 - alpha)
                buffers[i]["grad_avg"] = mean
                average = (v - mean.squared()).sqrt() + epsilon
            } else {
                average = v.sqrt() + epsilon
            }
            if momentum > 0 {
                let buf = buffer(i, "momentum") * momentum + g / average
                buffers[i]["momentum"] = buf
                p.value -= buf * learningRate
            } else {
                p.value -= g / average * learningRate
            }
        }
    }
}

/// AdaGrad, as `torch.optim.Adagrad`.
public final class AdaGrad: OptimizerBase, Optimizer {
    public var epsilon: Double, initialAccumulator: Double

    public init(_ parameters: [Parameter], learningRate: Double = 1e-2, epsilon: Double = 1e-10, initialAccumulator: Double = 0,
                regularization: Regularization = .none) {
        self.epsilon = epsilon
        self.initialAccumulator = initialAccumulator
        super.init(parameters, learningRate: learningRate, regularization: regularization)
    }

    public func step() {
        forEachParameter { i, p, g in
            let previous = buffers[i]["sum"] ?? Tensor.full(p.value.shape, value: initialAccumulator, dtype: p.value.dtype)
            let sum = previous + g.squared()
            buffers[i]["sum"] = sum
            p.value -= g / (sum.sqrt() + epsilon) * learningRate
        }
    }
}

/// AdaDelta (Zeiler), as `torch.optim.Adadelta`.
public final class AdaDelta: OptimizerBase, Optimizer {
    public var rho: Double, epsilon: Double

    public init(_ parameters: [Parameter], learningRate: Double = 1, rho: Double = 0.9, epsilon: Double = 1e-6,
                regularization: Regularization = .none) {
        self.rho = rho
        self.epsilon = epsilon
        super.init(parameters, learningRate: learningRate, regularization: regularization)
    }

    public func step() {
        forEachParameter { i, p, g in
            let v = buffer(i, "square_avg") * rho + g.squared() * (1 - rho)
            let u = buffer(i, "acc_delta")
            let delta = (u + epsilon).sqrt() / (v + epsilon).sqrt() * g
            buffers[i]["square_avg"] = v
            buffers[i]["acc_delta"] = u * rho + delta.squared() * (1 - rho)
            p.value -= delta * learningRate
        }
    }
}

