import DeepSwiftAutodiff
import DeepSwiftTensor

/// A fully connected layer: `activation(x · weightᵀ + bias)`.
///
/// The weight has PyTorch's layout `[outputSize, inputSize]`, so state dicts move between the two
/// unchanged. ReLU and identity activations are fused into the GEMM's bias pass.
///
/// ```swift
/// let layer = Dense(784, 512, activation: .relu, seed: 42)   // Glorot-uniform weights, zero bias
/// let y = layer(Variable(batch))                              // [batch, 512]
/// ```
public final class Dense: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let activation: Activation
    public var isTraining = true

    public init(_ inputSize: Int, _ outputSize: Int, bias: Bool = true, activation: Activation = .identity,
                weightInitializer: Initializer = .glorotUniform(), biasInitializer: Initializer = .zeros,
                dtype: DType = .float32, using rng: inout PhiloxGenerator) {
        weight = Parameter(weightInitializer.make([outputSize, inputSize], dtype: dtype, using: &rng))
        self.bias = bias ? Parameter(biasInitializer.make([outputSize], dtype: dtype, using: &rng)) : nil
        self.activation = activation
    }

    /// From existing values: `weight [out, in]` and `bias [out]`, kept as given (importers use it;
    /// nothing is initialized twice).
    public init(weight: Tensor, bias: Tensor?, activation: Activation = .identity) {
        tensorCheck(weight.rank == 2 && (bias == nil || bias!.shape == [weight.shape[0]]),
                    "Dense: weight \(weight.shape) must be [out, in] and bias \(bias?.shape ?? []) [out]")
        self.weight = Parameter(weight)
        self.bias = bias.map { Parameter($0) }
        self.activation = activation
    }

    /// Convenience with its own generator seeded by `seed`.
    public convenience init(_ inputSize: Int, _ outputSize: Int, bias: Bool = true, activation: Activation = .identity,
                            weightInitializer: Initializer = .glorotUniform(), biasInitializer: Initializer = .zeros,
                            dtype: DType = .float32, seed: UInt64) {
        var rng = PhiloxGenerator(seed: seed)
        self.init(inputSize, outputSize, bias: bias, activation: activation, weightInitializer: weightInitializer,
                  biasInitializer: biasInitializer, dtype: dtype, using: &rng)
    }

    public var inputSize: Int { weight.value.shape[1] }
    public var outputSize: Int { weight.value.shape[0] }

    public var localParameters: [(name: String, parameter: Parameter)] {
        weightAndBias(weight, bias)
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        // Leading dimensions are flattened into the batch: [..., in] → [..., out].
        let x = input.rank == 2 ? input : input.reshaped([-1, inputSize])
        let fused: FusedActivation? = activation == .relu ? .relu : (activation == .identity ? .identity : nil)
        var y = Variable.linear(x, weight: Variable(weight), bias: bias.map { Variable($0) }, activation: fused ?? .identity)
        if fused == nil { y = activation.apply(y) }
        return input.rank == 2 ? y : y.reshaped(Array(input.shape.dropLast()) + [outputSize])
    }

    public var summaryName: String {
        "Dense(\(inputSize) → \(outputSize)\(bias == nil ? ", no bias" : "")\(activation == .identity ? "" : ", \(activation.name)"))"
    }
}
