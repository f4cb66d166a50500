import DeepSwiftTensor

/// VJPs of reductions: the upstream gradient is broadcast back over the reduced axes.
extension Variable {
    /// Gradient of a reduction with `keepDims: false`, reshaped so that it broadcasts over the input.
    static func expandReduced(_ g: Tensor, inputShape: [Int], axes: [Int]?) -> Tensor {
        let rank = inputShape.count
        let reduced = Set((axes ?? Array(0..<rank)).map { $0 < 0 ? $0 + rank : $0 })
        let kept = (0..<rank).map { reduced.contains($0) ? 1 : inputShape[$0] }
        return g.reshaped(kept)
    }

    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Variable {
        let shape = self.shape
        return Variable.record(value.sum(axes: axes, keepDims: keepDims), self) { g in
            Variable.expandReduced(g, inputShape: shape, axes: axes).expanded(to: shape).contiguous()
        }
    }
    public func sum(axis: Int, keepDims: Bool = false) -> Variable { sum(axes: [axis], keepDims: keepDims) }

    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Variable {
        let shape = self.shape
        let n = (axes ?? Array(0..<rank)).reduce(1) { $0 * shape[$1 < 0 ? $1 + shape.count : $1] }
        return sum(axes: axes, keepDims: keepDims) / Double(n)
    }
    public func mean(axis: Int, keepDims: Bool = false) -> Variable { mean(axes: [axis], keepDims: keepDims) }

    /// Maximum; the gradient is shared evenly among tied maxima (as `torch.amax`).
    public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Variable { extremum(axes: axes, keepDims: keepDims, max: true) }
    public func max(axis: Int, keepDims: Bool = false) -> Variable { max(axes: [axis], keepDims: keepDims) }
    /// Minimum; the gradient is shared evenly among tied minima.
    public func min(axes: [Int]? = nil, keepDims: Bool = false) -> Variable { extremum(axes: axes, keepDims: keepDims, max: false) }
    public func min(axis: Int, keepDims: Bool = false) -> Variable { min(axes: [axis], keepDims: keepDims) }

    private func extremum(axes: [Int]?, keepDims: Bool, max: Bool) -> Variable {
        let x = value
        let out = max ? x.max(axes: axes, keepDims: true) : x.min(axes: axes, keepDims: true)
        let result = keepDims ? out : (max ? x.max(axes: axes) : x.min(axes: axes))
        return Variable.record(result, self) { g in
            let mask = (x .== out).cast(to: g.dtype)
            let count = mask.sum(axes: axes, keepDims: true)
            return Variable.expandReduced(g, inputShape: x.shape, axes: axes) * mask / count
        }
    }

    /// log Σ exp along the axes; gradient softmax(x) · g.
    public func logSumExp(axes: [Int]? = nil, keepDims: Bool = false) -> Variable {
        let x = value
        let out = x.logSumExp(axes: axes, keepDims: true)
        let result = keepDims ? out : x.logSumExp(axes: axes, keepDims: false)
        return Variable.record(result, self) { g in
            Variable.expandReduced(g, inputShape: x.shape, axes: axes) * (x - out).exp()
        }
    }

    /// Variance with a correction (0 = population, 1 = sample), built from differentiable ops.
    public func variance(axes: [Int]? = nil, correction: Int = 1, keepDims: Bool = false) -> Variable {
        let shape = self.shape
        let n = (axes ?? Array(0..<rank)).reduce(1) { $0 * shape[$1 < 0 ? $1 + shape.count : $1] }
        let centered = self - mean(axes: axes, keepDims: true)
        return centered.squared().sum(axes: axes, keepDims: keepDims) / Double(Swift.max(n - correction, 0))
    }

    /// Standard deviation with a correction.
    public func standardDeviation(axes: [Int]? = nil, correction: Int = 1, keepDims: Bool = false) -> Variable {
        variance(axes: axes, correction: correction, keepDims: keepDims).sqrt()
    }

    /// L1, L2 or infinity norm.
    public func norm(_ kind: Tensor.NormKind = .l2, axes: [Int]? = nil, keepDims: Bool = false) -> Variable {
        switch kind {
        case .l1: return abs().sum(axes: axes, keepDims: keepDims)
        case .l2: return squared().sum(axes: axes, keepDims: keepDims).sqrt()
        case .infinity: return abs().max(axes: axes, keepDims: keepDims)
        }
    }

    /// Cumulative sum; the gradient is the reversed cumulative sum of the upstream gradient.
    public func cumulativeSum(axis: Int) -> Variable {
        Variable.record(value.cumulativeSum(axis: axis), self) { g in
            g.flipped(axes: [axis]).cumulativeSum(axis: axis).flipped(axes: [axis]).contiguous()
        }
    }
}
