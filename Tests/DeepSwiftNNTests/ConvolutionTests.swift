import DeepSwiftAutodiff
import DeepSwiftNN
import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

/// Conv2D and pooling against PyTorch (Tests/Fixtures/torch/generate_conv_fixtures.py), for the
/// float64 reference and both float32 backends, plus finite-difference checks in float64.
@Suite(.serialized) struct ConvolutionTests {
    static let conv = try! Fixtures.torch("conv")
    static let pool = try! Fixtures.torch("pool")
    static let convNames = ["basic", "strided", "dilated", "grouped", "depthwise", "rectangular", "lenet"]
    static let poolNames = ["max_k2s2", "max_k3s2p1", "max_ceil", "avg_k2s2", "avg_pad_include", "avg_pad_exclude"]

    struct ConvCase {
        let x: Tensor, w: Tensor, b: Tensor?, stride: (Int, Int), padding: Padding, dilation: (Int, Int), groups: Int
        init(_ name: String) {
            let f = ConvolutionTests.conv
            let cfg = f["\(name)_cfg"].scalars(as: Int64.self).map(Int.init)
            x = f["\(name)_x"]
            w = f["\(name)_w"]
            b = cfg[7] == 1 ? f["\(name)_b"] : nil
            stride = (cfg[0], cfg[1])
            padding = .symmetric(cfg[2], cfg[3])
            dilation = (cfg[4], cfg[5])
            groups = cfg[6]
        }
    }

    func checkAll(_ dtype: DType, rtol: Double, atol: Double) {
        for name in Self.convNames {
            let c = ConvCase(name)
            let px = Parameter(c.x.cast(to: dtype)), pw = Parameter(c.w.cast(to: dtype)), pb = c.b.map { Parameter($0.cast(to: dtype)) }
            let y = Variable(px).conv2d(weight: Variable(pw), bias: pb.map { Variable($0) }, stride: c.stride, padding: c.padding,
                                        dilation: c.dilation, groups: c.groups)
            y.backward(Self.conv["\(name)_gy"].cast(to: dtype))
            expectClose(y.value, Self.conv["\(name)_y"], rtol: rtol, atol: atol, "\(name) \(dtype) y")
            expectClose(px.grad!, Self.conv["\(name)_dx"], rtol: rtol, atol: atol, "\(name) \(dtype) dx")
            expectClose(pw.grad!, Self.conv["\(name)_dw"], rtol: rtol, atol: atol, "\(name) \(dtype) dw")
            if let pb { expectClose(pb.grad!, Self.conv["\(name)_db"], rtol: rtol, atol: atol, "\(name) \(dtype) db") }
        }
    }

    @Test func float64ReferenceMatchesPyTorch() { checkAll(.float64, rtol: 1e-10, atol: 1e-10) }

    @Test func float32GEMMBackendMatchesPyTorch() {
        Convolution.backend = .gemm
        defer { Convolution.backend = .automatic }
        checkAll(.float32, rtol: 1e-4, atol: 2e-4)
    }

    @Test func float32OneDNNBackendMatchesPyTorch() {
        Convolution.backend = .oneDNN
        defer { Convolution.backend = .automatic }
        checkAll(.float32, rtol: 1e-4, atol: 2e-4)
    }

    @Test func gradientsMatchFiniteDifferences() {
        var rng = PhiloxGenerator(seed: 3)
        let x = Tensor.normal([2, 4, 6, 5], dtype: .float64, using: &rng)
        let configs: [((Int, Int), Padding, (Int, Int), Int, [Int])] = [
            ((1, 1), .valid, (1, 1), 1, [3, 4, 3, 3]), ((2, 1), .same, (1, 1), 1, [3, 4, 2, 3]),
            ((1, 1), .symmetric(2, 1), (2, 2), 1, [2, 4, 3, 2]), ((1, 2), .explicit(top: 1, bottom: 0, left: 2, right: 1), (1, 1), 2, [4, 2, 3, 3]),
            ((1, 1), .same, (1, 1), 4, [8, 1, 3, 3]),
        ]
        for (stride, padding, dilation, groups, weightShape) in configs {
            let w = Tensor.normal(weightShape, dtype: .float64, using: &rng)
            let b = Tensor.normal([weightShape[0]], dtype: .float64, using: &rng)
            gradCheck([x, w, b], "conv2d stride \(stride) padding \(padding) dilation \(dilation) groups \(groups)") {
                $0[0].conv2d(weight: $0[1], bias: $0[2], stride: stride, padding: padding, dilation: dilation, groups: groups)
            }
        }
        let distinct = Tensor.permutation(2 * 3 * 7 * 7, using: &rng).cast(to: .float64).reshaped([2, 3, 7, 7]) / 10
        gradCheck([distinct], "max pool") { $0[0].maxPool2d(kernel: (3, 3), stride: (2, 2), padding: .symmetric(1, 1)) }
        gradCheck([x], "avg pool include") { $0[0].avgPool2d(kernel: (2, 2), stride: (1, 2), padding: .symmetric(1, 1)) }
        gradCheck([x], "avg pool exclude") { $0[0].avgPool2d(kernel: (3, 2), stride: (2, 1), padding: .symmetric(1, 1), countIncludePad: false) }
        gradCheck([x], "global pools") { $0[0].globalAveragePool2d() + $0[0].globalMaxPool2d() }
    }

    @Test func poolingMatchesPyTorch() {
        for name in Self.poolNames {
            let cfg = Self.pool["\(name)_cfg"].scalars(as: Int64.self).map(Int.init)
            for dtype in [DType.float64, .float32] {
                let p = Parameter(Self.pool["\(name)_x"].cast(to: dtype))
                let kernel = (cfg[0], cfg[1]), stride = (cfg[2], cfg[3]), padding = Padding.symmetric(cfg[4], cfg[5])
                let y = name.hasPrefix("max")
                    ? Variable(p).maxPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: cfg[6] == 1)
                    : Variable(p).avgPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: cfg[6] == 1, countIncludePad: cfg[7] == 1)
                y.backward(Self.pool["\(name)_gy"].cast(to: dtype))
                let tolerance = dtype == .float64 ? 1e-12 : 1e-5
                expectClose(y.value, Self.pool["\(name)_y"], rtol: tolerance, atol: tolerance, "\(name) \(dtype) y")
                expectClose(p.grad!, Self.pool["\(name)_dx"], rtol: tolerance, atol: tolerance, "\(name) \(dtype) dx")
            }
        }
    }

    @Test func inferencePoolingMatchesPyTorch() {
        // Without recording, pooling runs a direct loop instead of oneDNN; same results.
        for name in Self.poolNames {
            let cfg = Self.pool["\(name)_cfg"].scalars(as: Int64.self).map(Int.init)
            for dtype in [DType.float64, .float32] {
                let x = Variable(Self.pool["\(name)_x"].cast(to: dtype))
                let kernel = (cfg[0], cfg[1]), stride = (cfg[2], cfg[3]), padding = Padding.symmetric(cfg[4], cfg[5])
                let y = name.hasPrefix("max")
                    ? x.maxPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: cfg[6] == 1)
                    : x.avgPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: cfg[6] == 1, countIncludePad: cfg[7] == 1)
                #expect(!y.requiresGrad)
                expectClose(y.value, Self.pool["\(name)_y"], rtol: 1e-6, atol: 1e-6, "\(name) \(dtype) inference")
            }
        }
        let withNaN = Tensor([1, .nan, 3, 4] as [Float], shape: [1, 1, 2, 2])
        #expect(Variable(withNaN).maxPool2d(kernel: (2, 2)).value.isNaN().all().item(as: Bool.self))
    }

    @Test func layersAndPrimitiveCache() {
        var rng = PhiloxGenerator(seed: 5)
        let model = Sequential {
            Conv2D(1, 4, kernel: (3, 3), padding: .same, activation: .relu, using: &rng)
            MaxPool2D(kernel: (2, 2))
            Conv2D(4, 6, kernel: (3, 3), groups: 2, using: &rng)
            AvgPool2D(kernel: (2, 2), ceilMode: true)
            GlobalAveragePool2D()
        }
        #expect(model.namedParameters.map(\.name) == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"])
        let x = Tensor.normal([3, 1, 10, 10], using: &rng)
        let y = model(Variable(x))
        #expect(y.shape == [3, 6])
        #expect(model.summary(inputShape: [1, 1, 10, 10]).contains("Conv2D(4 → 6, 3×3, groups 2)"))
        // A repeated training step creates no new oneDNN primitive.
        Convolution.backend = .oneDNN
        defer { Convolution.backend = .automatic }
        let step = { model.zeroGrad(); model(Variable(x)).sum().backward() }
        step()
        let created = OneDNNStatistics.primitivesCreated
        for _ in 0..<3 { step() }
        #expect(OneDNNStatistics.primitivesCreated == created)
    }
}

@Suite struct TransposedAndOneDimensionalConvolutionTests {
    /// A transposed convolution is the adjoint of the convolution with the same weights:
    /// ⟨conv(x), y⟩ = ⟨x, convT(y)⟩.
    @Test func transposedConvolutionIsTheAdjoint() {
        var rng = PhiloxGenerator(seed: 7)
        for (stride, padding, groups) in [((1, 1), (0, 0), 1), ((2, 2), (1, 1), 1), ((2, 1), (1, 0), 2)] {
            for dtype in [DType.float64, .float32] {
                let w = Tensor.normal([4, 6 / groups, 3, 3], dtype: dtype, using: &rng)     // conv: 6 → 4 channels
                let x = Tensor.normal([2, 6, 9, 8], dtype: dtype, using: &rng)
                let y = Variable(x).conv2d(weight: Variable(w), stride: stride, padding: .symmetric(padding.0, padding.1), groups: groups)
                let r = Tensor.normal(y.shape, dtype: dtype, using: &rng)
                let outputPadding = (9 + 2 * padding.0 - 3) % stride.0, outputPaddingW = (8 + 2 * padding.1 - 3) % stride.1
                let back = Variable(r).convTranspose2d(weight: Variable(w), stride: stride, padding: padding,
                                                       outputPadding: (outputPadding, outputPaddingW), groups: groups)
                #expect(back.shape == x.shape)
                let lhs = (y.value * r).sum().scalarValue, rhs = (x * back.value).sum().scalarValue
                #expect(abs(lhs - rhs) <= (dtype == .float64 ? 1e-9 : 1e-3) * max(1, abs(lhs)), "stride \(stride) groups \(groups) \(dtype): \(lhs) vs \(rhs)")
            }
        }
    }

    @Test func gradientsOfTransposedAndOneDimensionalConvolutions() {
        var rng = PhiloxGenerator(seed: 8)
        let x = Tensor.normal([2, 4, 3, 3], dtype: .float64, using: &rng)
        let w = Tensor.normal([4, 3, 3, 2], dtype: .float64, using: &rng)
        let b = Tensor.normal([3], dtype: .float64, using: &rng)
        gradCheck([x, w, b], "convTranspose2d") { $0[0].convTranspose2d(weight: $0[1], bias: $0[2], stride: (2, 1), padding: (1, 0), outputPadding: (1, 0)) }
        let s = Tensor.normal([2, 3, 11], dtype: .float64, using: &rng)
        let k = Tensor.normal([5, 3, 3], dtype: .float64, using: &rng)
        gradCheck([s, k], "conv1d") { $0[0].conv1d(weight: $0[1], stride: 2, padding: 1, dilation: 2) }
        let layer = SeparableConv2D(4, 6, kernel: (3, 3), padding: .same, multiplier: 2, using: &rng)
        #expect(layer.namedParameters.map(\.name) == ["depthwise.weight", "pointwise.weight", "pointwise.bias"])
        #expect(layer(Variable(Tensor.ones([1, 4, 5, 5]))).shape == [1, 6, 5, 5])
        #expect(Conv1D(3, 5, kernel: 3, padding: 1, using: &rng)(Variable(Tensor.ones([2, 3, 7]))).shape == [2, 5, 7])
        #expect(Conv2DTranspose(4, 2, kernel: (2, 2), stride: (2, 2), using: &rng)(Variable(Tensor.ones([1, 4, 3, 3]))).shape == [1, 2, 6, 6])
    }
}

@Suite struct ChunkedConvolutionTests {
    /// Inference works through batches of large images (window matrix over 2 MB per image) in
    /// chunks; the result equals the one-GEMM forward pass.
    @Test func chunkedForwardMatchesTheWholeBatch() {
        var rng = PhiloxGenerator(seed: 10)
        let x = Tensor.normal([3, 16, 64, 64], using: &rng), w = Tensor.normal([6, 16, 3, 3], using: &rng)
        let b = Tensor.normal([6], using: &rng)
        let g = ConvolutionGeometry(input: x.shape, outputChannels: 6, kernel: (3, 3), padding: .same)
        let whole = Convolution.forwardSaving(x, w, b, g).0
        let chunked = Convolution.forward(x, w, b, g)
        expectClose(chunked, whole, rtol: 1e-5, atol: 1e-5)
        let reference = Convolution.forward(x.cast(to: .float64), w.cast(to: .float64), b.cast(to: .float64), g)
        expectClose(chunked, reference, rtol: 1e-4, atol: 1e-4)
    }
}
