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
            BLAS.sgemmShared(transB: true, m: steps * batch, n: width, k: inputSize, a: pointer(x), lda: inputSize,
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
                BLAS.sgemmShared(transB: true, m: batch, n: width, k: hidden, a: input, lda: hidden, b: wp, ldb: hidden,
                                 beta: 1, c: block, ldc: width)
                let cp = pointer(cells!)
                ds_lstm_forward_step_f32(block, cp + t * rows, state, cp + (t + 1) * rows, next, peep.map { UnsafePointer(pointer($0)) },
                                         stepMask, batch, hidden)
            case .simple(let relu):
                BLAS.sgemmShared(transB: true, m: batch, n: width, k: hidden, a: input, lda: hidden, b: wp, ldb: hidden,
                                 beta: 1, c: block, ldc: width)
                ds_rnn_forward_step_f32(block, state, next, relu ? 1 : 0, stepMask, batch, hidden)
            case .gru(let resetAfter):
                let rp = pointer(recurrent!) + t * batch * width
                let bp = pointer(recurrentBias!)
                for b in 0..<batch { (rp + b * width).update(from: bp, count: width) }
                if resetAfter {
                    BLAS.sgemmShared(transB: true, m: batch, n: width, k: hidden, a: input, lda: hidden, b: wp, ldb: hidden,
                                     beta: 1, c: rp, ldc: width)
                    ds_gru_forward_step_f32(block, rp, state, next, resetAfter ? 1 : 0, stepMask, batch, hidden)
                } else {
                    // r and z from h; n from r·h (and the r·h rows are kept for the backward pass).
                    BLAS.sgemmShared(transB: true, m: batch, n: 2 * hidden, k: hidden, a: input, lda: hidden, b: wp, ldb: hidden,
                                     beta: 1, c: rp, ldc: width)
                    let rh = pointer(resetStates!) + t * rows
                    ds_gru_reset_gate_f32(block, rp, input, rh, batch, hidden)
                    BLAS.sgemmShared(transB: true, m: batch, n: hidden, k: hidden, a: rh, lda: hidden, b: wp + 2 * hidden * hidden,
                                     ldb: hidden, beta: 1, c: rp + 2 * hidden, ldc: width)
                    ds_gru_forward_step_f32(block, rp, state, next, resetAfter ? 1 : 0, stepMask, batch, hidden)
                }
            }
        }
        withExtendedLifetime((whh, scratch, peep, recurrentBias, masked, dropped)) {}
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
        for t in stride(from: steps - 1, through: 0, by: -1) {
            let block = gp + t * batch * width
            let stepMask = saved.mask.map { UnsafePointer(pointer($0) + t * batch) }
            let stepDy = dy.map { UnsafePointer(pointer($0) + t * rows) }
            var recurrentGrad = block
            switch cell {
            case .lstm:
                let cp = pointer(saved.cells!)
                ds_lstm_backward_step_f32(block, cp + t * rows, cp + (t + 1) * rows, stepDy, dhp, pointer(dc!),
                                          peep.map { UnsafePointer(pointer($0)) }, dPeep.map(pointer), stepMask, batch, hidden)
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
                    BLAS.sgemmShared(m: batch, n: hidden, k: hidden, a: block + 2 * hidden, lda: width, b: wp + 2 * hidden * hidden,
                                     ldb: hidden, c: drh, ldc: hidden)
                    ds_gru_reset_backward_f32(block, rp, UnsafePointer(sp + t * rows), saved.recurrentMask.map { UnsafePointer(pointer($0)) },
                                              drh, dhp, stepMask, batch, hidden)
                }
            }
            // dh += (recurrent gate gradients)·W_hh, through the recurrent dropout mask.
            let k = cell == .gru(resetAfter: false) ? 2 * hidden : width
            if let dropped = saved.recurrentMask {
                let s = pointer(scratch), d = pointer(dropped)
                BLAS.sgemmShared(m: batch, n: hidden, k: k, a: recurrentGrad, lda: width, b: wp, ldb: hidden, c: s, ldc: hidden)
                for i in 0..<rows { dhp[i] += s[i] * d[i] }
            } else {
                BLAS.sgemmShared(m: batch, n: hidden, k: k, a: recurrentGrad, lda: width, b: wp, ldb: hidden, beta: 1, c: dhp, ldc: hidden)
            }
        }
        withExtendedLifetime((whh, dy, peep, scratch, dRH)) {}
        let dGates = saved.gates.reshaped([steps * batch, width])
        let x2d = saved.x.reshaped([steps * batch, inputSize])
        var previous = saved.states.narrowed(axis: 0, start: 0, length: steps).reshaped([steps * batch, hidden])
        if let dropped = saved.recurrentMask { previous = (saved.states.narrowed(axis: 0, start: 0, length: steps) * dropped).reshaped([steps * batch, hidden]) }
        let dInputWeight = dGates.transposed().matmul(x2d)
        let dRecurrentWeight: Tensor
        var dRecurrentBias: Tensor? = nil
        switch cell {
        case .gru(let resetAfter):
            let dRecurrent = saved.recurrent!.reshaped([steps * batch, width])
            dRecurrentBias = dRecurrent.sum(axis: 0)
            if resetAfter {
                dRecurrentWeight = dRecurrent.transposed().matmul(previous)
            } else {
                let rz = dRecurrent.narrowed(axis: 1, start: 0, length: 2 * hidden).transposed().matmul(previous)
                let n = dRecurrent.narrowed(axis: 1, start: 2 * hidden, length: hidden).transposed()
                    .matmul(saved.resetStates!.reshaped([steps * batch, hidden]))
                dRecurrentWeight = Tensor.concat([rz, n], axis: 0)
            }
        default:
            dRecurrentWeight = dGates.transposed().matmul(previous)
        }
        let dx = needInput ? dGates.matmul(w.inputWeight.contiguous()).reshaped([steps, batch, inputSize]) : nil
        return Gradients(x: dx, h0: dh, c0: dc, inputWeight: dInputWeight, recurrentWeight: dRecurrentWeight,
                         bias: dGates.sum(axis: 0), recurrentBias: dRecurrentBias, peepholes: dPeep)
    }
}
