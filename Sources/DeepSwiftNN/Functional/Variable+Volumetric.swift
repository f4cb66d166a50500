import DeepSwiftAutodiff
import DeepSwiftTensor

/// 1-D and 3-D pooling, 3-D convolution and bilinear upsampling, built from the 2-D primitives
/// (so their gradients follow from those).
extension Variable {
    /// Max pooling over `[N, C, L]`.
    public func maxPool1d(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false) -> Variable {
        unsqueezed(axis: 2).maxPool2d(kernel: (1, kernel), stride: (1, stride ?? kernel), padding: .symmetric(0, padding), ceilMode: ceilMode)
            .squeezed(axis: 2)
    }

    /// Average pooling over `[N, C, L]`.
    public func avgPool1d(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true) -> Variable {
        unsqueezed(axis: 2).avgPool2d(kernel: (1, kernel), stride: (1, stride ?? kernel), padding: .symmetric(0, padding),
                                      ceilMode: ceilMode, countIncludePad: countIncludePad).squeezed(axis: 2)
    }

    /// 3-D convolution over `[N, C, D, H, W]` with weight `[O, C/groups, kd, kh, kw]`: for each output
    /// depth, the sum over the kernel's depth of 2-D convolutions of input depth slices.
    public func conv3d(weight: Variable, bias: Variable? = nil, stride: (Int, Int, Int) = (1, 1, 1), padding: (Int, Int, Int) = (0, 0, 0),
                       dilation: (Int, Int, Int) = (1, 1, 1), groups: Int = 1) -> Variable {
        tensorCheck(rank == 5 && weight.rank == 5, "conv3d: input \(shape) must be [N, C, D, H, W] and weight \(weight.shape) [O, C/groups, kd, kh, kw]")
        let depth = shape[2], kd = weight.shape[2]
        let outDepth = (depth + 2 * padding.0 - dilation.0 * (kd - 1) - 1) / stride.0 + 1
        tensorCheck(outDepth > 0, "conv3d: input depth \(depth) is too small for kernel depth \(kd)")
        var slices: [Variable] = []
        for od in 0..<outDepth {
            var sum: Variable? = nil
            for k in 0..<kd {
                let d = od * stride.0 - padding.0 + k * dilation.0
                guard d >= 0 && d < depth else { continue }
                let term = selectedAxis(2, d).conv2d(weight: weight.selectedAxis(2, k), stride: (stride.1, stride.2),
                                                     padding: .symmetric(padding.1, padding.2), dilation: (dilation.1, dilation.2), groups: groups)
                sum = sum.map { $0 + term } ?? term
            }
            var slice = sum!
            if let bias { slice = slice + bias.reshaped([1, bias.shape[0], 1, 1]) }
            slices.append(slice)
        }
        return Variable.stack(slices, axis: 2)
    }

    /// Max pooling over `[N, C, D, H, W]`.
    public func maxPool3d(kernel: (Int, Int, Int), stride: (Int, Int, Int)? = nil, padding: (Int, Int, Int) = (0, 0, 0)) -> Variable {
        pool3d(kernel: kernel, stride: stride ?? kernel, padding: padding, max: true)
    }

    /// Average pooling over `[N, C, D, H, W]` (padding counts as zeros).
    public func avgPool3d(kernel: (Int, Int, Int), stride: (Int, Int, Int)? = nil, padding: (Int, Int, Int) = (0, 0, 0)) -> Variable {
        pool3d(kernel: kernel, stride: stride ?? kernel, padding: padding, max: false)
    }

    private func pool3d(kernel: (Int, Int, Int), stride: (Int, Int, Int), padding: (Int, Int, Int), max: Bool) -> Variable {
        tensorCheck(rank == 5, "pool3d: input \(shape) must be [N, C, D, H, W]")
        let depth = shape[2]
        let outDepth = (depth + 2 * padding.0 - kernel.0) / stride.0 + 1
        tensorCheck(outDepth > 0, "pool3d: input depth \(depth) is too small for kernel depth \(kernel.0)")
        var slices: [Variable] = []
        for od in 0..<outDepth {
            var planes: [Variable] = []
            for k in 0..<kernel.0 {
                let d = od * stride.0 - padding.0 + k
                guard d >= 0 && d < depth else { continue }
                let plane = selectedAxis(2, d)
                planes.append(max ? plane.maxPool2d(kernel: (kernel.1, kernel.2), stride: (stride.1, stride.2), padding: .symmetric(padding.1, padding.2))
                                  : plane.avgPool2d(kernel: (kernel.1, kernel.2), stride: (stride.1, stride.2), padding: .symmetric(padding.1, padding.2)))
            }
            let combined = max ? planes.dropFirst().reduce(planes[0]) { $0.maximum($1) }
                               : planes.dropFirst().reduce(planes[0], +) / Double(kernel.0)
            slices.append(combined)
        }
        return Variable.stack(slices, axis: 2)
    }

    /// Bilinear upsampling of `[N, C, H, W]` to `[N, C, outH, outW]`, as
    /// `F.interpolate(mode: "bilinear", align_corners: false)`: two interpolation matrices applied
    /// along the height and the width.
    public func upsampleBilinear(to size: (Int, Int)) -> Variable {
        tensorCheck(rank == 4, "upsampleBilinear: input \(shape) must be [N, C, H, W]")
        let rows = Variable(Variable.interpolationMatrix(from: shape[2], to: size.0, dtype: dtype))        // [outH, H]
        let columns = Variable(Variable.interpolationMatrix(from: shape[3], to: size.1, dtype: dtype).transposed().contiguous())  // [W, outW]
        return rows.matmul(matmul(columns))
    }

    /// Linear interpolation weights `[out, in]` with half-pixel centers.
    static func interpolationMatrix(from input: Int, to output: Int, dtype: DType) -> Tensor {
        var m = [Double](repeating: 0, count: output * input)
        let scale = Double(input) / Double(output)
        for o in 0..<output {
            let source = Swift.max((Double(o) + 0.5) * scale - 0.5, 0)
            let i0 = Swift.min(Int(source), input - 1), i1 = Swift.min(i0 + 1, input - 1)
            let t = source - Double(i0)
            m[o * input + i0] += 1 - t
            m[o * input + i1] += t
        }
        return Tensor(m, shape: [output, input]).cast(to: dtype)
    }

    /// The slice at `index` along `axis` with the axis removed (differentiable).
    func selectedAxis(_ axis: Int, _ index: Int) -> Variable {
        narrowed(axis: axis, start: index, length: 1).squeezed(axis: axis)
    }
}
