import DeepSwiftTensor
import Foundation

/// Feature scaling fitted on training data and applied unchanged at inference (DataVec's
/// normalizers). Statistics are per feature: per column of `[N, F]` data, per channel (axis 1) of
/// `[N, C, ...]` images. Codable, so it is saved with a model.
///
/// ```swift
/// let normalizer = Normalizer.standardize(fitting: trainFeatures)   // mean 0, std 1 per column
/// let x = normalizer.transform(testFeatures)
/// let back = normalizer.inverse(x)                                  // e.g. regression targets
/// ```
public enum Normalizer: Codable, Sendable, Equatable {
    /// `(x − mean) / std` (a constant feature keeps std 1).
    case standardize(mean: [Double], std: [Double])
    /// Linearly maps `[min, max]` of the training data to `[low, high]`.
    case minMax(min: [Double], max: [Double], low: Double, high: Double)
    /// Pixels `[0, maxValue]` to `[low, high]` (no fitting).
    case pixelScaler(maxValue: Double, low: Double, high: Double)

    /// Per-feature mean and (population) standard deviation of `x`, ignoring NaN.
    public static func standardize(fitting x: Tensor) -> Normalizer {
        let columns = featureColumns(x)
        let mean = columns.map { c -> Double in let v = c.filter { !$0.isNaN }; return v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count) }
        let std = zip(columns, mean).map { c, m -> Double in
            let v = c.filter { !$0.isNaN }
            guard v.count > 0 else { return 1 }
            let s = (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)).squareRoot()
            return s > 1e-12 ? s : 1
        }
        return .standardize(mean: mean, std: std)
    }

    /// Per-feature minimum and maximum of `x` (ignoring NaN), mapped to `[low, high]`.
    public static func minMax(fitting x: Tensor, low: Double = 0, high: Double = 1) -> Normalizer {
        let columns = featureColumns(x).map { $0.filter { !$0.isNaN } }
        return .minMax(min: columns.map { $0.min() ?? 0 }, max: columns.map { $0.max() ?? 1 }, low: low, high: high)
    }

    /// The values of each feature: columns of `[N, F]`, channels (axis 1) of higher ranks.
    static func featureColumns(_ x: Tensor) -> [[Double]] {
        tensorCheck(x.rank >= 2, "Normalizer: data must be [N, features] or [N, C, ...], got \(x.shape)")
        let features = x.shape[1]
        let moved = x.cast(to: .float64).movedFeatureAxisLast().reshaped([-1, features]).contiguous().scalars(as: Double.self)
        let rows = moved.count / Swift.max(features, 1)
        return (0..<features).map { f in (0..<rows).map { moved[$0 * features + f] } }
    }

    /// Scale and shift per feature: `y = x·a + b`.
    var affine: (scale: [Double], shift: [Double])? {
        switch self {
        case let .standardize(mean, std): return (std.map { 1 / $0 }, zip(mean, std).map { -$0 / $1 })
        case let .minMax(lo, hi, low, high):
            let scale = zip(lo, hi).map { $1 > $0 ? (high - low) / ($1 - $0) : 1 }
            return (scale, zip(lo, scale).map { low - $0 * $1 })
        case .pixelScaler: return nil
        }
    }

    /// Applies the scaling; the result has `x`'s dtype.
    public func transform(_ x: Tensor) -> Tensor {
        if case let .pixelScaler(maxValue, low, high) = self {
            return (x.cast(to: x.dtype.isFloatingPoint ? x.dtype : .float32) * ((high - low) / maxValue) + low)
        }
        let (scale, shift) = affine!
        return Self.perFeature(x, scale, shift)
    }

    /// Undoes ``transform(_:)``.
    public func inverse(_ y: Tensor) -> Tensor {
        if case let .pixelScaler(maxValue, low, high) = self { return (y - low) * (maxValue / (high - low)) }
        let (scale, shift) = affine!
        return Self.perFeature(y, scale.map { 1 / $0 }, zip(shift, scale).map { -$0 / $1 })
    }

    static func perFeature(_ x: Tensor, _ scale: [Double], _ shift: [Double]) -> Tensor {
        tensorCheck(x.rank >= 2 && x.shape[1] == scale.count,
                    "Normalizer: data \(x.shape) does not have the \(scale.count) features it was fitted on (axis 1)")
        var shape = [Int](repeating: 1, count: x.rank)
        shape[1] = scale.count
        let dtype = x.dtype.isFloatingPoint ? x.dtype : .float32
        return x.cast(to: dtype) * Tensor(scale, shape: shape).cast(to: dtype) + Tensor(shift, shape: shape).cast(to: dtype)
    }
}

extension Tensor {
    /// `[N, C, ...]` → `[N, ..., C]` (a no-op for rank 2).
    func movedFeatureAxisLast() -> Tensor {
        guard rank > 2 else { return self }
        return permuted([0] + Array(2..<rank) + [1])
    }
}
