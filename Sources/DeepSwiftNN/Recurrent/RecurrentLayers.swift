import DeepSwiftAutodiff
import DeepSwiftTensor

/// A recurrent layer over batch-first sequences `[B, T, inputSize]`: ``LSTM``, ``GRU`` and
/// ``SimpleRNN`` are this class with their cell.
///
/// Weights use PyTorch's names and layouts (`weight_ih [G·H, I]`, `weight_hh [G·H, H]`,
/// `bias_ih`, `bias_hh`), initialized like PyTorch (uniform ±1/√H), so state dicts move between
/// the two unchanged. With `returnSequences` (the default, as in PyTorch and DL4J) the output is
/// every step's state `[B, T, H]`; otherwise the final state `[B, H]` (Keras's default).
/// ``callAsFunction(_:initialState:mask:)`` also takes and returns the states.
///
/// Dropout: `dropout` drops input features, `recurrentDropout` the state entering the recurrent
/// product; both draw one mask per sequence (Gal and Ghahramani, as Keras does) in training mode.
///
/// ```swift
/// let lstm = LSTM(inputSize: 64, hiddenSize: 256, seed: 1)
/// let y = lstm(Variable(x))                                    // [B, T, 256]
/// let (out, states) = lstm(Variable(x), initialState: nil, mask: lengthsMask)
/// ```
public class RecurrentLayer: Layer {
    public let cell: RecurrentCell
    public let inputSize: Int, hiddenSize: Int
    public let weightIH: Parameter, weightHH: Parameter
    public let biasIH: Parameter?, biasHH: Parameter?
    /// LSTM peephole weights `[3H]` (p_i, p_f, p_o), when enabled.
    public let peepholes: Parameter?
    public var returnSequences: Bool
    /// Runs from the last step to the first (outputs stay in input order).
    public var goBackwards: Bool
    public let dropout: Double, recurrentDropout: Double
    public var generator: PhiloxGenerator
    public var isTraining = true

    public init(cell: RecurrentCell, inputSize: Int, hiddenSize: Int, bias: Bool = true, peepholes: Bool = false,
                returnSequences: Bool = true, goBackwards: Bool = false, dropout: Double = 0, recurrentDropout: Double = 0,
                dtype: DType = .float32, using rng: inout PhiloxGenerator) {
        tensorCheck(inputSize > 0 && hiddenSize > 0, "\(cell): sizes must be positive, got input \(inputSize), hidden \(hiddenSize)")
        tensorCheck(dropout >= 0 && dropout < 1 && recurrentDropout >= 0 && recurrentDropout < 1,
                    "\(cell): dropout rates must be in [0, 1), got \(dropout) and \(recurrentDropout)")
        tensorCheck(!peepholes || cell == .lstm, "peepholes exist only for LSTM, not \(cell)")
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        let width = cell.gateCount * hiddenSize
        let bound = 1 / Double(hiddenSize).squareRoot()
        let initializer = Initializer.uniform(low: -bound, high: bound)
        weightIH = Parameter(initializer.make([width, inputSize], dtype: dtype, using: &rng))
        weightHH = Parameter(initializer.make([width, hiddenSize], dtype: dtype, using: &rng))
        biasIH = bias ? Parameter(initializer.make([width], dtype: dtype, using: &rng)) : nil
        biasHH = bias ? Parameter(initializer.make([width], dtype: dtype, using: &rng)) : nil
        self.peepholes = peepholes ? Parameter(initializer.make([3 * hiddenSize], dtype: dtype, using: &rng)) : nil
        self.returnSequences = returnSequences
        self.goBackwards = goBackwards
        self.dropout = dropout
        self.recurrentDropout = recurrentDropout
        generator = PhiloxGenerator(seed: rng.next())
    }

    public var localParameters: [(name: String, parameter: Parameter)] {
        var list: [(name: String, parameter: Parameter)] = [("weight_ih", weightIH), ("weight_hh", weightHH)]
        if let biasIH { list.append(("bias_ih", biasIH)) }
        if let biasHH { list.append(("bias_hh", biasHH)) }
        if let peepholes { list.append(("peepholes", peepholes)) }
        return list
    }

    public func callAsFunction(_ input: Variable) -> Variable { self(input, mask: nil).output }

    public func callAsFunction(_ input: Variable, mask: Tensor?) -> (output: Variable, mask: Tensor?) {
        let (output, _) = self(input, initialState: nil, mask: mask)
        return (output, returnSequences ? mask : nil)
    }

    /// Runs the layer from `initialState` (`[h0]`, or `[h0, c0]` for the LSTM; zeros when nil) and
    /// returns the output and the final states (`[hT]` or `[hT, cT]`).
    public func callAsFunction(_ input: Variable, initialState: [Variable]?, mask: Tensor? = nil) -> (output: Variable, states: [Variable]) {
        tensorCheck(input.rank == 3 && input.shape[2] == inputSize,
                    "\(summaryName): input must be [batch, time, \(inputSize)], got \(input.shape)")
        let batch = input.shape[0]
        let zeros = Variable(Tensor.zeros([batch, hiddenSize], dtype: input.dtype))
        let expectedStates = cell == .lstm ? 2 : 1
        if let initialState {
            tensorCheck(initialState.count == expectedStates, "\(summaryName): expected \(expectedStates) initial states, got \(initialState.count)")
        }
        var x = input
        var keep: Tensor? = nil
        if isTraining && dropout > 0 {
            let m = Tensor.bernoulli([batch, 1, inputSize], probability: 1 - dropout, dtype: input.dtype, using: &generator) / (1 - dropout)
            x = x * Variable(m)
        }
        if isTraining && recurrentDropout > 0 {
            keep = Tensor.bernoulli([batch, hiddenSize], probability: 1 - recurrentDropout, dtype: input.dtype, using: &generator)
                / (1 - recurrentDropout)
        }
        let result = Variable.recurrent(cell, x, initialState: initialState?[0] ?? zeros,
                                        initialCell: cell == .lstm ? (initialState?[1] ?? zeros) : nil,
                                        inputWeight: Variable(weightIH), recurrentWeight: Variable(weightHH),
                                        inputBias: biasIH.map { Variable($0) }, recurrentBias: biasHH.map { Variable($0) },
                                        peepholes: peepholes.map { Variable($0) }, mask: mask, recurrentMask: keep, reverse: goBackwards)
        var states = [result.state]
        if let c = result.cellState { states.append(c) }
        return (returnSequences ? result.output : result.state, states)
    }

    public var summaryName: String {
        let name: String
        switch cell {
        case .lstm: name = peepholes == nil ? "LSTM" : "LSTM(peepholes)"
        case .gru(let after): name = after ? "GRU" : "GRU(reset before)"
        case .simple(let relu): name = relu ? "SimpleRNN(relu)" : "SimpleRNN"
        }
        return "\(name)(\(inputSize) → \(hiddenSize)\(returnSequences ? ", sequences" : "")\(goBackwards ? ", backwards" : ""))"
    }
}

/// Long short-term memory (gates input, forget, cell, output), optionally with peepholes.
public final class LSTM: RecurrentLayer {
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, peepholes: Bool = false, returnSequences: Bool = true,
                goBackwards: Bool = false, dropout: Double = 0, recurrentDropout: Double = 0, dtype: DType = .float32,
                using rng: inout PhiloxGenerator) {
        super.init(cell: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, peepholes: peepholes,
                   returnSequences: returnSequences, goBackwards: goBackwards, dropout: dropout, recurrentDropout: recurrentDropout,
                   dtype: dtype, using: &rng)
    }

    public convenience init(inputSize: Int, hiddenSize: Int, bias: Bool = true, peepholes: Bool = false, returnSequences: Bool = true,
                            goBackwards: Bool = false, dropout: Double = 0, recurrentDropout: Double = 0, dtype: DType = .float32,
                            seed: UInt64) {
        var rng = PhiloxGenerator(seed: seed)
        self.init(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, peepholes: peepholes, returnSequences: returnSequences,
                  goBackwards: goBackwards, dropout: dropout, recurrentDropout: recurrentDropout, dtype: dtype, using: &rng)
    }
}

/// Gated recurrent unit (gates reset, update, new; PyTorch's order). `resetAfter: true` is the
/// PyTorch/cuDNN form (and Keras's default); `false` is Keras's `reset_after=False`.
public final class GRU: RecurrentLayer {
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, resetAfter: Bool = true, returnSequences: Bool = true,
                goBackwards: Bool = false, dropout: Double = 0, recurrentDropout: Double = 0, dtype: DType = .float32,
                using rng: inout PhiloxGenerator) {
        super.init(cell: .gru(resetAfter: resetAfter), inputSize: inputSize, hiddenSize: hiddenSize, bias: bias,
                   returnSequences: returnSequences, goBackwards: goBackwards, dropout: dropout, recurrentDropout: recurrentDropout,
                   dtype: dtype, using: &rng)
    }

    public convenience init(inputSize: Int, hiddenSize: Int, bias: Bool = true, resetAfter: Bool = true, returnSequences: Bool = true,
                            goBackwards: Bool = false, dropout: Double = 0, recurrentDropout: Double = 0, dtype: DType = .float32,
                            seed: UInt64) {
        var rng = PhiloxGenerator(seed: seed)
        self.init(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, resetAfter: resetAfter, returnSequences: returnSequences,
                  goBackwards: goBackwards, dropout: dropout, recurrentDropout: recurrentDropout, dtype: dtype, using: &rng)
    }
}

/// Elman RNN: `h = tanh(W_ih·x + b_ih + W_hh·h + b_hh)` (or ReLU).
public final class SimpleRNN: RecurrentLayer {
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, relu: Bool = false, returnSequences: Bool = true,
                goBackwards: Bool = false, dropout: Double = 0, recurrentDropout: Double = 0, dtype: DType = .float32,
                using rng: inout PhiloxGenerator) {
        super.init(cell: .simple(relu: relu), inputSize: inputSize, hiddenSize: hiddenSize, bias: bias,
                   returnSequences: returnSequences, goBackwards: goBackwards, dropout: dropout, recurrentDropout: recurrentDropout,
                   dtype: dtype, using: &rng)
    }

    public convenience init(inputSize: Int, hiddenSize: Int, bias: Bool = true, relu: Bool = false, returnSequences: Bool = true,
                            goBackwards: Bool = false, dropout: Double = 0, recurrentDropout: Double = 0, dtype: DType = .float32,
                            seed: UInt64) {
        var rng = PhiloxGenerator(seed: seed)
        self.init(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, relu: relu, returnSequences: returnSequences,
                  goBackwards: goBackwards, dropout: dropout, recurrentDropout: recurrentDropout, dtype: dtype, using: &rng)
    }
}

/// Runs a forward and a backward copy of a recurrent layer and merges their outputs
/// (Keras's `Bidirectional`, PyTorch's `bidirectional=True` with `.concat`).
///
/// ```swift
/// let bi = Bidirectional(LSTM(inputSize: 8, hiddenSize: 16, seed: 1), LSTM(inputSize: 8, hiddenSize: 16, goBackwards: true, seed: 2))
/// bi(Variable(x))   // [B, T, 32]
/// ```
public final class Bidirectional: Layer {
    public enum Merge: String, Sendable, Codable { case concat, sum, multiply, average }
    public let forward: RecurrentLayer, backward: RecurrentLayer
    public let merge: Merge
    public var isTraining = true

    /// `backward` must be configured with `goBackwards: true` and the same sizes and output mode.
    public init(_ forward: RecurrentLayer, _ backward: RecurrentLayer, merge: Merge = .concat) {
        tensorCheck(!forward.goBackwards && backward.goBackwards,
                    "Bidirectional: the first layer must run forwards and the second backwards (goBackwards: true)")
        tensorCheck(forward.inputSize == backward.inputSize && forward.hiddenSize == backward.hiddenSize
                    && forward.returnSequences == backward.returnSequences,
                    "Bidirectional: \(forward.summaryName) and \(backward.summaryName) differ in sizes or output mode")
        self.forward = forward
        self.backward = backward
        self.merge = merge
    }

    public var sublayers: [(name: String, layer: any Layer)] { [("forward", forward), ("backward", backward)] }

    public func callAsFunction(_ input: Variable) -> Variable { self(input, mask: nil).output }

    public func callAsFunction(_ input: Variable, mask: Tensor?) -> (output: Variable, mask: Tensor?) {
        let (a, _) = forward(input, initialState: nil, mask: mask)
        let (b, _) = backward(input, initialState: nil, mask: mask)
        let merged: Variable
        switch merge {
        case .concat: merged = Variable.concat([a, b], axis: a.rank - 1)
        case .sum: merged = a + b
        case .multiply: merged = a * b
        case .average: merged = (a + b) * 0.5
        }
        return (merged, forward.returnSequences ? mask : nil)
    }

    public var summaryName: String { "Bidirectional(\(merge.rawValue), \(forward.summaryName))" }
}
