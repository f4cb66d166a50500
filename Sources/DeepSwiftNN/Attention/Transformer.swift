import Foundation
import DeepSwiftAutodiff
import DeepSwiftTensor

/// The position-wise feed-forward block of a Transformer layer: `linear2(dropout(act(linear1(x))))`.
public final class FeedForward: Layer {
    public let linear1: Dense, linear2: Dense, activation: Activation
    let dropout: Dropout
    public var isTraining = true

    public init(_ model: Int, _ hidden: Int, activation: Activation, dropout: Double, dtype: DType, using rng: inout PhiloxGenerator) {
        linear1 = Dense(model, hidden, activation: activation == .relu ? .relu : .identity, dtype: dtype, using: &rng)
        linear2 = Dense(hidden, model, dtype: dtype, using: &rng)
        self.activation = activation
        self.dropout = Dropout(rate: dropout, seed: rng.next())
    }

    // The dropout layer is listed so that training mode reaches it (it has no parameters).
    public var sublayers: [(name: String, layer: any Layer)] { [("linear1", linear1), ("linear2", linear2), ("dropout", dropout)] }

    public func callAsFunction(_ x: Variable) -> Variable {
        var h = linear1(x)
        if activation != .relu { h = activation.apply(h) }
        return linear2(dropout(h))
    }
}

/// One Transformer encoder layer (PyTorch's `nn.TransformerEncoderLayer`, batch first): self-
/// attention and a feed-forward block, each with a residual connection and layer normalization,
/// after the block (`normFirst: false`, the original) or before it (`normFirst: true`).
///
/// Sublayer names follow PyTorch's state dict (`self_attn`, `linear1`, `linear2`, `norm1`, `norm2`).
///
/// ```swift
/// let layer = TransformerEncoderLayer(model: 64, heads: 4, feedForward: 256, seed: 1)
/// let (y, _) = layer(Variable(x), mask: paddingMask)      // x: [B, T, 64]
/// ```
public final class TransformerEncoderLayer: Layer {
    public let selfAttention: MultiHeadAttention
    public let feedForward: FeedForward
    public let norm1: LayerNorm, norm2: LayerNorm
    let dropout1: Dropout, dropout2: Dropout
    public let normFirst: Bool
    public var isTraining = true

    public init(model: Int, heads: Int, feedForward: Int, dropout: Double = 0.1, activation: Activation = .relu,
                normFirst: Bool = false, epsilon: Double = 1e-5, dtype: DType = .float32, using rng: inout PhiloxGenerator) {
        selfAttention = MultiHeadAttention(embedDimension: model, heads: heads, dropout: dropout, dtype: dtype, using: &rng)
        self.feedForward = FeedForward(model, feedForward, activation: activation, dropout: dropout, dtype: dtype, using: &rng)
        norm1 = LayerNorm([model], epsilon: epsilon, dtype: dtype)
        norm2 = LayerNorm([model], epsilon: epsilon, dtype: dtype)
        dropout1 = Dropout(rate: dropout, seed: rng.next())
        dropout2 = Dropout(rate: dropout, seed: rng.next())
        self.normFirst = normFirst
    }

    public convenience init(model: Int, heads: Int, feedForward: Int, dropout: Double = 0.1, activation: Activation = .relu,
                            normFirst: Bool = false, epsilon: Double = 1e-5, dtype: DType = .float32, seed: UInt64) {
        var rng = PhiloxGenerator(seed: seed)
        self.init(model: model, heads: heads, feedForward: feedForward, dropout: dropout, activation: activation,
                  normFirst: normFirst, epsilon: epsilon, dtype: dtype, using: &rng)
    }

    public var sublayers: [(name: String, layer: any Layer)] {
        [("self_attn", selfAttention), ("ff", feedForward), ("norm1", norm1), ("norm2", norm2), ("dropout1", dropout1), ("dropout2", dropout2)]
    }

    public func callAsFunction(_ input: Variable) -> Variable { self(input, mask: nil).output }

    /// `mask` (`[B, T]`, nonzero = real) removes padded keys; `causal` hides future steps.
    public func callAsFunction(_ input: Variable, mask: Tensor?) -> (output: Variable, mask: Tensor?) {
        (self(input, keyMask: mask, causal: false), mask)
    }

    public func callAsFunction(_ x: Variable, keyMask: Tensor?, causal: Bool) -> Variable {
        func attend(_ h: Variable) -> Variable { dropout1(selfAttention(query: h, key: h, value: h, keyMask: keyMask, causal: causal).output) }
        if normFirst {
            let h = x + attend(norm1(x))
            return h + dropout2(feedForward(norm2(h)))
        }
        let h = norm1(x + attend(x))
        return norm2(h + dropout2(feedForward(h)))
    }

    public var summaryName: String { "TransformerEncoderLayer(\(selfAttention.embedDimension), \(selfAttention.heads) heads\(normFirst ? ", pre-norm" : ""))" }
}

/// One Transformer decoder layer (PyTorch's `nn.TransformerDecoderLayer`, batch first): causal
/// self-attention, attention over the encoder's output (`memory`) and a feed-forward block, each
/// with a residual connection and layer normalization (after or, with `normFirst`, before).
///
/// ```swift
/// let layer = TransformerDecoderLayer(model: 64, heads: 4, feedForward: 256, seed: 2)
/// let y = layer(target, memory: encoded, targetMask: nil, memoryMask: sourceMask)
/// ```
public final class TransformerDecoderLayer: Layer {
    public let selfAttention: MultiHeadAttention, crossAttention: MultiHeadAttention
    public let feedForward: FeedForward
    public let norm1: LayerNorm, norm2: LayerNorm, norm3: LayerNorm
    let dropout1: Dropout, dropout2: Dropout, dropout3: Dropout
    public let normFirst: Bool
    public var isTraining = true

    public init(model: Int, heads: Int, feedForward: Int, dropout: Double = 0.1, activation: Activation = .relu,
                normFirst: Bool = false, epsilon: Double = 1e-5, dtype: DType = .float32, using rng: inout PhiloxGenerator) {
        selfAttention = MultiHeadAttention(embedDimension: model, heads: heads, dropout: dropout, dtype: dtype, using: &rng)
        crossAttention = MultiHeadAttention(embedDimension: model, heads: heads, dropout: dropout, dtype: dtype, using: &rng)
        self.feedForward = FeedForward(model, feedForward, activation: activation, dropout: dropout, dtype: dtype, using: &rng)
        norm1 = LayerNorm([model], epsilon: epsilon, dtype: dtype)
        norm2 = LayerNorm([model], epsilon: epsilon, dtype: dtype)
        norm3 = LayerNorm([model], epsilon: epsilon, dtype: dtype)
        dropout1 = Dropout(rate: dropout, seed: rng.next())
        dropout2 = Dropout(rate: dropout, seed: rng.next())
        dropout3 = Dropout(rate: dropout, seed: rng.next())
        self.normFirst = normFirst
    }

    public convenience init(model: Int, heads: Int, feedForward: Int, dropout: Double = 0.1, activation: Activation = .relu,
                            normFirst: Bool = false, epsilon: Double = 1e-5, dtype: DType = .float32, seed: UInt64) {
        var rng = PhiloxGenerator(seed: seed)
        self.init(model: model, heads: heads, feedForward: feedForward, dropout: dropout, activation: activation,
                  normFirst: normFirst, epsilon: epsilon, dtype: dtype, using: &rng)
    }

    public var sublayers: [(name: String, layer: any Layer)] {
        [("self_attn", selfAttention), ("multihead_attn", crossAttention), ("ff", feedForward), ("norm1", norm1), ("norm2", norm2),
         ("norm3", norm3), ("dropout1", dropout1), ("dropout2", dropout2), ("dropout3", dropout3)]
    }

    /// Decoding without memory is not defined; use ``callAsFunction(_:memory:targetMask:memoryMask:causal:)``.
    public func callAsFunction(_ input: Variable) -> Variable {
        tensorFailure("TransformerDecoderLayer needs the encoder's output: call it with memory:")
    }

    /// `targetMask [B, Tt]` and `memoryMask [B, Tm]` (nonzero = real) remove padded keys;
    /// `causal` (default on) hides future target steps.
    public func callAsFunction(_ target: Variable, memory: Variable, targetMask: Tensor? = nil, memoryMask: Tensor? = nil,
                               causal: Bool = true) -> Variable {
        func selfBlock(_ h: Variable) -> Variable {
            dropout1(selfAttention(query: h, key: h, value: h, keyMask: targetMask, causal: causal).output)
        }
        func crossBlock(_ h: Variable) -> Variable {
            dropout2(crossAttention(query: h, key: memory, value: memory, keyMask: memoryMask).output)
        }
        if normFirst {
            var h = target + selfBlock(norm1(target))
            h = h + crossBlock(norm2(h))
            return h + dropout3(feedForward(norm3(h)))
        }
        var h = norm1(target + selfBlock(target))
        h = norm2(h + crossBlock(h))
        return norm3(h + dropout3(feedForward(h)))
    }

    public var summaryName: String { "TransformerDecoderLayer(\(selfAttention.embedDimension), \(selfAttention.heads) heads\(normFirst ? ", pre-norm" : ""))" }
}

/// Adds the fixed sinusoidal position code of "Attention Is All You Need" to `[B, T, D]`:
/// `PE[t, 2i] = sin(t / 10000^(2i/D))`, `PE[t, 2i+1] = cos(t / 10000^(2i/D))`.
public final class SinusoidalPositionalEncoding: Layer {
    public let table: Tensor   // [maxLength, D]
    public var isTraining = true

    public init(dimension: Int, maxLength: Int = 5000, dtype: DType = .float32) {
        tensorCheck(dimension > 0 && maxLength > 0, "SinusoidalPositionalEncoding: sizes must be positive")
        var values = [Double](repeating: 0, count: maxLength * dimension)
        for t in 0..<maxLength {
            for i in stride(from: 0, to: dimension, by: 2) {
                let angle = Double(t) / Foundation.pow(10000, Double(i) / Double(dimension))
                values[t * dimension + i] = Foundation.sin(angle)
                if i + 1 < dimension { values[t * dimension + i + 1] = Foundation.cos(angle) }
            }
        }
        table = Tensor(values, shape: [maxLength, dimension]).cast(to: dtype)
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        tensorCheck(input.rank == 3 && input.shape[2] == table.shape[1] && input.shape[1] <= table.shape[0],
                    "SinusoidalPositionalEncoding: input must be [batch, ≤\(table.shape[0]), \(table.shape[1])], got \(input.shape)")
        return input + Variable(table.narrowed(axis: 0, start: 0, length: input.shape[1]).cast(to: input.dtype))
    }

    public var summaryName: String { "SinusoidalPositionalEncoding(\(table.shape[1]))" }
}

/// A trained position embedding `[maxLength, D]` added to `[B, T, D]` (BERT/GPT style).
public final class LearnedPositionalEmbedding: Layer {
    public let weight: Parameter
    public var isTraining = true

    public init(maxLength: Int, dimension: Int, dtype: DType = .float32, using rng: inout PhiloxGenerator) {
        weight = Parameter(Tensor.normal([maxLength, dimension], std: 0.02, dtype: dtype, using: &rng))
    }

    public var localParameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    public func callAsFunction(_ input: Variable) -> Variable {
        tensorCheck(input.rank == 3 && input.shape[2] == weight.value.shape[1] && input.shape[1] <= weight.value.shape[0],
                    "LearnedPositionalEmbedding: input must be [batch, ≤\(weight.value.shape[0]), \(weight.value.shape[1])], got \(input.shape)")
        return input + Variable(weight).narrowed(axis: 0, start: 0, length: input.shape[1])
    }

    public var summaryName: String { "LearnedPositionalEmbedding(\(weight.value.shape[0]) × \(weight.value.shape[1]))" }
}
