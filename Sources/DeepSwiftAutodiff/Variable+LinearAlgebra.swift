import DeepSwiftTensor

/// VJPs of matrix products, and the fused dense-layer primitive.
extension Variable {
    /// Matrix product with NumPy `matmul` broadcasting. dA = g·Bᵀ, dB = Aᵀ·g, each summed back
    /// over broadcast batch dimensions.
    public func matmul(_ other: Variable) -> Variable {
        let a = value, b = other.value
        return Variable.record(a.matmul(b), self, other) { g, needA, needB in
            var ga: Tensor? = nil, gb: Tensor? = nil
            let a2 = a.rank == 1 ? a.unsqueezed(axis: 0) : a
            let b2 = b.rank == 1 ? b.unsqueezed(axis: 1) : b
            var g2 = g
            if a.rank == 1 { g2 = g2.unsqueezed(axis: g2.rank - (b.rank == 1 ? 0 : 1)) }
            if b.rank == 1 { g2 = g2.unsqueezed(axis: g2.rank) }
            if needA { ga = g2.matmul(b2.transposed()).reduced(toShape: a2.shape).reshaped(a.shape) }
            if needB {
                if a2.rank > 2 && b2.rank == 2 {
                    // Fold the batch: [.., M, K]ᵀ · [.., M, N] summed over the batch is one GEMM.
                    let k = a2.shape[a2.rank - 1], n = g2.shape[g2.rank - 1]
                    gb = a2.reshaped([-1, k]).transposed().matmul(g2.reshaped([-1, n])).reshaped(b.shape)
                } else {
                    gb = a2.transposed().matmul(g2).reduced(toShape: b2.shape).reshaped(b.shape)
                }
            }
            return (ga, gb)
        }
    }

    public func dot(_ other: Variable) -> Variable { matmul(other) }

    public func outer(_ other: Variable) -> Variable {
        reshaped([value.count, 1]) * other.reshaped([1, other.value.count])
    }
}

/// Activations that ``Variable/linear(_:weight:bias:activation:)`` fuses into the bias pass.
public enum FusedActivation: String, Sendable, Codable {
    case identity, relu
}

extension Variable {
    /// `activation(x · weightᵀ + bias)` for `x: [batch, in]`, `weight: [out, in]` (PyTorch's
    /// layout), `bias: [out]`, computed as one GEMM plus one pass that adds the bias and applies
    /// the activation; the backward pass is three GEMMs (the one for `x` only when `x` is recorded)
    /// and one column sum.
    public static func linear(_ x: Variable, weight: Variable, bias: Variable?, activation: FusedActivation = .identity) -> Variable {
        let xv = x.value, wv = weight.value
        tensorCheck(xv.rank == 2 && wv.rank == 2 && xv.shape[1] == wv.shape[1],
                           "linear: input \(xv.shape) does not match weight \(wv.shape) ([out, in])")
        var y = xv.matmul(wv.transposed())
        if let bias {
            tensorCheck(bias.shape == [wv.shape[0]], "linear: bias \(bias.shape) does not match weight \(wv.shape)")
            y.addRowVectorInPlace(bias.value, relu: activation == .relu)
        } else if activation == .relu {
            y = y.relu()
        }
        let output = y
        var inputs = [x, weight]
        if let bias { inputs.append(bias) }
        return record(output, inputs) { g, needed in
            var gz = g
            if activation == .relu { gz = g.maskedWherePositive(output) }
            let gx = needed[0] ? gz.matmul(wv) : nil
            let gw = needed[1] ? gz.transposed().matmul(xv) : nil
            var result: [Tensor?] = [gx, gw]
            if bias != nil { result.append(needed[2] ? gz.sum(axis: 0) : nil) }
            return result
        }
    }
}
