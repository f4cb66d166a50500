import DeepSwiftAutodiff
import DeepSwiftTensor

/// Fused batch normalization over axis 1 of a contiguous `[N, C, ...]` tensor: two passes forward
/// (statistics, then normalize and scale) and two backward (sums, then the input gradient), instead
/// of the dozen elementwise and reduction passes of the composed formula.
enum BatchNormKernel {
    struct Statistics {
        var mean: [Double]
        var inverseStd: [Double]
        var variance: [Double]   // biased
    }

    /// Per-channel mean and (biased) variance.
    static func statistics<T: FloatElement>(_ x: UnsafePointer<T>, batch: Int, channels: Int, spatial: Int, epsilon: Double) -> Statistics {
        var mean = [Double](repeating: 0, count: channels), variance = mean
        mean.withUnsafeMutableBufferPointer { mb in
            variance.withUnsafeMutableBufferPointer { vb in
                let m = UncheckedSendable(mb.baseAddress!), v = UncheckedSendable(vb.baseAddress!), xp = UncheckedSendable(x)
                Parallel.forRanges(channels, grain: Swift.max(1, Parallel.minimumElementsPerThread / Swift.max(batch * spatial, 1))) { range in
                    for c in range {
                        var sum = 0.0
                        for n in 0..<batch {
                            let p = xp.value + (n * channels + c) * spatial
                            var s: T = 0
                            for i in 0..<spatial { s += p[i] }
                            sum += Double(s)
                        }
                        let mu = sum / Double(batch * spatial)
                        var squares = 0.0
                        let muT = T(mu)
                        for n in 0..<batch {
                            let p = xp.value + (n * channels + c) * spatial
                            var s: T = 0
                            for i in 0..<spatial { let d = p[i] - muT; s += d * d }
                            squares += Double(s)
                        }
                        m.value[c] = mu
                        v.value[c] = squares / Double(batch * spatial)
                    }
                }
            }
        }
        return Statistics(mean: mean, inverseStd: variance.map { 1 / ($0 + epsilon).squareRoot() }, variance: variance)
    }

    /// y = (x − mean) · inverseStd · gamma + beta.
    static func normalize<T: FloatElement>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, batch: Int, channels: Int, spatial: Int,
                                           mean: [Double], inverseStd: [Double], gamma: [Double]?, beta: [Double]?) {
        let xp = UncheckedSendable(x), yp = UncheckedSendable(y)
        Parallel.forRanges(batch * channels, grain: Swift.max(1, Parallel.minimumElementsPerThread / Swift.max(spatial, 1))) { range in
            for plane in range {
                let c = plane % channels
                let scale = T(inverseStd[c] * (gamma?[c] ?? 1))
                let shift = T((beta?[c] ?? 0) - mean[c] * inverseStd[c] * (gamma?[c] ?? 1))
                let p = xp.value + plane * spatial, q = yp.value + plane * spatial
                for i in 0..<spatial { q[i] = p[i] * scale + shift }
            }
        }
    }

    /// Per-channel Σ gy and Σ gy · x̂.
    static func gradientSums<T: FloatElement>(_ x: UnsafePointer<T>, _ gy: UnsafePointer<T>, batch: Int, channels: Int, spatial: Int,
                                              mean: [Double], inverseStd: [Double]) -> (sum: [Double], dot: [Double]) {
        var sums = [Double](repeating: 0, count: channels), dots = sums
        sums.withUnsafeMutableBufferPointer { sb in
            dots.withUnsafeMutableBufferPointer { db in
                let s = UncheckedSendable(sb.baseAddress!), d = UncheckedSendable(db.baseAddress!)
                let xp = UncheckedSendable(x), gp = UncheckedSendable(gy)
                Parallel.forRanges(channels, grain: Swift.max(1, Parallel.minimumElementsPerThread / Swift.max(batch * spatial, 1))) { range in
                    for c in range {
                        var total = 0.0, dot = 0.0
                        let mu = T(mean[c])
                        for n in 0..<batch {
                            let p = xp.value + (n * channels + c) * spatial, g = gp.value + (n * channels + c) * spatial
                            var st: T = 0, dt: T = 0
                            for i in 0..<spatial { st += g[i]; dt += g[i] * (p[i] - mu) }
                            total += Double(st)
                            dot += Double(dt)
                        }
                        s.value[c] = total
                        d.value[c] = dot * inverseStd[c]
                    }
                }
            }
        }
        return (sums, dots)
    }

    /// dx = γ·σ⁻¹ · (gy − Σgy/M − x̂·Σ(gy·x̂)/M) in training; γ·σ⁻¹·gy in inference.
    static func inputGradient<T: FloatElement>(_ x: UnsafePointer<T>, _ gy: UnsafePointer<T>, _ gx: UnsafeMutablePointer<T>,
                                               batch: Int, channels: Int, spatial: Int, mean: [Double], inverseStd: [Double],
                                               gamma: [Double]?, sums: [Double], dots: [Double], training: Bool) {
        let count = Double(batch * spatial)
        let xp = UncheckedSendable(x), gp = UncheckedSendable(gy), op = UncheckedSendable(gx)
        Parallel.forRanges(batch * channels, grain: Swift.max(1, Parallel.minimumElementsPerThread / Swift.max(spatial, 1))) { range in
            for plane in range {
                let c = plane % channels
                let k = inverseStd[c] * (gamma?[c] ?? 1)
                let p = xp.value + plane * spatial, g = gp.value + plane * spatial, o = op.value + plane * spatial
                if training {
                    // dx = k·gy − k·Σgy/M − k·x̂·Σ(gy·x̂)/M, with x̂ = (x − μ)·σ⁻¹.
                    let a = T(k), b = T(-k * sums[c] / count)
                    let cx = T(-k * dots[c] / count * inverseStd[c]), mu = T(mean[c])
                    for i in 0..<spatial { o[i] = a * g[i] + b + cx * (p[i] - mu) }
                } else {
                    let a = T(k)
                    for i in 0..<spatial { o[i] = a * g[i] }
                }
            }
        }
    }
}

extension BatchNorm {
    /// The fused primitive (float inputs), recording one VJP for x, γ and β together.
    func fusedForward(_ x: Variable) -> Variable {
        let input = x.value.contiguous()
        let (batch, channels) = (input.shape[0], input.shape[1])
        let spatial = input.count / Swift.max(batch * channels, 1)
        let gamma = weight.map { $0.value.cast(to: .float64).scalars(as: Double.self) }
        let beta = bias.map { $0.value.cast(to: .float64).scalars(as: Double.self) }
        let training = isTraining
        var mean: [Double], inverseStd: [Double]
        let output = Tensor.uninitialized(input.shape, dtype: input.dtype)
        func run<T: FloatElement>(_: T.Type) -> (Tensor, [Double], [Double]) {
            let xp = UnsafePointer(input.storage.pointer.assumingMemoryBound(to: T.self) + input.offset)
            let yp = output.storage.pointer.assumingMemoryBound(to: T.self)
            var m: [Double], s: [Double]
            if training {
                let stats = BatchNormKernel.statistics(xp, batch: batch, channels: channels, spatial: spatial, epsilon: epsilon)
                (m, s) = (stats.mean, stats.inverseStd)
                let n = Double(batch * spatial)
                let unbiased = stats.variance.map { $0 * n / Swift.max(n - 1, 1) }
                runningMean = runningMean * (1 - momentum) + Tensor(stats.mean).cast(to: runningMean.dtype) * momentum
                runningVariance = runningVariance * (1 - momentum) + Tensor(unbiased).cast(to: runningVariance.dtype) * momentum
            } else {
                m = runningMean.cast(to: .float64).scalars(as: Double.self)
                s = runningVariance.cast(to: .float64).scalars(as: Double.self).map { 1 / ($0 + epsilon).squareRoot() }
            }
            BatchNormKernel.normalize(xp, yp, batch: batch, channels: channels, spatial: spatial, mean: m, inverseStd: s, gamma: gamma, beta: beta)
            return (output, m, s)
        }
        if input.dtype == .float32 { (_, mean, inverseStd) = run(Float.self) } else { (_, mean, inverseStd) = run(Double.self) }
        let (savedMean, savedInverse) = (mean, inverseStd)
        var inputs = [x]
        if let weight, let bias { inputs += [Variable(weight), Variable(bias)] }
        return Variable.record(output, inputs) { gy, needed in
            let g = gy.cast(to: input.dtype).contiguous()
            func backward<T: FloatElement>(_: T.Type) -> [Tensor?] {
                let xp = UnsafePointer(input.storage.pointer.assumingMemoryBound(to: T.self) + input.offset)
                let gp = UnsafePointer(g.storage.pointer.assumingMemoryBound(to: T.self) + g.offset)
                let (sums, dots) = BatchNormKernel.gradientSums(xp, gp, batch: batch, channels: channels, spatial: spatial,
                                                                mean: savedMean, inverseStd: savedInverse)
                var gx: Tensor? = nil
                if needed[0] {
                    let result = Tensor.uninitialized(input.shape, dtype: input.dtype)
                    BatchNormKernel.inputGradient(xp, gp, result.storage.pointer.assumingMemoryBound(to: T.self), batch: batch, channels: channels,
                                                  spatial: spatial, mean: savedMean, inverseStd: savedInverse, gamma: gamma,
                                                  sums: sums, dots: dots, training: training)
                    gx = result
                }
                guard needed.count == 3 else { return [gx] }
                return [gx, needed[1] ? Tensor(dots).cast(to: input.dtype) : nil, needed[2] ? Tensor(sums).cast(to: input.dtype) : nil]
            }
            return input.dtype == .float32 ? backward(Float.self) : backward(Double.self)
        }
    }
}
