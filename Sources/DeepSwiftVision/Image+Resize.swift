import DeepSwiftTensor

extension Image {
    /// Bilinear resampling that averages over the source pixels each output pixel covers when
    /// shrinking (a triangle filter widened by the scale, as Pillow's `BILINEAR`), so downscaled
    /// images do not alias. Separable: rows, then columns.
    public func resized(height newHeight: Int, width newWidth: Int) -> Image {
        precondition(newHeight > 0 && newWidth > 0, "resized: target size must be positive, got \(newHeight)×\(newWidth)")
        if newHeight == height && newWidth == width { return self }
        let horizontal = Self.filterWeights(input: width, output: newWidth)
        let vertical = Self.filterWeights(input: height, output: newHeight)
        let c = channels
        // Rows first: [height, newWidth, c] in Float.
        var temp = [Float](repeating: 0, count: height * newWidth * c)
        pixels.withUnsafeBufferPointer { src in
            temp.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let row = src.baseAddress! + y * width * c, out = dst.baseAddress! + y * newWidth * c
                    for x in 0..<newWidth {
                        let (start, weights) = horizontal[x]
                        for ch in 0..<c {
                            var sum: Float = 0
                            for (k, w) in weights.enumerated() { sum += w * Float(row[(start + k) * c + ch]) }
                            out[x * c + ch] = sum
                        }
                    }
                }
            }
        }
        var result = [UInt8](repeating: 0, count: newHeight * newWidth * c)
        temp.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                let rowLength = newWidth * c
                for y in 0..<newHeight {
                    let (start, weights) = vertical[y]
                    let out = dst.baseAddress! + y * rowLength
                    for i in 0..<rowLength {
                        var sum: Float = 0
                        for (k, w) in weights.enumerated() { sum += w * src[(start + k) * rowLength + i] }
                        out[i] = UInt8(Swift.max(0, Swift.min(255, (sum + 0.5).rounded(.down))))
                    }
                }
            }
        }
        return Image(width: newWidth, height: newHeight, channels: c, pixels: result)
    }

    /// For each output coordinate: the first input index and the normalized weights.
    static func filterWeights(input: Int, output: Int) -> [(Int, [Float])] {
        let scale = Double(input) / Double(output)
        let filterScale = Swift.max(scale, 1), support = filterScale
        return (0..<output).map { o in
            let center = (Double(o) + 0.5) * scale
            let lo = Swift.max(0, Int((center - support + 0.5).rounded(.down)))
            let hi = Swift.min(input, Int((center + support + 0.5).rounded(.down)))
            var weights = (lo..<Swift.max(hi, lo + 1)).map { i -> Double in
                Swift.max(0, 1 - Swift.abs((Double(i) - center + 0.5) / filterScale))
            }
            var total = weights.reduce(0, +)
            if total <= 0 { weights = [1]; total = 1 }
            return (Swift.min(lo, input - 1), weights.map { Float($0 / total) })
        }
    }
}
