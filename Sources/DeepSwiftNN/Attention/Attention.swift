import DeepSwiftAutodiff
import DeepSwiftTensor

extension Variable {
    /// Scaled dot-product attention: `softmax(q·kᵀ / √d + masks)·v` over the last two axes.
    ///
    /// `q: [..., Tq, d]`, `k: [..., Tk, d]`, `v: [..., Tk, dv]`. `allowed` (broadcastable to
    /// `[..., Tq, Tk]`, nonzero = may attend, Keras's convention) and `causal` (query i sees keys
    /// ≤ i) remove scores before the softmax. Returns the output `[..., Tq, dv]` and the attention
    /// weights `[..., Tq, Tk]`. A query whose every key is removed attends uniformly (as in Keras;
    /// PyTorch returns NaN there).
    ///
    /// ```swift
    /// let (out, weights) = Variable.scaledDotProductAttention(q, k, v, causal: true)
    /// ```
    public static func scaledDotProductAttention(_ q: Variable, _ k: Variable, _ v: Variable, allowed: Tensor? = nil,
                                                 causal: Bool = false, dropout: Double = 0,
                                                 generator: inout PhiloxGenerator) -> (output: Variable, weights: Variable) {
        tensorCheck(q.rank >= 2 && k.rank == q.rank && v.rank == q.rank && q.shape.last == k.shape.last
                    && k.shape[k.rank - 2] == v.shape[v.rank - 2],
                    "attention: query \(q.shape), key \(k.shape) and value \(v.shape) do not fit ([..., Tq, d], [..., Tk, d], [..., Tk, dv])")
        let tq = q.shape[q.rank - 2], tk = k.shape[k.rank - 2], d = q.shape[q.rank - 1]
        var scores = q.matmul(k.transposed()) * (1 / Double(d).squareRoot())
        var blocked: Tensor? = nil
        if let allowed { blocked = allowed .== 0 }
        if causal {
            let rowsIndex = Tensor.arange(tq, dtype: .int64).reshaped([tq, 1]), columns = Tensor.arange(tk, dtype: .int64).reshaped([1, tk])
            let future = columns .> rowsIndex
            blocked = blocked.map { $0.logicalOr(future) } ?? future
        }
        if let blocked { scores = scores.maskedFill(blocked, value: -1e9) }
        var weights = scores.softmax(axis: -1)
        let attended = weights
        if dropout > 0 {
            let keep = Tensor.bernoulli(weights.shape, probability: 1 - dropout, dtype: weights.dtype, using: &generator) / (1 - dropout)
            weights = weights * Variable(keep)
        }
        return (weights.matmul(v), attended)
    }

    /// ``scaledDotProductAttention(_:_:_:allowed:causal:dropout:generator:)`` without dropout.
    public static func scaledDotProductAttention(_ q: Variable, _ k: Variable, _ v: Variable, allowed: Tensor? = nil,
                                                 causal: Bool = false) -> (output: Variable, weights: Variable) {
        var unused = PhiloxGenerator(seed: 0)
        return scaledDotProductAttention(q, k, v, allowed: allowed, causal: causal, dropout: 0, generator: &unused)
    }
}

/// Multi-head attention (PyTorch's `nn.MultiheadAttention` with `batch_first=True`, Keras's
/// `MultiHeadAttention`): inputs `[B, T, ·]`, `heads` heads of `embedDimension / heads` features.
///
/// Projections are ``Dense`` layers named `query`, `key`, `value` and `output` (PyTorch's
/// `in_proj_weight` is the three query/key/value weights stacked). Masks follow DeepSwift's
/// convention, nonzero = real: `keyMask [B, Tk]` removes padded keys, `allowed` (`[Tq, Tk]` or
/// `[B, Tq, Tk]`) removes other pairs, `causal` removes future keys.
///
/// ```swift
/// let mha = MultiHeadAttention(embedDimension: 64, heads: 8, seed: 1)
/// let (y, weights) = mha(query: x, key: x, value: x, keyMask: mask, causal: true)
/// ```
public final class MultiHeadAttention: Layer {
    public let query: Dense, key: Dense, value: Dense, output: Dense
    public let heads: Int
    public let dropout: Double
    public var generator: PhiloxGenerator
    /// In graph use (``callAsFunction(_:masks:)``): each query sees only keys at or before its own
    /// step (Keras's `use_causal_mask=True`).
    public var causal = false
    public var isTraining = true

    public convenience init(embedDimension: Int, heads: Int, keyDimension: Int? = nil, valueDimension: Int? = nil, bias: Bool = true,
                            dropout: Double = 0, dtype: DType = .float32, using rng: inout PhiloxGenerator) {
        tensorCheck(heads > 0 && embedDimension % heads == 0,
                    "MultiHeadAttention: \(heads) heads must divide the embedding dimension \(embedDimension)")
        self.init(queryInput: embedDimension, keyInput: keyDimension ?? embedDimension, valueInput: valueDimension ?? embedDimension,
                  heads: heads, headDimension: embedDimension / heads, valueHeadDimension: embedDimension / heads,
                  outputDimension: embedDimension, bias: bias, dropout: dropout, dtype: dtype, using: &rng)
    }

    /// The general form (Keras's `MultiHeadAttention(num_heads, key_dim, value_dim, output_shape)`):
    /// queries and keys are projected to `heads × headDimension`, values to
    /// `heads × valueHeadDimension`, and the merged heads to `outputDimension`.
    public init(queryInput: Int, keyInput: Int, valueInput: Int, heads: Int, headDimension: Int, valueHeadDimension: Int,
                outputDimension: Int, bias: Bool = true, dropout: Double = 0, dtype: DType = .float32, using rng: inout PhiloxGenerator) {
        tensorCheck(heads > 0 && headDimension > 0 && valueHeadDimension > 0 && outputDimension > 0,
                    "MultiHeadAttention: heads and dimensions must be positive")
        let init_ = Initializer.glorotUniform()
        query = Dense(queryInput, heads * headDimension, bias: bias, weightInitializer: init_, dtype: dtype, using: &rng)
        key = Dense(keyInput, heads * headDimension, bias: bias, weightInitializer: init_, dtype: dtype, using: &rng)
        value = Dense(valueInput, heads * valueHeadDimension, bias: bias, weightInitializer: init_, dtype: dtype, using: &rng)
        output = Dense(heads * valueHeadDimension, outputDimension, bias: bias, weightInitializer: init_, dtype: dtype, using: &rng)
        self.heads = heads
        self.dropout = dropout
        generator = PhiloxGenerator(seed: rng.next())
    }

    public convenience init(embedDimension: Int, heads: Int, keyDimension: Int? = nil, valueDimension: Int? = nil, bias: Bool = true,
                            dropout: Double = 0, dtype: DType = .float32, seed: UInt64) {
        var rng = PhiloxGenerator(seed: seed)
        self.init(embedDimension: embedDimension, heads: heads, keyDimension: keyDimension, valueDimension: valueDimension, bias: bias,
                  dropout: dropout, dtype: dtype, using: &rng)
    }

    public var embedDimension: Int { output.outputSize }
    public var sublayers: [(name: String, layer: any Layer)] { [("query", query), ("key", key), ("value", value), ("output", output)] }

    /// Self-attention without masks.
    public func callAsFunction(_ input: Variable) -> Variable { self(query: input, key: input, value: input).output }

    /// Self-attention whose keys are masked by the sequence mask.
    public func callAsFunction(_ input: Variable, mask: Tensor?) -> (output: Variable, mask: Tensor?) {
        (self(query: input, key: input, value: input, keyMask: mask).output, mask)
    }

    /// Attention of `query [B, Tq, E]` over `key [B, Tk, kdim]` / `value [B, Tk, vdim]`. Returns the
    /// output `[B, Tq, E]` and the attention weights averaged over the heads `[B, Tq, Tk]`.
    public func callAsFunction(query q: Variable, key k: Variable, value v: Variable, keyMask: Tensor? = nil, allowed: Tensor? = nil,
                               causal: Bool = false) -> (output: Variable, weights: Variable) {
        tensorCheck(q.rank == 3 && k.rank == 3 && v.rank == 3 && k.shape[0] == q.shape[0] && v.shape[0] == q.shape[0]
                    && k.shape[1] == v.shape[1],
                    "MultiHeadAttention: query \(q.shape), key \(k.shape) and value \(v.shape) must be [B, Tq, ·], [B, Tk, ·], [B, Tk, ·]")
        let batch = q.shape[0], tq = q.shape[1], tk = k.shape[1]
        let dk = query.outputSize / heads, dv = value.outputSize / heads
        func split(_ x: Variable, _ t: Int, _ d: Int) -> Variable { x.reshaped([batch, t, heads, d]).permuted([0, 2, 1, 3]) }
        let qh = split(query(q), tq, dk), kh = split(key(k), tk, dk), vh = split(value(v), tk, dv)
        var allowedPairs: Tensor? = nil
        if let keyMask {
            tensorCheck(keyMask.shape == [batch, tk], "MultiHeadAttention: key mask shape \(keyMask.shape) does not match [\(batch), \(tk)]")
            allowedPairs = (keyMask .!= 0).reshaped([batch, 1, 1, tk])
        }
        if let allowed {
            let a = (allowed .!= 0)
            let shaped: Tensor
            if a.rank == 2 {
                tensorCheck(a.shape == [tq, tk], "MultiHeadAttention: mask shape \(a.shape) does not match [\(tq), \(tk)]")
                shaped = a.reshaped([1, 1, tq, tk])
            } else {
                tensorCheck(a.shape == [batch, tq, tk], "MultiHeadAttention: mask shape \(a.shape) does not match [\(batch), \(tq), \(tk)]")
                shaped = a.reshaped([batch, 1, tq, tk])
            }
            allowedPairs = allowedPairs.map { $0.logicalAnd(shaped) } ?? shaped
        }
        let (attended, weights) = Variable.scaledDotProductAttention(qh, kh, vh, allowed: allowedPairs, causal: causal,
                                                                     dropout: isTraining ? dropout : 0, generator: &generator)
        let merged = attended.permuted([0, 2, 1, 3]).reshaped([batch, tq, heads * dv])
        return (output(merged), weights.mean(axis: 1))
    }

    public var summaryName: String { "MultiHeadAttention(\(embedDimension), \(heads) heads)" }
}

extension MultiHeadAttention: MultiInputLayer {
    /// Graph use with Keras's argument order: `[query]` (self-attention), `[query, value]` (the
    /// value is also the key) or `[query, value, key]`.
    public func callAsFunction(_ inputs: [Variable]) -> Variable {
        tensorCheck((1...3).contains(inputs.count), "MultiHeadAttention: takes 1 to 3 inputs (query, value, key), got \(inputs.count)")
        let q = inputs[0], v = inputs.count > 1 ? inputs[1] : q, k = inputs.count > 2 ? inputs[2] : v
        return self(query: q, key: k, value: v, causal: causal).output
    }

    /// Keys whose step is padding (the key's mask, or the value's when the key is the value) get
    /// no attention; the output keeps the query's mask (Keras's behaviour).
    public func callAsFunction(_ inputs: [Variable], masks: [Tensor?]) -> (output: Variable, mask: Tensor?) {
        tensorCheck((1...3).contains(inputs.count), "MultiHeadAttention: takes 1 to 3 inputs (query, value, key), got \(inputs.count)")
        let q = inputs[0], v = inputs.count > 1 ? inputs[1] : q, k = inputs.count > 2 ? inputs[2] : v
        let queryMask = masks.first ?? nil
        let keyMask = inputs.count > 2 ? masks[2] : (inputs.count > 1 ? masks[1] : queryMask)
        return (self(query: q, key: k, value: v, keyMask: keyMask, causal: causal).output, queryMask)
    }
}
