import DeepSwiftTensor

extension Variable {
    /// Softmax along `axis`; dx = y ⊙ (g − Σ g ⊙ y).
    public func softmax(axis: Int = -1) -> Variable {
        let y = value.softmax(axis: axis)
        return Variable.record(y, self) { g in y * (g - (g * y).sum(axis: axis, keepDims: true)) }
    }

    /// Log-softmax along `axis`; dx = g − softmax(x) · Σ g.
    public func logSoftmax(axis: Int = -1) -> Variable {
        let y = value.logSoftmax(axis: axis)
        return Variable.record(y, self) { g in g - y.exp() * g.sum(axis: axis, keepDims: true) }
    }
}
