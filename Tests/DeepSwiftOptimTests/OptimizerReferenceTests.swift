import DeepSwiftAutodiff
import DeepSwiftOptim
import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

/// Optimizer trajectories against PyTorch, in float64 (Tests/Fixtures/torch/generate_torch_fixtures.py):
/// loss(W, b) = mean((X·W + b − Y)²), 100 steps, parameters compared after steps 1, 10 and 100.
@Suite struct OptimizerReferenceTests {
    static let fixture = try! Fixtures.torch("optimizers")

    func run(_ name: String, clip: ((Parameter, Parameter) -> Void)? = nil,
             _ make: ([Parameter]) -> any Optimizer, sourceLocation: SourceLocation = #_sourceLocation) {
        let f = Self.fixture
        let x = Variable(f["X"]), y = f["Y"]
        let w = Parameter(f["W0"]), b = Parameter(f["b0"])
        let optimizer = make([w, b])
        for step in 1...100 {
            optimizer.zeroGrad()
            let loss = (x.matmul(Variable(w)) + Variable(b) - Variable(y)).squared().mean()
            if step == 1 { expectClose(loss.value, f["loss0"], rtol: 1e-12, atol: 0, "\(name) loss0", sourceLocation: sourceLocation) }
            loss.backward()
            clip?(w, b)
            optimizer.step()
            if [1, 10, 100].contains(step) {
                expectClose(w.value, f["\(name)_W_\(step)"], rtol: 1e-9, atol: 1e-12, "\(name) W step \(step)", sourceLocation: sourceLocation)
                expectClose(b.value, f["\(name)_b_\(step)"], rtol: 1e-9, atol: 1e-12, "\(name) b step \(step)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func sgdFamily() {
        run("sgd") { SGD($0, learningRate: 0.1) }
        run("sgd_momentum") { SGD($0, learningRate: 0.05, momentum: 0.9) }
        run("sgd_nesterov") { SGD($0, learningRate: 0.05, momentum: 0.9, nesterov: true) }
        run("sgd_dampening") { SGD($0, learningRate: 0.05, momentum: 0.9, dampening: 0.5) }
        run("sgd_weight_decay") { SGD($0, learningRate: 0.1, regularization: Regularization(l2: 0.01)) }
    }

    @Test func adamFamily() {
        run("adam") { Adam($0, learningRate: 0.01) }
        run("adam_weight_decay") { Adam($0, learningRate: 0.01, regularization: Regularization(l2: 0.1)) }
        run("amsgrad") { Adam($0, learningRate: 0.01, amsgrad: true) }
        run("adamw") { AdamW($0, learningRate: 0.01, weightDecay: 0.1) }
        run("adamax") { Adamax($0, learningRate: 0.01) }
        run("nadam") { NAdam($0, learningRate: 0.01) }
    }

    @Test func adaptiveFamily() {
        run("rmsprop") { RMSProp($0, learningRate: 0.01) }
        run("rmsprop_centered") { RMSProp($0, learningRate: 0.01, momentum: 0.5, centered: true) }
        run("adagrad") { AdaGrad($0, learningRate: 0.1) }
        run("adadelta") { AdaDelta($0, learningRate: 1.0) }
    }

    @Test func gradientClipping() {
        run("clip_norm", clip: { w, b in GradientClipping.clipByGlobalNorm([w, b], maxNorm: 0.5) }) { SGD($0, learningRate: 0.1) }
        run("clip_value", clip: { w, b in GradientClipping.clipByValue([w, b], limit: 0.05) }) { SGD($0, learningRate: 0.1) }
    }

    @Test func learningRateSchedules() {
        let f = Self.fixture
        let cases: [(String, LearningRateSchedule)] = [
            ("lr_step", .step(size: 7, gamma: 0.5)),
            ("lr_multistep", .multiStep(milestones: [5, 12, 20], gamma: 0.3)),
            ("lr_exponential", .exponential(gamma: 0.9)),
            ("lr_polynomial", .polynomial(totalSteps: 20, power: 2)),
            ("lr_cosine", .cosine(period: 10, minimum: 0.001)),
            ("lr_cosine_restarts", .cosineWithRestarts(firstPeriod: 5, periodMultiplier: 2, minimum: 0.001)),
            ("lr_onecycle", .oneCycle(maximum: 0.1, totalSteps: 30)),
            ("lr_warmup_cosine", .warmup(steps: 5, startFactor: 0.1, then: .cosine(period: 25, minimum: 0))),
        ]
        for (name, schedule) in cases {
            let rates = (0..<30).map { schedule.learningRate(base: 0.1, at: $0) }
            expectClose(Tensor(rates), f[name], rtol: 1e-9, atol: 1e-12, name)
        }
        var plateau = ReduceLROnPlateau(learningRate: 0.1, factor: 0.5, patience: 2, threshold: 1e-4)
        var rates: [Double] = []
        for metric in f["plateau_metrics"].scalars(as: Double.self) {
            rates.append(plateau.learningRate)
            _ = plateau.step(metric: metric)
        }
        expectClose(Tensor(rates), f["lr_plateau"], rtol: 1e-12, atol: 0, "plateau")
    }

    @Test func stateRoundTripsAndResumesExactly() {
        let f = Self.fixture
        func losses(_ optimizer: any Optimizer, _ w: Parameter, _ b: Parameter, steps: Int) {
            for _ in 0..<steps {
                optimizer.zeroGrad()
                (Variable(f["X"]).matmul(Variable(w)) + Variable(b) - Variable(f["Y"])).squared().mean().backward()
                optimizer.step()
            }
        }
        let w1 = Parameter(f["W0"]), b1 = Parameter(f["b0"])
        let straight = NAdam([w1, b1], learningRate: 0.01)
        losses(straight, w1, b1, steps: 20)

        let w2 = Parameter(f["W0"]), b2 = Parameter(f["b0"])
        let first = NAdam([w2, b2], learningRate: 0.01)
        losses(first, w2, b2, steps: 10)
        let saved = first.state
        let resumed = NAdam([w2, b2], learningRate: 0.01)
        resumed.state = saved
        #expect(resumed.stepCount == 10)
        losses(resumed, w2, b2, steps: 10)
        expectEqual(w2.value, w1.value, "resumed trajectory is bit-identical")
    }
}
