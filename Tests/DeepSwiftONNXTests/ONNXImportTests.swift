import DeepSwiftAutodiff
import DeepSwiftIO
import DeepSwiftNN
@testable import DeepSwiftONNX
import DeepSwiftTensor
import DeepSwiftTestSupport
import Foundation
import Testing

/// Models exported by PyTorch's ONNX exporter (Tests/Fixtures/onnx/generate_onnx_fixtures.py),
/// checked against PyTorch's outputs (which onnxruntime reproduces) at two batch sizes.
@Suite struct ONNXImportTests {
    static var models: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.path("onnx"))) ?? []
        return files.filter { $0.hasSuffix(".onnx") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func run(_ model: any Layer, _ inputs: [Tensor]) -> [Tensor] {
        model.setTraining(false)
        return Gradients.withoutRecording { (model as! ONNXModel)(inputs.map { Variable($0) }).map(\.value) }
    }

    static func compare(_ archive: ModelArchive, _ ioName: String, _ label: String) throws {
        let io = try NumPy.loadArchive(Fixtures.path("onnx/\(ioName).npz"))
        let inputs = (0..<io.keys.filter { $0.hasPrefix("input_") }.count).map { io["input_\($0)"]! }
        let outputs = run(archive.model, inputs)
        let expectedCount = io.keys.filter { $0.hasPrefix("output_") }.count
        #expect(outputs.count == expectedCount, "\(label): \(outputs.count) outputs, expected \(expectedCount)")
        for (i, actual) in outputs.enumerated() {
            let expected = try #require(io["output_\(i)"])
            let scale = Swift.max(1, expected.abs().max().item(as: Float.self))
            expectClose(actual.cast(to: .float32), expected, rtol: 1e-4, atol: 1e-4 * Double(scale), "\(label) output \(i)")
        }
    }

    @Test func everyFixtureIsCovered() { #expect(Self.models.count >= 15, "\(Self.models)") }

    @Test(arguments: models)
    func importedModelsMatchPyTorch(_ name: String) throws {
        let archive = try ONNXImporter.load(Fixtures.path("onnx/\(name).onnx"))
        let base = name.replacingOccurrences(of: #"_op\d+$"#, with: "", options: .regularExpression)
        try Self.compare(archive, base + "_io", name)
        try Self.compare(archive, base + "_io_b5", name + " (batch 5)")
    }

    /// An imported graph saves as a native archive (once the class is registered) and trains further.
    @Test func importedGraphsSaveAndTrain() throws {
        LayerConfig.register(ONNXModel.self)
        for name in ["resnet_block", "lstm", "transformer"] {
            let archive = try ONNXImporter.load(Fixtures.path("onnx/\(name).onnx"))
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("deepswift-onnx-\(UUID()).dsm").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try archive.save(to: path)
            let native = try ModelArchive.load(from: path)
            try Self.compare(native, name + "_io", name + " via archive")
        }
        let model = try ONNXImporter.load(Fixtures.path("onnx/mlp.onnx")).model
        let io = try NumPy.loadArchive(Fixtures.path("onnx/mlp_io.npz"))
        model.setTraining(true)
        let x = io["input_0"]!, target = Tensor.zeros([x.shape[0], 4])
        func loss() -> Variable { (model(Variable(x)) - Variable(target)).squared().mean() }
        let before = loss().value.item(as: Float.self)
        for _ in 0..<10 {
            model.zeroGrad()
            loss().backward()
            for p in model.parameters { if let g = p.grad { p.value = p.value - g * 0.5 } }
        }
        #expect(loss().value.item(as: Float.self) < before)
    }

    @Test func damagedAndForeignFilesFailCleanly() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("onnx/resnet_block.onnx")))
        for length in stride(from: 0, to: data.count, by: Swift.max(1, data.count / 60)) {
            do { _ = try ONNXImporter.decode(data.prefix(length), file: "cut.onnx") } catch let e as ModelFileError { _ = e } catch {
                Issue.record("cut to \(length): \(error)")
            }
        }
        var rng = PhiloxGenerator(seed: 5)
        for _ in 0..<200 {
            var damaged = data
            damaged[Int(rng.next() % UInt64(data.count))] ^= UInt8(1 << (rng.next() % 8))
            do {
                let archive = try ONNXImporter.decode(damaged, file: "flipped.onnx")
                _ = archive.model.parameterCount
            } catch let e as ModelFileError { _ = e } catch { Issue.record("\(error)") }
        }
        #expect(throws: ModelFileError.self) { try ONNXImporter.decode(Data("not a model".utf8), file: "text.onnx") }
    }
}

/// Hand-made graphs with missing inputs are refused at import instead of failing when run.
@Suite struct ONNXMalformedGraphTests {
    @Test func nodesWithoutRequiredInputsAreRefused() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("onnx/resnet_block.onnx")))
        // Cut every BatchNormalization node's inputs down to one by editing the protobuf: decode,
        // change, encode through the importer's own message types.
        var model = try Onnx_ModelProto(serializedBytes: data)
        for i in model.graph.node.indices where model.graph.node[i].opType == "BatchNormalization" {
            model.graph.node[i].input = Array(model.graph.node[i].input.prefix(1))
        }
        let edited: Data = try model.serializedBytes()
        do { _ = try ONNXImporter.decode(edited, file: "edited.onnx"); Issue.record("accepted a BatchNormalization with one input") } catch let e as ModelFileError {
            #expect(e.description.contains("BatchNormalization") && e.description.contains("needs 5 inputs"), "\(e)")
        }
    }
}

/// The same architectures from both PyTorch exporters, unprocessed (the TorchScript Transformer
/// keeps its `Mod` node; the dynamo exporter picks other operators), and a MobileNet-style block
/// (ReLU6 as `Clip`, `HardSwish`).
@Suite struct ONNXExporterVariantTests {
    @Test(arguments: ["te_ts", "te_dynamo", "lstm_ts", "lstm_dynamo", "res_ts", "res_dynamo", "mobile_ts", "mobile_dynamo"])
    func bothExportersImport(_ name: String) throws {
        let archive = try ONNXImporter.load(Fixtures.path("onnx/exporters/\(name).onnx"))
        let base = String(name.split(separator: "_")[0])
        let io = try NumPy.loadArchive(Fixtures.path("onnx/exporters/\(base)_io.npz"))
        let output = ONNXImportTests.run(archive.model, [io["input_0"]!])[0]
        expectClose(output.cast(to: .float32), io["output_0"]!, rtol: 1e-4, atol: 1e-5, name)
    }

    @Test func elementwiseExtras() throws {
        func node(_ op: String, _ inputs: [String], _ attributes: [String: ONNXAttribute] = [:]) -> ONNXNode {
            ONNXNode(name: op, opType: op, inputs: inputs, outputs: ["y"], attributes: attributes)
        }
        let model = ONNXModel(nodes: [], inputs: [], outputNames: [], opset: 17, parameters: [], constants: [], recurrent: [:])
        let a = Variable(Tensor([Int64(-7), 7, -7, 7], shape: [4])), b = Variable(Tensor([Int64(3), -3, -3, 3], shape: [4]))
        #expect(ONNXOperators.run(node("Mod", ["a", "b"]), [a, b], model: model)[0].value.scalars(as: Int64.self) == [2, -2, -1, 1])
        #expect(ONNXOperators.run(node("Mod", ["a", "b"], ["fmod": .int(1)]), [a, b], model: model)[0].value.scalars(as: Int64.self) == [-1, 1, -1, 1])
        let x = Variable(Tensor([-4, -1, 0.5, 3, 8] as [Float], shape: [5]))
        let clipped = ONNXOperators.run(node("Clip", ["x", "lo", "hi"]), [x, Variable(Tensor([Float(0)], shape: [])), Variable(Tensor([Float(6)], shape: []))], model: model)[0]
        #expect(clipped.value.scalars(as: Float.self) == [0, 0, 0.5, 3, 6])
        let hardSwish = ONNXOperators.run(node("HardSwish", ["x"]), [x], model: model)[0].value.scalars(as: Float.self)
        #expect(zip(hardSwish, [0, -1.0 / 3, 0.5 * 3.5 / 6, 3, 8] as [Float]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(hardSwish)")
    }
}
