import DeepSwiftTensor

/// Weight initializers. Each draws from the caller's ``PhiloxGenerator``.
///
/// Fan-in and fan-out follow PyTorch: for a weight of shape `[out, in, k...]`,
/// fan-in = `in · Πk`, fan-out = `out · Πk`.
///
/// ```swift
/// var rng = PhiloxGenerator(seed: 0)
/// let w = Initializer.glorotUniform().make([512, 784], using: &rng)
/// let k = Initializer.heNormal(mode: .fanOut, nonlinearity: .relu).make([64, 3, 3, 3], using: &rng)
/// ```
public enum Initializer: Sendable, Equatable {
    /// Which fan a variance-scaling initializer divides by.
    public enum FanMode: Sendable { case fanIn, fanOut, fanAverage }

    /// The nonlinearity whose gain scales He initialization (PyTorch's `calculate_gain`).
    public enum Nonlinearity: Sendable, Equatable {
        case linear, sigmoid, tanh, relu, leakyRelu(Double), selu
        public var gain: Double {
            switch self {
            case .linear, .sigmoid: return 1
            case .tanh: return 5.0 / 3
            case .relu: return 2.0.squareRoot()
            case .leakyRelu(let slope): return (2 / (1 + slope * slope)).squareRoot()
            case .selu: return 0.75
            }
        }
    }

    case zeros, ones
    case constant(Double)
    case uniform(low: Double, high: Double)
    case normal(mean: Double, std: Double)
    /// Normal values limited to ±2 standard deviations.
    case truncatedNormal(mean: Double, std: Double)
    /// U(±gain·√(6 / (fanIn + fanOut))).
    case glorotUniform(gain: Double = 1)
    /// N(0, gain²·2 / (fanIn + fanOut)).
    case glorotNormal(gain: Double = 1)
    /// U(±gain·√(3 / fan)).
    case heUniform(mode: FanMode = .fanIn, nonlinearity: Nonlinearity = .relu)
    /// N(0, gain² / fan).
    case heNormal(mode: FanMode = .fanIn, nonlinearity: Nonlinearity = .relu)
    /// U(±√(3 / fanIn)).
    case lecunUniform
    /// N(0, 1 / fanIn).
    case lecunNormal
    /// A (semi-)orthogonal matrix over the flattened trailing dimensions, times `gain`.
    case orthogonal(gain: Double = 1)
    /// The identity matrix (2-D shapes only).
    case identity

    /// Fan-in and fan-out of a weight shape.
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (shape[0], shape[0])
        default:
            let receptive = shape.dropFirst(2).reduce(1, *)
            return (shape[1] * receptive, shape[0] * receptive)
        }
    }

    /// A new tensor of `shape` and `dtype`.
    public func make(_ shape: [Int], dtype: DType = .float32, using rng: inout PhiloxGenerator) -> Tensor {
        let (fanIn, fanOut) = Initializer.fans(shape)
        func fan(_ mode: FanMode) -> Double {
            switch mode {
            case .fanIn: return Double(fanIn)
            case .fanOut: return Double(fanOut)
            case .fanAverage: return Double(fanIn + fanOut) / 2
            }
        }
        switch self {
        case .zeros: return Tensor.zeros(shape, dtype: dtype)
        case .ones: return Tensor.ones(shape, dtype: dtype)
        case .constant(let v): return Tensor.full(shape, value: v, dtype: dtype)
        case .uniform(let lo, let hi): return Tensor.uniform(shape, low: lo, high: hi, dtype: dtype, using: &rng)
        case .normal(let mean, let std): return Tensor.normal(shape, mean: mean, std: std, dtype: dtype, using: &rng)
        case .truncatedNormal(let mean, let std):
            return Tensor.truncatedNormal(shape, mean: mean, std: std, dtype: dtype, using: &rng)
        case .glorotUniform(let gain):
            let bound = gain * (6 / Double(fanIn + fanOut)).squareRoot()
            return Tensor.uniform(shape, low: -bound, high: bound, dtype: dtype, using: &rng)
        case .glorotNormal(let gain):
            return Tensor.normal(shape, std: gain * (2 / Double(fanIn + fanOut)).squareRoot(), dtype: dtype, using: &rng)
        case .heUniform(let mode, let nonlinearity):
            let bound = nonlinearity.gain * (3 / fan(mode)).squareRoot()
            return Tensor.uniform(shape, low: -bound, high: bound, dtype: dtype, using: &rng)
        case .heNormal(let mode, let nonlinearity):
            return Tensor.normal(shape, std: nonlinearity.gain / fan(mode).squareRoot(), dtype: dtype, using: &rng)
        case .lecunUniform:
            let bound = (3 / Double(fanIn)).squareRoot()
            return Tensor.uniform(shape, low: -bound, high: bound, dtype: dtype, using: &rng)
        case .lecunNormal:
            return Tensor.normal(shape, std: (1 / Double(fanIn)).squareRoot(), dtype: dtype, using: &rng)
        case .orthogonal(let gain):
            return Initializer.orthogonalMatrix(shape, gain: gain, using: &rng).cast(to: dtype)
        case .identity:
            tensorCheck(shape.count == 2, "Initializer.identity needs a 2-D shape, got \(shape)")
            return Tensor.eye(shape[0], shape[1], dtype: dtype)
        }
    }

    /// Orthonormal rows (or columns, whichever are fewer) by modified Gram–Schmidt on a normal
    /// matrix, with the sign convention of a QR decomposition whose R has a positive diagonal.
    static func orthogonalMatrix(_ shape: [Int], gain: Double, using rng: inout PhiloxGenerator) -> Tensor {
        tensorCheck(shape.count >= 2, "Initializer.orthogonal needs at least 2 dimensions, got \(shape)")
        let rows = shape[0], cols = shape.dropFirst().reduce(1, *)
        let transpose = rows < cols
        let (m, n) = transpose ? (cols, rows) : (rows, cols)   // m >= n: orthonormalize n columns of length m
        var a = Tensor.normal([n, m], dtype: .float64, using: &rng).scalars(as: Double.self)  // column j = a[j*m ..< (j+1)*m]
        for j in 0..<n {
            for k in 0..<j {
                var dot = 0.0
                for i in 0..<m { dot += a[k * m + i] * a[j * m + i] }
                for i in 0..<m { a[j * m + i] -= dot * a[k * m + i] }
            }
            var norm = 0.0
            for i in 0..<m { norm += a[j * m + i] * a[j * m + i] }
            norm = norm.squareRoot()
            for i in 0..<m { a[j * m + i] /= norm }
        }
        let q = Tensor(a, shape: [n, m])  // rows are orthonormal vectors of length m
        let matrix = transpose ? q : q.transposed().contiguous()   // [rows, cols]
        return (matrix * gain).reshaped(shape)
    }
}
