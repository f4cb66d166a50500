import DeepSwiftAutodiff
import DeepSwiftNN
import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

/// Multi-head attention and Transformer layers against PyTorch (attention.npz, made by
/// Tests/Fixtures/torch/generate_recurrent_fixtures.py) and Keras (keras_recurrent.npz), plus
/// finite-difference checks of attention with masks.
@Suite struct AttentionReferenceTests {
    static let torch = try! Fixtures.torch("attention")
    static let keras = try! Fixtures.keras("keras_recurrent")

    /// Loads PyTorch's `in_proj_weight`/`in_proj_bias`/`out_proj` into the four projections.
    static func load(_ mha: MultiHeadAttention, _ f: NumPyArchive, inProj: String, inBias: String, outWeight: String, outBias: String, dtype: DType) {
        let w = f[inProj].cast(to: dtype), b = f[inBias].cast(to: dtype), e = mha.embedDimension
        for (i, layer) in [mha.query, mha.key, mha.value].enumerated() {
            layer.weight.value = w.narrowed(axis: 0, start: i * e, length: e).contiguous()
            layer.bias!.value = b.narrowed(axis: 0, start: i * e, length: e).contiguous()
        }
        mha.output.weight.value = f[outWeight].cast(to: dtype)
        mha.output.bias!.value = f[outBias].cast(to: dtype)
    }

    static func inProjGradients(_ mha: MultiHeadAttention) -> (Tensor, Tensor) {
        (Tensor.concat([mha.query.weight.grad!, mha.key.weight.grad!, mha.value.weight.grad!], axis: 0),
         Tensor.concat([mha.query.bias!.grad!, mha.key.bias!.grad!, mha.value.bias!.grad!], axis: 0))
    }

    @Test(arguments: [DType.float64, .float32], ["mha_self", "mha_cross"])
    func multiHeadAttentionMatchesPyTorch(_ dtype: DType, _ name: String) {
        let f = Self.torch, tol = dtype == .float64 ? 1e-10 : 1e-4
        let mha = MultiHeadAttention(embedDimension: 8, heads: 2, dtype: dtype, seed: 1)
        Self.load(mha, f, inProj: "\(name)_in_proj_weight", inBias: "\(name)_in_proj_bias", outWeight: "\(name)_out_proj_weight",
                  outBias: "\(name)_out_proj_bias", dtype: dtype)
        let keyMask = 1 - f["\(name)_key_padding_mask"]            // fixture: 1 = padded
        let allowed = f.arrays["\(name)_attn_mask"].map { 1 - $0 }   // fixture: 1 = masked
        let q: Parameter, k: Parameter, v: Parameter
        if name == "mha_self" {
            q = Parameter(f["\(name)_x"].cast(to: dtype)); k = q; v = q
        } else {
            q = Parameter(f["\(name)_q"].cast(to: dtype)); k = Parameter(f["\(name)_k"].cast(to: dtype)); v = Parameter(f["\(name)_v"].cast(to: dtype))
        }
        let (y, weights) = mha(query: Variable(q), key: Variable(k), value: Variable(v), keyMask: keyMask, allowed: allowed)
        expectClose(y.value, f["\(name)_y"], rtol: tol, atol: tol, "\(name) \(dtype) y")
        expectClose(weights.value, f["\(name)_attn"], rtol: tol, atol: tol, "\(name) \(dtype) weights")
        (y * Variable(f["\(name)_gy"].cast(to: dtype))).sum().backward()
        if name == "mha_self" {
            expectClose(q.grad!, f["\(name)_dx"], rtol: tol, atol: tol, "\(name) \(dtype) dx")
        } else {
            expectClose(q.grad!, f["\(name)_dq"], rtol: tol, atol: tol, "\(name) \(dtype) dq")
            expectClose(k.grad!, f["\(name)_dk"], rtol: tol, atol: tol, "\(name) \(dtype) dk")
            expectClose(v.grad!, f["\(name)_dv"], rtol: tol, atol: tol, "\(name) \(dtype) dv")
        }
        let (dw, db) = Self.inProjGradients(mha)
        expectClose(dw, f["\(name)_din_proj_weight"], rtol: tol, atol: tol, "\(name) \(dtype) din_proj_weight")
        expectClose(db, f["\(name)_din_proj_bias"], rtol: tol, atol: tol, "\(name) \(dtype) din_proj_bias")
        expectClose(mha.output.weight.grad!, f["\(name)_dout_proj_weight"], rtol: tol, atol: tol, "\(name) \(dtype) dout_proj_weight")
    }

    /// PyTorch state-dict names of a Transformer layer → DeepSwift parameters.
    static func torchParameters(encoder: TransformerEncoderLayer?, decoder: TransformerDecoderLayer?) -> [(String, Parameter)] {
        var list: [(String, Parameter)] = []
        let ff = encoder?.feedForward ?? decoder!.feedForward
        list += [("linear1.weight", ff.linear1.weight), ("linear1.bias", ff.linear1.bias!), ("linear2.weight", ff.linear2.weight),
                 ("linear2.bias", ff.linear2.bias!)]
        let norms = encoder.map { [$0.norm1, $0.norm2] } ?? [decoder!.norm1, decoder!.norm2, decoder!.norm3]
        for (i, norm) in norms.enumerated() { list += [("norm\(i + 1).weight", norm.weight!), ("norm\(i + 1).bias", norm.bias!)] }
        return list
    }

    static func loadAttention(_ mha: MultiHeadAttention, _ f: NumPyArchive, _ prefix: String, _ dtype: DType) {
        load(mha, f, inProj: "\(prefix).in_proj_weight", inBias: "\(prefix).in_proj_bias", outWeight: "\(prefix).out_proj.weight",
             outBias: "\(prefix).out_proj.bias", dtype: dtype)
    }

    static func checkAttentionGradients(_ mha: MultiHeadAttention, _ f: NumPyArchive, _ prefix: String, _ tol: Double, _ label: String) {
        let (dw, db) = inProjGradients(mha)
        expectClose(dw, f["\(prefix).in_proj_weight"], rtol: tol, atol: tol, "\(label) \(prefix).in_proj_weight")
        expectClose(db, f["\(prefix).in_proj_bias"], rtol: tol, atol: tol, "\(label) \(prefix).in_proj_bias")
        expectClose(mha.output.weight.grad!, f["\(prefix).out_proj.weight"], rtol: tol, atol: tol, "\(label) \(prefix).out_proj.weight")
    }

    @Test(arguments: [DType.float64, .float32], ["enc_post", "enc_pre"])
    func encoderLayerMatchesPyTorch(_ dtype: DType, _ name: String) {
        let f = Self.torch, tol = dtype == .float64 ? 1e-10 : 2e-4
        let layer = TransformerEncoderLayer(model: 8, heads: 2, feedForward: 16, dropout: 0, normFirst: name == "enc_pre", dtype: dtype, seed: 1)
        Self.loadAttention(layer.selfAttention, f, "\(name)_p_self_attn", dtype)
        let parameters = Self.torchParameters(encoder: layer, decoder: nil)
        for (key, p) in parameters { p.value = f["\(name)_p_\(key)"].cast(to: dtype) }
        let x = Parameter(f["\(name)_x"].cast(to: dtype))
        let (y, _) = layer(Variable(x), mask: 1 - f["\(name)_src_key_padding_mask"])
        expectClose(y.value, f["\(name)_y"], rtol: tol, atol: tol, "\(name) \(dtype) y")
        (y * Variable(f["\(name)_gy"].cast(to: dtype))).sum().backward()
        expectClose(x.grad!, f["\(name)_dx"], rtol: tol, atol: tol, "\(name) \(dtype) dx")
        for (key, p) in parameters { expectClose(p.grad!, f["\(name)_g_\(key)"], rtol: tol, atol: tol, "\(name) \(dtype) \(key)") }
        Self.checkAttentionGradients(layer.selfAttention, f, "\(name)_g_self_attn", tol, "\(name) \(dtype)")
    }

    @Test(arguments: [DType.float64, .float32], ["dec_post", "dec_pre"])
    func decoderLayerMatchesPyTorch(_ dtype: DType, _ name: String) {
        let f = Self.torch, tol = dtype == .float64 ? 1e-10 : 2e-4
        let layer = TransformerDecoderLayer(model: 8, heads: 2, feedForward: 16, dropout: 0, normFirst: name == "dec_pre", dtype: dtype, seed: 2)
        Self.loadAttention(layer.selfAttention, f, "\(name)_p_self_attn", dtype)
        Self.loadAttention(layer.crossAttention, f, "\(name)_p_multihead_attn", dtype)
        let parameters = Self.torchParameters(encoder: nil, decoder: layer)
        for (key, p) in parameters { p.value = f["\(name)_p_\(key)"].cast(to: dtype) }
        let target = Parameter(f["\(name)_tgt"].cast(to: dtype)), memory = Parameter(f["\(name)_memory"].cast(to: dtype))
        // The fixture's target mask is the causal mask (1 = masked above the diagonal).
        let causal = f["\(name)_tgt_mask"]
        let expectedCausal = Tensor.ones(causal.shape, dtype: .float64) - (Tensor.arange(causal.shape[1]).reshaped([1, -1]) .<= Tensor.arange(causal.shape[0]).reshaped([-1, 1])).cast(to: .float64)
        expectClose(causal, expectedCausal, rtol: 0, atol: 0, "\(name) target mask is causal")
        let y = layer(Variable(target), memory: Variable(memory), memoryMask: 1 - f["\(name)_memory_key_padding_mask"], causal: true)
        expectClose(y.value, f["\(name)_y"], rtol: tol, atol: tol, "\(name) \(dtype) y")
        (y * Variable(f["\(name)_gy"].cast(to: dtype))).sum().backward()
        expectClose(target.grad!, f["\(name)_dtgt"], rtol: tol, atol: tol, "\(name) \(dtype) dtgt")
        expectClose(memory.grad!, f["\(name)_dmemory"], rtol: tol, atol: tol, "\(name) \(dtype) dmemory")
        for (key, p) in parameters { expectClose(p.grad!, f["\(name)_g_\(key)"], rtol: tol, atol: tol, "\(name) \(dtype) \(key)") }
        Self.checkAttentionGradients(layer.selfAttention, f, "\(name)_g_self_attn", tol, "\(name) \(dtype)")
        Self.checkAttentionGradients(layer.crossAttention, f, "\(name)_g_multihead_attn", tol, "\(name) \(dtype)")
    }

    /// Keras's per-head kernels: query/key/value `[E, heads, d]`, biases `[heads, d]`, output `[heads, d, E]`.
    @Test func multiHeadAttentionMatchesKeras() {
        let f = Self.keras
        let mha = MultiHeadAttention(embedDimension: 8, heads: 2, dtype: .float64, seed: 3)
        for (name, layer) in [("query", mha.query), ("key", mha.key), ("value", mha.value)] {
            let kernel = f["keras_mha_\(name)_kernel"]
            layer.weight.value = kernel.reshaped([kernel.shape[0], -1]).transposed().contiguous()
            layer.bias!.value = f["keras_mha_\(name)_bias"].reshaped([-1])
        }
        let out = f["keras_mha_output_kernel"]
        mha.output.weight.value = out.reshaped([-1, out.shape[2]]).transposed().contiguous()
        mha.output.bias!.value = f["keras_mha_output_bias"]
        let q = Variable(f["keras_mha_query"]), v = Variable(f["keras_mha_value"])
        let (y, weights) = mha(query: q, key: v, value: v, allowed: f["keras_mha_attention_mask"])
        expectClose(y.value, f["keras_mha_y"], rtol: 1e-10, atol: 1e-10, "keras mha y")
        expectClose(weights.value, f["keras_mha_scores"].mean(axis: 1), rtol: 1e-10, atol: 1e-10, "keras mha scores")
    }

    @Test func attentionGradientsMatchFiniteDifferences() {
        var rng = PhiloxGenerator(seed: 9)
        let q = Tensor.normal([2, 3, 4], dtype: .float64, using: &rng), k = Tensor.normal([2, 5, 4], dtype: .float64, using: &rng)
        let v = Tensor.normal([2, 5, 3], dtype: .float64, using: &rng)
        let allowed = Tensor([1, 1, 1, 0, 0, 1, 1, 1, 1, 0] as [Double], shape: [2, 1, 5])
        gradCheck([q, k, v], "masked attention") { x in Variable.scaledDotProductAttention(x[0], x[1], x[2], allowed: allowed).output }
        gradCheck([q, k, v], "causal attention") { x in Variable.scaledDotProductAttention(x[0], x[1], x[2], causal: true).output }
        // Multi-head attention written out from the checked variables (input, then the query, key,
        // value and output weights and biases in the layer's order), causal.
        let mha = MultiHeadAttention(embedDimension: 4, heads: 2, dtype: .float64, seed: 4)
        let x = Tensor.normal([2, 5, 4], dtype: .float64, using: &rng)
        gradCheck([x] + mha.parameters.map(\.value), "multi-head attention") { vars in
            func project(_ input: Variable, _ w: Variable, _ b: Variable) -> Variable { input.matmul(w.transposed()) + b }
            let qh = project(vars[0], vars[1], vars[2]), kh = project(vars[0], vars[3], vars[4]), vh = project(vars[0], vars[5], vars[6])
            func split(_ t: Variable) -> Variable { t.reshaped([2, 5, 2, 2]).permuted([0, 2, 1, 3]) }
            let a = Variable.scaledDotProductAttention(split(qh), split(kh), split(vh), causal: true).output
            return project(a.permuted([0, 2, 1, 3]).reshaped([2, 5, 4]), vars[7], vars[8])
        }
    }
}
