import DeepSwiftTensor

extension Tensor {
    /// Sums a gradient of a broadcast result back to `shape` (the shape of the operand that was broadcast).
    public func reduced(toShape shape: [Int]) -> Tensor {
        if self.shape == shape { return self }
        let lead = rank - shape.count
        var axes = Array(0..<lead)
        for (i, dim) in shape.enumerated() where dim == 1 && self.shape[lead + i] != 1 { axes.append(lead + i) }
        let summed = axes.isEmpty ? self : sum(axes: axes, keepDims: true)
        return summed.reshaped(shape)
    }
}

// MARK: Arithmetic — VJPs of +, −, ×, ÷ with broadcasting

extension Variable {
    public static func + (a: Variable, b: Variable) -> Variable {
        let (sa, sb) = (a.shape, b.shape)
        return record(a.value + b.value, a, b) { g, needA, needB in
            (needA ? g.reduced(toShape: sa) : nil, needB ? g.reduced(toShape: sb) : nil)
        }
    }

    public static func - (a: Variable, b: Variable) -> Variable {
        let (sa, sb) = (a.shape, b.shape)
        return record(a.value - b.value, a, b) { g, needA, needB in
            (needA ? g.reduced(toShape: sa) : nil, needB ? (-g).reduced(toShape: sb) : nil)
        }
    }

    public static func * (a: Variable, b: Variable) -> Variable {
        let (va, vb) = (a.value, b.value)
        return record(va * vb, a, b) { g, needA, needB in
            (needA ? (g * vb).reduced(toShape: va.shape) : nil, needB ? (g * va).reduced(toShape: vb.shape) : nil)
        }
    }

    public static func / (a: Variable, b: Variable) -> Variable {
        let (va, vb) = (a.value, b.value)
        return record(va / vb, a, b) { g, needA, needB in
            (needA ? (g / vb).reduced(toShape: va.shape) : nil,
             needB ? (-g * va / (vb * vb)).reduced(toShape: vb.shape) : nil)
        }
    }

    public static prefix func - (a: Variable) -> Variable { record(-a.value, a) { -$0 } }

    public static func + (a: Variable, b: Double) -> Variable { record(a.value + b, a) { $0 } }
    public static func - (a: Variable, b: Double) -> Variable { record(a.value - b, a) { $0 } }
    public static func * (a: Variable, b: Double) -> Variable { record(a.value * b, a) { $0 * b } }
    public static func / (a: Variable, b: Double) -> Variable { record(a.value / b, a) { $0 / b } }
    public static func + (a: Double, b: Variable) -> Variable { b + a }
    public static func - (a: Double, b: Variable) -> Variable { record(a - b.value, b) { -$0 } }
    public static func * (a: Double, b: Variable) -> Variable { b * a }
    public static func / (a: Double, b: Variable) -> Variable {
        let vb = b.value
        return record(a / vb, b) { g in -g * a / (vb * vb) }
    }

    /// Elementwise maximum; where both are equal the gradient is split evenly (as PyTorch).
    public func maximum(_ other: Variable) -> Variable { Variable.extremum(self, other, max: true) }
    /// Elementwise minimum; where both are equal the gradient is split evenly.
    public func minimum(_ other: Variable) -> Variable { Variable.extremum(self, other, max: false) }

    private static func extremum(_ a: Variable, _ b: Variable, max: Bool) -> Variable {
        let (va, vb) = (a.value, b.value)
        let out = max ? va.maximum(vb) : va.minimum(vb)
        return record(out, a, b) { g, needA, needB in
            let aWins = (max ? va .> vb : va .< vb).cast(to: g.dtype)
            let tie = (va .== vb).cast(to: g.dtype) * 0.5
            let wa = aWins + tie
            return (needA ? (g * wa).reduced(toShape: va.shape) : nil,
                    needB ? (g * (1 - wa)).reduced(toShape: vb.shape) : nil)
        }
    }

    /// `self` raised to a constant power.
    public func pow(_ exponent: Double) -> Variable {
        let x = value
        return Variable.record(x.pow(exponent), self) { g in g * x.pow(exponent - 1) * exponent }
    }
}
