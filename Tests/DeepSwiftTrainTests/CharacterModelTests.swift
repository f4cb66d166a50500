import DeepSwiftAutodiff
import DeepSwiftNN
import DeepSwiftOptim
import DeepSwiftTensor
import DeepSwiftTestSupport
import DeepSwiftTrain
import Foundation
import Testing

@Suite struct CharacterModelTests {
    static let text = String(repeating: "hello world, ", count: 40)

    @Test func learnsARepetitiveTextToNearZeroLoss() throws {
        let vocabulary = CharacterVocabulary(text: Self.text)
        let model = CharacterLanguageModel(vocabulary: vocabulary, embedding: 8, hidden: 32, seed: 3)
        let optimizer = Adam(model.parameters, learningRate: 1e-2)
        var rng = PhiloxGenerator(seed: 4)
        let ids = try vocabulary.encode(Self.text)
        var first = 0.0, last = 0.0
        for step in 0..<250 {
            let loss = model.trainStep(windows: model.randomWindows(ids, count: 16, length: 20, using: &rng), optimizer: optimizer)
            if step == 0 { first = loss }
            last = loss
        }
        #expect(first > 2.0, "an untrained model is near log(vocabulary) = \(Foundation.log(Double(vocabulary.count)))")
        #expect(last < 0.05, "loss after training: \(last)")
        // Greedy generation reproduces the text (the first window is ambiguous only at its start).
        let generated = try model.generate(prime: "hello", length: 24, temperature: 0, using: &rng)
        #expect(generated == "hello world, hello world, hel")
    }

    @Test func savesAndLoadsAndRejectsBadFiles() throws {
        let vocabulary = CharacterVocabulary(text: "abc ")
        let model = CharacterLanguageModel(vocabulary: vocabulary, embedding: 4, hidden: 6, seed: 1)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("deepswift-charmodel-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.npz"
        try model.save(to: path)
        let loaded = try CharacterLanguageModel.load(from: path)
        #expect(loaded.vocabulary == vocabulary)
        for ((name, a), (_, b)) in zip(model.namedParameters, loaded.namedParameters) { expectClose(b.value, a.value, rtol: 0, atol: 0, name) }
        var rng1 = PhiloxGenerator(seed: 9), rng2 = PhiloxGenerator(seed: 9)
        #expect(try model.generate(prime: "ab", length: 10, temperature: 1, using: &rng1) == loaded.generate(prime: "ab", length: 10, temperature: 1, using: &rng2))

        #expect(throws: CharacterModelError.unknownCharacter("z", position: 1)) { try vocabulary.encode("az") }
        // A file without the model's entries, and one whose parameter has the wrong shape.
        try NumPy.saveArchive(["config": Tensor([Int64(4), 6], shape: [2])], to: directory + "/partial.npz")
        #expect(throws: CharacterModelError.self) { try CharacterLanguageModel.load(from: directory + "/partial.npz") }
        var arrays = try NumPy.loadArchive(path)
        arrays["param.lstm.weight_hh"] = Tensor.zeros([3, 3])
        try NumPy.saveArchive(arrays, to: directory + "/shape.npz")
        do {
            _ = try CharacterLanguageModel.load(from: directory + "/shape.npz")
            Issue.record("a wrong parameter shape must be rejected")
        } catch let error as CharacterModelError {
            #expect(error.description.contains("lstm.weight_hh") && error.description.contains("[3, 3]") && error.description.contains("[24, 6]"))
        }
        // Not a zip archive at all.
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: directory + "/garbage.npz"))
        #expect(throws: (any Error).self) { try CharacterLanguageModel.load(from: directory + "/garbage.npz") }
    }

    @Test func sequenceLossIgnoresPaddedSteps() {
        var rng = PhiloxGenerator(seed: 5)
        let logits = Tensor.normal([2, 3, 4], dtype: .float64, using: &rng)
        let labels = Tensor([1, 2, 3, 0, 1, 2] as [Int64], shape: [2, 3])
        let mask = Tensor([1, 1, 0, 1, 0, 0] as [Double], shape: [2, 3])
        let masked = Losses.sequenceCrossEntropy(logits: Variable(logits), labels: labels, mask: mask).value.item(as: Double.self)
        // Mean over the three real steps, computed directly.
        let logp = logits.logSoftmax(axis: -1)
        let expected = -(logp[0, 0, 1].item(as: Double.self) + logp[0, 1, 2].item(as: Double.self) + logp[1, 0, 0].item(as: Double.self)) / 3
        #expect(abs(masked - expected) < 1e-12)
        // Changing a padded position's logits or label changes nothing.
        var other = logits
        other[1, 2] = Tensor([9.0, -9, 3, 1], shape: [4])
        let again = Losses.sequenceCrossEntropy(logits: Variable(other), labels: labels, mask: mask).value.item(as: Double.self)
        #expect(again == masked)
    }
}

@Suite struct DistributedCharacterModelTests {
    /// Two and three members stepping on shares of the same global windows end with the weights of
    /// one process stepping on all of them.
    @Test(arguments: [2, 3])
    func membersMatchOneProcess(_ size: Int) throws {
        let text = "the quick brown fox jumps over the lazy dog. pack my box with five dozen liquor jugs."
        let vocabulary = CharacterVocabulary(text: text)
        let ids = try vocabulary.encode(text)
        @Sendable func run(_ model: CharacterLanguageModel, _ averager: GradientAverager?) -> [Double] {
            let adam = Adam(model.parameters, learningRate: 1e-2)
            var rng = PhiloxGenerator(seed: 3)
            return (0..<4).map { _ in
                let windows = model.randomWindows(ids, count: 7, length: 9, using: &rng)
                return averager.map { model.trainStep(windows: windows, optimizer: adam, averager: $0) }
                    ?? model.trainStep(windows: windows, optimizer: adam)
            }
        }
        let single = CharacterLanguageModel(vocabulary: vocabulary, embedding: 5, hidden: 8, seed: 1)
        let losses = run(single, nil)
        let expected = FlatParameters.gather(single.parameters)

        let group = InProcessGroup(size: size)
        let results = DataParallelTests.Results(size)
        DataParallelTests.onThreads(size) { rank in
            let model = CharacterLanguageModel(vocabulary: vocabulary, embedding: 5, hidden: 8, seed: 1 + UInt64(rank) * 10)
            model.synchronizeParameters(group.members[rank])
            results.losses[rank] = run(model, GradientAverager(parameters: model.parameters, communicator: group.members[rank]))
            results.weights[rank] = FlatParameters.gather(model.parameters)
        }
        for rank in 0..<size {
            expectClose(Tensor(results.weights[rank]), Tensor(expected), rtol: 1e-5, atol: 1e-5, "rank \(rank) of \(size)")
            for (a, b) in zip(results.losses[rank], losses) { #expect(abs(a - b) < 1e-5, "loss \(a) vs \(b)") }
        }
    }
}
