import DeepSwiftTensor
import Foundation

/// Random, seeded image augmentation for float batches `[N, C, H, W]`: each image gets its own
/// draw of every enabled transform. The same generator state gives the same batch.
///
/// ```swift
/// let augment = ImageAugmentation(flipHorizontal: true, cropPadding: 4, maxRotationDegrees: 10, brightness: 0.1)
/// var rng = PhiloxGenerator(seed: 1)
/// let x = augment.apply(batch, using: &rng)
/// ```
public struct ImageAugmentation: Sendable {
    /// Mirror left-right with probability 1/2.
    public var flipHorizontal: Bool
    /// Pad by this many zero pixels on each side, then crop back at a random offset.
    public var cropPadding: Int
    /// Rotate by a uniform angle in ±this many degrees (bilinear, zero outside).
    public var maxRotationDegrees: Double
    /// Add a uniform offset in ±brightness.
    public var brightness: Double
    /// Scale around the image mean by a uniform factor in [1 − contrast, 1 + contrast].
    public var contrast: Double

    public init(flipHorizontal: Bool = false, cropPadding: Int = 0, maxRotationDegrees: Double = 0, brightness: Double = 0, contrast: Double = 0) {
        self.flipHorizontal = flipHorizontal
        self.cropPadding = cropPadding
        self.maxRotationDegrees = maxRotationDegrees
        self.brightness = brightness
        self.contrast = contrast
    }

    public func apply(_ batch: Tensor, using rng: inout PhiloxGenerator) -> Tensor {
        tensorCheck(batch.rank == 4, "ImageAugmentation: batch must be [N, C, H, W], got \(batch.shape)")
        let n = batch.shape[0], c = batch.shape[1], h = batch.shape[2], w = batch.shape[3], plane = h * w
        var x = batch.cast(to: .float32).contiguous().scalars(as: Float.self)
        let draws = Tensor.uniform([n, 6], dtype: .float64, using: &rng).scalars(as: Double.self)
        var out = x
        for i in 0..<n {
            let u = draws[(i * 6)..<(i * 6 + 6)].map { $0 }
            let flip = flipHorizontal && u[0] < 0.5
            let dy = cropPadding > 0 ? Int(u[1] * Double(2 * cropPadding + 1)) - cropPadding : 0
            let dx = cropPadding > 0 ? Int(u[2] * Double(2 * cropPadding + 1)) - cropPadding : 0
            let angle = (u[3] * 2 - 1) * maxRotationDegrees * .pi / 180
            let cosA = Foundation.cos(angle), sinA = Foundation.sin(angle)
            let cy = Double(h - 1) / 2, cx = Double(w - 1) / 2
            for ch in 0..<c {
                let base = (i * c + ch) * plane
                for y in 0..<h {
                    for xx in 0..<w {
                        // Output pixel (y, xx) reads source (sy, sx): inverse of flip, shift and rotation.
                        var ty = Double(y + dy), tx = Double(flip ? w - 1 - xx : xx) + Double(dx)
                        if maxRotationDegrees > 0 {
                            let ry = ty - cy, rx = tx - cx
                            ty = cosA * ry - sinA * rx + cy
                            tx = sinA * ry + cosA * rx + cx
                        }
                        out[base + y * w + xx] = Self.sample(x, base, h, w, ty, tx)
                    }
                }
            }
            if brightness > 0 || contrast > 0 {
                let offset = Float((u[4] * 2 - 1) * brightness), factor = Float(1 + (u[5] * 2 - 1) * contrast)
                let range = (i * c * plane)..<((i + 1) * c * plane)
                let mean = out[range].reduce(0, +) / Float(range.count)
                for k in range { out[k] = (out[k] - mean) * factor + mean + offset }
            }
        }
        x = out
        return Tensor(x, shape: batch.shape)
    }

    /// Bilinear sample with zeros outside the image.
    static func sample(_ x: [Float], _ base: Int, _ h: Int, _ w: Int, _ y: Double, _ xx: Double) -> Float {
        let y0 = Int(y.rounded(.down)), x0 = Int(xx.rounded(.down))
        let fy = Float(y - Double(y0)), fx = Float(xx - Double(x0))
        func at(_ r: Int, _ c: Int) -> Float { r >= 0 && r < h && c >= 0 && c < w ? x[base + r * w + c] : 0 }
        let top = at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx
        let bottom = at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx
        return top * (1 - fy) + bottom * fy
    }
}
