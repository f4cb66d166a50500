import DeepSwiftAutodiff
import DeepSwiftTensor

/// Regression, binary, margin and count losses. Targets are plain tensors (no gradient).
///
/// ```swift
/// Losses.meanSquaredError(prediction, target)
/// Losses.binaryCrossEntropy(logits: z, targets: t)     // stable for any logit
/// Losses.huber(prediction, target, delta: 1)
/// ```
extension Losses {
    public static func meanSquaredError(_ prediction: Variable, _ target: Tensor, reduction: Reduction = .mean) -> Variable {
        reduction.apply((prediction - Variable(target)).squared())
    }

    public static func meanAbsoluteError(_ prediction: Variable, _ target: Tensor, reduction: Reduction = .mean) -> Variable {
        reduction.apply((prediction - Variable(target)).abs())
    }

    /// Quadratic within `delta` of the target, linear beyond: `F.huber_loss`.
    public static func huber(_ prediction: Variable, _ target: Tensor, delta: Double = 1, reduction: Reduction = .mean) -> Variable {
        let diff = prediction - Variable(target)
        let absolute = diff.abs()
        let quadratic = diff.squared() * 0.5
        let linear = (absolute - 0.5 * delta) * delta
        return reduction.apply(Variable.where(absolute.value .<= delta, quadratic, linear))
    }

    /// `F.smooth_l1_loss`: 0.5·d²/β within β, |d| − 0.5β beyond (Huber divided by β).
    public static func smoothL1(_ prediction: Variable, _ target: Tensor, beta: Double = 1, reduction: Reduction = .mean) -> Variable {
        let diff = prediction - Variable(target)
        let absolute = diff.abs()
        return reduction.apply(Variable.where(absolute.value .< beta, diff.squared() * (0.5 / beta), absolute - 0.5 * beta))
    }

    /// Binary cross-entropy from logits: max(z, 0) − z·t + log(1 + e^(−|z|)), stable for any z.
    public static func binaryCrossEntropy(logits: Variable, targets: Tensor, reduction: Reduction = .mean) -> Variable {
        let z = logits.value, t = targets.cast(to: z.dtype)
        let values = z.relu() - z * t + (-z.abs()).exp().log1p()
        let n = Double(z.count)
        let output: Tensor
        switch reduction {
        case .mean: output = values.mean()
        case .sum: output = values.sum()
        case .none: output = values
        case .batchMean: output = values.sum() / Double(Swift.max(z.shape.first ?? 1, 1))
        }
        return Variable.record(output, logits) { g in
            let local = z.sigmoid() - t
            switch reduction {
            case .mean: return local * g / n
            case .batchMean: return local * g / Double(Swift.max(z.shape.first ?? 1, 1))
            default: return local * g
            }
        }
    }

    /// Binary cross-entropy from probabilities, with the logarithms clamped at −100 (as PyTorch).
    public static func binaryCrossEntropy(probabilities: Variable, targets: Tensor, reduction: Reduction = .mean) -> Variable {
        let t = Variable(targets.cast(to: probabilities.dtype))
        let logP = probabilities.log().maximum(Variable(Tensor.full([], value: -100, dtype: probabilities.dtype)))
        let logQ = (1 - probabilities).log().maximum(Variable(Tensor.full([], value: -100, dtype: probabilities.dtype)))
        return reduction.apply(-(t * logP + (1 - t) * logQ))
    }

    /// Keras's hinge loss: mean(max(1 − t·y, 0)) for targets t in {−1, +1}.
    public static func hinge(_ prediction: Variable, _ target: Tensor, reduction: Reduction = .mean) -> Variable {
        reduction.apply((1 - prediction * Variable(target.cast(to: prediction.dtype))).relu())
    }

    /// Keras's squared hinge: mean(max(1 − t·y, 0)²).
    public static func squaredHinge(_ prediction: Variable, _ target: Tensor, reduction: Reduction = .mean) -> Variable {
        reduction.apply((1 - prediction * Variable(target.cast(to: prediction.dtype))).relu().squared())
    }

    /// Cosine proximity: −cos(prediction, target) along `axis`, averaged (Keras's `cosine_similarity` loss).
    public static func cosineProximity(_ prediction: Variable, _ target: Tensor, axis: Int = -1, reduction: Reduction = .mean) -> Variable {
        let t = target.cast(to: prediction.dtype)
        let tNorm = t.norm(.l2, axes: [axis], keepDims: true).maximum(Tensor.full([], value: 1e-12, dtype: t.dtype))
        let pNorm = prediction.norm(.l2, axes: [axis], keepDims: true).maximum(Variable(Tensor.full([], value: 1e-12, dtype: t.dtype)))
        let cosine = (prediction * Variable(t / tNorm) / pNorm).sum(axes: [axis])
        return reduction.apply(-cosine)
    }

    /// Poisson negative log-likelihood for predicted rates: mean(rate − target·log(rate + ε)),
    /// as `F.poisson_nll_loss(log_input=False)`.
    public static func poisson(_ rate: Variable, _ target: Tensor, epsilon: Double = 1e-8, reduction: Reduction = .mean) -> Variable {
        reduction.apply(rate - Variable(target.cast(to: rate.dtype)) * (rate + epsilon).log())
    }
}
