import DeepSwiftAutodiff
import DeepSwiftTensor

/// Builds the layer list of a ``Sequential``.
@resultBuilder
public enum LayerBuilder {
    public static func buildExpression(_ layer: any Layer) -> [any Layer] { [layer] }
    public static func buildBlock(_ parts: [any Layer]...) -> [any Layer] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [any Layer]?) -> [any Layer] { part ?? [] }
    public static func buildEither(first: [any Layer]) -> [any Layer] { first }
    public static func buildEither(second: [any Layer]) -> [any Layer] { second }
    public static func buildArray(_ parts: [[any Layer]]) -> [any Layer] { parts.flatMap { $0 } }
}

/// Layers applied one after another. Parameters are named `layers.<index>.<name>`.
///
/// ```swift
/// var rng = PhiloxGenerator(seed: 0)
/// let model = Sequential {
///     Dense(784, 512, activation: .relu, using: &rng)
///     Dropout(rate: 0.2, seed: 1)
///     Dense(512, 10, using: &rng)
/// }
/// print(model.summary(inputShape: [1, 784]))
/// ```
public final class Sequential: Layer {
    public let layers: [any Layer]
    public var isTraining = true

    public init(@LayerBuilder _ build: () -> [any Layer]) { layers = build() }
    public init(_ layers: [any Layer]) { self.layers = layers }

    public var sublayers: [(name: String, layer: any Layer)] {
        layers.enumerated().map { (name: "layers.\($0.offset)", layer: $0.element) }
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        self(input, mask: nil).output
    }

    /// Threads a sequence mask through the layers (see ``Layer/callAsFunction(_:mask:)``): a
    /// `Masking` or `Embedding(paddingIndex:)` layer creates it, recurrent layers after it use it.
    public func callAsFunction(_ input: Variable, mask: Tensor?) -> (output: Variable, mask: Tensor?) {
        var x = input, m = mask
        for layer in layers { (x, m) = layer(x, mask: m) }
        return (x, m)
    }

    /// A table of each layer's name, output shape and parameter count, computed by running a
    /// zero batch of `inputShape` through the model without recording gradients.
    public func summary(inputShape: [Int], dtype: DType = .float32) -> String {
        var rows: [(String, String, Int)] = []
        Gradients.withoutRecording {
            var x = Variable(Tensor.zeros(inputShape, dtype: dtype))
            let wasTraining = isTraining
            setTraining(false)
            for (index, layer) in layers.enumerated() {
                x = layer(x)
                rows.append(("\(index): \(layer.summaryName)", "\(x.shape)", layer.parameterCount))
            }
            setTraining(wasTraining)
        }
        let nameWidth = max(20, rows.map(\.0.count).max() ?? 0)
        let shapeWidth = max(12, rows.map(\.1.count).max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        var lines = [pad("Layer", nameWidth) + "  " + pad("Output shape", shapeWidth) + "  Parameters"]
        lines.append(String(repeating: "─", count: nameWidth + shapeWidth + 14))
        for (name, shape, count) in rows { lines.append(pad(name, nameWidth) + "  " + pad(shape, shapeWidth) + "  \(count)") }
        lines.append(String(repeating: "─", count: nameWidth + shapeWidth + 14))
        lines.append("Total parameters: \(parameterCount)")
        return lines.joined(separator: "\n")
    }
}
