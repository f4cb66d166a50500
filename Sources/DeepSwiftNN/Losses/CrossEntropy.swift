import DeepSwiftAutodiff
import DeepSwiftTensor

/// Softmax cross-entropy from logits, negative log-likelihood and KL divergence.
///
/// ```swift
/// let loss = Losses.softmaxCrossEntropy(logits: model(x), labels: y)            // PyTorch's F.cross_entropy
/// let smoothed = Losses.softmaxCrossEntropy(logits: z, labels: y, labelSmoothing: 0.1)
/// let soft = Losses.softmaxCrossEntropy(logits: z, probabilities: targets)
/// ```
public enum Losses {
    /// Cross-entropy of `logits` `[N, C]` against integer class `labels` `[N]`, with optional class
    /// weights `[C]`, label smoothing and an ignored label. Matches `torch.nn.functional.cross_entropy`,
    /// including its weighted mean (divided by the total weight of the non-ignored labels).
    /// One fused primitive: log-softmax forward; `(Σ_c a_c)·softmax − a` backward.
    public static func softmaxCrossEntropy(
        logits: Variable, labels: Tensor, classWeights: Tensor? = nil, labelSmoothing: Double = 0,
        ignoreIndex: Int? = nil, reduction: Reduction = .mean
    ) -> Variable {
        tensorCheck(logits.rank == 2 && labels.rank == 1 && labels.shape[0] == logits.shape[0],
                           "softmaxCrossEntropy: logits \(logits.shape) must be [N, C] and labels \(labels.shape) must be [N]")
        let (coefficients, denominator) = labelCoefficients(labels, classes: logits.shape[1], classWeights: classWeights,
                                                            labelSmoothing: labelSmoothing, ignoreIndex: ignoreIndex,
                                                            operation: "softmaxCrossEntropy")
        return weightedNegativeLogSoftmax(logits, coefficients: coefficients, denominator: denominator, reduction: reduction)
    }

    /// Cross-entropy of `logits` `[N, C]` against target `probabilities` `[N, C]` (soft labels).
    /// The mean is over samples, as PyTorch.
    public static func softmaxCrossEntropy(
        logits: Variable, probabilities: Tensor, classWeights: Tensor? = nil, labelSmoothing: Double = 0,
        reduction: Reduction = .mean
    ) -> Variable {
        tensorCheck(logits.shape == probabilities.shape && logits.rank == 2,
                           "softmaxCrossEntropy: logits \(logits.shape) and probabilities \(probabilities.shape) must both be [N, C]")
        let n = logits.shape[0], c = logits.shape[1]
        let q = probabilities.cast(to: .float64).scalars(as: Double.self)
        let weights = classWeights?.cast(to: .float64).scalars(as: Double.self) ?? Array(repeating: 1, count: c)
        var coefficients = [Double](repeating: 0, count: n * c)
        for i in 0..<n {
            for k in 0..<c { coefficients[i * c + k] = weights[k] * ((1 - labelSmoothing) * q[i * c + k] + labelSmoothing / Double(c)) }
        }
        return weightedNegativeLogSoftmax(logits, coefficients: coefficients, denominator: Double(n), reduction: reduction)
    }

    /// Coefficients `a[i, c]` of `−log p[i, c]` for integer labels — `(1 − ε)·w[label]` at the label
    /// plus `ε/C·w[c]` everywhere (label smoothing), zero for ignored rows — and the denominator of
    /// PyTorch's weighted mean (the total weight of the non-ignored labels).
    static func labelCoefficients(_ labels: Tensor, classes c: Int, classWeights: Tensor?, labelSmoothing: Double,
                                  ignoreIndex: Int?, operation: String) -> ([Double], Double) {
        let n = labels.shape[0]
        let values = labels.scalars(as: Int64.self)
        let weights = classWeights?.cast(to: .float64).scalars(as: Double.self) ?? Array(repeating: 1, count: c)
        tensorCheck(weights.count == c, "\(operation): \(weights.count) class weights for \(c) classes")
        var coefficients = [Double](repeating: 0, count: n * c)
        var denominator = 0.0
        for i in 0..<n {
            let label = Int(values[i])
            if let ignoreIndex, label == ignoreIndex { continue }
            tensorCheck(label >= 0 && label < c, "\(operation): label \(label) at row \(i) is outside 0..<\(c)")
            coefficients[i * c + label] += (1 - labelSmoothing) * weights[label]
            if labelSmoothing > 0 { for k in 0..<c { coefficients[i * c + k] += labelSmoothing / Double(c) * weights[k] } }
            denominator += weights[label]
        }
        return (coefficients, denominator)
    }

    /// loss = Σ_c a[i, c] · (−log softmax(z)[i, c]) per row, reduced; gradient
    /// g_i · (Σ_c a[i, c] · softmax(z)[i] − a[i]) / D.
    static func weightedNegativeLogSoftmax(_ logits: Variable, coefficients: [Double], denominator: Double,
                                           reduction: Reduction) -> Variable {
        let n = logits.shape[0], c = logits.shape[1]
        let dtype = logits.dtype.isFloatingPoint ? logits.dtype : .float32
        let z = logits.value.cast(to: dtype)
        let logp = z.logSoftmax(axis: 1)
        let a = Tensor(coefficients, shape: [n, c]).cast(to: dtype)
        let perRow = -(a * logp).sum(axis: 1)                  // [N]
        let output: Tensor
        switch reduction {
        case .none: output = perRow
        case .sum: output = perRow.sum()
        case .mean: output = perRow.sum() / Swift.max(denominator, 1e-300)
        case .batchMean: output = perRow.sum() / Double(Swift.max(n, 1))
        }
        let scale: Double
        switch reduction {
        case .mean: scale = 1 / Swift.max(denominator, 1e-300)
        case .batchMean: scale = 1 / Double(Swift.max(n, 1))
        default: scale = 1
        }
        return Variable.record(output, logits) { g in
            let rowWeight = a.sum(axis: 1, keepDims: true)   // [N, 1]
            let local = logp.exp() * rowWeight - a           // [N, C]
            let upstream = reduction == .none ? g.reshaped([n, 1]) : g.reshaped([1, 1])
            return local * upstream * scale
        }
    }

    /// Negative log-likelihood of log-probabilities `[N, C]` (e.g. from `logSoftmax`) and labels `[N]`.
    public static func negativeLogLikelihood(logProbabilities: Variable, labels: Tensor, classWeights: Tensor? = nil,
                                             ignoreIndex: Int? = nil, reduction: Reduction = .mean) -> Variable {
        let n = logProbabilities.shape[0], c = logProbabilities.shape[1]
        let (coefficients, denominator) = labelCoefficients(labels, classes: c, classWeights: classWeights, labelSmoothing: 0,
                                                            ignoreIndex: ignoreIndex, operation: "negativeLogLikelihood")
        let a = Variable(Tensor(coefficients, shape: [n, c]).cast(to: logProbabilities.dtype))
        let perRow = -(a * logProbabilities).sum(axis: 1)
        switch reduction {
        case .mean: return perRow.sum() / Swift.max(denominator, 1e-300)
        default: return reduction.apply(perRow)
        }
    }

    /// KL(target ‖ input) with `input` given as log-probabilities, as `F.kl_div`:
    /// Σ target · (log target − input), with 0 · log 0 = 0.
    public static func klDivergence(logProbabilities: Variable, target: Tensor, reduction: Reduction = .batchMean) -> Variable {
        let t = target.cast(to: logProbabilities.dtype)
        let logT = Tensor.where(t .> 0, t.log(), Tensor.zeros([], dtype: t.dtype))
        let pointwise = Variable(t) * (Variable(logT) - logProbabilities)
        return reduction.apply(pointwise)
    }
}

extension Losses {
    /// Cross-entropy of every step of a sequence: `logits [B, T, C]` against `labels [B, T]`, the
    /// mean over the real steps (`mask [B, T]`, nonzero = real; all steps without a mask).
    ///
    /// ```swift
    /// let loss = Losses.sequenceCrossEntropy(logits: model(inputs), labels: targets, mask: lengths)
    /// ```
    public static func sequenceCrossEntropy(logits: Variable, labels: Tensor, mask: Tensor? = nil) -> Variable {
        tensorCheck(logits.rank == 3 && labels.shape == Array(logits.shape.prefix(2)),
                    "sequenceCrossEntropy: logits \(logits.shape) must be [B, T, C] and labels \(labels.shape) [B, T]")
        var flatLabels = labels.cast(to: .int64).reshaped([-1])
        if let mask {
            tensorCheck(mask.shape == labels.shape, "sequenceCrossEntropy: mask shape \(mask.shape) does not match labels \(labels.shape)")
            flatLabels = Tensor.where(mask.reshaped([-1]) .!= 0, flatLabels, Tensor(Int64(-100)))
        }
        return softmaxCrossEntropy(logits: logits.reshaped([-1, logits.shape[2]]), labels: flatLabels, ignoreIndex: mask == nil ? nil : -100)
    }
}
