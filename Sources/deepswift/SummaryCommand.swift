import ArgumentParser
import DeepSwift

/// `deepswift summary zoo:NAME`: the layer table of a model-zoo architecture.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print a model's layers, output shapes and parameter counts. Models: " + ModelZoo.names.map { "zoo:" + $0 }.joined(separator: ", "))

    @Argument(help: "zoo:NAME, e.g. zoo:resnet18.") var model: String
    @Option(help: "Number of classes (default: the model's usual).") var classes: Int?
    @Option(name: .customLong("image-size"), help: "Input height and width (default: the model's usual).") var imageSize: Int?
    @OptionGroup var compute: ComputeOptions
    @Flag(help: "Print a JSON summary as the last line.") var json = false

    func run() throws {
        compute.apply()
        guard model.hasPrefix("zoo:"), let network = ModelZoo.make(String(model.dropFirst(4)), classes: classes) else {
            throw ValidationError("unknown model '\(model)'; known models: \(ModelZoo.names.map { "zoo:" + $0 }.joined(separator: ", "))")
        }
        var sample = ModelZoo.inputShape(String(model.dropFirst(4)))
        if let imageSize { sample = [sample[0], imageSize, imageSize] }
        print(network.summary(inputShape: [1] + sample))
        if json {
            print(jsonLine([("model", .string(model)), ("parameters", .int(network.parameterCount))]))
        }
    }
}
