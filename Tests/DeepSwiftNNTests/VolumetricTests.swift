import DeepSwiftAutodiff
import DeepSwiftNN
import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

@Suite struct VolumetricTests {
    /// Direct definition of a 3-D convolution (float64), for comparison.
    static func naiveConv3d(_ x: Tensor, _ w: Tensor, stride: Int, padding: Int) -> Tensor {
        let (n, c, d, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
        let (o, k) = (w.shape[0], w.shape[2])
        let (od, oh, ow) = ((d + 2 * padding - k) / stride + 1, (h + 2 * padding - k) / stride + 1, (wd + 2 * padding - k) / stride + 1)
        let xs = x.doubles, ws = w.doubles
        var out = [Double](repeating: 0, count: n * o * od * oh * ow)
        for b in 0..<n { for oc in 0..<o { for z in 0..<od { for y in 0..<oh { for q in 0..<ow {
            var s = 0.0
            for ic in 0..<c { for a in 0..<k { for e in 0..<k { for f in 0..<k {
                let (zz, yy, qq) = (z * stride - padding + a, y * stride - padding + e, q * stride - padding + f)
                guard zz >= 0 && zz < d && yy >= 0 && yy < h && qq >= 0 && qq < wd else { continue }
                s += xs[(((b * c + ic) * d + zz) * h + yy) * wd + qq] * ws[(((oc * c + ic) * k + a) * k + e) * k + f]
            } } } }
            out[(((b * o + oc) * od + z) * oh + y) * ow + q] = s
        } } } } }
        return Tensor(out, shape: [n, o, od, oh, ow])
    }

    @Test func conv3dMatchesItsDefinitionAndGradients() {
        var rng = PhiloxGenerator(seed: 4)
        let x = Tensor.normal([2, 2, 5, 4, 4], dtype: .float64, using: &rng)
        let w = Tensor.normal([3, 2, 3, 3, 3], dtype: .float64, using: &rng)
        for (stride, padding) in [(1, 0), (2, 1)] {
            let y = Variable(x).conv3d(weight: Variable(w), stride: (stride, stride, stride), padding: (padding, padding, padding))
            expectClose(y.value, Self.naiveConv3d(x, w, stride: stride, padding: padding), rtol: 1e-12, atol: 1e-12, "stride \(stride)")
        }
        let small = Tensor.normal([1, 2, 3, 3, 3], dtype: .float64, using: &rng)
        let kernel = Tensor.normal([2, 2, 2, 2, 2], dtype: .float64, using: &rng)
        let bias = Tensor.normal([2], dtype: .float64, using: &rng)
        gradCheck([small, kernel, bias], "conv3d") { $0[0].conv3d(weight: $0[1], bias: $0[2], padding: (1, 0, 1)) }
    }

    @Test func pooling1dAnd3d() {
        var rng = PhiloxGenerator(seed: 5)
        let distinct = Tensor.permutation(2 * 3 * 4 * 4 * 4, using: &rng).cast(to: .float64).reshaped([2, 3, 4, 4, 4]) / 7
        let pooled = Variable(distinct).maxPool3d(kernel: (2, 2, 2)).value
        // Reference: the maximum of each 2×2×2 block.
        let blocks = distinct.reshaped([2, 3, 2, 2, 2, 2, 2, 2]).permuted([0, 1, 2, 4, 6, 3, 5, 7]).reshaped([2, 3, 2, 2, 2, 8])
        expectClose(pooled, blocks.max(axis: -1), rtol: 0, atol: 0)
        expectClose(Variable(distinct).avgPool3d(kernel: (2, 2, 2)).value, blocks.mean(axis: -1), rtol: 1e-12, atol: 1e-12)
        gradCheck([distinct], "max pool 3d") { $0[0].maxPool3d(kernel: (2, 3, 2), stride: (1, 1, 2), padding: (0, 1, 0)) }
        gradCheck([distinct], "avg pool 3d") { $0[0].avgPool3d(kernel: (3, 2, 2), stride: (1, 2, 2)) }
        let sequence = Tensor.permutation(2 * 3 * 9, using: &rng).cast(to: .float64).reshaped([2, 3, 9])
        #expect(Variable(sequence).maxPool1d(kernel: 2).shape == [2, 3, 4])
        gradCheck([sequence], "pool 1d") { $0[0].maxPool1d(kernel: 3, stride: 2, padding: 1) + $0[0].avgPool1d(kernel: 3, stride: 2, padding: 1) }
        #expect(Pool1D(average: 3)(Variable(sequence)).shape == [2, 3, 3])
        #expect(ZeroPadding1D(left: 1, right: 2)(Variable(sequence)).shape == [2, 3, 12])
        #expect(Cropping1D(left: 1, right: 2)(Variable(sequence)).shape == [2, 3, 6])
    }

    @Test func bilinearUpsamplingUsesHalfPixelCenters() {
        let ramp = Tensor([0, 1] as [Double], shape: [1, 1, 1, 2])
        // PyTorch: F.interpolate(torch.tensor([[[[0., 1.]]]]), size=(1, 4), mode="bilinear") = [0, 0.25, 0.75, 1]
        expectClose(Variable(ramp).upsampleBilinear(to: (1, 4)).value, Tensor([0, 0.25, 0.75, 1] as [Double], shape: [1, 1, 1, 4]), rtol: 0, atol: 1e-15)
        var rng = PhiloxGenerator(seed: 6)
        let x = Tensor.normal([2, 2, 3, 4], dtype: .float64, using: &rng)
        let constant = Tensor.full([1, 2, 3, 3], value: 2.5, dtype: .float64)
        expectClose(BilinearUpSampling2D(scale: (2, 3))(Variable(constant)).value, Tensor.full([1, 2, 6, 9], value: 2.5, dtype: .float64), rtol: 0, atol: 1e-14)
        gradCheck([x], "bilinear") { $0[0].upsampleBilinear(to: (5, 7)) }
    }
}
