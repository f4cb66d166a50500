import DeepSwiftAutodiff
import DeepSwiftTensor

/// Zero padding of the spatial axes of `[N, C, H, W]`: (top, bottom, left, right).
public final class ZeroPadding2D: Layer {
    public let top: Int, bottom: Int, left: Int, right: Int
    public var isTraining = true
    public init(top: Int, bottom: Int, left: Int, right: Int) {
        self.top = top; self.bottom = bottom; self.left = left; self.right = right
    }
    public convenience init(_ amount: Int) { self.init(top: amount, bottom: amount, left: amount, right: amount) }
    public func callAsFunction(_ x: Variable) -> Variable { x.padded([(top, bottom), (left, right)]) }
    public var summaryName: String { "ZeroPadding2D(\(top), \(bottom), \(left), \(right))" }
}

/// Removes rows and columns from the borders of `[N, C, H, W]`: (top, bottom, left, right).
public final class Cropping2D: Layer {
    public let top: Int, bottom: Int, left: Int, right: Int
    public var isTraining = true
    public init(top: Int, bottom: Int, left: Int, right: Int) {
        self.top = top; self.bottom = bottom; self.left = left; self.right = right
    }
    public func callAsFunction(_ x: Variable) -> Variable {
        tensorCheck(x.rank == 4 && top + bottom < x.shape[2] && left + right < x.shape[3],
                    "Cropping2D: cannot crop (\(top), \(bottom), \(left), \(right)) from input \(x.shape)")
        return x.narrowed(axis: 2, start: top, length: x.shape[2] - top - bottom)
            .narrowed(axis: 3, start: left, length: x.shape[3] - left - right)
    }
}

/// Nearest-neighbour upsampling of `[N, C, H, W]` by integer factors.
public final class UpSampling2D: Layer {
    public let scale: (Int, Int)
    public var isTraining = true
    public init(scale: (Int, Int) = (2, 2)) { self.scale = scale }
    public func callAsFunction(_ x: Variable) -> Variable {
        tensorCheck(x.rank == 4, "UpSampling2D: input \(x.shape) must be [N, C, H, W]")
        return x.repeated(scale.0, axis: 2).repeated(scale.1, axis: 3)
    }
    public var summaryName: String { "UpSampling2D(\(scale.0)×\(scale.1))" }
}

/// Dropout of whole channels of `[N, C, ...]` (Keras's SpatialDropout, PyTorch's Dropout2d).
public final class SpatialDropout: Layer {
    public let rate: Double
    public var isTraining = true
    public var generator: PhiloxGenerator

    public init(rate: Double, seed: UInt64 = 0) {
        tensorCheck(rate >= 0 && rate < 1, "SpatialDropout: rate must be in [0, 1), got \(rate)")
        self.rate = rate
        self.generator = PhiloxGenerator(seed: seed)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        guard isTraining && rate > 0 else { return x }
        var maskShape = [Int](repeating: 1, count: x.rank)
        maskShape[0] = x.shape[0]
        maskShape[1] = x.shape[1]
        let keep = Tensor.bernoulli(maskShape, probability: 1 - rate, dtype: x.dtype, using: &generator) / (1 - rate)
        return x * Variable(keep)
    }

    public var summaryName: String { "SpatialDropout(\(rate))" }
}

/// Bilinear upsampling of `[N, C, H, W]` by integer factors (PyTorch's `align_corners=False`).
public final class BilinearUpSampling2D: Layer {
    public let scale: (Int, Int)
    public var isTraining = true
    public init(scale: (Int, Int) = (2, 2)) { self.scale = scale }
    public func callAsFunction(_ x: Variable) -> Variable {
        x.upsampleBilinear(to: (x.shape[2] * scale.0, x.shape[3] * scale.1))
    }
}

/// Zero padding of the length axis of `[N, C, L]`.
public final class ZeroPadding1D: Layer {
    public let left: Int, right: Int
    public var isTraining = true
    public init(left: Int, right: Int) { self.left = left; self.right = right }
    public func callAsFunction(_ x: Variable) -> Variable { x.padded([(left, right)]) }
}

/// Removes elements from both ends of the length axis of `[N, C, L]`.
public final class Cropping1D: Layer {
    public let left: Int, right: Int
    public var isTraining = true
    public init(left: Int, right: Int) { self.left = left; self.right = right }
    public func callAsFunction(_ x: Variable) -> Variable {
        tensorCheck(x.rank == 3 && left + right < x.shape[2], "Cropping1D: cannot crop (\(left), \(right)) from input \(x.shape)")
        return x.narrowed(axis: 2, start: left, length: x.shape[2] - left - right)
    }
}

/// Max or average pooling over `[N, C, L]`.
public final class Pool1D: Layer {
    public let kernel: Int, stride: Int, padding: Int, isMax: Bool
    public var isTraining = true
    public init(max kernel: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernel = kernel; self.stride = stride ?? kernel; self.padding = padding; isMax = true
    }
    public init(average kernel: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernel = kernel; self.stride = stride ?? kernel; self.padding = padding; isMax = false
    }
    public func callAsFunction(_ x: Variable) -> Variable {
        isMax ? x.maxPool1d(kernel: kernel, stride: stride, padding: padding) : x.avgPool1d(kernel: kernel, stride: stride, padding: padding)
    }
    public var summaryName: String { "\(isMax ? "MaxPool1D" : "AvgPool1D")(\(kernel))" }
}
