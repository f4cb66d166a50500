import DeepSwiftAutodiff
import DeepSwiftData
import DeepSwiftNN
import DeepSwiftOptim
import DeepSwiftTensor
import DeepSwiftTestSupport
import DeepSwiftTrain
import Testing

/// End to end: the mlp-mnist recipe learns real MNIST (a subset, to stay fast in debug builds).
@Suite struct MNISTTrainingTests {
    @Test(.enabled(if: Fixtures.mnistDirectory != nil, "MNIST files not found"))
    func mlpLearnsMNISTSubset() throws {
        let (train, test) = try MNIST.load(directory: Fixtures.mnistDirectory)
        var rng = PhiloxGenerator(seed: 42)
        let model = Sequential {
            Dense(784, 512, activation: .relu, using: &rng)
            Dense(512, 512, activation: .relu, using: &rng)
            Dense(512, 10, using: &rng)
        }
        let trainer = Trainer(model: model, optimizer: Adam(model.parameters, learningRate: 1e-3)) {
            Losses.softmaxCrossEntropy(logits: $0, labels: $1)
        }
        try trainer.fit(train.prefix(12_000), epochs: 1, batchSize: 128, seed: 42)
        let accuracy = trainer.evaluate(test.prefix(2_000)).accuracy!
        #expect(accuracy > 0.88, "accuracy after one epoch on 12,000 samples (94 steps; 0.9075 when written): \(accuracy)")
    }
}
