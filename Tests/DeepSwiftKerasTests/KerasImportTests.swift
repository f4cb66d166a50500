import DeepSwiftAutodiff
import DeepSwiftIO
import DeepSwiftKeras
import DeepSwiftNN
import DeepSwiftTensor
import DeepSwiftTestSupport
import Foundation
import Testing

/// Models written by Keras 3 (Tests/Fixtures/keras_import/generate_keras_import_fixtures.py) in
/// both formats: the imported model's outputs equal Keras's own.
@Suite struct KerasImportTests {
    static let cases = ["causal_mha", "preprocessing", "normalization_given", "functional_masked", "dense", "activations", "dropouts", "conv2d", "conv2d_more", "conv2d_dilated", "conv1d", "conv1d_globalmax", "conv3d",
                        "shapes", "layernorm", "batchnorm", "embedding_rnn", "gru_before", "bidirectional", "timedistributed", "merges",
                        "resnet_block", "mha", "mha_cross", "mlp", "lenet", "lstm_text", "transformer"]
    /// Written only as .keras: Keras 3.15 cannot reload these from a legacy .h5 file itself.
    static let kerasOnly: Set<String> = ["functional_masked", "normalization_given", "causal_mha"]
    static let files: [(String, String)] = cases.flatMap { name in (kerasOnly.contains(name) ? ["keras"] : ["keras", "h5"]).map { (name, $0) } }

    static func run(_ model: any Layer, _ inputs: [Tensor]) -> [Tensor] {
        model.setTraining(false)
        return Gradients.withoutRecording {
            if let graph = model as? GraphModel { return graph(inputs.map { Variable($0) }).map(\.value) }
            return [model(Variable(inputs[0])).value]
        }
    }

    @Test(arguments: files)
    func importedModelsMatchKeras(_ name: String, _ format: String) throws {
        let archive = try KerasImporter.load(Fixtures.path("keras_import/\(name).\(format)"))
        let io = try NumPy.loadArchive(Fixtures.path("keras_import/\(name)_io.npz"))
        let inputs = (0..<io.keys.filter { $0.hasPrefix("input_") }.count).map { io["input_\($0)"]! }
        let outputs = Self.run(archive.model, inputs)
        for (i, actual) in outputs.enumerated() {
            let expected = try #require(io["output_\(i)"])
            let scale = Swift.max(1, expected.abs().max().item(as: Float.self))
            expectClose(actual, expected, rtol: 1e-4, atol: 1e-4 * Double(scale), "\(name).\(format) output \(i)")
        }
        #expect(archive.inputs.count == inputs.count)
    }

    /// An imported model saves as a native archive and trains further.
    @Test func importedModelsSaveAndTrain() throws {
        let archive = try KerasImporter.load(Fixtures.path("keras_import/resnet_block.keras"))
        let io = try NumPy.loadArchive(Fixtures.path("keras_import/resnet_block_io.npz"))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("deepswift-keras-\(UUID()).dsm").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try archive.save(to: path)
        let native = try ModelArchive.load(from: path)
        expectEqual(Self.run(native.model, [io["input_0"]!])[0], Self.run(archive.model, [io["input_0"]!])[0], "native copy")
        #expect(native.metadata["source"] == "keras")

        let model = native.model
        model.setTraining(true)
        let x = io["input_0"]!, labels = Tensor([Int64(0), 1, 2], shape: [3])
        func loss() -> Variable { Losses.softmaxCrossEntropy(logits: model(Variable(x)), labels: labels) }
        let before = loss().value.item(as: Float.self)
        for _ in 0..<20 {
            model.zeroGrad()
            let l = loss()
            l.backward()
            for p in model.parameters { if let g = p.grad { p.value = p.value - g * 0.05 } }
        }
        #expect(loss().value.item(as: Float.self) < before)
    }
}

/// Legacy `.h5` files written by Keras 2 (TensorFlow; Tests/Fixtures/keras2/generate_keras2_fixtures.py):
/// `weight_names` with `:0` suffixes, Keras 2 `inbound_nodes`, `batch_input_shape`.
@Suite struct Keras2ImportTests {
    @Test(arguments: ["k2_mlp", "k2_cnn", "k2_functional", "k2_lstm", "k2_bigru"])
    func keras2FilesMatchKeras(_ name: String) throws {
        let archive = try KerasImporter.load(Fixtures.path("keras2/\(name).h5"))
        let io = try NumPy.loadArchive(Fixtures.path("keras2/\(name)_io.npz"))
        let inputs = (0..<io.keys.filter { $0.hasPrefix("input_") }.count).map { io["input_\($0)"]! }
        let outputs = KerasImportTests.run(archive.model, inputs)
        for (i, actual) in outputs.enumerated() {
            let expected = try #require(io["output_\(i)"])
            expectClose(actual, expected, rtol: 1e-4, atol: 1e-4, "\(name) output \(i)")
        }
        #expect(archive.inputs.count == inputs.count)
    }
}
