import DeepSwiftAutodiff
import DeepSwiftTensor

/// A lookup table from integer ids to vectors: `[B, T]` ids → `[B, T, dimension]`.
///
/// With `paddingIndex` (PyTorch's `padding_idx`), that id's row starts at zero, receives no
/// gradient, and the layer emits a mask (`[B, T]`, 0 where the id is the padding id) for the layers
/// after it (Keras's `mask_zero` is `paddingIndex: 0`). Weights `[count, dimension]`, initialized
/// from N(0, 1) as in PyTorch.
///
/// ```swift
/// let embed = Embedding(count: 64, dimension: 32, paddingIndex: 0, seed: 1)
/// embed(Variable(ids))   // ids: int64 [B, T] → [B, T, 32]
/// ```
public final class Embedding: Layer {
    public let weight: Parameter
    public let paddingIndex: Int?
    public var isTraining = true

    public init(count: Int, dimension: Int, paddingIndex: Int? = nil, dtype: DType = .float32, using rng: inout PhiloxGenerator) {
        tensorCheck(count > 0 && dimension > 0, "Embedding: count and dimension must be positive, got \(count) and \(dimension)")
        if let paddingIndex { tensorCheck(paddingIndex >= 0 && paddingIndex < count, "Embedding: padding index \(paddingIndex) is not in 0..<\(count)") }
        var table = Tensor.normal([count, dimension], dtype: dtype, using: &rng)
        if let paddingIndex { table[paddingIndex] = Tensor.zeros([dimension], dtype: dtype) }
        weight = Parameter(table)
        self.paddingIndex = paddingIndex
    }

    public convenience init(count: Int, dimension: Int, paddingIndex: Int? = nil, dtype: DType = .float32, seed: UInt64) {
        var rng = PhiloxGenerator(seed: seed)
        self.init(count: count, dimension: dimension, paddingIndex: paddingIndex, dtype: dtype, using: &rng)
    }

    public var count: Int { weight.value.shape[0] }
    public var dimension: Int { weight.value.shape[1] }
    public var localParameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    public func callAsFunction(_ input: Variable) -> Variable { self(input, mask: nil).output }

    public func callAsFunction(_ input: Variable, mask: Tensor?) -> (output: Variable, mask: Tensor?) {
        let ids = input.value.cast(to: .int64).contiguous()
        let flat = ids.reshaped([-1])
        let idList = flat.scalars(as: Int64.self)
        if let bad = idList.first(where: { $0 < 0 || $0 >= Int64(count) }) {
            tensorFailure("Embedding: id \(bad) is not in 0..<\(count) (input shape \(input.shape))")
        }
        let table = weight.value, padding = paddingIndex, rows = count, dim = dimension
        let gathered = table.indexSelect(axis: 0, indices: flat)
        let y = Variable.record(gathered, Variable(weight)) { g in
            var grad = Tensor.zeros([rows, dim], dtype: g.dtype)
            let index = flat.reshaped([-1, 1]).expanded(to: [flat.count, dim]).contiguous()
            grad = grad.scatterAdd(axis: 0, indices: index, source: g.contiguous())
            if let padding { grad[padding] = Tensor.zeros([dim], dtype: g.dtype) }
            return grad
        }.reshaped(ids.shape + [dim])
        var outMask = mask
        if let padding {
            let real = (ids .!= Double(padding)).cast(to: .float32)
            outMask = mask.map { ($0 .!= 0).cast(to: .float32) * real } ?? real
        }
        return (y, outMask)
    }

    public var summaryName: String { "Embedding(\(count) × \(dimension)\(paddingIndex.map { ", padding \($0)" } ?? ""))" }
}

/// Marks steps whose features all equal `value` as padding (Keras's `Masking`): the input passes
/// through (zeroed at those steps) and the mask goes to the layers after it.
public final class Masking: Layer {
    public let value: Double
    public var isTraining = true

    public init(value: Double = 0) { self.value = value }

    public func callAsFunction(_ input: Variable) -> Variable { self(input, mask: nil).output }

    public func callAsFunction(_ input: Variable, mask: Tensor?) -> (output: Variable, mask: Tensor?) {
        tensorCheck(input.rank == 3, "Masking: input must be [batch, time, features], got \(input.shape)")
        let real = (input.value .!= value).cast(to: .float32).max(axis: 2)   // any feature differs
        let combined = mask.map { ($0 .!= 0).cast(to: .float32) * real } ?? real
        return (input * Variable(combined.unsqueezed(axis: 2).cast(to: input.dtype)), combined)
    }

    public var summaryName: String { "Masking(\(value))" }
}

/// Applies a layer to every step of a sequence: `[B, T, ...]` → `[B, T, ...]` (steps folded into the batch).
public final class TimeDistributed: Layer {
    public let layer: any Layer
    public var isTraining = true

    public init(_ layer: any Layer) { self.layer = layer }

    public var sublayers: [(name: String, layer: any Layer)] { [("layer", layer)] }

    public func callAsFunction(_ input: Variable) -> Variable {
        tensorCheck(input.rank >= 3, "TimeDistributed: input must be [batch, time, ...], got \(input.shape)")
        let batch = input.shape[0], steps = input.shape[1]
        let y = layer(input.reshaped([batch * steps] + Array(input.shape.dropFirst(2))))
        return y.reshaped([batch, steps] + Array(y.shape.dropFirst()))
    }

    public var summaryName: String { "TimeDistributed(\(layer.summaryName))" }
}

/// Repeats a vector along a new time axis: `[B, F]` → `[B, count, F]`.
public final class RepeatVector: Layer {
    public let count: Int
    public var isTraining = true

    public init(_ count: Int) {
        tensorCheck(count > 0, "RepeatVector: count must be positive, got \(count)")
        self.count = count
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        tensorCheck(input.rank == 2, "RepeatVector: input must be [batch, features], got \(input.shape)")
        return input.unsqueezed(axis: 1).expanded(to: [input.shape[0], count, input.shape[1]])
    }

    public func callAsFunction(_ input: Variable, mask: Tensor?) -> (output: Variable, mask: Tensor?) { (self(input), nil) }

    public var summaryName: String { "RepeatVector(\(count))" }
}

/// The output at each sequence's last real step (DL4J's `LastTimeStep`): `[B, T, F]` → `[B, F]`;
/// with a mask, the last step whose mask is nonzero (or step 0 for an empty sequence).
public final class LastTimeStep: Layer {
    public var isTraining = true

    public init() {}

    public func callAsFunction(_ input: Variable) -> Variable { self(input, mask: nil).output }

    public func callAsFunction(_ input: Variable, mask: Tensor?) -> (output: Variable, mask: Tensor?) {
        tensorCheck(input.rank == 3, "LastTimeStep: input must be [batch, time, features], got \(input.shape)")
        let batch = input.shape[0], steps = input.shape[1], features = input.shape[2]
        var last = [Int64](repeating: Int64(steps - 1), count: batch)
        if let mask {
            tensorCheck(mask.shape == [batch, steps], "LastTimeStep: mask shape \(mask.shape) does not match [\(batch), \(steps)]")
            let m = mask.cast(to: .float64).contiguous().scalars(as: Double.self)
            for b in 0..<batch { last[b] = Int64((0..<steps).last { m[b * steps + $0] != 0 } ?? 0) }
        }
        let index = Tensor(last, shape: [batch, 1, 1]).expanded(to: [batch, 1, features]).contiguous()
        return (input.gather(axis: 1, indices: index).squeezed(axis: 1), nil)
    }

    public var summaryName: String { "LastTimeStep" }
}
