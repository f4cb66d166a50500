import DeepSwiftAutodiff
import DeepSwiftNN
import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

/// The fused float32 recurrent kernels against the cells composed from differentiable primitives
/// (float64), and finite-difference checks of the composed cells, for every cell variant with
/// masks, recurrent dropout, peepholes and both directions.
@Suite struct RecurrentKernelTests {
    struct Case: CustomStringConvertible {
        var cell: RecurrentCell
        var masked = false, dropout = false, peepholes = false, reverse = false
        var description: String { "\(cell) masked=\(masked) dropout=\(dropout) peepholes=\(peepholes) reverse=\(reverse)" }
    }

    static let cases: [Case] = [
        Case(cell: .lstm), Case(cell: .lstm, masked: true, reverse: true), Case(cell: .lstm, dropout: true, peepholes: true),
        Case(cell: .lstm, masked: true, peepholes: true),
        Case(cell: .gru(resetAfter: true)), Case(cell: .gru(resetAfter: true), masked: true, dropout: true, reverse: true),
        Case(cell: .gru(resetAfter: false)), Case(cell: .gru(resetAfter: false), masked: true, dropout: true),
        Case(cell: .simple(relu: false), masked: true), Case(cell: .simple(relu: true), dropout: true, reverse: true),
    ]

    /// Inputs for one case: x, h0, c0, w_ih, w_hh, b_ih, b_hh, peepholes (as float64 tensors).
    static func inputs(_ c: Case, batch: Int = 3, steps: Int = 5, features: Int = 4, hidden: Int = 19) -> ([Tensor], Tensor?, Tensor?) {
        var rng = PhiloxGenerator(seed: 77)
        let g = c.cell.gateCount
        var tensors = [
            Tensor.normal([batch, steps, features], dtype: .float64, using: &rng),
            Tensor.normal([batch, hidden], dtype: .float64, using: &rng) * 0.5,
            Tensor.normal([batch, hidden], dtype: .float64, using: &rng) * 0.5,
            Tensor.uniform([g * hidden, features], low: -0.4, high: 0.4, dtype: .float64, using: &rng),
            Tensor.uniform([g * hidden, hidden], low: -0.3, high: 0.3, dtype: .float64, using: &rng),
            Tensor.uniform([g * hidden], low: -0.3, high: 0.3, dtype: .float64, using: &rng),
            Tensor.uniform([g * hidden], low: -0.3, high: 0.3, dtype: .float64, using: &rng),
        ]
        if c.peepholes { tensors.append(Tensor.uniform([3 * hidden], low: -0.3, high: 0.3, dtype: .float64, using: &rng)) }
        let mask: Tensor? = c.masked ? Tensor([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0] as [Double], shape: [batch, steps]) : nil
        let keep: Tensor? = c.dropout ? (Tensor.uniform([batch, hidden], dtype: .float64, using: &rng) .> 0.3).cast(to: .float64) / 0.7 : nil
        return (tensors, mask, keep)
    }

    static func run(_ c: Case, _ v: [Variable], mask: Tensor?, keep: Tensor?) -> RecurrentResult {
        Variable.recurrent(c.cell, v[0], initialState: v[1], initialCell: c.cell == .lstm ? v[2] : nil, inputWeight: v[3],
                           recurrentWeight: v[4], inputBias: v[5], recurrentBias: v[6], peepholes: c.peepholes ? v[7] : nil,
                           mask: mask, recurrentMask: keep, reverse: c.reverse)
    }

    /// Scalar that touches every output: Σ y·a + Σ hT·b (+ Σ cT·d).
    static func loss(_ r: RecurrentResult, _ seeds: [Tensor]) -> Variable {
        var l = (r.output * Variable(seeds[0].cast(to: r.output.dtype))).sum() + (r.state * Variable(seeds[1].cast(to: r.state.dtype))).sum()
        if let c = r.cellState { l = l + (c * Variable(seeds[2].cast(to: c.dtype))).sum() }
        return l
    }

    @Test(arguments: cases) func fusedKernelMatchesComposedCell(_ c: Case) {
        let (tensors, mask, keep) = Self.inputs(c)
        var rng = PhiloxGenerator(seed: 5)
        let y0 = Self.run(c, tensors.map { Variable($0) }, mask: mask, keep: keep)
        let seeds = [Tensor.normal(y0.output.shape, dtype: .float64, using: &rng), Tensor.normal(y0.state.shape, dtype: .float64, using: &rng),
                     Tensor.normal(y0.state.shape, dtype: .float64, using: &rng)]
        func gradients(_ dtype: DType) -> (RecurrentResult, [Tensor]) {
            let parameters = tensors.map { Parameter($0.cast(to: dtype)) }
            let r = Self.run(c, parameters.map { Variable($0) }, mask: mask, keep: keep)
            Self.loss(r, seeds).backward()
            return (r, parameters.enumerated().map { i, p in p.grad ?? Tensor.zeros(like: p.value) })
        }
        let (r64, g64) = gradients(.float64)
        let (r32, g32) = gradients(.float32)
        expectClose(r32.output.value, r64.output.value, rtol: 1e-4, atol: 1e-5, "y \(c)")
        expectClose(r32.state.value, r64.state.value, rtol: 1e-4, atol: 1e-5, "hT \(c)")
        if let c32 = r32.cellState { expectClose(c32.value, r64.cellState!.value, rtol: 1e-4, atol: 1e-5, "cT \(c)") }
        let names = ["dx", "dh0", "dc0", "dw_ih", "dw_hh", "db_ih", "db_hh", "dpeep"]
        for i in g64.indices where !(i == 2 && c.cell != .lstm) {
            expectClose(g32[i], g64[i], rtol: 1e-3, atol: 1e-4, "\(names[i]) \(c)")
        }
        if let mask {
            // Padded steps: zero output, and the input there receives no gradient.
            let padded = (mask .== 0).unsqueezed(axis: 2)
            #expect(Tensor.where(padded, r32.output.value, Tensor.zeros([], dtype: .float32)).abs().max().item(as: Float.self) == 0)
            #expect(Tensor.where(padded, g32[0], Tensor.zeros([], dtype: .float32)).abs().max().item(as: Float.self) == 0)
        }
    }

    @Test(arguments: cases) func composedCellGradientsMatchFiniteDifferences(_ c: Case) {
        let (tensors, mask, keep) = Self.inputs(c, batch: 3, steps: 5, features: 3, hidden: 4)
        var rng = PhiloxGenerator(seed: 6)
        let seeds = [Tensor.normal([3, 5, 4], dtype: .float64, using: &rng), Tensor.normal([3, 4], dtype: .float64, using: &rng),
                     Tensor.normal([3, 4], dtype: .float64, using: &rng)]
        var checked = tensors
        if c.cell != .lstm { checked.remove(at: 2) }
        gradCheck(checked, rtol: 1e-5, atol: 1e-7, "\(c)") { v in
            var all = v
            if c.cell != .lstm { all.insert(Variable(tensors[2]), at: 2) }
            return Self.loss(Self.run(c, all, mask: mask, keep: keep), seeds)
        }
    }

    /// A batch large enough that the fused kernels split each step across threads (GEMM panels
    /// and gate rows), with masks; compared with the composed float64 cell.
    @Test(arguments: [RecurrentCell.lstm, .gru(resetAfter: true), .simple(relu: false)])
    func largeBatchSplitAcrossThreadsMatches(_ cell: RecurrentCell) {
        var rng = PhiloxGenerator(seed: 8)
        let batch = 16, steps = 4, features = 5, hidden = 264, g = cell.gateCount
        let tensors = [
            Tensor.normal([batch, steps, features], dtype: .float64, using: &rng),
            Tensor.normal([batch, hidden], dtype: .float64, using: &rng) * 0.5, Tensor.normal([batch, hidden], dtype: .float64, using: &rng) * 0.5,
            Tensor.uniform([g * hidden, features], low: -0.1, high: 0.1, dtype: .float64, using: &rng),
            Tensor.uniform([g * hidden, hidden], low: -0.06, high: 0.06, dtype: .float64, using: &rng),
            Tensor.uniform([g * hidden], low: -0.1, high: 0.1, dtype: .float64, using: &rng),
            Tensor.uniform([g * hidden], low: -0.1, high: 0.1, dtype: .float64, using: &rng),
        ]
        let mask = (Tensor.uniform([batch, steps], dtype: .float64, using: &rng) .> 0.2).cast(to: .float64)
        let c = Case(cell: cell, masked: true)
        let seeds = [Tensor.normal([batch, steps, hidden], dtype: .float64, using: &rng), Tensor.normal([batch, hidden], dtype: .float64, using: &rng),
                     Tensor.normal([batch, hidden], dtype: .float64, using: &rng)]
        func gradients(_ dtype: DType) -> (RecurrentResult, [Tensor]) {
            let parameters = tensors.map { Parameter($0.cast(to: dtype)) }
            let r = Self.run(c, parameters.map { Variable($0) }, mask: mask, keep: nil)
            Self.loss(r, seeds).backward()
            return (r, parameters.map { $0.grad ?? Tensor.zeros(like: $0.value) })
        }
        let (r64, g64) = gradients(.float64), (r32, g32) = gradients(.float32)
        expectClose(r32.output.value, r64.output.value, rtol: 1e-4, atol: 1e-5, "y \(cell)")
        expectClose(r32.state.value, r64.state.value, rtol: 1e-4, atol: 1e-5, "hT \(cell)")
        for i in g64.indices where !(i == 2 && cell != .lstm) {
            expectClose(g32[i], g64[i], rtol: 1e-3, atol: 2e-4, "gradient \(i) \(cell)")
        }
    }
}
