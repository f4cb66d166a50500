import DeepSwiftAutodiff
import DeepSwiftTensor

/// The result of running a recurrent cell over a sequence.
public struct RecurrentResult {
    /// Every step's output, `[B, T, H]` (zero at padded steps).
    public var output: Variable
    /// The final hidden state, `[B, H]` (at each sequence's last real step when masked).
    public var state: Variable
    /// The final cell state of an LSTM, `[B, H]`.
    public var cellState: Variable?
}

extension Variable {
    /// Runs a recurrent cell over the batch-first sequence `x: [B, T, I]`, differentiably.
    ///
    /// Weights use PyTorch's layout: `inputWeight [G·H, I]`, `recurrentWeight [G·H, H]`, biases
    /// `[G·H]`, gate blocks in PyTorch's order (LSTM i, f, g, o; GRU r, z, n). `mask` (`[B, T]`,
    /// nonzero = real step) marks padded steps: their state carries over unchanged, their output
    /// is zero and they contribute no gradient. `recurrentMask` (`[B, H]`) multiplies the state
    /// that enters the recurrent product (recurrent dropout, one mask per sequence). `reverse`
    /// runs from the last step to the first (the backward half of a bidirectional layer);
    /// outputs stay in input order.
    ///
    /// float32 runs the fused kernels (``RecurrentKernel``); other dtypes compose the cell from
    /// differentiable primitives step by step (the reference that gradient checks run on).
    ///
    /// ```swift
    /// let r = Variable.recurrent(.lstm, x, initialState: h0, initialCell: c0, inputWeight: wih,
    ///                            recurrentWeight: whh, inputBias: bih, recurrentBias: bhh)
    /// r.output   // [B, T, H]
    /// ```
    public static func recurrent(_ cell: RecurrentCell, _ x: Variable, initialState h0: Variable, initialCell c0: Variable? = nil,
                                 inputWeight: Variable, recurrentWeight: Variable, inputBias: Variable?, recurrentBias: Variable?,
                                 peepholes: Variable? = nil, mask: Tensor? = nil, recurrentMask: Tensor? = nil,
                                 reverse: Bool = false) -> RecurrentResult {
        tensorCheck(x.rank == 3, "recurrent: input must be [batch, time, features], got \(x.shape)")
        let batch = x.shape[0], steps = x.shape[1], hidden = recurrentWeight.shape[1], gates = cell.gateCount
        tensorCheck(inputWeight.shape == [gates * hidden, x.shape[2]],
                    "recurrent: input weight shape \(inputWeight.shape) does not match [\(gates * hidden), \(x.shape[2])] for input \(x.shape)")
        tensorCheck(recurrentWeight.shape == [gates * hidden, hidden],
                    "recurrent: recurrent weight shape \(recurrentWeight.shape) does not match [\(gates * hidden), \(hidden)]")
        tensorCheck(h0.shape == [batch, hidden], "recurrent: initial state shape \(h0.shape) does not match [\(batch), \(hidden)]")
        if let c0 { tensorCheck(c0.shape == [batch, hidden], "recurrent: initial cell shape \(c0.shape) does not match [\(batch), \(hidden)]") }
        if let mask { tensorCheck(mask.shape == [batch, steps], "recurrent: mask shape \(mask.shape) does not match [\(batch), \(steps)]") }
        if let recurrentMask {
            tensorCheck(recurrentMask.shape == [batch, hidden], "recurrent: recurrent mask shape \(recurrentMask.shape) does not match [\(batch), \(hidden)]")
        }
        if let peepholes {
            tensorCheck(cell == .lstm && peepholes.shape == [3 * hidden], "recurrent: peepholes need an LSTM and shape [\(3 * hidden)], got \(peepholes.shape)")
        }
        if x.dtype == .float32 {
            return fused(cell, x, h0: h0, c0: c0, inputWeight: inputWeight, recurrentWeight: recurrentWeight, inputBias: inputBias,
                         recurrentBias: recurrentBias, peepholes: peepholes, mask: mask, recurrentMask: recurrentMask, reverse: reverse)
        }
        return composed(cell, x, h0: h0, c0: c0, inputWeight: inputWeight, recurrentWeight: recurrentWeight, inputBias: inputBias,
                        recurrentBias: recurrentBias, peepholes: peepholes, mask: mask, recurrentMask: recurrentMask, reverse: reverse)
    }

    private static func fused(_ cell: RecurrentCell, _ x: Variable, h0: Variable, c0: Variable?, inputWeight: Variable,
                              recurrentWeight: Variable, inputBias: Variable?, recurrentBias: Variable?, peepholes: Variable?,
                              mask: Tensor?, recurrentMask: Tensor?, reverse: Bool) -> RecurrentResult {
        let hidden = recurrentWeight.shape[1], width = cell.gateCount * hidden
        let zeros = Variable(Tensor.zeros([width]))
        // LSTM and simple RNN add both biases to the same pre-activation; GRU keeps b_hh apart.
        let bias: Variable, separateBias: Variable?
        if case .gru = cell {
            bias = inputBias ?? zeros
            separateBias = recurrentBias ?? zeros
        } else {
            switch (inputBias, recurrentBias) {
            case let (a?, b?): bias = a + b
            case let (a?, nil): bias = a
            case let (nil, b?): bias = b
            case (nil, nil): bias = zeros
            }
            separateBias = nil
        }
        // [B, T, ...] → [T, B, ...] (time reversed for the backward direction), and back.
        func timeMajor(_ t: Tensor) -> Tensor {
            let ordered = reverse ? t.flipped(axes: [1]) : t
            return ordered.permuted(t.rank == 3 ? [1, 0, 2] : [1, 0]).contiguous()
        }
        func batchMajor(_ t: Tensor) -> Tensor {
            let b = t.permuted([1, 0, 2])
            return (reverse ? b.flipped(axes: [1]) : b).contiguous()
        }
        let f32 = { (v: Variable) in v.value.cast(to: .float32) }
        let weights = RecurrentKernel.Weights(inputWeight: f32(inputWeight), recurrentWeight: f32(recurrentWeight), bias: f32(bias),
                                              recurrentBias: separateBias.map(f32), peepholes: peepholes.map(f32))
        let maskTM = mask.map { timeMajor(($0 .!= 0).cast(to: .float32)) }
        let saved = RecurrentKernel.forward(cell, x: timeMajor(x.value), h0: f32(h0), c0: c0.map(f32), weights: weights,
                                            mask: maskTM, recurrentMask: recurrentMask)
        let steps = x.shape[1]
        var outputsTM = saved.states.narrowed(axis: 0, start: 1, length: steps)
        if let maskTM { outputsTM = outputsTM * maskTM.unsqueezed(axis: 2) }
        let y = batchMajor(outputsTM)
        let hT = saved.states.selected(axis: 0, index: steps).contiguousCopy()
        let cT = saved.cells.map { $0.selected(axis: 0, index: steps).contiguousCopy() }
        var outputs = [y, hT]
        if let cT { outputs.append(cT) }
        var inputs = [x, h0]
        if cell == .lstm { inputs.append(c0 ?? Variable(Tensor.zeros(h0.shape))) }
        inputs += [inputWeight, recurrentWeight, bias]
        if let separateBias { inputs.append(separateBias) }
        if let peepholes { inputs.append(peepholes) }
        let hasSeparateBias = separateBias != nil, hasPeepholes = peepholes != nil, isLSTM = cell == .lstm
        let results = Variable.record(outputs, inputs) { grads, needed in
            let dY = grads[0].map { timeMajor($0) }
            let g = RecurrentKernel.backward(saved, weights: weights, dStates: dY, dLast: grads[1], dLastCell: isLSTM ? grads[2] : nil,
                                             needInput: needed[0])
            var out: [Tensor?] = [g.x.map(batchMajor), g.h0]
            if isLSTM { out.append(g.c0) }
            out += [g.inputWeight, g.recurrentWeight, g.bias]
            if hasSeparateBias { out.append(g.recurrentBias) }
            if hasPeepholes { out.append(g.peepholes) }
            return zip(out, inputs).map { gradient, input in gradient?.cast(to: input.dtype) }
        }
        return RecurrentResult(output: results[0], state: results[1], cellState: isLSTM ? results[2] : nil)
    }

    /// The cell built from differentiable primitives, one step at a time.
    private static func composed(_ cell: RecurrentCell, _ x: Variable, h0: Variable, c0: Variable?, inputWeight: Variable,
                                 recurrentWeight: Variable, inputBias: Variable?, recurrentBias: Variable?, peepholes: Variable?,
                                 mask: Tensor?, recurrentMask: Tensor?, reverse: Bool) -> RecurrentResult {
        let steps = x.shape[1], hidden = recurrentWeight.shape[1]
        let wih = inputWeight.transposed(), whh = recurrentWeight.transposed()
        var h = h0, c = c0 ?? Variable(Tensor.zeros(h0.shape, dtype: h0.dtype))
        var outputs = [Variable?](repeating: nil, count: steps)
        let keep = recurrentMask.map { Variable($0.cast(to: x.dtype)) }
        let peep = peepholes?.split(sizes: [hidden, hidden, hidden], axis: 0)
        for t in (reverse ? Array((0..<steps).reversed()) : Array(0..<steps)) {
            let xt = x.narrowed(axis: 1, start: t, length: 1).squeezed(axis: 1)
            let hin = keep.map { h * $0 } ?? h
            var projected = xt.matmul(wih)
            if let inputBias { projected = projected + inputBias }
            var next: Variable, nextCell = c
            switch cell {
            case .lstm:
                var pre = projected + hin.matmul(whh)
                if let recurrentBias { pre = pre + recurrentBias }
                let gate = pre.split(sizes: [hidden, hidden, hidden, hidden], axis: 1)
                var gi = gate[0], gf = gate[1], go = gate[3]
                if let peep { gi = gi + peep[0] * c; gf = gf + peep[1] * c }
                nextCell = gf.sigmoid() * c + gi.sigmoid() * gate[2].tanh()
                if let peep { go = go + peep[2] * nextCell }
                next = go.sigmoid() * nextCell.tanh()
            case .simple(let relu):
                var pre = projected + hin.matmul(whh)
                if let recurrentBias { pre = pre + recurrentBias }
                next = relu ? pre.relu() : pre.tanh()
            case .gru(let resetAfter):
                let gi = projected.split(sizes: [hidden, hidden, hidden], axis: 1)
                let wr = recurrentWeight.narrowed(axis: 0, start: 0, length: 2 * hidden).transposed()
                let wn = recurrentWeight.narrowed(axis: 0, start: 2 * hidden, length: hidden).transposed()
                let br = recurrentBias?.narrowed(axis: 0, start: 0, length: 2 * hidden)
                let bn = recurrentBias?.narrowed(axis: 0, start: 2 * hidden, length: hidden)
                var rzPre = hin.matmul(wr)
                if let br { rzPre = rzPre + br }
                let rz = rzPre.split(sizes: [hidden, hidden], axis: 1)
                let r = (gi[0] + rz[0]).sigmoid(), z = (gi[1] + rz[1]).sigmoid()
                var n: Variable
                if resetAfter {
                    var hn = hin.matmul(wn)
                    if let bn { hn = hn + bn }
                    n = (gi[2] + r * hn).tanh()
                } else {
                    var hn = (r * hin).matmul(wn)
                    if let bn { hn = hn + bn }
                    n = (gi[2] + hn).tanh()
                }
                next = (1.0 - z) * n + z * h
            }
            if let mask {
                let real = (mask.narrowed(axis: 1, start: t, length: 1) .!= 0)   // [B, 1]
                outputs[t] = next * Variable(real.cast(to: x.dtype))
                next = Variable.where(real, next, h)
                nextCell = Variable.where(real, nextCell, c)
            } else {
                outputs[t] = next
            }
            h = next
            c = nextCell
        }
        let y = Variable.stack(outputs.map { $0! }, axis: 1)
        return RecurrentResult(output: y, state: h, cellState: cell == .lstm ? c : nil)
    }
}
