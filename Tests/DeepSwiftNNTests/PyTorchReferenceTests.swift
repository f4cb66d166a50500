import DeepSwiftAutodiff
import DeepSwiftNN
import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

/// Losses, activations and Dense against PyTorch (values and gradients, float64).
@Suite struct PyTorchReferenceTests {
    /// The loss value and the gradient with respect to `input`.
    func lossAndGradient(_ input: Tensor, _ loss: (Variable) -> Variable) -> (Tensor, Tensor) {
        let p = Parameter(input)
        let value = loss(Variable(p))
        value.backward()
        return (value.value, p.grad!)
    }

    func check(_ name: String, _ input: Tensor, _ f: NumPyArchive, sourceLocation: SourceLocation = #_sourceLocation,
               _ loss: (Variable) -> Variable) {
        let (value, gradient) = lossAndGradient(input, loss)
        expectClose(value, f[name], rtol: 1e-10, atol: 1e-12, "\(name) value", sourceLocation: sourceLocation)
        expectClose(gradient, f["\(name)_grad"], rtol: 1e-9, atol: 1e-12, "\(name) gradient", sourceLocation: sourceLocation)
    }

    @Test func crossEntropyVariants() throws {
        let f = try Fixtures.torch("losses")
        let logits = f["logits"], labels = f["labels"]
        check("ce", logits, f) { Losses.softmaxCrossEntropy(logits: $0, labels: labels) }
        check("ce_sum", logits, f) { Losses.softmaxCrossEntropy(logits: $0, labels: labels, reduction: .sum) }
        check("ce_none", logits, f) { Losses.softmaxCrossEntropy(logits: $0, labels: labels, reduction: .none) }
        check("ce_smoothing", logits, f) { Losses.softmaxCrossEntropy(logits: $0, labels: labels, labelSmoothing: 0.1) }
        check("ce_weights", logits, f) { Losses.softmaxCrossEntropy(logits: $0, labels: labels, classWeights: f["class_weights"]) }
        check("ce_ignore", logits, f) { Losses.softmaxCrossEntropy(logits: $0, labels: f["labels_ignore"], ignoreIndex: -100) }
        check("ce_probs", logits, f) { Losses.softmaxCrossEntropy(logits: $0, probabilities: f["target_probs"]) }
        check("nll", f["log_probs"], f) { Losses.negativeLogLikelihood(logProbabilities: $0, labels: labels) }
        check("kl", f["log_probs"], f) { Losses.klDivergence(logProbabilities: $0, target: f["target_probs"]) }
        // Stable for extreme logits in float32 too.
        let extreme = Tensor([[1000, -1000, 0], [-1000, 1000, 5]] as [[Float]])
        let loss = Losses.softmaxCrossEntropy(logits: Variable(extreme), labels: Tensor([1, 1] as [Int64]))
        #expect(loss.value.isFinite().all().item(as: Bool.self))
        #expect(abs(loss.value.scalarValue - 1000) < 1e-3)
    }

    @Test func binaryRegressionAndMarginLosses() throws {
        let f = try Fixtures.torch("losses")
        check("bce_logits", f["bin_logits"], f) { Losses.binaryCrossEntropy(logits: $0, targets: f["bin_targets"]) }
        check("bce", f["bin_probs"], f) { Losses.binaryCrossEntropy(probabilities: $0, targets: f["bin_targets"]) }
        check("mse", f["reg_pred"], f) { Losses.meanSquaredError($0, f["reg_target"]) }
        check("l1", f["reg_pred"], f) { Losses.meanAbsoluteError($0, f["reg_target"]) }
        check("huber", f["reg_pred"], f) { Losses.huber($0, f["reg_target"], delta: 1) }
        check("smooth_l1", f["reg_pred"], f) { Losses.smoothL1($0, f["reg_target"], beta: 0.5) }
        check("hinge", f["hinge_pred"], f) { Losses.hinge($0, f["hinge_target"]) }
        check("squared_hinge", f["hinge_pred"], f) { Losses.squaredHinge($0, f["hinge_target"]) }
        check("cosine", f["reg_pred"], f) { Losses.cosineProximity($0, f["reg_target"]) }
        check("poisson", f["pois_pred"], f) { Losses.poisson($0, f["pois_target"]) }
    }

    @Test func activations() throws {
        let f = try Fixtures.torch("activations")
        let x = f["x"], g = f["g"]
        let cases: [(String, Activation)] = [
            ("relu", .relu), ("leaky_relu", .leakyRelu(0.01)), ("elu", .elu(1)), ("selu", .selu), ("gelu", .gelu),
            ("gelu_tanh", .geluTanh), ("sigmoid", .sigmoid), ("hardsigmoid", .hardSigmoid), ("tanh", .tanh),
            ("hardtanh", .hardTanh(min: -1, max: 1)), ("relu6", .relu6), ("softmax", .softmax(axis: -1)),
            ("log_softmax", .logSoftmax(axis: -1)), ("silu", .swish), ("mish", .mish), ("softplus", .softplus),
            ("softsign", .softsign),
        ]
        for (name, activation) in cases {
            let p = Parameter(x)
            let y = ActivationLayer(activation)(Variable(p))
            y.backward(g)
            expectClose(y.value, f[name], rtol: 1e-10, atol: 1e-12, name)
            // PyTorch's hardsigmoid backward multiplies by a float32 1/6 even in float64 (3e-8 relative).
            let rtol = name == "hardsigmoid" ? 1e-7 : 1e-9
            expectClose(p.grad!, f["\(name)_grad"], rtol: rtol, atol: 1e-12, "\(name) gradient")
        }
        let prelu = PReLU()
        prelu.weight.value = prelu.weight.value.cast(to: .float64)
        let p = Parameter(x)
        let y = prelu(Variable(p))
        y.backward(g)
        expectClose(y.value, f["prelu"], rtol: 1e-12, atol: 1e-12, "prelu")
        expectClose(p.grad!, f["prelu_grad"], rtol: 1e-12, atol: 1e-12, "prelu gradient")
        expectClose(prelu.weight.grad!, f["prelu_weight_grad"], rtol: 1e-10, atol: 1e-12, "prelu weight gradient")
    }

    @Test func denseForwardAndBackward() throws {
        let f = try Fixtures.torch("dense")
        var rng = PhiloxGenerator(seed: 0)
        let layer = Dense(6, 3, dtype: .float64, using: &rng)
        layer.weight.value = f["weight"]
        layer.bias!.value = f["bias"]
        let x = Parameter(f["x"])
        let y = layer(Variable(x))
        y.backward(f["gy"])
        expectClose(y.value, f["y"], rtol: 1e-12, atol: 1e-12, "y")
        expectClose(x.grad!, f["dx"], rtol: 1e-12, atol: 1e-12, "dx")
        expectClose(layer.weight.grad!, f["dweight"], rtol: 1e-12, atol: 1e-12, "dweight")
        expectClose(layer.bias!.grad!, f["dbias"], rtol: 1e-12, atol: 1e-12, "dbias")
    }
}
