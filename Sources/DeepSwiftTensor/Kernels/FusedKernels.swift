import CDeepSwiftKernels

/// Fused passes used by layers and their gradients, to avoid temporaries on hot paths.
extension Tensor {
    /// `self[i, j] += row[j]` for a contiguous `[n, m]` float tensor and an `[m]` vector, optionally
    /// followed by `max(·, 0)`, in one pass (copy-on-write: a shared tensor is copied first).
    ///
    /// ```swift
    /// var y = x.matmul(w.transposed())
    /// y.addRowVectorInPlace(bias, relu: true)     // y = relu(x·wᵀ + bias)
    /// ```
    public mutating func addRowVectorInPlace(_ row: Tensor, relu: Bool = false) {
        tensorCheck(rank == 2 && row.shape == [shape[1]] && dtype.isFloatingPoint,
                    "addRowVectorInPlace: expected a float [n, m] tensor and an [m] vector, got \(shapeString(shape)) and \(shapeString(row.shape))")
        makeUniqueContiguous()
        let r = row.cast(to: dtype).contiguous()
        let n = shape[0], m = shape[1]
        func run<T: FloatElement>(_: T.Type) {
            let y = UncheckedSendable(basePointer(T.self)), b = UncheckedSendable(r.basePointer(T.self))
            Parallel.forRanges(n, grain: Swift.max(1, Parallel.minimumElementsPerThread / Swift.max(m, 1))) { rows in
                let y = y.value, b = b.value
                for i in rows {
                    let p = y + i * m
                    if relu {
                        for j in 0..<m { let v = p[j] + b[j]; p[j] = v > 0 ? v : 0 }
                    } else {
                        for j in 0..<m { p[j] += b[j] }
                    }
                }
            }
        }
        if dtype == .float32 {
            let y = UncheckedSendable(basePointer(Float.self)), b = UncheckedSendable(UnsafePointer(r.basePointer(Float.self)))
            Parallel.forRanges(n, grain: Swift.max(1, Parallel.minimumElementsPerThread / Swift.max(m, 1))) { rows in
                ds_bias_activation_f32(y.value + rows.lowerBound * m, b.value, rows.count, m, relu ? 1 : 0)
            }
        } else {
            run(Double.self)
        }
        withExtendedLifetime(r) {}
    }

    /// `self` where `mask > 0`, else 0 (same shapes): the gradient of a ReLU given its output.
    public func maskedWherePositive(_ mask: Tensor) -> Tensor {
        tensorCheck(shape == mask.shape && dtype == mask.dtype && dtype.isFloatingPoint,
                    "maskedWherePositive: shapes \(shapeString(shape)) and \(shapeString(mask.shape)) (dtypes \(dtype), \(mask.dtype)) must match")
        let g = contiguous(), m = mask.contiguous()
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        func run<T: FloatElement>(_: T.Type) {
            let gp = UncheckedSendable(g.basePointer(T.self)), mp = UncheckedSendable(m.basePointer(T.self))
            let op = UncheckedSendable(out.basePointer(T.self))
            Parallel.forRanges(count) { range in
                let gp = gp.value, mp = mp.value, op = op.value
                for i in range { op[i] = mp[i] > 0 ? gp[i] : 0 }
            }
        }
        if dtype == .float32 {
            let gp = UncheckedSendable(UnsafePointer(g.basePointer(Float.self))), mp = UncheckedSendable(UnsafePointer(m.basePointer(Float.self)))
            let op = UncheckedSendable(out.basePointer(Float.self))
            Parallel.forRanges(count) { range in
                ds_relu_backward_f32(gp.value + range.lowerBound, mp.value + range.lowerBound, op.value + range.lowerBound, range.count)
            }
        } else {
            run(Double.self)
        }
        withExtendedLifetime((g, m)) {}
        return out
    }
}
