import DeepSwiftAutodiff
import Foundation
import DeepSwiftNN
import DeepSwiftTensor

/// The operators: each maps its inputs (float values as differentiable ``Variable``s, integer
/// and boolean values as constant ones) to its outputs, following the ONNX specification for
/// opsets 13–21.
enum ONNXOperators {
    static let supported = [
        "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Exp", "Log", "Erf", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Gelu",
        "Softmax", "LogSoftmax", "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "BatchNormalization",
        "LayerNormalization", "Flatten", "Reshape", "Transpose", "Concat", "Split", "Slice", "Gather", "Squeeze", "Unsqueeze", "Shape",
        "Constant", "ConstantOfShape", "Cast", "Identity", "Dropout", "ReduceMean", "ReduceSum", "Where", "Equal", "Expand", "LSTM", "GRU",
        "Neg", "Abs", "Greater", "Less", "Not", "Mod", "Clip", "HardSwish", "HardSigmoid", "Max", "Min", "Sum", "Reciprocal", "Elu",
        "Softplus", "PRelu",
    ]

    static func ints(_ v: Variable) -> [Int] { v.value.cast(to: .int64).contiguous().scalars(as: Int64.self).map { Int($0) } }
    static func isFloat(_ v: Variable) -> Bool { v.value.dtype.isFloatingPoint }

    static func normalize(_ axis: Int, _ rank: Int) -> Int { axis < 0 ? axis + rank : axis }

    /// NumPy broadcasting of two shapes.
    static func broadcast(_ a: [Int], _ b: [Int]) -> [Int] {
        let n = Swift.max(a.count, b.count)
        let pa = Array(repeating: 1, count: n - a.count) + a, pb = Array(repeating: 1, count: n - b.count) + b
        return zip(pa, pb).map { x, y in
            tensorCheck(x == y || x == 1 || y == 1, "ONNX broadcasting: shapes \(a) and \(b) do not broadcast")
            return Swift.max(x, y)
        }
    }

    static func elementwise(_ a: Variable, _ b: Variable, _ op: String) -> Variable {
        if isFloat(a) || isFloat(b) {
            let x = isFloat(a) ? a : Variable(a.value.cast(to: b.value.dtype)), y = isFloat(b) ? b : Variable(b.value.cast(to: a.value.dtype))
            switch op {
            case "Add": return x + y
            case "Sub": return x - y
            case "Mul": return x * y
            default: return x / y
            }
        }
        // Integer arithmetic (shape computations): exact, with ONNX's truncating division.
        let shape = broadcast(a.shape, b.shape)
        let x = a.value.cast(to: .int64).expanded(to: shape).contiguous().scalars(as: Int64.self)
        let y = b.value.cast(to: .int64).expanded(to: shape).contiguous().scalars(as: Int64.self)
        let r: [Int64]
        switch op {
        case "Add": r = zip(x, y).map { $0 &+ $1 }
        case "Sub": r = zip(x, y).map { $0 &- $1 }
        case "Mul": r = zip(x, y).map { $0 &* $1 }
        default: r = zip(x, y).map { $1 == 0 ? 0 : $0 / $1 }
        }
        return Variable(Tensor(r, shape: shape))
    }

    static func dtype(onnx code: Int) -> DType {
        switch code {
        case 1, 10, 16: return .float32          // FLOAT, FLOAT16, BFLOAT16 (widened)
        case 11: return .float64
        case 2: return .uint8
        case 3, 4, 5, 6: return .int32           // INT8, UINT16, INT16, INT32
        case 7, 12, 13: return .int64            // INT64, UINT32, UINT64
        case 9: return .bool
        default: return .float32
        }
    }

    /// Pads for `spatial` axes from ONNX's `pads` ([begin..., end...]) or `auto_pad`.
    static func pads(_ node: ONNXNode, spatial: Int, input: [Int], kernel: [Int], strides: [Int], dilations: [Int]) -> [(Int, Int)] {
        let autoPad = node.string("auto_pad") ?? "NOTSET"
        if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
            return (0..<spatial).map { i in
                let size = input[i], out = (size + strides[i] - 1) / strides[i]
                let total = Swift.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size)
                return autoPad == "SAME_UPPER" ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
            }
        }
        let p = node.ints("pads") ?? Array(repeating: 0, count: 2 * spatial)
        return (0..<spatial).map { (p[$0], p[$0 + spatial]) }
    }

    static func run(_ node: ONNXNode, _ x: [Variable?], model: ONNXModel) -> [Variable] {
        func arg(_ i: Int) -> Variable {
            guard i < x.count, let v = x[i] else { tensorFailure("ONNX \(node.label): input \(i) is missing") }
            return v
        }
        func optional(_ i: Int) -> Variable? { i < x.count ? x[i] : nil }
        switch node.opType {
        case "Identity", "Dropout":
            return [arg(0)]
        case "Add", "Sub", "Mul", "Div":
            return [elementwise(arg(0), arg(1), node.opType)]
        case "Pow":
            let base = arg(0), exponent = arg(1)
            if exponent.value.count == 1 { return [base.pow(exponent.value.cast(to: .float64).scalars(as: Double.self)[0])] }
            return [(base.log() * exponent).exp()]
        case "Sqrt": return [arg(0).sqrt()]
        case "Exp": return [arg(0).exp()]
        case "Log": return [arg(0).log()]
        case "Erf": return [arg(0).erf()]
        case "Abs": return [isFloat(arg(0)) ? arg(0).abs() : Variable(arg(0).value.abs())]
        case "Neg": return [isFloat(arg(0)) ? arg(0) * -1.0 : elementwise(arg(0), Variable(Tensor([Int64(-1)], shape: [])), "Mul")]
        case "Relu": return [arg(0).relu()]
        case "Mod":
            // Integers: Python's sign rule (fmod = 0) or C's (fmod = 1); floats need fmod = 1.
            let a = arg(0), b = arg(1), cStyle = (node.int("fmod") ?? 0) == 1
            let shape = broadcast(a.shape, b.shape)
            if isFloat(a) || isFloat(b) {
                let x = a.value.cast(to: .float64).expanded(to: shape).contiguous().scalars(as: Double.self)
                let y = b.value.cast(to: .float64).expanded(to: shape).contiguous().scalars(as: Double.self)
                let r = zip(x, y).map { Foundation.fmod($0, $1) }
                return [Variable(Tensor(r, shape: shape).cast(to: isFloat(a) ? a.value.dtype : b.value.dtype))]
            }
            let x = a.value.cast(to: .int64).expanded(to: shape).contiguous().scalars(as: Int64.self)
            let y = b.value.cast(to: .int64).expanded(to: shape).contiguous().scalars(as: Int64.self)
            let r = zip(x, y).map { (p, q) -> Int64 in
                guard q != 0 else { return 0 }
                let m = p % q
                return cStyle || m == 0 || (m < 0) == (q < 0) ? m : m + q
            }
            return [Variable(Tensor(r, shape: shape))]
        case "Clip":
            func bound(_ i: Int) -> Double? { optional(i).map { $0.value.cast(to: .float64).contiguous().scalars(as: Double.self)[0] } }
            let low = bound(1) ?? node.float("min"), high = bound(2) ?? node.float("max")
            return [isFloat(arg(0)) ? arg(0).clamped(min: low, max: high) : Variable(arg(0).value.clamped(min: low, max: high))]
        case "HardSwish": return [arg(0) * (arg(0) + 3).clamped(min: 0, max: 6) / 6]
        case "HardSigmoid":
            return [(arg(0) * (node.float("alpha") ?? 0.2) + (node.float("beta") ?? 0.5)).clamped(min: 0, max: 1)]
        case "Max", "Min", "Sum":
            let parts = x.compactMap { $0 }
            let shape = parts.dropFirst().reduce(parts[0].shape) { broadcast($0, $1.shape) }
            let expanded = parts.map { $0.shape == shape ? $0 : $0.expanded(to: shape) }
            switch node.opType {
            case "Max": return [expanded.dropFirst().reduce(expanded[0]) { $0.maximum($1) }]
            case "Min": return [expanded.dropFirst().reduce(expanded[0]) { $0.minimum($1) }]
            default: return [expanded.dropFirst().reduce(expanded[0], +)]
            }
        case "Reciprocal": return [arg(0).reciprocal()]
        case "Elu": return [arg(0).elu(alpha: node.float("alpha") ?? 1)]
        case "Softplus": return [arg(0).softplus()]
        case "PRelu":
            let slope = arg(1)
            return [arg(0).relu() - (arg(0) * -1.0).relu() * slope]
        case "LeakyRelu": return [arg(0).leakyRelu(negativeSlope: node.float("alpha") ?? 0.01)]
        case "Sigmoid": return [arg(0).sigmoid()]
        case "Tanh": return [arg(0).tanh()]
        case "Gelu": return [arg(0).gelu(approximation: node.string("approximate") == "tanh" ? .tanh : .none)]
        case "Softmax": return [arg(0).softmax(axis: node.int("axis") ?? -1)]
        case "LogSoftmax": return [arg(0).logSoftmax(axis: node.int("axis") ?? -1)]
        case "Equal": return [Variable((arg(0).value .== arg(1).value.cast(to: arg(0).value.dtype)))]
        case "Greater": return [Variable((arg(0).value .> arg(1).value.cast(to: arg(0).value.dtype)))]
        case "Less": return [Variable((arg(1).value.cast(to: arg(0).value.dtype) .> arg(0).value))]
        case "Not": return [Variable(arg(0).value .== 0.0)]
        case "Where":
            let shape = broadcast(broadcast(arg(0).shape, arg(1).shape), arg(2).shape)
            let condition = arg(0).value.expanded(to: shape).contiguous()
            var a = arg(1), b = arg(2)
            if !isFloat(a) && isFloat(b) { a = Variable(a.value.cast(to: b.value.dtype)) }
            if !isFloat(b) && isFloat(a) { b = Variable(b.value.cast(to: a.value.dtype)) }
            if !isFloat(a) {
                let ca = condition.cast(to: .bool).scalars(as: Bool.self)
                let va = a.value.cast(to: .int64).expanded(to: shape).contiguous().scalars(as: Int64.self)
                let vb = b.value.cast(to: .int64).expanded(to: shape).contiguous().scalars(as: Int64.self)
                return [Variable(Tensor((0..<ca.count).map { ca[$0] ? va[$0] : vb[$0] }, shape: shape))]
            }
            return [Variable.where(condition, a.expanded(to: shape), b.expanded(to: shape))]
        case "Cast":
            let target = dtype(onnx: node.int("to") ?? 1)
            return [arg(0).value.dtype == target ? arg(0) : (target.isFloatingPoint && isFloat(arg(0)) ? castVariable(arg(0), target) : Variable(arg(0).value.cast(to: target)))]
        case "Shape":
            let shape = arg(0).shape, rank = shape.count
            let start = normalize(Swift.max(-rank, Swift.min(node.int("start") ?? 0, rank)), rank)
            let end = normalize(Swift.max(-rank, Swift.min(node.int("end") ?? rank, rank)), rank)
            let part = start < end ? Array(shape[start..<end]) : []
            return [Variable(Tensor(part.map(Int64.init), shape: [part.count]))]
        case "ConstantOfShape":
            let shape = ints(arg(0))
            if case .scalar(let v, let code)? = node.attributes["value"] {
                return [Variable(Tensor.full(shape, value: v, dtype: dtype(onnx: code)))]
            }
            return [Variable(Tensor.zeros(shape))]
        case "Reshape":
            let input = arg(0)
            var shape = ints(arg(1))
            if (node.int("allowzero") ?? 0) == 0 {
                for i in shape.indices where shape[i] == 0 { shape[i] = input.shape[i] }
            }
            return [isFloat(input) ? input.reshaped(shape) : Variable(input.value.reshaped(shape))]
        case "Flatten":
            let input = arg(0), axis = normalize(node.int("axis") ?? 1, input.rank)
            let outer = input.shape.prefix(axis).reduce(1, *)
            return [input.reshaped([outer, input.value.count / Swift.max(outer, 1)])]
        case "Transpose":
            let input = arg(0)
            let perm = node.ints("perm") ?? Array((0..<input.rank).reversed())
            return [isFloat(input) ? input.permuted(perm) : Variable(input.value.permuted(perm).contiguous())]
        case "Squeeze":
            let input = arg(0)
            let axes = (optional(1).map(ints) ?? node.ints("axes") ?? input.shape.indices.filter { input.shape[$0] == 1 }).map { normalize($0, input.rank) }
            let shape = input.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
            return [isFloat(input) ? input.reshaped(shape) : Variable(input.value.reshaped(shape))]
        case "Unsqueeze":
            let input = arg(0)
            let axes = optional(1).map(ints) ?? node.ints("axes") ?? []
            let rank = input.rank + axes.count
            var shape = input.shape
            for axis in axes.map({ normalize($0, rank) }).sorted() { shape.insert(1, at: axis) }
            return [isFloat(input) ? input.reshaped(shape) : Variable(input.value.reshaped(shape))]
        case "Expand":
            let input = arg(0), shape = broadcast(input.shape, ints(arg(1)))
            return [isFloat(input) ? input.expanded(to: shape) : Variable(input.value.expanded(to: shape).contiguous())]
        case "Concat":
            let parts = x.compactMap { $0 }
            let axis = node.int("axis") ?? 0
            if parts.contains(where: isFloat) {
                let dtype = parts.first(where: isFloat)!.value.dtype
                return [Variable.concat(parts.map { isFloat($0) ? $0 : Variable($0.value.cast(to: dtype)) }, axis: axis)]
            }
            return [Variable(Tensor.concat(parts.map { $0.value.cast(to: .int64) }, axis: axis))]
        case "Split":
            let input = arg(0), axis = normalize(node.int("axis") ?? 0, input.rank)
            var sizes = optional(1).map(ints) ?? node.ints("split") ?? []
            if sizes.isEmpty {
                let parts = node.int("num_outputs") ?? node.outputs.count, size = input.shape[axis]
                let chunk = (size + parts - 1) / parts
                sizes = (0..<parts).map { Swift.min(chunk, Swift.max(0, size - $0 * chunk)) }
            }
            return isFloat(input) ? input.split(sizes: sizes, axis: axis)
                                  : input.value.split(sizes: sizes, axis: axis).map { Variable($0) }
        case "Slice":
            let input = arg(0)
            let starts = ints(arg(1)), ends = ints(arg(2))
            let axes = optional(3).map(ints) ?? Array(0..<starts.count)
            let steps = optional(4).map(ints) ?? Array(repeating: 1, count: starts.count)
            var result = input
            for (k, rawAxis) in axes.enumerated() {
                let axis = normalize(rawAxis, input.rank), size = result.shape[axis]
                tensorCheck(steps[k] == 1, "ONNX \(node.label): Slice steps other than 1 are not supported (got \(steps[k]))")
                func clamp(_ v: Int) -> Int { Swift.max(0, Swift.min(v < 0 ? v + size : v, size)) }
                let s = clamp(starts[k]), e = Swift.max(s, clamp(ends[k]))
                result = isFloat(result) ? result.narrowed(axis: axis, start: s, length: e - s)
                                         : Variable(result.value.narrowed(axis: axis, start: s, length: e - s).contiguous())
            }
            return [result]
        case "Gather":
            let data = arg(0), axis = normalize(node.int("axis") ?? 0, data.rank)
            let indexTensor = arg(1).value.cast(to: .int64)
            let size = data.shape[axis]
            let flat = Tensor(indexTensor.contiguous().scalars(as: Int64.self).map { $0 < 0 ? $0 + Int64(size) : $0 }, shape: [indexTensor.count])
            let shape = Array(data.shape[..<axis]) + indexTensor.shape + Array(data.shape[(axis + 1)...])
            if isFloat(data) { return [data.indexSelect(axis: axis, indices: flat).reshaped(shape)] }
            return [Variable(data.value.indexSelect(axis: axis, indices: flat).reshaped(shape))]
        case "ReduceMean", "ReduceSum":
            let input = arg(0)
            var axes = optional(1).map(ints) ?? node.ints("axes")
            if axes?.isEmpty ?? true {
                if (node.int("noop_with_empty_axes") ?? 0) == 1 { return [input] }
                axes = Array(0..<input.rank)
            }
            let keep = (node.int("keepdims") ?? 1) == 1
            let normalized = axes!.map { normalize($0, input.rank) }
            let value = isFloat(input) ? input : Variable(input.value.cast(to: .float32))
            return [node.opType == "ReduceMean" ? value.mean(axes: normalized, keepDims: keep) : value.sum(axes: normalized, keepDims: keep)]
        case "MatMul":
            return [arg(0).matmul(arg(1))]
        case "Gemm":
            var a = arg(0), b = arg(1)
            if (node.int("transA") ?? 0) == 1 { a = a.transposed() }
            let alpha = node.float("alpha") ?? 1, beta = node.float("beta") ?? 1
            let c = optional(2)
            if (node.int("transB") ?? 0) == 1, alpha == 1, beta == 1, c == nil || c!.shape == [b.shape[0]] {
                return [Variable.linear(a, weight: b, bias: c)]
            }
            if (node.int("transB") ?? 0) == 1 { b = b.transposed() }
            var y = a.matmul(b)
            if alpha != 1 { y = y * alpha }
            if let c { y = y + (beta == 1 ? c : c * beta) }
            return [y]
        case "Conv":
            return [convolution(node, arg(0), arg(1), optional(2))]
        case "ConvTranspose":
            return [transposedConvolution(node, arg(0), arg(1), optional(2))]
        case "MaxPool", "AveragePool":
            return [pooling(node, arg(0))]
        case "GlobalAveragePool":
            let input = arg(0)
            return [input.mean(axes: Array(2..<input.rank), keepDims: true)]
        case "BatchNormalization":
            let input = arg(0), epsilon = node.float("epsilon") ?? 1e-5
            var shape = [Int](repeating: 1, count: input.rank)
            shape[1] = input.shape[1]
            let scale = arg(1).reshaped(shape), bias = arg(2).reshaped(shape), mean = arg(3).reshaped(shape), variance = arg(4).reshaped(shape)
            return [(input - mean) * (variance + epsilon).rsqrt() * scale + bias]
        case "LayerNormalization":
            let input = arg(0), axis = normalize(node.int("axis") ?? -1, input.rank), epsilon = node.float("epsilon") ?? 1e-5
            let axes = Array(axis..<input.rank)
            let mean = input.mean(axes: axes, keepDims: true)
            let centered = input - mean
            var y = centered * (centered.squared().mean(axes: axes, keepDims: true) + epsilon).rsqrt()
            y = y * arg(1)
            if let b = optional(2) { y = y + b }
            return [y]
        case "LSTM", "GRU":
            return recurrent(node, arg(0), initialH: optional(5), initialC: optional(6), model: model)
        default:
            tensorFailure("ONNX \(node.label): operator not supported")
        }
    }

    static func castVariable(_ v: Variable, _ dtype: DType) -> Variable {
        let source = v.value.dtype
        return Variable.record(v.value.cast(to: dtype), v) { $0.cast(to: source) }
    }

    static func convolution(_ node: ONNXNode, _ input: Variable, _ weight: Variable, _ bias: Variable?) -> Variable {
        let spatial = input.rank - 2
        let kernel = node.ints("kernel_shape") ?? Array(weight.shape.dropFirst(2))
        let strides = node.ints("strides") ?? Array(repeating: 1, count: spatial)
        let dilations = node.ints("dilations") ?? Array(repeating: 1, count: spatial)
        let groups = node.int("group") ?? 1
        let p = pads(node, spatial: spatial, input: Array(input.shape.dropFirst(2)), kernel: kernel, strides: strides, dilations: dilations)
        switch spatial {
        case 1:
            var x = input, symmetric = p[0].0
            if p[0].0 != p[0].1 { x = x.padded([(p[0].0, p[0].1)]); symmetric = 0 }
            return x.conv1d(weight: weight, bias: bias, stride: strides[0], padding: symmetric, dilation: dilations[0], groups: groups)
        case 2:
            return input.conv2d(weight: weight, bias: bias, stride: (strides[0], strides[1]),
                                padding: .explicit(top: p[0].0, bottom: p[0].1, left: p[1].0, right: p[1].1),
                                dilation: (dilations[0], dilations[1]), groups: groups)
        default:
            tensorCheck(spatial == 3, "ONNX \(node.label): \(spatial)-D convolution is not supported")
            var x = input
            var symmetric = (p[0].0, p[1].0, p[2].0)
            if p.contains(where: { $0.0 != $0.1 }) { x = x.padded(p); symmetric = (0, 0, 0) }
            return x.conv3d(weight: weight, bias: bias, stride: (strides[0], strides[1], strides[2]), padding: symmetric,
                            dilation: (dilations[0], dilations[1], dilations[2]), groups: groups)
        }
    }

    static func transposedConvolution(_ node: ONNXNode, _ input: Variable, _ weight: Variable, _ bias: Variable?) -> Variable {
        tensorCheck(input.rank == 4, "ONNX \(node.label): only 2-D ConvTranspose is supported, input \(input.shape)")
        let strides = node.ints("strides") ?? [1, 1], dilations = node.ints("dilations") ?? [1, 1]
        let outputPadding = node.ints("output_padding") ?? [0, 0], groups = node.int("group") ?? 1
        let p = node.ints("pads") ?? [0, 0, 0, 0]
        if p[0] == p[2] && p[1] == p[3] {
            return input.convTranspose2d(weight: weight, bias: bias, stride: (strides[0], strides[1]), padding: (p[0], p[1]),
                                         outputPadding: (outputPadding[0], outputPadding[1]), dilation: (dilations[0], dilations[1]), groups: groups)
        }
        let full = input.convTranspose2d(weight: weight, bias: bias, stride: (strides[0], strides[1]), padding: (0, 0),
                                         outputPadding: (outputPadding[0], outputPadding[1]), dilation: (dilations[0], dilations[1]), groups: groups)
        return full.narrowed(axis: 2, start: p[0], length: full.shape[2] - p[0] - p[2]).narrowed(axis: 3, start: p[1], length: full.shape[3] - p[1] - p[3])
    }

    static func pooling(_ node: ONNXNode, _ input: Variable) -> Variable {
        let spatial = input.rank - 2
        let kernel = node.ints("kernel_shape") ?? []
        let strides = node.ints("strides") ?? Array(repeating: 1, count: spatial)
        let ceil = (node.int("ceil_mode") ?? 0) == 1
        let includePad = (node.int("count_include_pad") ?? 0) == 1
        let isMax = node.opType == "MaxPool"
        let p = pads(node, spatial: spatial, input: Array(input.shape.dropFirst(2)), kernel: kernel, strides: strides,
                     dilations: Array(repeating: 1, count: spatial))
        switch spatial {
        case 1:
            let x = input.unsqueezed(axis: 2)
            let padding = Padding.explicit(top: 0, bottom: 0, left: p[0].0, right: p[0].1)
            let y = isMax ? x.maxPool2d(kernel: (1, kernel[0]), stride: (1, strides[0]), padding: padding, ceilMode: ceil)
                          : x.avgPool2d(kernel: (1, kernel[0]), stride: (1, strides[0]), padding: padding, ceilMode: ceil, countIncludePad: includePad)
            return y.squeezed(axis: 2)
        case 2:
            let padding = Padding.explicit(top: p[0].0, bottom: p[0].1, left: p[1].0, right: p[1].1)
            return isMax ? input.maxPool2d(kernel: (kernel[0], kernel[1]), stride: (strides[0], strides[1]), padding: padding, ceilMode: ceil)
                         : input.avgPool2d(kernel: (kernel[0], kernel[1]), stride: (strides[0], strides[1]), padding: padding, ceilMode: ceil,
                                           countIncludePad: includePad)
        default:
            tensorCheck(spatial == 3 && !ceil && p.allSatisfy({ $0.0 == $0.1 }), "ONNX \(node.label): 3-D pooling supports symmetric pads without ceil_mode")
            let padding = (p[0].0, p[1].0, p[2].0)
            return isMax ? input.maxPool3d(kernel: (kernel[0], kernel[1], kernel[2]), stride: (strides[0], strides[1], strides[2]), padding: padding)
                         : input.avgPool3d(kernel: (kernel[0], kernel[1], kernel[2]), stride: (strides[0], strides[1], strides[2]), padding: padding)
        }
    }

    /// ONNX LSTM/GRU: X `[T, B, I]` (layout 0) or `[B, T, I]` (layout 1); outputs Y `[T, dirs, B, H]`
    /// (layout 1: `[B, T, dirs, H]`), Y_h and Y_c `[dirs, B, H]` (layout 1: `[B, dirs, H]`).
    static func recurrent(_ node: ONNXNode, _ x: Variable, initialH: Variable?, initialC: Variable?, model: ONNXModel) -> [Variable] {
        guard let r = model.recurrentNodes[node.name] else { tensorFailure("ONNX \(node.label): recurrent layers missing") }
        let batchFirst = r.layout == 1
        let input = batchFirst ? x : x.permuted([1, 0, 2])                 // [B, T, I]
        var sequences: [Variable] = [], hs: [Variable] = [], cs: [Variable] = []
        for (d, layer) in [r.forward, r.backward].compactMap({ $0 }).enumerated() {
            func state(_ v: Variable?) -> Variable? {
                guard let v else { return nil }
                let axis = batchFirst ? 1 : 0
                return v.narrowed(axis: axis, start: d, length: 1).squeezed(axis: axis)
            }
            var initial: [Variable]? = nil
            if let h = state(initialH) {
                let zeros = Variable(Tensor.zeros(h.shape, dtype: h.value.dtype))
                initial = layer.cell == .lstm ? [h, state(initialC) ?? zeros] : [h]
            } else if let c = state(initialC) {
                initial = [Variable(Tensor.zeros(c.shape, dtype: c.value.dtype)), c]
            }
            let (sequence, states) = layer(input, initialState: initial)
            sequences.append(sequence)                                        // [B, T, H]
            hs.append(states[0])
            if states.count > 1 { cs.append(states[1]) }
        }
        let y = batchFirst ? Variable.stack(sequences, axis: 2) : Variable.stack(sequences, axis: 1).permuted([2, 1, 0, 3])   // [T, dirs, B, H]
        let yh = Variable.stack(hs, axis: batchFirst ? 1 : 0)
        var outputs = [y, yh]
        if !cs.isEmpty { outputs.append(Variable.stack(cs, axis: batchFirst ? 1 : 0)) }
        return outputs
    }
}
