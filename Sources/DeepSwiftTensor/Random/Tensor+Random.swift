#if canImport(Glibc)
import Glibc
#endif

/// Random tensors drawn from a caller-owned ``PhiloxGenerator``.
///
/// Element `i` always comes from the same block and word of the generator's stream, so the result
/// is identical for any thread count.
///
/// ```swift
/// var rng = PhiloxGenerator(seed: 0)
/// let u = Tensor.uniform([3, 3], low: -1, high: 1, using: &rng)
/// let n = Tensor.normal([1000], mean: 0, std: 2, using: &rng)
/// let t = Tensor.truncatedNormal([64, 64], std: 0.1, using: &rng)   // within ±2 std
/// let k = Tensor.randomInt([10], low: 0, high: 6, using: &rng)
/// let p = Tensor.permutation(10, using: &rng)
/// ```
extension Tensor {
    /// Fills `count` elements; `perBlock` elements are derived from each 128-bit block by `make`.
    private static func generate(
        count: Int, perBlock: Int, dtype: DType, using rng: inout PhiloxGenerator,
        _ make: @escaping @Sendable ((UInt32, UInt32, UInt32, UInt32)) -> (Double, Double, Double, Double)
    ) -> Tensor {
        let blocks = (count + perBlock - 1) / perBlock
        let start = rng.reserveBlocks(blocks)
        let generator = rng
        let out = Tensor(uninitializedShape: [count], dtype: dtype)
        let base = UncheckedSendable(out.storage.pointer)
        Parallel.forRanges(blocks, grain: 4096) { range in
            for b in range {
                let v = make(generator.block(start &+ UInt64(b)))
                let values = [v.0, v.1, v.2, v.3]
                for j in 0..<perBlock {
                    let i = b * perBlock + j
                    if i < count { writeDouble(base.value, i, dtype, values[j]) }
                }
            }
        }
        return out
    }

    @inline(__always) static func unit24(_ x: UInt32) -> Double { Double(x >> 8) * 0x1p-24 }
    @inline(__always) static func unit53(_ hi: UInt32, _ lo: UInt32) -> Double {
        Double((UInt64(hi) << 32 | UInt64(lo)) >> 11) * 0x1p-53
    }

    /// Uniform values in `[low, high)`.
    public static func uniform(_ shape: [Int], low: Double = 0, high: Double = 1, dtype: DType = .float32,
                               using rng: inout PhiloxGenerator) -> Tensor {
        tensorCheck(dtype.isFloatingPoint, "uniform: dtype must be float32 or float64, got \(dtype)")
        let count = shape.reduce(1, *)
        let t: Tensor
        if dtype == .float32 {
            t = generate(count: count, perBlock: 4, dtype: dtype, using: &rng) { b in
                (low + (high - low) * unit24(b.0), low + (high - low) * unit24(b.1),
                 low + (high - low) * unit24(b.2), low + (high - low) * unit24(b.3))
            }
        } else {
            t = generate(count: count, perBlock: 2, dtype: dtype, using: &rng) { b in
                (low + (high - low) * unit53(b.0, b.1), low + (high - low) * unit53(b.2, b.3), 0, 0)
            }
        }
        return t.reshaped(shape)
    }

    /// Normal values (Box–Muller transform).
    public static func normal(_ shape: [Int], mean: Double = 0, std: Double = 1, dtype: DType = .float32,
                              using rng: inout PhiloxGenerator) -> Tensor {
        tensorCheck(dtype.isFloatingPoint, "normal: dtype must be float32 or float64, got \(dtype)")
        let count = shape.reduce(1, *)
        @Sendable func boxMuller(_ u1: Double, _ u2: Double) -> (Double, Double) {
            let r = (-2 * Glibc.log(u1)).squareRoot()
            let theta = 2 * Double.pi * u2
            return (mean + std * r * Glibc.cos(theta), mean + std * r * Glibc.sin(theta))
        }
        let t: Tensor
        if dtype == .float32 {
            t = generate(count: count, perBlock: 4, dtype: dtype, using: &rng) { b in
                // 1 - u keeps the logarithm's argument in (0, 1].
                let (a, c) = boxMuller(1 - unit24(b.0), unit24(b.1))
                let (d, e) = boxMuller(1 - unit24(b.2), unit24(b.3))
                return (a, c, d, e)
            }
        } else {
            t = generate(count: count, perBlock: 2, dtype: dtype, using: &rng) { b in
                let (a, c) = boxMuller(1 - unit53(b.0, b.1), unit53(b.2, b.3))
                return (a, c, 0, 0)
            }
        }
        return t.reshaped(shape)
    }

    /// Normal values restricted to `[mean + lower·std, mean + upper·std]` (inverse-CDF sampling,
    /// so no value is redrawn and the stream position depends only on the element count).
    public static func truncatedNormal(_ shape: [Int], mean: Double = 0, std: Double = 1, lower: Double = -2, upper: Double = 2,
                                       dtype: DType = .float32, using rng: inout PhiloxGenerator) -> Tensor {
        tensorCheck(lower < upper, "truncatedNormal: lower bound \(lower) must be below upper bound \(upper)")
        let count = shape.reduce(1, *)
        let lo = standardNormalCDF(lower), hi = standardNormalCDF(upper)
        let t = generate(count: count, perBlock: 2, dtype: dtype, using: &rng) { b in
            let p0 = lo + (hi - lo) * unit53(b.0, b.1), p1 = lo + (hi - lo) * unit53(b.2, b.3)
            let z0 = Swift.min(Swift.max(inverseStandardNormalCDF(p0), lower), upper)
            let z1 = Swift.min(Swift.max(inverseStandardNormalCDF(p1), lower), upper)
            return (mean + std * z0, mean + std * z1, 0, 0)
        }
        return t.reshaped(shape)
    }

    /// `true` (or 1) with probability `probability`.
    public static func bernoulli(_ shape: [Int], probability: Double, dtype: DType = .bool,
                                 using rng: inout PhiloxGenerator) -> Tensor {
        tensorCheck(probability >= 0 && probability <= 1, "bernoulli: probability \(probability) outside [0, 1]")
        let t = generate(count: shape.reduce(1, *), perBlock: 4, dtype: dtype, using: &rng) { b in
            (unit24(b.0) < probability ? 1 : 0, unit24(b.1) < probability ? 1 : 0,
             unit24(b.2) < probability ? 1 : 0, unit24(b.3) < probability ? 1 : 0)
        }
        return t.reshaped(shape)
    }

    /// Integers uniformly drawn from `low ..< high`.
    public static func randomInt(_ shape: [Int], low: Int, high: Int, dtype: DType = .int64,
                                 using rng: inout PhiloxGenerator) -> Tensor {
        tensorCheck(low < high, "randomInt: empty range \(low)..<\(high)")
        let range = UInt64(bitPattern: Int64(high &- low))
        let t = generate(count: shape.reduce(1, *), perBlock: 2, dtype: dtype, using: &rng) { b in
            let x0 = UInt64(b.0) << 32 | UInt64(b.1), x1 = UInt64(b.2) << 32 | UInt64(b.3)
            // Multiply-shift maps 64 random bits onto the range (bias below 2^-32 for any range < 2^32).
            let v0 = x0.multipliedFullWidth(by: range).high, v1 = x1.multipliedFullWidth(by: range).high
            return (Double(low) + Double(v0), Double(low) + Double(v1), 0, 0)
        }
        return t.reshaped(shape)
    }

    /// A random permutation of `0 ..< n` (int64), by Fisher–Yates.
    public static func permutation(_ n: Int, using rng: inout PhiloxGenerator) -> Tensor {
        var values = (0..<Int64(n)).map { $0 }
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = Int(rng.next().multipliedFullWidth(by: UInt64(i + 1)).high)
                values.swapAt(i, j)
            }
        }
        return Tensor(values)
    }

    /// A copy with the slices along `axis` in random order.
    public func shuffled(axis: Int = 0, using rng: inout PhiloxGenerator) -> Tensor {
        indexSelect(axis: axis, indices: Tensor.permutation(shape[normalizedAxis(axis)], using: &rng))
    }

    /// Φ(x), the standard normal CDF.
    static func standardNormalCDF(_ x: Double) -> Double { 0.5 * Glibc.erfc(-x / 2.0.squareRoot()) }

    /// Φ⁻¹(p): a rational approximation refined by two Newton steps on Φ (error ~1e-15).
    static func inverseStandardNormalCDF(_ p: Double) -> Double {
        if p <= 0 { return -.infinity }
        if p >= 1 { return .infinity }
        // Work in the lower half (x <= 0), where Φ is computed without cancellation, then mirror.
        // Initial guess from the Abramowitz–Stegun 26.2.23 rational approximation (error < 4.5e-4),
        // refined by Newton steps on Φ.
        let q = Swift.min(p, 1 - p)
        let t = (-2 * Glibc.log(q)).squareRoot()
        var x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t))
        for _ in 0..<3 {
            let error = standardNormalCDF(x) - q
            let density = Glibc.exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
            if density == 0 { break }
            x -= error / density
        }
        return p < 0.5 ? x : -x
    }
}
