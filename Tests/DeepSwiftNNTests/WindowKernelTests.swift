import CDeepSwiftKernels
@testable import DeepSwiftNN
import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

/// im2col, col2im and inference pooling kernels at every instruction-set level the CPU has, and
/// the two float32 GEMM convolution paths (image by image, whole batch), against the float64
/// reference definitions.
@Suite struct WindowKernelTests {
    static let geometries: [ConvolutionGeometry] = [
        ConvolutionGeometry(input: [2, 3, 9, 11], outputChannels: 4, kernel: (3, 3)),
        ConvolutionGeometry(input: [2, 3, 9, 11], outputChannels: 4, kernel: (3, 2), stride: (2, 3), padding: .symmetric(1, 2)),
        ConvolutionGeometry(input: [2, 2, 10, 37], outputChannels: 2, kernel: (3, 5), padding: .same, dilation: (2, 3)),
        ConvolutionGeometry(input: [3, 2, 12, 12], outputChannels: 2, kernel: (5, 5)),
        ConvolutionGeometry(input: [2, 2, 6, 40], outputChannels: 2, kernel: (2, 3), stride: (1, 1),
                            padding: .explicit(top: 0, bottom: 2, left: 3, right: 1)),
        ConvolutionGeometry(input: [2, 1, 5, 19], outputChannels: 1, kernel: (1, 1)),
    ]
    static var levels: [Int32] { Array(0...ds_kernels_max_isa()) }

    @Test func im2colMatchesTheReferenceAtEveryLevel() {
        var rng = PhiloxGenerator(seed: 21)
        for g in Self.geometries {
            let x = Tensor.normal(g.inputShape, using: &rng)
            let rows = g.channels * g.kernelHeight * g.kernelWidth, positions = g.outputHeight * g.outputWidth
            // Reference layout [N, 1, rows, P] → [rows, N·P].
            let expected = Convolution.Reference.im2col(x.cast(to: .float64), g).reshaped([g.batch, rows, positions])
                .permuted([1, 0, 2]).contiguous().reshaped([rows, g.batch * positions])
            for level in Self.levels {
                var geo = Convolution.GEMM.geometry(g)
                var cols = [Float](repeating: .nan, count: rows * g.batch * positions)
                x.withUnsafeBufferPointer(as: Float.self) { xp in
                    cols.withUnsafeMutableBufferPointer { cp in
                        for n in 0..<g.batch {
                            // Two row ranges, as a split across threads would call it.
                            let split = rows / 2
                            ds_im2col_f32_at_level(level, xp.baseAddress! + n * g.channels * g.height * g.width, &geo, cp.baseAddress!,
                                                   g.batch * positions, n, 0, split)
                            ds_im2col_f32_at_level(level, xp.baseAddress! + n * g.channels * g.height * g.width, &geo, cp.baseAddress!,
                                                   g.batch * positions, n, split, rows)
                        }
                    }
                }
                expectClose(Tensor(cols, shape: [rows, g.batch * positions]), expected, rtol: 0, atol: 0, "im2col level \(level) \(g)")
            }
        }
    }

    @Test func col2imOverwritesWithTheReferenceSumsAtEveryLevel() {
        var rng = PhiloxGenerator(seed: 22)
        for g in Self.geometries {
            let rows = g.channels * g.kernelHeight * g.kernelWidth, positions = g.outputHeight * g.outputWidth
            let cols = Tensor.normal([rows, g.batch * positions], using: &rng)
            let expected = Convolution.Reference.col2im(
                cols.cast(to: .float64).reshaped([rows, g.batch, positions]).permuted([1, 0, 2]).contiguous()
                    .reshaped([g.batch, 1, rows, positions]), g)
            for level in Self.levels {
                var geo = Convolution.GEMM.geometry(g)
                var gx = [Float](repeating: .nan, count: g.inputShape.reduce(1, *))   // must be overwritten
                let imageSize = g.channels * g.height * g.width
                cols.withUnsafeBufferPointer(as: Float.self) { cp in
                    gx.withUnsafeMutableBufferPointer { xp in
                        for n in 0..<g.batch {
                            let split = g.channels / 2
                            ds_col2im_f32_at_level(level, cp.baseAddress!, &geo, g.batch * positions, n, xp.baseAddress! + n * imageSize, 0, split)
                            ds_col2im_f32_at_level(level, cp.baseAddress!, &geo, g.batch * positions, n, xp.baseAddress! + n * imageSize,
                                                   split, g.channels)
                        }
                    }
                }
                expectClose(Tensor(gx, shape: g.inputShape), expected, rtol: 1e-5, atol: 1e-5, "col2im level \(level) \(g)")
            }
        }
    }

    @Test func twoByTwoPoolingAgreesAcrossLevelsIncludingNaN() {
        var rng = PhiloxGenerator(seed: 23)
        for shape in [[2, 3, 8, 8], [1, 2, 7, 41], [1, 1, 4, 64]] {
            var xs = Tensor.normal(shape, using: &rng).scalars(as: Float.self)
            xs[5] = .nan
            xs[xs.count - 3] = .nan
            let h = shape[2], w = shape[3], oh = h / 2, ow = w / 2, planes = shape[0] * shape[1]
            for kind in [Int32(0), 1] {
                var outputs: [[Float]] = []
                for level in Self.levels {
                    var y = [Float](repeating: 0, count: planes * oh * ow)
                    ds_pool2d_forward_f32_at_level(level, xs, &y, h, w, oh, ow, 2, 2, 2, 2, 0, 0, 0, 0, kind, 0, planes)
                    outputs.append(y)
                }
                // Baseline is the generic loop; compare every level with it.
                for (level, y) in outputs.enumerated() {
                    for (i, (a, b)) in zip(y, outputs[0]).enumerated() {
                        #expect(a.isNaN == b.isNaN, "pool kind \(kind) level \(level) \(shape) at \(i): \(a) vs \(b)")
                        if !a.isNaN { #expect(abs(a - b) <= 1e-6 * Swift.max(1, abs(b)), "pool kind \(kind) level \(level) \(shape) at \(i)") }
                    }
                }
                #expect(outputs[0].contains { $0.isNaN }, "NaN inputs propagate")
            }
        }
    }

    static let convolutionCases: [(ConvolutionGeometry, Bool)] = [
        (ConvolutionGeometry(input: [3, 4, 9, 9], outputChannels: 6, kernel: (3, 3), stride: (2, 2), padding: .symmetric(1, 1)), true),
        (ConvolutionGeometry(input: [4, 6, 8, 7], outputChannels: 9, kernel: (3, 3), padding: .same, groups: 3), true),
        (ConvolutionGeometry(input: [2, 8, 5, 5], outputChannels: 6, kernel: (1, 1)), false),
        (ConvolutionGeometry(input: [2, 4, 6, 6], outputChannels: 4, kernel: (1, 1), groups: 2), true),
        (ConvolutionGeometry(input: [5, 3, 11, 10], outputChannels: 5, kernel: (2, 3), dilation: (2, 1)), true),
    ]

    @Test func imageWiseAndWholeBatchPathsMatchTheReference() {
        var rng = PhiloxGenerator(seed: 24)
        for (g, hasBias) in Self.convolutionCases {
            let x = Tensor.normal(g.inputShape, using: &rng), w = Tensor.normal(g.weightShape, using: &rng)
            let b = hasBias ? Tensor.normal([g.outputChannels], using: &rng) : nil
            let gy = Tensor.normal(g.outputShape, using: &rng)
            let y64 = Convolution.Reference.forward(x.cast(to: .float64), w.cast(to: .float64), b?.cast(to: .float64), g)
            let gx64 = Convolution.Reference.backwardData(gy.cast(to: .float64), w.cast(to: .float64), g)
            let gw64 = Convolution.Reference.backwardWeights(x.cast(to: .float64), gy.cast(to: .float64), g)
            let gb64 = gy.cast(to: .float64).sum(axes: [0, 2, 3])

            let y = Convolution.ImageWise.forward(x, w, b, g)
            let (gx, gw, gb) = Convolution.ImageWise.backward(gy, x: x, w: w, g, input: true, weights: true, bias: hasBias)
            expectClose(y, y64, rtol: 1e-4, atol: 1e-4, "image-wise y \(g)")
            expectClose(gx!, gx64, rtol: 1e-4, atol: 1e-4, "image-wise dx \(g)")
            expectClose(gw!, gw64, rtol: 1e-4, atol: 1e-4, "image-wise dw \(g)")
            if hasBias { expectClose(gb!, gb64, rtol: 1e-4, atol: 1e-4, "image-wise db \(g)") }
            let (_, onlyWeights, _) = Convolution.ImageWise.backward(gy, x: x, w: w, g, input: false, weights: true, bias: false)
            expectClose(onlyWeights!, gw64, rtol: 1e-4, atol: 1e-4, "image-wise dw alone \(g)")

            let columns = Convolution.GEMM.columns(x, g)
            let rowsOfGy = Convolution.GEMM.outputRows(gy, g)
            expectClose(Convolution.GEMM.forward(columns, w, b, g), y64, rtol: 1e-4, atol: 1e-4, "whole-batch y \(g)")
            expectClose(Convolution.GEMM.backwardData(rowsOfGy, w, g), gx64, rtol: 1e-4, atol: 1e-4, "whole-batch dx \(g)")
            expectClose(Convolution.GEMM.backwardWeights(rowsOfGy, columns, g), gw64, rtol: 1e-4, atol: 1e-4, "whole-batch dw \(g)")
        }
    }
}
