import DeepSwiftAutodiff
import DeepSwiftNN
import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

@Suite struct LayerTests {
    final class TwoLayer: Layer {
        let hidden = Dense(4, 8, activation: .relu, seed: 1)
        let output = Dense(8, 2, bias: false, seed: 2)
        var isTraining = true
        var sublayers: [(name: String, layer: any Layer)] { [("hidden", hidden), ("output", output)] }
        func callAsFunction(_ x: Variable) -> Variable { output(hidden(x)) }
    }

    @Test func parameterNamesAreStableAndDotted() {
        var rng = PhiloxGenerator(seed: 0)
        let model = Sequential {
            Dense(784, 512, activation: .relu, using: &rng)
            Dropout(rate: 0.2, seed: 1)
            Dense(512, 10, using: &rng)
        }
        #expect(model.namedParameters.map(\.name) == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"])
        #expect(model.parameterCount == 784 * 512 + 512 + 512 * 10 + 10)
        #expect(TwoLayer().namedParameters.map(\.name) == ["hidden.weight", "hidden.bias", "output.weight"])
        let nested = Sequential { TwoLayer(); Sequential { PReLU() } }
        #expect(nested.namedParameters.map(\.name) == ["layers.0.hidden.weight", "layers.0.hidden.bias", "layers.0.output.weight", "layers.1.layers.0.weight"])
    }

    @Test func summaryListsShapesAndCounts() {
        var rng = PhiloxGenerator(seed: 0)
        let model = Sequential {
            Flatten()
            Dense(784, 512, activation: .relu, using: &rng)
            Dense(512, 10, using: &rng)
            ActivationLayer(.softmax(axis: -1))
        }
        let text = model.summary(inputShape: [1, 28, 28])
        #expect(text.contains("Dense(784 → 512, relu)") && text.contains("[1, 512]") && text.contains("401920"))
        #expect(text.contains("Total parameters: 407050"))
    }

    @Test func trainingModeControlsDropoutAndNoise() {
        let dropout = Dropout(rate: 0.5, seed: 3)
        let x = Variable(Tensor.ones([1000]))
        let trained = dropout(x).value
        let zeros = (trained .== 0).cast(to: .float32).mean().scalarValue
        #expect(abs(zeros - 0.5) < 0.06)
        #expect(abs(trained.mean().scalarValue - 1) < 0.1, "inverted dropout keeps the mean")
        let model = Sequential { dropout; GaussianNoise(std: 1, seed: 4) }
        model.setTraining(false)
        #expect(!dropout.isTraining)
        expectEqual(model(x).value, x.value)
        // AlphaDropout keeps zero mean and unit variance of SELU activations.
        var rng = PhiloxGenerator(seed: 5)
        let selu = Tensor.normal([200_000], using: &rng).selu()
        let dropped = AlphaDropout(rate: 0.2, seed: 6)(Variable(selu)).value
        #expect(abs(dropped.mean().scalarValue - selu.mean().scalarValue) < 0.02)
        #expect(abs(dropped.variance().scalarValue - selu.variance().scalarValue) < 0.03)
    }

    @Test func initializersHaveTheDocumentedStatistics() {
        var rng = PhiloxGenerator(seed: 7)
        let shape = [400, 300]
        let (fanIn, fanOut) = Initializer.fans(shape)
        #expect(fanIn == 300 && fanOut == 400)
        #expect(Initializer.fans([64, 3, 5, 5]) == (75, 1600))
        func std(_ i: Initializer) -> Double { i.make(shape, dtype: .float64, using: &rng).standardDeviation().scalarValue }
        #expect(abs(std(.glorotUniform()) - (2.0 / 700).squareRoot()) < 0.002)
        #expect(abs(std(.glorotNormal()) - (2.0 / 700).squareRoot()) < 0.002)
        #expect(abs(std(.heNormal()) - (2.0 / 300).squareRoot()) < 0.002)
        #expect(abs(std(.heUniform(mode: .fanOut, nonlinearity: .relu)) - (2.0 / 400).squareRoot()) < 0.002)
        #expect(abs(std(.lecunNormal) - (1.0 / 300).squareRoot()) < 0.002)
        #expect(abs(std(.lecunUniform) - (1.0 / 300).squareRoot()) < 0.002)
        #expect(abs(std(.normal(mean: 0, std: 0.02)) - 0.02) < 0.001)
        let truncated = Initializer.truncatedNormal(mean: 0, std: 1).make(shape, using: &rng)
        #expect(truncated.abs().max().scalarValue <= 2)
        let q = Initializer.orthogonal().make([6, 10], dtype: .float64, using: &rng)
        expectClose(q.matmul(q.transposed()), Tensor.eye(6, dtype: .float64), rtol: 0, atol: 1e-12, "rows orthonormal")
        let tall = Initializer.orthogonal(gain: 2).make([10, 4], dtype: .float64, using: &rng)
        expectClose(tall.transposed().matmul(tall), Tensor.eye(4, dtype: .float64) * 4, rtol: 0, atol: 1e-12, "columns orthogonal")
        expectEqual(Initializer.identity.make([2, 3], using: &rng), Tensor.eye(2, 3))
        expectEqual(Initializer.constant(0.5).make([2], using: &rng), Tensor([0.5, 0.5] as [Float]))
        // Same seed, same weights.
        var a = PhiloxGenerator(seed: 9), b = PhiloxGenerator(seed: 9)
        expectEqual(Initializer.glorotUniform().make(shape, using: &a), Initializer.glorotUniform().make(shape, using: &b))
    }

    @Test func denseHandlesExtraLeadingAxesAndAllActivations() {
        let layer = Dense(3, 2, activation: .tanh, seed: 1)
        let x = Tensor.ones([4, 5, 3])
        let y = layer(Variable(x)).value
        #expect(y.shape == [4, 5, 2])
        let flat = layer(Variable(x.reshaped([20, 3]))).value
        expectEqual(y.reshaped([20, 2]), flat)
        let input = GradCheckInputs.normal([3, 4])
        for activation in [Activation.relu, .gelu, .selu, .sigmoid, .mish, .softsign, .hardSigmoid] {
            gradCheck([input], "\(activation)") { activation.apply($0[0]) }
        }
    }
}

enum GradCheckInputs {
    static func normal(_ shape: [Int]) -> Tensor {
        var rng = PhiloxGenerator(seed: 77)
        let x = Tensor.normal(shape, dtype: .float64, using: &rng)
        return x + x.sign() * 0.1
    }
}
