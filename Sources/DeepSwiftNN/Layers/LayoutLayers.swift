import DeepSwiftAutodiff
import DeepSwiftTensor

/// Reorders the axes of every sample (the batch axis stays first), as Keras's `Permute`.
/// `axes` are 0-based per-sample axes: `Permute([1, 0])` turns `[N, T, C]` into `[N, C, T]`.
///
/// ```swift
/// let toChannelsFirst = Permute([2, 0, 1])     // [N, H, W, C] → [N, C, H, W]
/// ```
public final class Permute: Layer {
    public let axes: [Int]
    public var isTraining = true

    public init(_ axes: [Int]) {
        tensorCheck(axes.sorted() == Array(0..<axes.count), "Permute: \(axes) is not a permutation of 0..<\(axes.count)")
        self.axes = axes
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        tensorCheck(x.rank == axes.count + 1, "Permute(\(axes)): input \(x.shape) must have \(axes.count) axes after the batch")
        return x.permuted([0] + axes.map { $0 + 1 })
    }

    public var summaryName: String { "Permute(\(axes))" }
}

/// Runs a channels-first layer (convolution, pooling, batch norm over axis 1) on channels-last
/// data: `[N, spatial..., C]` is permuted to `[N, C, spatial...]`, the layer runs, and an output
/// of the same rank is permuted back (an output of lower rank, e.g. after global pooling, is
/// returned as it is). A rank-2 input `[N, C]` already has its channels on axis 1 and goes to the
/// layer unchanged. Keras models import with it, so they keep taking channels-last inputs.
///
/// ```swift
/// let conv = ChannelsLast(Conv2D(3, 8, kernel: (3, 3), using: &rng))   // [N, H, W, 3] → [N, H', W', 8]
/// ```
public final class ChannelsLast: Layer {
    public let layer: any Layer
    public var isTraining = true

    public init(_ layer: any Layer) { self.layer = layer }

    public var sublayers: [(name: String, layer: any Layer)] { [("layer", layer)] }

    public func callAsFunction(_ x: Variable) -> Variable {
        let r = x.rank
        tensorCheck(r >= 2, "ChannelsLast(\(layer.summaryName)): input \(x.shape) needs a batch and a channel axis")
        if r == 2 { return layer(x) }
        let y = layer(x.permuted([0, r - 1] + Array(1..<(r - 1))))
        guard y.rank == r else { return y }
        return y.permuted([0] + Array(2..<r) + [1])
    }

    /// Convolutions and pooling change the time axis: the mask does not carry over (as in Keras).
    public func callAsFunction(_ input: Variable, mask: Tensor?) -> (output: Variable, mask: Tensor?) { (self(input), nil) }

    public var summaryName: String { "ChannelsLast(\(layer.summaryName))" }
}

/// Mean or maximum over fixed axes, e.g. Keras's global pooling on channels-last data:
/// `GlobalPooling(axes: [1, 2], max: false)` maps `[N, H, W, C]` to `[N, C]`.
public final class GlobalPooling: Layer {
    public let axes: [Int]
    public let isMax: Bool
    public var isTraining = true

    public init(axes: [Int], max: Bool) {
        self.axes = axes
        self.isMax = max
    }

    public func callAsFunction(_ x: Variable) -> Variable { isMax ? x.max(axes: axes) : x.mean(axes: axes) }

    /// Over the time axis of a masked `[B, T, C]` batch, only real steps count (Keras's masked
    /// global pooling); the output has no time axis, so no mask.
    public func callAsFunction(_ x: Variable, mask: Tensor?) -> (output: Variable, mask: Tensor?) {
        guard let mask, axes == [1], x.rank == 3, mask.shape == [x.shape[0], x.shape[1]] else { return (self(x), nil) }
        let keep = (mask .!= 0).cast(to: x.dtype).reshaped([x.shape[0], x.shape[1], 1])
        if isMax {
            // Padded steps get −∞ so they never win.
            let blocked = (keep - 1) * 1e30
            return ((x + Variable(blocked)).max(axes: [1]), nil)
        }
        let counts = keep.sum(axes: [1]).clamped(min: 1, max: nil)
        return ((x * Variable(keep)).sum(axes: [1]) / Variable(counts), nil)
    }

    public var summaryName: String { "Global\(isMax ? "Max" : "Average")Pooling(axes \(axes))" }
}

/// Nearest-neighbour repetition along one axis (Keras's `UpSampling1D` uses axis 1 of `[N, T, C]`).
public final class UpSampling1D: Layer {
    public let scale: Int, axis: Int
    public var isTraining = true

    public init(scale: Int = 2, axis: Int = 2) {
        self.scale = scale
        self.axis = axis
    }

    public func callAsFunction(_ x: Variable) -> Variable { x.repeated(scale, axis: axis) }

    public var summaryName: String { "UpSampling1D(\(scale), axis \(axis))" }
}

/// Multiplicative Gaussian noise with mean 1 and variance rate / (1 − rate) in training, the
/// identity in inference (Keras's `GaussianDropout`).
public final class GaussianDropout: Layer {
    public let rate: Double
    public var isTraining = true
    public var generator: PhiloxGenerator

    public init(rate: Double, seed: UInt64 = 0) {
        tensorCheck(rate >= 0 && rate < 1, "GaussianDropout: rate must be in [0, 1), got \(rate)")
        self.rate = rate
        generator = PhiloxGenerator(seed: seed)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        guard isTraining && rate > 0 else { return x }
        let noise = Tensor.normal(x.shape, mean: 1, std: (rate / (1 - rate)).squareRoot(), dtype: x.dtype, using: &generator)
        return x * Variable(noise)
    }

    public var summaryName: String { "GaussianDropout(\(rate))" }
}

/// Inserts an axis of size 1 at `axis` of the full tensor (the batch is axis 0).
public final class Unsqueeze: Layer {
    public let axis: Int
    public var isTraining = true
    public init(axis: Int) { self.axis = axis }
    public func callAsFunction(_ x: Variable) -> Variable { x.unsqueezed(axis: axis) }
    public var summaryName: String { "Unsqueeze(\(axis))" }
}

/// Removes the size-1 axis `axis` of the full tensor.
public final class Squeeze: Layer {
    public let axis: Int
    public var isTraining = true
    public init(axis: Int) { self.axis = axis }
    public func callAsFunction(_ x: Variable) -> Variable {
        let a = axis < 0 ? axis + x.rank : axis
        tensorCheck(a >= 0 && a < x.rank && x.shape[a] == 1, "Squeeze(\(axis)): axis is not of size 1 in input \(x.shape)")
        var shape = x.shape
        shape.remove(at: a)
        return x.reshaped(shape)
    }
    public var summaryName: String { "Squeeze(\(axis))" }
}

/// A fixed elementwise affine map `x · scale + offset`, with one value or one per element of the
/// last axis (Keras's `Rescaling`, and `Normalization` as `(x − mean) / √variance`). Nothing is trained.
///
/// ```swift
/// let toUnit = Rescaling(scale: [1.0 / 255], offset: [0])          // pixels 0…255 → 0…1
/// ```
public final class Rescaling: Layer {
    public let scale: [Double], offset: [Double]
    public var isTraining = true

    public init(scale: [Double], offset: [Double]) {
        tensorCheck(!scale.isEmpty && !offset.isEmpty, "Rescaling: scale and offset need at least one value")
        self.scale = scale
        self.offset = offset
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        func constant(_ values: [Double]) -> Variable {
            if values.count == 1 { return Variable(Tensor([values[0]], shape: []).cast(to: x.dtype)) }
            tensorCheck(x.shape.last == values.count, "Rescaling: \(values.count) values for the last axis of input \(x.shape)")
            return Variable(Tensor(values, shape: [values.count]).cast(to: x.dtype))
        }
        return x * constant(scale) + constant(offset)
    }

    public var summaryName: String { "Rescaling(\(scale.count == 1 ? "\(scale[0])" : "\(scale.count) channels"))" }
}
