import DeepSwiftAutodiff
import DeepSwiftNN
import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

/// Normalization layers against PyTorch (Tests/Fixtures/torch/generate_norm_fixtures.py) and
/// finite differences.
@Suite struct NormalizationTests {
    static let f = try! Fixtures.torch("norm")

    /// Runs `layer` on `{name}_x` with upstream `{name}_gy` and compares y, dx and the affine gradients.
    func check(_ name: String, _ layer: any Layer, weight: Parameter?, bias: Parameter?, sourceLocation: SourceLocation = #_sourceLocation) {
        let f = Self.f
        weight?.value = f["\(name)_weight"]
        bias?.value = f["\(name)_bias"]
        let x = Parameter(f["\(name)_x"])
        let y = layer(Variable(x))
        y.backward(f["\(name)_gy"])
        expectClose(y.value, f["\(name)_y"], rtol: 1e-10, atol: 1e-10, "\(name) y", sourceLocation: sourceLocation)
        expectClose(x.grad!, f["\(name)_dx"], rtol: 1e-9, atol: 1e-10, "\(name) dx", sourceLocation: sourceLocation)
        if let weight { expectClose(weight.grad!, f["\(name)_dweight"], rtol: 1e-9, atol: 1e-10, "\(name) dweight", sourceLocation: sourceLocation) }
        if let bias { expectClose(bias.grad!, f["\(name)_dbias"], rtol: 1e-9, atol: 1e-10, "\(name) dbias", sourceLocation: sourceLocation) }
    }

    @Test func batchNormTrainingAndInference() {
        let bn = BatchNorm(channels: 3, dtype: .float64)
        check("bn2d_train", bn, weight: bn.weight, bias: bn.bias)
        expectClose(bn.runningMean, Self.f["bn2d_train_running_mean"], rtol: 1e-12, atol: 1e-12, "running mean")
        expectClose(bn.runningVariance, Self.f["bn2d_train_running_var"], rtol: 1e-12, atol: 1e-12, "running variance")

        let eval = BatchNorm(channels: 3, dtype: .float64)
        eval.setTraining(false)
        eval.runningMean = Self.f["bn2d_eval_running_mean"]
        eval.runningVariance = Self.f["bn2d_eval_running_var"]
        check("bn2d_eval", eval, weight: eval.weight, bias: eval.bias)
        expectEqual(eval.runningMean, Self.f["bn2d_eval_running_mean"], "inference leaves the running mean alone")

        let bn1 = BatchNorm(channels: 6, dtype: .float64)
        check("bn1d_train", bn1, weight: bn1.weight, bias: bn1.bias)
        expectClose(bn1.runningVariance, Self.f["bn1d_train_running_var"], rtol: 1e-12, atol: 1e-12, "1-D running variance")

        let plain = BatchNorm(channels: 3, affine: false, dtype: .float64)
        #expect(plain.namedParameters.isEmpty)
        check("bn2d_noaffine", plain, weight: nil, bias: nil)
    }

    @Test func layerGroupInstanceAndLocalResponseNorm() {
        let ln = LayerNorm([5, 6], dtype: .float64)
        check("layernorm", ln, weight: ln.weight, bias: ln.bias)
        let gn = GroupNorm(groups: 2, channels: 6, dtype: .float64)
        check("groupnorm", gn, weight: gn.weight, bias: gn.bias)
        let instance = InstanceNorm(channels: 3, affine: true, dtype: .float64)
        check("instancenorm", instance, weight: instance.weight, bias: instance.bias)
        check("lrn", LocalResponseNorm(size: 3, alpha: 1e-2, beta: 0.75, k: 1), weight: nil, bias: nil)
    }

    @Test func spatialLayersRouteGradients() {
        var rng = PhiloxGenerator(seed: 2)
        let x = Tensor.normal([2, 3, 5, 4], dtype: .float64, using: &rng)
        gradCheck([x], "zero padding") { ZeroPadding2D(top: 1, bottom: 2, left: 0, right: 1)($0[0]).squared() }
        gradCheck([x], "cropping") { Cropping2D(top: 1, bottom: 1, left: 1, right: 0)($0[0]).squared() }
        gradCheck([x], "upsampling") { UpSampling2D(scale: (2, 3))($0[0]).squared() }
        gradCheck([x], "adaptive average pooling") { AdaptiveAvgPool2D(outputSize: (3, 3))($0[0]) }
        #expect(UpSampling2D()(Variable(x)).shape == [2, 3, 10, 8])
        #expect(AdaptiveAvgPool2D(outputSize: (2, 2))(Variable(x)).shape == [2, 3, 2, 2])
        let dropout = SpatialDropout(rate: 0.5, seed: 3)
        let y = dropout(Variable(Tensor.ones([4, 16, 3, 3]))).value
        // Whole channels are either dropped or kept (scaled by 2).
        let perChannel = y.reshaped([64, 9])
        #expect((perChannel.max(axis: 1) .== perChannel.min(axis: 1)).all().item(as: Bool.self))
    }
}
