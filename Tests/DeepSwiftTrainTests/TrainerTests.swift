import DeepSwiftAutodiff
import DeepSwiftData
import DeepSwiftNN
import DeepSwiftOptim
import DeepSwiftTensor
import DeepSwiftTestSupport
import DeepSwiftTrain
import Testing

@Suite struct TrainerTests {
    /// Two Gaussian blobs per class in 2-D: learnable to ~100% by a small MLP.
    static func blobs(_ n: Int, seed: UInt64) -> DataSet {
        var rng = PhiloxGenerator(seed: seed)
        let labels = Tensor.randomInt([n], low: 0, high: 3, using: &rng)
        let centers = Tensor([[2, 0], [-2, 2], [0, -2.5]] as [[Float]])
        let features = centers.indexSelect(axis: 0, indices: labels) + Tensor.normal([n, 2], std: 0.4, using: &rng)
        return DataSet(features: features, labels: labels)
    }

    static func makeTrainer(seed: UInt64, learningRate: Double = 0.01) -> Trainer {
        var rng = PhiloxGenerator(seed: seed)
        let model = Sequential {
            Dense(2, 16, activation: .relu, using: &rng)
            Dense(16, 3, using: &rng)
        }
        return Trainer(model: model, optimizer: Adam(model.parameters, learningRate: learningRate)) {
            Losses.softmaxCrossEntropy(logits: $0, labels: $1)
        }
    }

    @Test func fitLearnsAndReportsProgress() throws {
        let train = Self.blobs(600, seed: 1), test = Self.blobs(300, seed: 2)
        let trainer = Self.makeTrainer(seed: 3)
        var lines: [String] = []
        let reporter = ProgressReporter(interactive: false, logInterval: 0) { lines.append($0) }
        let history = try trainer.fit(train, epochs: 5, batchSize: 32, seed: 4, validation: test, listeners: [reporter])
        #expect(history.count == 5)
        #expect(history.last!.loss < history.first!.loss)
        #expect(history.last!.validationAccuracy! > 0.97)
        #expect(trainer.evaluate(test).accuracy! > 0.97)
        #expect(lines.contains { $0.contains("samples/s") && $0.contains("ETA") })
        #expect(lines.contains { $0.hasPrefix("epoch 5: loss") && $0.contains("val_acc") })
        let predictions = trainer.predict(test.features, batchSize: 64)
        #expect(predictions.shape == [300, 3])
    }

    @Test func sameSeedSameWeights() throws {
        func train() throws -> [Tensor] {
            let trainer = Self.makeTrainer(seed: 5)
            try trainer.fit(Self.blobs(200, seed: 6), epochs: 2, batchSize: 16, seed: 7)
            return trainer.model.parameters.map(\.value)
        }
        let a = try train(), b = try train()
        for (x, y) in zip(a, b) { expectEqual(x, y) }
    }

    @Test func nonFiniteLossStopsWithTheStep() throws {
        let data = Self.blobs(64, seed: 8)
        var features = data.features
        features.setScalar(.nan, at: [40, 0])
        let trainer = Self.makeTrainer(seed: 9)
        do {
            try trainer.fit(DataSet(features: features, labels: data.labels), epochs: 1, batchSize: 16, shuffle: false)
            Issue.record("a NaN input must stop training")
        } catch let error as TrainingError {
            guard case .nonFiniteLoss(let epoch, let batch, let step, let value) = error else { return }
            #expect(epoch == 0 && batch == 2 && step == 3 && value.isNaN)
            #expect(error.description.contains("epoch 1, batch 3"))
        }
    }

    @Test func earlyStoppingStopsWhenTheLossStalls() throws {
        let trainer = Self.makeTrainer(seed: 10, learningRate: 0)   // no learning: the loss never improves
        let history = try trainer.fit(Self.blobs(64, seed: 11), epochs: 20, batchSize: 16, seed: 1, listeners: [EarlyStopping(patience: 2)])
        #expect(history.count == 3)
    }
}

@Suite struct GraphTrainingTests {
    @Test func graphsTrainLikeSequential() throws {
        var rng = PhiloxGenerator(seed: 12)
        let graph = GraphBuilder()
        let x = graph.input("x", shape: [2])
        let h = graph.add("hidden", Dense(2, 16, activation: .relu, using: &rng), x)
        let g = graph.add("gate", Dense(2, 16, activation: .sigmoid, using: &rng), x)
        let mixed = graph.merge("mixed", .multiply, h, g)
        let both = graph.merge("both", .concatenate(axis: 1), mixed, h)
        let logits = graph.add("logits", Dense(32, 3, using: &rng), both)
        let model = try graph.build(outputs: [logits])
        let trainer = Trainer(model: model, optimizer: Adam(model.parameters, learningRate: 0.02)) {
            Losses.softmaxCrossEntropy(logits: $0, labels: $1)
        }
        let history = try trainer.fit(TrainerTests.blobs(600, seed: 13), epochs: 5, batchSize: 32, seed: 14)
        #expect(history.last!.loss < history.first!.loss)
        #expect(trainer.evaluate(TrainerTests.blobs(300, seed: 15)).accuracy! > 0.95)
    }
}
