import DeepSwiftTensor

/// VJPs of the elementwise functions. Each rule reuses the forward output where the derivative
/// is expressed through it (exp, tanh, sigmoid, sqrt).
extension Variable {
    public func exp() -> Variable { let y = value.exp(); return Variable.record(y, self) { $0 * y } }
    public func log() -> Variable { let x = value; return Variable.record(x.log(), self) { $0 / x } }
    public func log1p() -> Variable { let x = value; return Variable.record(x.log1p(), self) { $0 / (x + 1) } }
    public func expm1() -> Variable { let y = value.expm1(); return Variable.record(y, self) { $0 * (y + 1) } }
    public func sqrt() -> Variable { let y = value.sqrt(); return Variable.record(y, self) { $0 / (y * 2) } }
    public func rsqrt() -> Variable { let y = value.rsqrt(); return Variable.record(y, self) { $0 * y * y * y * -0.5 } }
    public func squared() -> Variable { let x = value; return Variable.record(x.squared(), self) { $0 * x * 2 } }
    public func reciprocal() -> Variable { let y = value.reciprocal(); return Variable.record(y, self) { -$0 * y * y } }
    public func sin() -> Variable { let x = value; return Variable.record(x.sin(), self) { $0 * x.cos() } }
    public func cos() -> Variable { let x = value; return Variable.record(x.cos(), self) { -$0 * x.sin() } }
    public func tanh() -> Variable { let y = value.tanh(); return Variable.record(y, self) { $0 * (1 - y * y) } }
    public func sigmoid() -> Variable { let y = value.sigmoid(); return Variable.record(y, self) { $0 * y * (1 - y) } }
    public func abs() -> Variable { let x = value; return Variable.record(x.abs(), self) { $0 * x.sign() } }
    /// d erf(x) / dx = 2/√π · e^(−x²).
    public func erf() -> Variable {
        let x = value
        return Variable.record(x.erf(), self) { $0 * (-x.squared()).exp() * 1.1283791670955126 }
    }

    public func relu() -> Variable {
        let x = value
        return Variable.record(x.relu(), self) { g in Tensor.where(x .> 0, g, Tensor.zeros([], dtype: g.dtype)) }
    }

    public func leakyRelu(negativeSlope: Double = 0.01) -> Variable {
        let x = value
        return Variable.record(x.leakyRelu(negativeSlope: negativeSlope), self) { g in
            Tensor.where(x .> 0, g, g * negativeSlope)
        }
    }

    public func elu(alpha: Double = 1) -> Variable {
        let x = value, y = x.elu(alpha: alpha)
        return Variable.record(y, self) { g in Tensor.where(x .> 0, g, g * (y + alpha)) }
    }

    public func selu() -> Variable {
        let scale = 1.0507009873554805, alpha = 1.6732632423543772
        let x = value, y = x.selu()
        return Variable.record(y, self) { g in Tensor.where(x .> 0, g * scale, g * (y + scale * alpha)) }
    }

    /// GELU; d/dx of x·Φ(x) is Φ(x) + x·φ(x) (erf form), and the derivative of the tanh form.
    public func gelu(approximation: Tensor.GELUApproximation = .none) -> Variable {
        let x = value
        return Variable.record(x.gelu(approximation: approximation), self) { g in
            switch approximation {
            case .none:
                let cdf = ((x * 0.7071067811865476).erf() + 1) * 0.5
                let pdf = (x.squared() * -0.5).exp() * 0.3989422804014327
                return g * (cdf + x * pdf)
            case .tanh:
                let k = 0.7978845608028654
                let inner = (x + x * x * x * 0.044715) * k
                let t = inner.tanh()
                let dInner = (x * x * (3 * 0.044715) + 1) * k
                return g * ((t + 1) * 0.5 + x * 0.5 * (1 - t * t) * dInner)
            }
        }
    }

    public func softplus() -> Variable { let x = value; return Variable.record(x.softplus(), self) { $0 * x.sigmoid() } }

    /// x·σ(x); derivative σ(x)(1 + x(1 − σ(x))).
    public func swish() -> Variable {
        let x = value
        return Variable.record(x.swish(), self) { g in
            let s = x.sigmoid()
            return g * s * (x * (1 - s) + 1)
        }
    }
    public func silu() -> Variable { swish() }

    /// Limits to `min ... max`; the gradient passes where the input is inside the range.
    public func clamped(min: Double? = nil, max: Double? = nil) -> Variable {
        let x = value
        return Variable.record(x.clamped(min: min, max: max), self) { g in
            var inside = Tensor.ones(x.shape, dtype: .bool)
            if let min { inside = inside .& (x .>= min) }
            if let max { inside = inside .& (x .<= max) }
            return Tensor.where(inside, g, Tensor.zeros([], dtype: g.dtype))
        }
    }
}
