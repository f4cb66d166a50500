import DeepSwiftAutodiff
import DeepSwiftData
import DeepSwiftIO
import DeepSwiftNN
import DeepSwiftOptim
import DeepSwiftTensor
import DeepSwiftTestSupport
import DeepSwiftTrain
import Foundation
import Testing

func temporaryPath(_ suffix: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("deepswift-\(UUID().uuidString)\(suffix)").path
}

@Suite struct ModelArchiveTests {
    /// A network touching most layer classes, with batch-norm statistics that are not the defaults.
    static func imageNetwork() -> Sequential {
        var rng = PhiloxGenerator(seed: 3)
        let model = Sequential {
            Conv2D(2, 4, kernel: (3, 3), padding: .same, activation: .relu, using: &rng)
            BatchNorm(channels: 4)
            MaxPool2D(kernel: (2, 2))
            SeparableConv2D(4, 6, kernel: (3, 3), padding: .same, using: &rng)
            ZeroPadding2D(top: 1, bottom: 0, left: 0, right: 1)
            AvgPool2D(kernel: (2, 2), stride: (1, 1))
            ActivationLayer(.leakyRelu(0.1))
            SpatialDropout(rate: 0.1, seed: 4)
            ChannelsLast(Identity())
            Flatten()
            Dropout(rate: 0.2, seed: 5)
            Dense(6 * 4 * 4, 10, activation: .gelu, using: &rng)
            LayerNorm([10])
            Rescaling(scale: [0.5], offset: [0.1])
            PReLU(channels: 1)
            Dense(10, 3, using: &rng)
        }
        let bn = model.layers[1] as! BatchNorm
        bn.runningMean = Tensor.linspace(-0.3, 0.4, count: 4)
        bn.runningVariance = Tensor.linspace(0.5, 1.5, count: 4)
        return model
    }

    static func sequenceNetwork() -> Sequential {
        var rng = PhiloxGenerator(seed: 8)
        return Sequential {
            Embedding(count: 12, dimension: 5, paddingIndex: 0, using: &rng)
            Bidirectional(LSTM(inputSize: 5, hiddenSize: 4, using: &rng), LSTM(inputSize: 5, hiddenSize: 4, goBackwards: true, using: &rng), merge: .concat)
            GRU(inputSize: 8, hiddenSize: 3, resetAfter: false, returnSequences: true, using: &rng)
            TimeDistributed(Dense(3, 4, using: &rng))
            TransformerEncoderLayer(model: 4, heads: 2, feedForward: 8, dropout: 0, using: &rng)
            SimpleRNN(inputSize: 4, hiddenSize: 2, returnSequences: false, using: &rng)
            RepeatVector(2)
            Conv1D(2, 3, kernel: 1, using: &rng)
            GlobalPooling(axes: [2], max: true)
        }
    }

    static func roundTrip(_ model: any Layer, inputs: [ModelArchive.Input] = []) throws -> ModelArchive {
        let path = temporaryPath(".dsm")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelArchive(model: model, inputs: inputs).save(to: path)
        return try ModelArchive.load(from: path)
    }

    @Test func savedModelsGiveTheSameOutputsBitForBit() throws {
        var rng = PhiloxGenerator(seed: 1)
        let image = Self.imageNetwork()
        image.setTraining(false)
        let x = Tensor.normal([2, 2, 8, 8], using: &rng)
        let loaded = try Self.roundTrip(image, inputs: [.init(name: "image", shape: [2, 8, 8])])
        loaded.model.setTraining(false)
        expectEqual(loaded.model.predict(x), image.predict(x), "image network")
        #expect(loaded.inputs == [.init(name: "image", shape: [2, 8, 8])])
        #expect(loaded.model.namedParameters.map(\.name) == image.namedParameters.map(\.name))
        #expect(loaded.model.namedBuffers.map(\.name) == ["layers.1.running_mean", "layers.1.running_var"])

        let sequence = Self.sequenceNetwork()
        sequence.setTraining(false)
        let ids = Tensor([Int64](arrayLiteral: 3, 4, 5, 0, 1, 2, 11, 9), shape: [2, 4])
        let again = try Self.roundTrip(sequence).model
        again.setTraining(false)
        expectEqual(again.predict(ids), sequence.predict(ids), "sequence network")
    }

    @Test func graphsWithSharedLayersMergesAndAttentionRoundTrip() throws {
        var rng = PhiloxGenerator(seed: 2)
        let g = GraphBuilder()
        let a = g.input("a", shape: [3, 6]), b = g.input("b", shape: [5, 6])
        let shared = Dense(6, 6, activation: .tanh, using: &rng)
        let da = g.add("dense_a", shared, a), db = g.add("dense_b", shared, b)
        let attention = MultiHeadAttention(queryInput: 6, keyInput: 6, valueInput: 6, heads: 2, headDimension: 3, valueHeadDimension: 5,
                                           outputDimension: 6, using: &rng)
        let attended = g.add("attention", attention, [da, db])
        let sum = g.merge("sum", .add, attended, da)
        let low = g.merge("min", .minimum, sum, da)
        let joined = g.merge("joined", .concatenate(axis: 2), sum, low)
        let model = try g.build(outputs: [g.add("head", Dense(12, 2, using: &rng), joined), low])
        let x = Tensor.normal([2, 3, 6], using: &rng), y = Tensor.normal([2, 5, 6], using: &rng)
        let loaded = try Self.roundTrip(model).model as! GraphModel
        let expected = Gradients.withoutRecording { model([Variable(x), Variable(y)]).map(\.value) }
        let actual = Gradients.withoutRecording { loaded([Variable(x), Variable(y)]).map(\.value) }
        for (e, a) in zip(expected, actual) { expectEqual(a, e, "graph output") }
        #expect(loaded.parameterCount == model.parameterCount, "the shared layer is stored once")
    }

    /// Two epochs in one go equal one epoch, an archive, a fresh process-like reload and a second
    /// epoch — with dropout (its generator is saved) and batch norm (its statistics are saved).
    @Test func resumingFromAnArchiveContinuesTheRunExactly() throws {
        func network() -> Sequential {
            var rng = PhiloxGenerator(seed: 11)
            return Sequential {
                Dense(6, 16, using: &rng)
                BatchNorm(channels: 16)
                ActivationLayer(.relu)
                Dropout(rate: 0.3, seed: 12)
                Dense(16, 3, using: &rng)
            }
        }
        var rng = PhiloxGenerator(seed: 5)
        let data = DataSet(features: Tensor.normal([60, 6], using: &rng), labels: Tensor.randomInt([60], low: 0, high: 3, using: &rng))
        let loss: LossFunction = { Losses.softmaxCrossEntropy(logits: $0, labels: $1) }

        let straight = network()
        _ = try Trainer(model: straight, optimizer: Adam(straight.parameters, learningRate: 1e-2), loss: loss)
            .fit(data, epochs: 2, batchSize: 16, seed: 9)

        let first = network()
        let trainer = Trainer(model: first, optimizer: Adam(first.parameters, learningRate: 1e-2), loss: loss)
        let path = temporaryPath(".dsm")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try trainer.fit(data, epochs: 1, batchSize: 16, seed: 9, listeners: [ArchiveWriter(path: path, trainer: trainer, seed: 9)])
        let archive = try ModelArchive.load(from: path)
        #expect(archive.training?.finishedEpochs == 1)
        #expect(archive.training?.step == 4)
        let resumed = archive.trainer(loss: loss)
        _ = try resumed.fit(data, epochs: 2, batchSize: 16, seed: 9, startEpoch: archive.training!.finishedEpochs)
        for ((name, a), (_, b)) in zip(resumed.model.namedParameters, straight.namedParameters) {
            expectEqual(a.value, b.value, "parameter \(name)")
        }
        for ((name, a), (_, b)) in zip(resumed.model.namedBuffers, straight.namedBuffers) {
            expectEqual(a.value, b.value, "buffer \(name)")
        }
        // The same through restore(into:) on a trainer built by hand (what `deepswift train --resume run.dsm` does).
        let fresh = network()
        let handmade = Trainer(model: fresh, optimizer: Adam(fresh.parameters, learningRate: 1e-2), loss: loss)
        let next = try ModelArchive.load(from: path).restore(into: handmade, file: path)
        #expect(next == 1 && handmade.step == 4)
        _ = try handmade.fit(data, epochs: 2, batchSize: 16, seed: 9, startEpoch: next)
        for ((name, a), (_, b)) in zip(fresh.namedParameters, straight.namedParameters) { expectEqual(a.value, b.value, "restored \(name)") }
        // A trainer with another optimizer class is refused.
        let other = network()
        #expect(throws: ModelFileError.self) {
            try ModelArchive.load(from: path).restore(into: Trainer(model: other, optimizer: SGD(other.parameters, learningRate: 0.1), loss: loss), file: path)
        }
    }

    /// Every optimizer class round-trips, including optimizer-level state (NAdam's momentum product).
    @Test func everyOptimizerRoundTrips() throws {
        let makers: [([Parameter]) -> any Optimizer] = [
            { SGD($0, learningRate: 0.1, momentum: 0.5) }, { Adam($0, amsgrad: true) }, { Adamax($0) }, { NAdam($0) },
            { RMSProp($0, centered: true) }, { AdaGrad($0) }, { AdaDelta($0) },
        ]
        for make in makers {
            let model = Sequential { Dense(3, 2, seed: 1) }
            let optimizer = make(model.parameters)
            for _ in 0..<2 {
                model.zeroGrad()
                model(Variable(Tensor.ones([2, 3]))).squared().sum().backward()
                optimizer.step()
            }
            let loaded = try ModelArchive.decode(try ModelArchive(model: model, optimizer: optimizer).encoded(), file: "opt.dsm")
            let restored = try #require(loaded.optimizer)
            #expect(type(of: restored) == type(of: optimizer))
            for (key, value) in optimizer.state { expectEqual(restored.state[key]!, value, "\(type(of: optimizer)) state \(key)") }
        }
    }

    @Test func optimizerNormalizerAndTransformAreKept() throws {
        let model = Sequential { Dense(3, 2, seed: 1) }
        let sgd = SGD(model.parameters, learningRate: 0.05, momentum: 0.9, nesterov: true, regularization: Regularization(l2: 1e-4))
        model.zeroGrad()
        let out = model(Variable(Tensor.ones([1, 3]))).sum()
        out.backward()
        sgd.step()
        var archive = ModelArchive(model: model, optimizer: sgd)
        archive.normalizer = .standardize(mean: [1, 2, 3], std: [1, 1, 2])
        archive.transform = TransformProcess([.removeColumns(["id"])])
        archive.metadata = ["source": "test"]
        let path = temporaryPath(".dsm")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try archive.save(to: path)
        let loaded = try ModelArchive.load(from: path)
        let restored = try #require(loaded.optimizer as? SGD)
        #expect(restored.learningRate == 0.05 && restored.momentum == 0.9 && restored.nesterov && restored.regularization.l2 == 1e-4)
        #expect(restored.stepCount == 1)
        for (key, value) in sgd.state { expectEqual(restored.state[key]!, value, "optimizer state \(key)") }
        #expect(loaded.normalizer == archive.normalizer)
        #expect(loaded.transform == archive.transform)
        #expect(loaded.metadata == ["source": "test"])
        // 64-bit seeds survive (JSON numbers would keep 53 bits).
        archive.training = .init(finishedEpochs: 2, step: 9, seed: UInt64.max - 12345)
        #expect(try ModelArchive.decode(try archive.encoded(), file: "seed.dsm").training?.seed == UInt64.max - 12345)
    }
}

@Suite struct LargeFileTests {
    /// Files of 1 MiB and more are memory-mapped (MAP_POPULATE); the readers see the same bytes.
    @Test func largeFilesReadThroughTheMappingPath() throws {
        var rng = PhiloxGenerator(seed: 4)
        let model = Sequential { Dense(700, 600, seed: 1); Dense(600, 3, seed: 2) }
        let path = temporaryPath(".dsm"), npy = temporaryPath(".npy"), safetensors = temporaryPath(".safetensors")
        defer { for p in [path, npy, safetensors] { try? FileManager.default.removeItem(atPath: p) } }
        try ModelArchive(model: model).save(to: path)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int > 1 << 20)
        let x = Tensor.normal([2, 700], using: &rng)
        expectEqual(try ModelArchive.load(from: path).model.predict(x), model.predict(x), "archive")
        let big = Tensor.normal([512, 1024], using: &rng)
        try NumPy.save(big, to: npy)
        expectEqual(try NumPy.load(npy), big, "npy")
        try SafeTensors.save(["big": big], to: safetensors)
        expectEqual(try SafeTensors.load(safetensors)["big"]!, big, "safetensors")
        // A large file cut short is still an error, not a crash.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: npy))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: npy))
        #expect(throws: NumPyFormatError.self) { try NumPy.load(npy) }
    }
}

@Suite struct GeneratorStateTests {
    /// Dropout inside composite layers (a Transformer's feed-forward block) continues the same
    /// random stream after a save and load: one more training step gives the same weights.
    @Test func composedDropoutContinuesAfterReload() throws {
        var rng = PhiloxGenerator(seed: 12)
        let model = Sequential { TransformerEncoderLayer(model: 8, heads: 2, feedForward: 16, dropout: 0.3, using: &rng); LastTimeStep(); Dense(8, 2, using: &rng) }
        let x = Tensor.normal([3, 4, 8], using: &rng)
        func step(_ m: any Layer, _ optimizer: any Optimizer) {
            optimizer.zeroGrad()
            m(Variable(x)).squared().mean().backward()
            optimizer.step()
        }
        let adam = Adam(model.parameters, learningRate: 1e-2)
        step(model, adam)
        let loaded = try ModelArchive.decode(try ModelArchive(model: model, optimizer: adam).encoded(), file: "t.dsm")
        step(model, adam)
        step(loaded.model, loaded.optimizer!)
        for ((name, a), (_, b)) in zip(loaded.model.namedParameters, model.namedParameters) { expectEqual(a.value, b.value, name) }
    }

    /// Inference switches off every dropout of a Transformer layer, the feed-forward one included.
    @Test func inferenceIsDeterministic() {
        let layer = TransformerEncoderLayer(model: 8, heads: 2, feedForward: 16, dropout: 0.5, seed: 3)
        layer.setTraining(false)
        var rng = PhiloxGenerator(seed: 1)
        let x = Variable(Tensor.normal([2, 3, 8], using: &rng))
        expectEqual(layer(x).value, layer(x).value, "two inference passes")
    }
}
