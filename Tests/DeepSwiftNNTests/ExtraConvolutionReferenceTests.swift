import DeepSwiftAutodiff
import DeepSwiftNN
import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

/// Transposed, 1-D and 3-D convolutions, 1-D/3-D pooling, bilinear upsampling and adaptive pooling
/// against PyTorch (Tests/Fixtures/torch/generate_conv_extra_fixtures.py), in float64 and float32.
@Suite struct ExtraConvolutionReferenceTests {
    static let f = try! Fixtures.torch("conv_extra")

    func cfg(_ name: String) -> [Int] { Self.f["\(name)_cfg"].scalars(as: Int64.self).map(Int.init) }

    /// Runs `op` on the fixture's x (and w, b when present) and compares y and every gradient.
    func check(_ name: String, weights: Bool, bias: Bool, sourceLocation: SourceLocation = #_sourceLocation,
               _ op: (Variable, Variable?, Variable?) -> Variable) {
        let f = Self.f
        for dtype in [DType.float64, .float32] {
            let x = Parameter(f["\(name)_x"].cast(to: dtype))
            let w = weights ? Parameter(f["\(name)_w"].cast(to: dtype)) : nil
            let b = bias ? Parameter(f["\(name)_b"].cast(to: dtype)) : nil
            let y = op(Variable(x), w.map { Variable($0) }, b.map { Variable($0) })
            y.backward(f["\(name)_gy"].cast(to: dtype))
            let (rtol, atol) = dtype == .float64 ? (1e-10, 1e-10) : (1e-4, 2e-4)
            expectClose(y.value, f["\(name)_y"], rtol: rtol, atol: atol, "\(name) \(dtype) y", sourceLocation: sourceLocation)
            expectClose(x.grad!, f["\(name)_dx"], rtol: rtol, atol: atol, "\(name) \(dtype) dx", sourceLocation: sourceLocation)
            if let w { expectClose(w.grad!, f["\(name)_dw"], rtol: rtol, atol: atol, "\(name) \(dtype) dw", sourceLocation: sourceLocation) }
            if let b { expectClose(b.grad!, f["\(name)_db"], rtol: rtol, atol: atol, "\(name) \(dtype) db", sourceLocation: sourceLocation) }
        }
    }

    @Test func transposedConvolutions() {
        for name in ["convT_basic", "convT_strided", "convT_grouped"] {
            let c = cfg(name)
            check(name, weights: true, bias: c[9] == 1) { x, w, b in
                x.convTranspose2d(weight: w!, bias: b, stride: (c[0], c[1]), padding: (c[2], c[3]), outputPadding: (c[4], c[5]),
                                  dilation: (c[7], c[8]), groups: c[6])
            }
        }
    }

    @Test func oneAndThreeDimensionalConvolutions() {
        let c1 = cfg("conv1d")
        check("conv1d", weights: true, bias: c1[4] == 1) { x, w, b in
            x.conv1d(weight: w!, bias: b, stride: c1[0], padding: c1[1], dilation: c1[2], groups: c1[3])
        }
        let c3 = cfg("conv3d")
        check("conv3d", weights: true, bias: c3[10] == 1) { x, w, b in
            x.conv3d(weight: w!, bias: b, stride: (c3[0], c3[1], c3[2]), padding: (c3[3], c3[4], c3[5]), dilation: (c3[6], c3[7], c3[8]),
                     groups: c3[9])
        }
    }

    @Test func poolingUpsamplingAndAdaptivePooling() {
        let m3 = cfg("maxpool3d")
        check("maxpool3d", weights: false, bias: false) { x, _, _ in
            x.maxPool3d(kernel: (m3[0], m3[1], m3[2]), stride: (m3[3], m3[4], m3[5]), padding: (m3[6], m3[7], m3[8]))
        }
        let a1 = cfg("avgpool1d")
        check("avgpool1d", weights: false, bias: false) { x, _, _ in
            x.avgPool1d(kernel: a1[0], stride: a1[1], padding: a1[2], ceilMode: a1[3] == 1, countIncludePad: a1[4] == 1)
        }
        let m1 = cfg("maxpool1d")
        check("maxpool1d", weights: false, bias: false) { x, _, _ in x.maxPool1d(kernel: m1[0], stride: m1[1], padding: m1[2]) }
        let bl = cfg("bilinear")
        check("bilinear", weights: false, bias: false) { x, _, _ in x.upsampleBilinear(to: (bl[0], bl[1])) }
        let ad = cfg("adaptive")
        check("adaptive", weights: false, bias: false) { x, _, _ in AdaptiveAvgPool2D(outputSize: (ad[0], ad[1]))(x) }
    }
}
