import DeepSwiftAutodiff
import DeepSwiftNN
import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

/// Recurrent layers against PyTorch (Tests/Fixtures/torch/generate_recurrent_fixtures.py) and
/// Keras (Tests/Fixtures/keras/generate_keras_fixtures.py): outputs, final states and gradients,
/// in float64 (composed cells) and float32 (fused kernels).
@Suite struct RecurrentReferenceTests {
    static let torch = try! Fixtures.torch("recurrent")
    static let keras = try! Fixtures.keras("keras_recurrent")

    static func cell(_ name: String) -> RecurrentCell {
        if name.hasPrefix("gru") || name.hasPrefix("bigru") { return .gru(resetAfter: true) }
        if name == "rnn_tanh" { return .simple(relu: false) }
        if name == "rnn_relu" { return .simple(relu: true) }
        return .lstm
    }

    /// One direction/layer of a torch case, as parameters.
    struct Direction {
        let wih: Parameter, whh: Parameter, bih: Parameter, bhh: Parameter
        init(_ f: NumPyArchive, _ prefix: String, _ suffix: String, _ dtype: DType) {
            wih = Parameter(f["\(prefix)_w_ih\(suffix)"].cast(to: dtype)); whh = Parameter(f["\(prefix)_w_hh\(suffix)"].cast(to: dtype))
            bih = Parameter(f["\(prefix)_b_ih\(suffix)"].cast(to: dtype)); bhh = Parameter(f["\(prefix)_b_hh\(suffix)"].cast(to: dtype))
        }
        func run(_ cell: RecurrentCell, _ x: Variable, _ h0: Variable, _ c0: Variable?, mask: Tensor?, reverse: Bool = false) -> RecurrentResult {
            Variable.recurrent(cell, x, initialState: h0, initialCell: c0, inputWeight: Variable(wih), recurrentWeight: Variable(whh),
                               inputBias: Variable(bih), recurrentBias: Variable(bhh), mask: mask, reverse: reverse)
        }
        func check(_ f: NumPyArchive, _ prefix: String, _ suffix: String, _ tol: Double, _ label: String) {
            for (key, p) in [("dw_ih", wih), ("dw_hh", whh), ("db_ih", bih), ("db_hh", bhh)] {
                expectClose(p.grad!, f["\(prefix)_\(key)\(suffix)"], rtol: tol, atol: tol, "\(label) \(key)\(suffix)")
            }
        }
    }

    @Test(arguments: [DType.float64, .float32], ["lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_masked"])
    func singleLayerMatchesPyTorch(_ dtype: DType, _ name: String) {
        let f = Self.torch, tol = dtype == .float64 ? 1e-10 : 2e-4
        let c = Self.cell(name), isLSTM = c == .lstm
        let x = Parameter(f["\(name)_x"].cast(to: dtype)), h0 = Parameter(f["\(name)_h0"].cast(to: dtype))
        let c0 = isLSTM ? Parameter(f["\(name)_c0"].cast(to: dtype)) : nil
        let d = Direction(f, name, "", dtype)
        let mask = f.arrays["\(name)_mask"]
        let r = d.run(c, Variable(x), Variable(h0), c0.map { Variable($0) }, mask: mask)
        expectClose(r.output.value, f["\(name)_y"], rtol: tol, atol: tol, "\(name) \(dtype) y")
        expectClose(r.state.value, f["\(name)_hT"], rtol: tol, atol: tol, "\(name) \(dtype) hT")
        var loss = (r.output * Variable(f["\(name)_gy"].cast(to: dtype))).sum() + (r.state * Variable(f["\(name)_ghT"].cast(to: dtype))).sum()
        if let cT = r.cellState {
            expectClose(cT.value, f["\(name)_cT"], rtol: tol, atol: tol, "\(name) \(dtype) cT")
            loss = loss + (cT * Variable(f["\(name)_gcT"].cast(to: dtype))).sum()
        }
        loss.backward()
        expectClose(x.grad!, f["\(name)_dx"], rtol: tol, atol: tol, "\(name) \(dtype) dx")
        expectClose(h0.grad!, f["\(name)_dh0"], rtol: tol, atol: tol, "\(name) \(dtype) dh0")
        if let c0 { expectClose(c0.grad!, f["\(name)_dc0"], rtol: tol, atol: tol, "\(name) \(dtype) dc0") }
        d.check(f, name, "", tol, "\(name) \(dtype)")
    }

    @Test(arguments: [DType.float64, .float32], ["bilstm", "bigru_masked"])
    func bidirectionalMatchesPyTorch(_ dtype: DType, _ name: String) {
        let f = Self.torch, tol = dtype == .float64 ? 1e-10 : 2e-4
        let c = Self.cell(name), isLSTM = c == .lstm
        let x = Parameter(f["\(name)_x"].cast(to: dtype))
        let h0 = f["\(name)_h0"].cast(to: dtype), c0 = isLSTM ? f["\(name)_c0"].cast(to: dtype) : nil
        let mask = f.arrays["\(name)_mask"]
        let fwd = Direction(f, name, "", dtype), bwd = Direction(f, name, "_reverse", dtype)
        let a = fwd.run(c, Variable(x), Variable(h0[0]), c0.map { Variable($0[0]) }, mask: mask)
        let b = bwd.run(c, Variable(x), Variable(h0[1]), c0.map { Variable($0[1]) }, mask: mask, reverse: true)
        let y = Variable.concat([a.output, b.output], axis: 2)
        expectClose(y.value, f["\(name)_y"], rtol: tol, atol: tol, "\(name) \(dtype) y")
        var loss = (y * Variable(f["\(name)_gy"].cast(to: dtype))).sum()
        if let hT = f.arrays["\(name)_hT"] {
            let states = Variable.stack([a.state, b.state], axis: 0)
            expectClose(states.value, hT, rtol: tol, atol: tol, "\(name) \(dtype) hT")
            loss = loss + (states * Variable(f["\(name)_ghT"].cast(to: dtype))).sum()
        }
        if let ca = a.cellState, let cb = b.cellState {
            let cells = Variable.stack([ca, cb], axis: 0)
            expectClose(cells.value, f["\(name)_cT"], rtol: tol, atol: tol, "\(name) \(dtype) cT")
            loss = loss + (cells * Variable(f["\(name)_gcT"].cast(to: dtype))).sum()
        }
        loss.backward()
        expectClose(x.grad!, f["\(name)_dx"], rtol: tol, atol: tol, "\(name) \(dtype) dx")
        fwd.check(f, name, "", tol, "\(name) \(dtype)")
        bwd.check(f, name, "_reverse", tol, "\(name) \(dtype)")
    }

    @Test(arguments: [DType.float64, .float32])
    func stackedAndPeepholeLSTMsMatch(_ dtype: DType) {
        let f = Self.torch, tol = dtype == .float64 ? 1e-10 : 2e-4
        // Two stacked layers.
        let x = Parameter(f["lstm_stacked_x"].cast(to: dtype))
        let h0 = f["lstm_stacked_h0"].cast(to: dtype), c0 = f["lstm_stacked_c0"].cast(to: dtype)
        let l0 = Direction(f, "lstm_stacked", "_l0", dtype), l1 = Direction(f, "lstm_stacked", "_l1", dtype)
        let first = l0.run(.lstm, Variable(x), Variable(h0[0]), Variable(c0[0]), mask: nil)
        let second = l1.run(.lstm, first.output, Variable(h0[1]), Variable(c0[1]), mask: nil)
        expectClose(second.output.value, f["lstm_stacked_y"], rtol: tol, atol: tol, "stacked \(dtype) y")
        let hT = Variable.stack([first.state, second.state], axis: 0), cT = Variable.stack([first.cellState!, second.cellState!], axis: 0)
        expectClose(hT.value, f["lstm_stacked_hT"], rtol: tol, atol: tol, "stacked \(dtype) hT")
        expectClose(cT.value, f["lstm_stacked_cT"], rtol: tol, atol: tol, "stacked \(dtype) cT")
        ((second.output * Variable(f["lstm_stacked_gy"].cast(to: dtype))).sum() + (hT * Variable(f["lstm_stacked_ghT"].cast(to: dtype))).sum()
            + (cT * Variable(f["lstm_stacked_gcT"].cast(to: dtype))).sum()).backward()
        expectClose(x.grad!, f["lstm_stacked_dx"], rtol: tol, atol: tol, "stacked \(dtype) dx")
        l0.check(f, "lstm_stacked", "_l0", tol, "stacked \(dtype)")
        l1.check(f, "lstm_stacked", "_l1", tol, "stacked \(dtype)")

        // Peepholes (i, f from c_prev; o from c).
        let px = Parameter(f["peephole_x"].cast(to: dtype)), ph0 = Parameter(f["peephole_h0"].cast(to: dtype))
        let pc0 = Parameter(f["peephole_c0"].cast(to: dtype))
        let wih = Parameter(f["peephole_w_ih"].cast(to: dtype)), whh = Parameter(f["peephole_w_hh"].cast(to: dtype))
        let b = Parameter(f["peephole_b"].cast(to: dtype))
        let peep = Parameter(Tensor.concat([f["peephole_p_i"], f["peephole_p_f"], f["peephole_p_o"]], axis: 0).cast(to: dtype))
        let r = Variable.recurrent(.lstm, Variable(px), initialState: Variable(ph0), initialCell: Variable(pc0), inputWeight: Variable(wih),
                                   recurrentWeight: Variable(whh), inputBias: Variable(b), recurrentBias: nil, peepholes: Variable(peep))
        expectClose(r.output.value, f["peephole_y"], rtol: tol, atol: tol, "peephole \(dtype) y")
        let loss = (r.output * Variable(f["peephole_gy"].cast(to: dtype))).sum() + (r.state * Variable(f["peephole_ghT"].cast(to: dtype))).sum()
            + (r.cellState! * Variable(f["peephole_gcT"].cast(to: dtype))).sum()
        loss.backward()
        expectClose(px.grad!, f["peephole_dx"], rtol: tol, atol: tol, "peephole \(dtype) dx")
        expectClose(wih.grad!, f["peephole_dw_ih"], rtol: tol, atol: tol, "peephole \(dtype) dw_ih")
        expectClose(whh.grad!, f["peephole_dw_hh"], rtol: tol, atol: tol, "peephole \(dtype) dw_hh")
        expectClose(b.grad!, f["peephole_db"], rtol: tol, atol: tol, "peephole \(dtype) db")
        let dp = Tensor.concat([f["peephole_dp_i"], f["peephole_dp_f"], f["peephole_dp_o"]], axis: 0)
        expectClose(peep.grad!, dp, rtol: tol, atol: tol, "peephole \(dtype) dpeep")
    }

    @Test func embeddingMatchesPyTorchAndMasksPadding() {
        let f = Self.torch
        var rng = PhiloxGenerator(seed: 1)
        let embed = Embedding(count: 10, dimension: 4, paddingIndex: 0, dtype: .float64, using: &rng)
        embed.weight.value = f["embedding_weight"]
        let ids = f["embedding_indices"]
        let (y, mask) = embed(Variable(ids), mask: nil)
        expectClose(y.value, f["embedding_y"], rtol: 1e-12, atol: 1e-12, "embedding y")
        (y * Variable(f["embedding_gy"])).sum().backward()
        expectClose(embed.weight.grad!, f["embedding_dweight"], rtol: 1e-12, atol: 1e-12, "embedding dweight")
        expectClose(mask!, (ids .!= 0).cast(to: .float32), rtol: 0, atol: 0, "embedding mask")
    }

    // MARK: Keras

    /// Keras kernels are [in, G·H] with gate columns (LSTM i, f, c, o; GRU z, r, h): transposed,
    /// and GRU blocks reordered to (r, z, n).
    static func kerasWeight(_ t: Tensor, gru: Bool) -> Tensor {
        let w = t.transposed().contiguous()
        guard gru else { return w }
        let h = w.shape[0] / 3
        return Tensor.concat([w.narrowed(axis: 0, start: h, length: h), w.narrowed(axis: 0, start: 0, length: h),
                              w.narrowed(axis: 0, start: 2 * h, length: h)], axis: 0)
    }

    static func kerasBias(_ t: Tensor, gru: Bool) -> Tensor {
        guard gru else { return t }
        let h = t.shape[0] / 3
        return Tensor.concat([t.narrowed(axis: 0, start: h, length: h), t.narrowed(axis: 0, start: 0, length: h),
                              t.narrowed(axis: 0, start: 2 * h, length: h)], axis: 0)
    }

    static func loadKeras(_ layer: RecurrentLayer, _ prefix: String) {
        let f = keras, gru: Bool
        if case .gru = layer.cell { gru = true } else { gru = false }
        layer.weightIH.value = kerasWeight(f["\(prefix)_kernel"], gru: gru)
        layer.weightHH.value = kerasWeight(f["\(prefix)_recurrent_kernel"], gru: gru)
        let bias = f["\(prefix)_bias"]
        if bias.rank == 2 {   // GRU reset_after: [input bias, recurrent bias]
            layer.biasIH!.value = kerasBias(bias[0], gru: true)
            layer.biasHH!.value = kerasBias(bias[1], gru: true)
        } else {
            layer.biasIH!.value = kerasBias(bias, gru: gru)
            layer.biasHH!.value = Tensor.zeros(bias.shape, dtype: .float64)
        }
    }

    @Test(arguments: [DType.float64, .float32], ["keras_lstm", "keras_lstm_init", "keras_gru_after", "keras_gru_before", "keras_simplernn", "keras_lstm_masked"])
    func recurrentLayersMatchKeras(_ dtype: DType, _ name: String) {
        let f = Self.keras, tol = dtype == .float64 ? 1e-10 : 2e-4
        var rng = PhiloxGenerator(seed: 2)
        let x = f["\(name)_x"]
        let layer: RecurrentLayer
        switch name {
        case "keras_gru_after": layer = GRU(inputSize: x.shape[2], hiddenSize: 6, resetAfter: true, dtype: .float64, using: &rng)
        case "keras_gru_before": layer = GRU(inputSize: x.shape[2], hiddenSize: 6, resetAfter: false, dtype: .float64, using: &rng)
        case "keras_simplernn": layer = SimpleRNN(inputSize: x.shape[2], hiddenSize: 6, dtype: .float64, using: &rng)
        default: layer = LSTM(inputSize: x.shape[2], hiddenSize: 6, dtype: .float64, using: &rng)
        }
        Self.loadKeras(layer, name)
        for p in layer.parameters { p.value = p.value.cast(to: dtype) }
        var initial: [Variable]? = nil
        if let h0 = f.arrays["\(name)_h0"] { initial = [Variable(h0.cast(to: dtype)), Variable(f["\(name)_c0"].cast(to: dtype))] }
        var input = Variable(x.cast(to: dtype)), mask: Tensor? = nil
        if name == "keras_lstm_masked" { (input, mask) = Masking(value: 0)(input, mask: nil) }
        let (y, states) = layer(input, initialState: initial, mask: mask)
        var expected = f["\(name)_y"]
        if let mask {
            // Keras repeats the last real output at padded steps; DeepSwift outputs zero there (as
            // PyTorch's packed sequences do). Real steps must agree.
            expected = expected * mask.cast(to: .float64).unsqueezed(axis: 2)
        }
        expectClose(y.value, expected, rtol: tol, atol: tol, "\(name) \(dtype) y")
        expectClose(states[0].value, f["\(name)_hT"], rtol: tol, atol: tol, "\(name) \(dtype) hT")
        if states.count > 1 { expectClose(states[1].value, f["\(name)_cT"], rtol: tol, atol: tol, "\(name) \(dtype) cT") }
    }

    @Test(arguments: ["keras_bilstm", "keras_bilstm_sum"])
    func bidirectionalLayerMatchesKeras(_ name: String) {
        let f = Self.keras
        var rng = PhiloxGenerator(seed: 3)
        let x = f["\(name)_x"]
        let forward = LSTM(inputSize: x.shape[2], hiddenSize: 6, dtype: .float64, using: &rng)
        let backward = LSTM(inputSize: x.shape[2], hiddenSize: 6, goBackwards: true, dtype: .float64, using: &rng)
        Self.loadKeras(forward, "\(name)_forward")
        Self.loadKeras(backward, "\(name)_backward")
        let bi = Bidirectional(forward, backward, merge: name.hasSuffix("sum") ? .sum : .concat)
        for dtype in [DType.float64, .float32] {
            for p in bi.parameters { p.value = p.value.cast(to: dtype) }
            expectClose(bi(Variable(x.cast(to: dtype))).value, f["\(name)_y"], rtol: dtype == .float64 ? 1e-10 : 2e-4,
                        atol: dtype == .float64 ? 1e-10 : 2e-4, "\(name) \(dtype)")
        }
    }
}
