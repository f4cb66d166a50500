import CDeepSwiftKernels
import DeepSwiftTensor

/// The cell of a recurrent layer.
public enum RecurrentCell: Sendable, Equatable, Codable {
    /// Long short-term memory, gates (input, forget, cell, output) as in PyTorch and Keras.
    case lstm
    /// Gated recurrent unit, gates (reset, update, new) in PyTorch's order. `resetAfter` (PyTorch,
    /// cuDNN, Keras's default) applies the reset gate to the recurrent product `r·(W_hn·h + b_hn)`;
    /// otherwise (Keras `reset_after=False`, Cho et al.) to the state before it: `W_hn·(r·h) + b_hn`.
    case gru(resetAfter: Bool)
    /// Elman RNN with tanh (or ReLU) activation.
    case simple(relu: Bool)

    /// Number of gate blocks of the hidden size in the weight matrices.
    public var gateCount: Int {
        switch self {
        case .lstm: return 4
        case .gru: return 3
        case .simple: return 1
        }
    }
}

/// A right-hand GEMM operand packed once into 32-column panels for ``ds_gemm_packed_f32``: the
/// recurrent weights, multiplied by a small batch at every time step. Each thread of the pool
/// takes a fixed range of panels, which stays in its core's cache from step to step.
struct PackedMatrix {
    let storage: Tensor
    let k: Int, n: Int
    var panels: Int { (n + 31) / 32 }

    /// Packs the k × n matrix whose element (i, j) is `b[i·strideK + j·strideN]`.
    init(_ b: UnsafePointer<Float>, k: Int, n: Int, strideK: Int, strideN: Int) {
        self.k = k
        self.n = n
        storage = Tensor.uninitialized([Swift.max(1, (n + 31) / 32 * k * 32)])
        ds_pack_panels_f32(b, k, n, strideK, strideN, RecurrentKernel.pointer(storage))
    }

    /// `c[m, n] += a[m, k]·self` (row strides `lda`, `ldc`), shared across the pool when large enough.
    func multiplyAdd(_ a: UnsafePointer<Float>, lda: Int, m: Int, into c: UnsafeMutablePointer<Float>, ldc: Int) {
        let packed = UnsafePointer(RecurrentKernel.pointer(storage))
        let parts = Swift.min(ThreadSettings.numThreads, panels)
        if parts <= 1 || 2 * m * n * k < 1_000_000 {
            ds_gemm_packed_f32(a, lda, packed, m, n, k, c, ldc, 0, panels)
            return
        }
        let (panels, k, n) = (self.panels, self.k, self.n)
        SpinTeam.run(parts: parts) { part in
            ds_gemm_packed_f32(a, lda, packed, m, n, k, c, ldc, panels * part / parts, panels * (part + 1) / parts)
        }
    }
}

/// The fused float32 forward and backward passes over a whole sequence.
///
/// Inputs and states are time-major inside (`[T, B, ·]`, so that each step's rows are contiguous):
/// the input projection of every step is one GEMM before the loop, each step adds one
/// `[B, H]·[H, G·H]` GEMM into its block of gate pre-activations and runs one fused gate kernel,
/// and the weight gradients are single GEMMs over all steps after the backward loop. No tensor is
/// allocated inside the time loop.
enum RecurrentKernel {
    struct Weights {
        var inputWeight: Tensor      // [G·H, I]
        var recurrentWeight: Tensor  // [G·H, H]
        var bias: Tensor             // [G·H]: b_ih + b_hh (LSTM, simple), b_ih (GRU)
        var recurrentBias: Tensor?   // [G·H]: GRU's b_hh
        var peepholes: Tensor?       // [3H]: LSTM (p_i, p_f, p_o)
    }

    /// What the backward pass reads (its buffers are overwritten by it).
    struct Saved {
        let cell: RecurrentCell
        let x: Tensor               // [T, B, I]
        let gates: Tensor           // [T, B, G·H] activations
        let states: Tensor          // [T + 1, B, H]
        let cells: Tensor?          // [T + 1, B, H] (LSTM)
        let recurrent: Tensor?      // [T, B, 3H] (GRU): recurrent pre-activations
        let resetStates: Tensor?    // [T, B, H] (GRU reset-before): r·h
        let mask: Tensor?           // [T, B] 1 = real step, 0 = padding
        let recurrentMask: Tensor?  // [B, H] recurrent dropout (scaled keep mask)
    }

    struct Gradients {
        var x: Tensor?, h0: Tensor?, c0: Tensor?
        var inputWeight: Tensor, recurrentWeight: Tensor, bias: Tensor, recurrentBias: Tensor?, peepholes: Tensor?
    }

    /// Runs `body(firstRow, rowCount)` over `batch` rows, split across the spin team when the
    /// step is large enough to gain from it (the gate kernels treat rows independently).
    static func splitRows(_ batch: Int, _ hidden: Int, _ body: (Int, Int) -> Void) {
        guard batch > 0 else { return }
        let parts = Swift.min(ThreadSettings.numThreads, batch / 4)
        if parts <= 1 || batch * hidden < 4096 {
            body(0, batch)
            return
        }
        SpinTeam.run(parts: parts) { p in
            let first = batch * p / parts
            body(first, batch * (p + 1) / parts - first)
        }
    }

    /// `C = op(A)·op(B)` on the spin team (output split in column or row blocks, one single-threaded
    /// GEMM per block): the large products around the time loop run on the same two threads as the
    /// loop, with no other pool waking up in between.
    static func teamGEMM(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                         b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        BLAS.prepareForCallerThreads()
        let splitRows = m > n, total = splitRows ? m : n
        let parts = Swift.max(1, Swift.min(ThreadSettings.numThreads, total / 32))
        if parts == 1 || 2 * m * n * k < 2_000_000 {
            BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
            return
        }
        SpinTeam.run(parts: parts) { part in
            let start = (total * part / parts) & ~15, end = part == parts - 1 ? total : (total * (part + 1) / parts) & ~15
            guard end > start else { return }
            if splitRows {
                BLAS.sgemm(transA: transA, transB: transB, m: end - start, n: n, k: k, a: transA ? a + start : a + start * lda, lda: lda,
                           b: b, ldb: ldb, c: c + start * ldc, ldc: ldc)
            } else {
                BLAS.sgemm(transA: transA, transB: transB, m: m, n: end - start, k: k, a: a, lda: lda,
                           b: transB ? b + start * ldb : b + start, ldb: ldb, c: c + start, ldc: ldc)
            }
        }
    }

    /// `aᵀ·b` for row-major `a [rows, p]`, `b [rows, q]` (a weight gradient over all steps) → `[p, q]`.
    static func transposedProduct(_ a: Tensor, _ b: Tensor) -> Tensor {
        let a = a.contiguous(), b = b.contiguous()
        let rows = a.shape[0], p = a.shape[1], q = b.shape[1]
        let c = Tensor.uninitialized([p, q])
        teamGEMM(transA: true, m: p, n: q, k: rows, a: pointer(a), lda: p, b: pointer(b), ldb: q, c: pointer(c), ldc: q)
        withExtendedLifetime((a, b)) {}
        return c
    }

    static func pointer(_ t: Tensor) -> UnsafeMutablePointer<Float> {
        t.storage.pointer.assumingMemoryBound(to: Float.self) + t.offset
    }

    /// Runs the sequence. `x`: [T, B, I] float32; `h0`, `c0`: [B, H]. Returns the states
    /// [T + 1, B, H] (row 0 = h0) and, for the LSTM, the cell states.
    static func forward(_ cell: RecurrentCell, x xIn: Tensor, h0: Tensor, c0: Tensor?, weights w: Weights,
                        mask: Tensor?, recurrentMask: Tensor?) -> Saved {
        let x = xIn.contiguous()
        let steps = x.shape[0], batch = x.shape[1], inputSize = x.shape[2], hidden = w.recurrentWeight.shape[1]
        let g = cell.gateCount, width = g * hidden, rows = batch * hidden
        let wih = w.inputWeight.contiguous(), whh = w.recurrentWeight.contiguous()
        let gates = Tensor.uninitialized([steps, batch, width])
        if steps * batch > 0 {
            teamGEMM(transB: true, m: steps * batch, n: width, k: inputSize, a: pointer(x), lda: inputSize,
                     b: pointer(wih), ldb: inputSize, c: pointer(gates), ldc: width)
            let bias = w.bias.contiguous()
            ds_bias_activation_f32(pointer(gates), pointer(bias), steps * batch, width, 0)
            withExtendedLifetime(bias) {}
        }
        let states = Tensor.uninitialized([steps + 1, batch, hidden])
        pointer(states).update(from: pointer(h0.contiguous()), count: rows)
        var cells: Tensor? = nil
        if cell == .lstm {
            let c = Tensor.uninitialized([steps + 1, batch, hidden])
            if let c0 { pointer(c).update(from: pointer(c0.contiguous()), count: rows) } else { pointer(c).update(repeating: 0, count: rows) }
            cells = c
        }
        var recurrent: Tensor? = nil, resetStates: Tensor? = nil
        if case .gru(let resetAfter) = cell {
            recurrent = Tensor.uninitialized([steps, batch, width])
            if !resetAfter { resetStates = Tensor.uninitialized([steps, batch, hidden]) }
        }
        let masked = mask?.cast(to: .float32).contiguous()
        let dropped = recurrentMask?.cast(to: .float32).contiguous()
        let scratch = Tensor.uninitialized([batch, Swift.max(hidden, 1)])
        let peep = w.peepholes?.contiguous(), recurrentBias = w.recurrentBias?.contiguous()
        let sp = pointer(states), gp = pointer(gates), wp = UnsafePointer(pointer(whh))
        // Bmat[i, j] = W_hh[j, i]: the recurrent product h·W_hhᵀ (reset-before GRU: the r, z rows and
        // the n rows apart, since n's product starts from r·h).
        let resetBefore = cell == .gru(resetAfter: false)
        let packed = PackedMatrix(wp, k: hidden, n: resetBefore ? 2 * hidden : width, strideK: 1, strideN: hidden)
        let packedN = resetBefore ? PackedMatrix(wp + 2 * hidden * hidden, k: hidden, n: hidden, strideK: 1, strideN: hidden) : nil
        for t in 0..<steps {
            let state = sp + t * rows, next = sp + (t + 1) * rows, block = gp + t * batch * width
            let stepMask = masked.map { UnsafePointer(pointer($0) + t * batch) }
            var input = UnsafePointer(state)
            if let dropped {
                let d = pointer(dropped), s = pointer(scratch)
                for i in 0..<rows { s[i] = state[i] * d[i] }
                input = UnsafePointer(s)
            }
            switch cell {
            case .lstm:
                packed.multiplyAdd(input, lda: hidden, m: batch, into: block, ldc: width)
                let cp = pointer(cells!), pp = peep.map { UnsafePointer(pointer($0)) }
                splitRows(batch, hidden) { r, n in
                    ds_lstm_forward_step_f32(block + r * width, cp + t * rows + r * hidden, state + r * hidden, cp + (t + 1) * rows + r * hidden,
                                             next + r * hidden, pp, stepMask.map { $0 + r }, n, hidden)
                }
            case .simple(let relu):
                packed.multiplyAdd(input, lda: hidden, m: batch, into: block, ldc: width)
                ds_rnn_forward_step_f32(block, state, next, relu ? 1 : 0, stepMask, batch, hidden)
            case .gru(let resetAfter):
                let rp = pointer(recurrent!) + t * batch * width
                let bp = pointer(recurrentBias!)
                for b in 0..<batch { (rp + b * width).update(from: bp, count: width) }
                if resetAfter {
                    packed.multiplyAdd(input, lda: hidden, m: batch, into: rp, ldc: width)
                    ds_gru_forward_step_f32(block, rp, state, next, resetAfter ? 1 : 0, stepMask, batch, hidden)
                } else {
                    // r and z from h; n from r·h (and the r·h rows are kept for the backward pass).
                    packed.multiplyAdd(input, lda: hidden, m: batch, into: rp, ldc: width)
                    let rh = pointer(resetStates!) + t * rows
                    ds_gru_reset_gate_f32(block, rp, input, rh, batch, hidden)
                    packedN!.multiplyAdd(UnsafePointer(rh), lda: hidden, m: batch, into: rp + 2 * hidden, ldc: width)
                    ds_gru_forward_step_f32(block, rp, state, next, resetAfter ? 1 : 0, stepMask, batch, hidden)
                }
            }
        }
        SpinTeam.rest()
        withExtendedLifetime((whh, scratch, peep, recurrentBias, masked, dropped, packed, packedN)) {}
        return Saved(cell: cell, x: x, gates: gates, states: states, cells: cells, recurrent: recurrent, resetStates: resetStates,
                     mask: masked, recurrentMask: dropped)
    }

    /// Back-propagation through time. `dStates`: [T, B, H] gradient of every step's output (or nil);
    /// `dLast`, `dLastCell`: gradients of the final state and cell. Consumes `saved`.
    static func backward(_ saved: Saved, weights w: Weights, dStates: Tensor?, dLast: Tensor?, dLastCell: Tensor?,
                         needInput: Bool) -> Gradients {
        let cell = saved.cell
        let steps = saved.x.shape[0], batch = saved.x.shape[1], inputSize = saved.x.shape[2]
        let hidden = w.recurrentWeight.shape[1], g = cell.gateCount, width = g * hidden, rows = batch * hidden
        let whh = w.recurrentWeight.contiguous(), wp = UnsafePointer(pointer(whh))
        let dh = dLast.map { $0.cast(to: .float32).contiguousCopy() } ?? Tensor.zeros([batch, hidden])
        let dc: Tensor? = cell == .lstm ? (dLastCell.map { $0.cast(to: .float32).contiguousCopy() } ?? Tensor.zeros([batch, hidden])) : nil
        let dy = dStates?.cast(to: .float32).contiguous()
        let dPeep: Tensor? = w.peepholes != nil ? Tensor.zeros([3 * hidden]) : nil
        let peep = w.peepholes?.contiguous()
        let scratch = Tensor.uninitialized([batch, Swift.max(hidden, 1)])
        let dRH = saved.resetStates != nil ? Tensor.uninitialized([batch, hidden]) : nil
        let gp = pointer(saved.gates), sp = pointer(saved.states), dhp = pointer(dh)
        // Bmat = W_hh (rows: gate units; reset-before GRU: the r, z rows, and W_hn for d(r·h)).
        let resetBefore = cell == .gru(resetAfter: false)
        let packed = PackedMatrix(wp, k: resetBefore ? 2 * hidden : width, n: hidden, strideK: hidden, strideN: 1)
        let packedN = resetBefore ? PackedMatrix(wp + 2 * hidden * hidden, k: hidden, n: hidden, strideK: hidden, strideN: 1) : nil
        for t in stride(from: steps - 1, through: 0, by: -1) {
            let block = gp + t * batch * width
            let stepMask = saved.mask.map { UnsafePointer(pointer($0) + t * batch) }
            let stepDy = dy.map { UnsafePointer(pointer($0) + t * rows) }
            var recurrentGrad = block
            switch cell {
            case .lstm:
                let cp = pointer(saved.cells!), dcp = pointer(dc!), pp = peep.map { UnsafePointer(pointer($0)) }
                let dpp = dPeep.map(pointer)
                // Peephole gradients sum over the batch: one thread then.
                splitRows(pp == nil ? batch : 0, hidden) { r, n in
                    ds_lstm_backward_step_f32(block + r * width, cp + t * rows + r * hidden, cp + (t + 1) * rows + r * hidden,
                                              stepDy.map { $0 + r * hidden }, dhp + r * hidden, dcp + r * hidden, pp, dpp,
                                              stepMask.map { $0 + r }, n, hidden)
                }
                if pp != nil {
                    ds_lstm_backward_step_f32(block, cp + t * rows, cp + (t + 1) * rows, stepDy, dhp, dcp, pp, dpp, stepMask, batch, hidden)
                }
            case .simple(let relu):
                ds_rnn_backward_step_f32(block, stepDy, dhp, relu ? 1 : 0, stepMask, batch, hidden)
            case .gru(let resetAfter):
                let rp = pointer(saved.recurrent!) + t * batch * width
                ds_gru_backward_step_f32(block, rp, sp + t * rows, stepDy, dhp, resetAfter ? 1 : 0, stepMask, batch, hidden)
                recurrentGrad = rp
                if !resetAfter {
                    // rp's n block holds r·dn; the n product was W_hn·(r·h): d(r·h) = dn·W_hn, then
                    // dr from h and the h part (r·d(r·h)) joins the state gradient.
                    let drh = pointer(dRH!)
                    drh.update(repeating: 0, count: rows)
                    packedN!.multiplyAdd(UnsafePointer(block + 2 * hidden), lda: width, m: batch, into: drh, ldc: hidden)
                    ds_gru_reset_backward_f32(block, rp, UnsafePointer(sp + t * rows), saved.recurrentMask.map { UnsafePointer(pointer($0)) },
                                              drh, dhp, stepMask, batch, hidden)
                }
            }
            // dh += (recurrent gate gradients)·W_hh, through the recurrent dropout mask.
            if let dropped = saved.recurrentMask {
                let s = pointer(scratch), d = pointer(dropped)
                s.update(repeating: 0, count: rows)
                packed.multiplyAdd(UnsafePointer(recurrentGrad), lda: width, m: batch, into: s, ldc: hidden)
                for i in 0..<rows { dhp[i] += s[i] * d[i] }
            } else {
                packed.multiplyAdd(UnsafePointer(recurrentGrad), lda: width, m: batch, into: dhp, ldc: hidden)
            }
        }
        withExtendedLifetime((whh, dy, peep, scratch, dRH, packed, packedN)) {}
        defer { SpinTeam.rest() }
        let dGates = saved.gates.reshaped([steps * batch, width])
        let x2d = saved.x.reshaped([steps * batch, inputSize])
        var previous = saved.states.narrowed(axis: 0, start: 0, length: steps).reshaped([steps * batch, hidden])
        if let dropped = saved.recurrentMask { previous = (saved.states.narrowed(axis: 0, start: 0, length: steps) * dropped).reshaped([steps * batch, hidden]) }
        let dInputWeight = transposedProduct(dGates, x2d)
        let dRecurrentWeight: Tensor
        var dRecurrentBias: Tensor? = nil
        switch cell {
        case .gru(let resetAfter):
            let dRecurrent = saved.recurrent!.reshaped([steps * batch, width])
            dRecurrentBias = dRecurrent.sum(axis: 0)
            if resetAfter {
                dRecurrentWeight = transposedProduct(dRecurrent, previous)
            } else {
                let rz = dRecurrent.narrowed(axis: 1, start: 0, length: 2 * hidden).transposed().matmul(previous)
                let n = dRecurrent.narrowed(axis: 1, start: 2 * hidden, length: hidden).transposed()
                    .matmul(saved.resetStates!.reshaped([steps * batch, hidden]))
                dRecurrentWeight = Tensor.concat([rz, n], axis: 0)
            }
        default:
            dRecurrentWeight = transposedProduct(dGates, previous)
        }
        var dx: Tensor? = nil
        if needInput {
            let wih = w.inputWeight.contiguous(), out = Tensor.uninitialized([steps, batch, inputSize])
            let g = dGates.contiguous()
            teamGEMM(m: steps * batch, n: inputSize, k: width, a: pointer(g), lda: width, b: pointer(wih), ldb: inputSize,
                     c: pointer(out), ldc: inputSize)
            withExtendedLifetime((wih, g)) {}
            dx = out
        }
        return Gradients(x: dx, h0: dh, c0: dc, inputWeight: dInputWeight, recurrentWeight: dRecurrentWeight,
                         bias: dGates.sum(axis: 0), recurrentBias: dRecurrentBias, peepholes: dPeep)
    }
}
