import DeepSwiftAutodiff
@testable import DeepSwiftNN
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

    @Test func fusedBatchNormMatchesTheComposedFormulaAndFiniteDifferences() {
        var rng = PhiloxGenerator(seed: 31)
        for shape in [[4, 3, 5, 6], [8, 5], [3, 4, 7]] {
            let x = Tensor.normal(shape, mean: 0.5, std: 2, using: &rng)
            let g = Tensor.normal(shape, using: &rng)
            for training in [true, false] {
                let fused = BatchNorm(channels: shape[1]), composed = BatchNorm(channels: shape[1])
                for layer in [fused, composed] {
                    layer.weight!.value = Tensor.linspace(0.5, 1.5, count: shape[1])
                    layer.bias!.value = Tensor.linspace(-1, 1, count: shape[1])
                    layer.runningMean = Tensor.linspace(-0.2, 0.3, count: shape[1])
                    layer.runningVariance = Tensor.linspace(0.5, 2, count: shape[1])
                    layer.setTraining(training)
                }
                let px = Parameter(x), qx = Parameter(x)
                let y1 = fused(Variable(px)), y2 = composed.composedForward(Variable(qx))
                y1.backward(g)
                y2.backward(g)
                expectClose(y1.value, y2.value, rtol: 1e-4, atol: 1e-5, "y \(shape) training \(training)")
                expectClose(px.grad!, qx.grad!, rtol: 1e-4, atol: 1e-5, "dx \(shape) training \(training)")
                expectClose(fused.weight!.grad!, composed.weight!.grad!, rtol: 1e-4, atol: 1e-4, "dgamma \(shape)")
                expectClose(fused.bias!.grad!, composed.bias!.grad!, rtol: 1e-4, atol: 1e-4, "dbeta \(shape)")
                expectClose(fused.runningMean, composed.runningMean, rtol: 1e-5, atol: 1e-6, "running mean")
                expectClose(fused.runningVariance, composed.runningVariance, rtol: 1e-5, atol: 1e-6, "running variance")
            }
        }
        let x64 = Tensor.normal([3, 2, 4, 3], dtype: .float64, using: &rng)
        let layer = BatchNorm(channels: 2, dtype: .float64)
        gradCheck([x64], "fused batch norm, training") { layer($0[0]) }
        // γ and β gradients are compared with PyTorch in batchNormTrainingAndInference.
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
