import DeepSwiftAutodiff
import DeepSwiftNN
import DeepSwiftTensor
import Testing

@Suite struct ModelZooTests {
    /// torchvision's counts for 1000 classes (Keras's for the MNIST CNN, DL4J's LeNet).
    static let expected: [(String, Int)] = [
        ("lenet", 431_080), ("simplecnn", 1_199_882), ("alexnet", 61_100_840), ("vgg16", 138_357_544),
        ("vgg19", 143_667_240), ("resnet18", 11_689_512), ("resnet34", 21_797_672), ("resnet50", 25_557_032),
        ("mobilenetv2", 3_504_872),
    ]

    @Test(arguments: ModelZooTests.expected)
    func parameterCountsMatchTheReferences(_ name: String, _ count: Int) {
        let model = ModelZoo.make(name, initializer: .zeros)!
        #expect(model.parameterCount == count, "\(name): \(model.parameterCount) parameters, expected \(count)")
    }

    @Test func resNetNamesFollowTorchvisionStructure() {
        let names = ModelZoo.make("resnet18", initializer: .zeros)!.namedParameters.map(\.name)
        #expect(names.first == "layers.0.weight")
        #expect(names.contains("layers.5.layers.0.downsample.layers.0.weight"))
        #expect(names.contains("layers.4.layers.1.bn2.bias"))
        #expect(names.count == 62)   // torchvision's resnet18 has 62 parameter tensors
    }

    @Test func smallInputsFlowThroughEveryArchitecture() {
        var rng = PhiloxGenerator(seed: 1)
        for (name, shape, output) in [("resnet18", [2, 3, 32, 32], [2, 10]), ("mobilenetv2", [1, 3, 32, 32], [1, 10]),
                                      ("unet", [1, 1, 16, 16], [1, 2, 16, 16]), ("lenet", [2, 1, 28, 28], [2, 10])] {
            let model = ModelZoo.make(name, classes: name == "unet" ? 2 : 10)!
            model.setTraining(false)
            let y = model.predict(Tensor.normal(shape, using: &rng))
            #expect(y.shape == output, "\(name) output \(y.shape)")
            #expect(y.isFinite().all().item(as: Bool.self))
        }
    }
}
