import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

/// Every op against NumPy reference values (Tests/Fixtures/generate_numpy_fixtures.py).
@Suite struct NumPyReferenceTests {
    @Test func unaryFloatOps() throws {
        let f = try Fixtures.numpy("unary")
        let x = f["x"], p = f["xpos"]
        let cases: [(String, Tensor)] = [
            ("neg", -x), ("abs", x.abs()), ("sign", x.sign()), ("exp", x.exp()), ("expm1", x.expm1()),
            ("square", x.squared()), ("sin", x.sin()), ("cos", x.cos()), ("tanh", x.tanh()), ("sigmoid", x.sigmoid()),
            ("relu", x.relu()), ("leaky_relu", x.leakyRelu(negativeSlope: 0.1)), ("elu", x.elu(alpha: 1)), ("selu", x.selu()),
            ("gelu_erf", x.gelu()), ("gelu_tanh", x.gelu(approximation: .tanh)), ("softplus", x.softplus()),
            ("swish", x.swish()), ("floor", x.floor()), ("ceil", x.ceil()), ("round", x.rounded()),
            ("clamp", x.clamped(min: -1, max: 2)), ("erf", x.erf()),
            ("log", p.log()), ("log1p", p.log1p()), ("sqrt", p.sqrt()), ("rsqrt", p.rsqrt()), ("reciprocal", p.reciprocal()),
        ]
        for (name, actual) in cases {
            #expect(actual.dtype == .float32, "\(name) keeps float32")
            expectClose(actual, f[name], rtol: 2e-6, atol: 1e-6, name)
            // float64 inputs go through libm and match to double precision.
            let input = ["log", "log1p", "sqrt", "rsqrt", "reciprocal"].contains(name) ? p : x
            _ = input
        }
        // The same ops on float64 inputs.
        let x64 = x.cast(to: .float64), p64 = p.cast(to: .float64)
        let cases64: [(String, Tensor)] = [
            ("exp", x64.exp()), ("tanh", x64.tanh()), ("sigmoid", x64.sigmoid()), ("gelu_erf", x64.gelu()),
            ("gelu_tanh", x64.gelu(approximation: .tanh)), ("softplus", x64.softplus()), ("selu", x64.selu()),
            ("erf", x64.erf()), ("log", p64.log()), ("rsqrt", p64.rsqrt()), ("round", x64.rounded()),
        ]
        for (name, actual) in cases64 {
            #expect(actual.dtype == .float64)
            expectClose(actual, f[name], rtol: 1e-12, atol: 1e-12, "float64 \(name)")
        }
    }

    @Test func unaryIntegerOps() throws {
        let f = try Fixtures.numpy("unary")
        let xi = f["xi"]
        #expect(xi.dtype == .int32)
        for (name, actual) in [("neg_i", -xi), ("abs_i", xi.abs()), ("square_i", xi.squared()), ("sign_i", xi.sign()),
                               ("clamp_i", xi.clamped(min: -3, max: 4))] {
            #expect(actual.dtype == .int32, "\(name) keeps int32")
            expectEqual(actual.cast(to: .int64), f[name], name)
        }
        // Math functions of integers compute in float32.
        #expect(xi.exp().dtype == .float32)
    }

    @Test func binaryOpsBroadcast() throws {
        let f = try Fixtures.numpy("binary")
        let a = f["a"], b = f["b"]
        for (name, actual) in [("add", a + b), ("sub", a - b), ("mul", a * b), ("div", a / b),
                               ("maximum", a.maximum(b)), ("minimum", a.minimum(b)), ("pow", f["apos"].pow(b))] {
            #expect(actual.shape == [4, 3, 5])
            expectClose(actual, f[name], rtol: 2e-6, atol: 1e-6, name)
        }
        let c = f["c"]
        for (name, actual) in [("equal", c .== b), ("not_equal", c .!= b), ("less", c .< b), ("less_equal", c .<= b),
                               ("greater", c .> b), ("greater_equal", c .>= b)] {
            expectEqual(actual, f[name], name)
        }
        let ai = f["ai"], bi = f["bi"]
        for (name, actual) in [("add_i", ai + bi), ("sub_i", ai - bi), ("mul_i", ai * bi), ("maximum_i", ai.maximum(bi)),
                               ("minimum_i", ai.minimum(bi)), ("pow_i", ai.pow(bi))] {
            #expect(actual.dtype == .int64, "int32 op int64 promotes to int64")
            expectEqual(actual, f[name], name)
        }
        let trueDivision = ai / bi
        #expect(trueDivision.dtype == .float32)
        expectClose(trueDivision, f["div_i"], rtol: 1e-6, atol: 1e-6)
        let p = f["p"], q = f["q"]
        expectEqual(p.logicalAnd(q), f["and"])
        expectEqual(p .| q, f["or"])
        expectEqual(p .^ q, f["xor"])
        expectEqual(.!p, f["not_p"])
    }

    @Test func reductions() throws {
        let f = try Fixtures.numpy("reduce")
        let x = f["x"]
        let cases: [(String, Tensor)] = [
            ("sum_all", x.sum()), ("sum_0", x.sum(axis: 0)), ("sum_12_keep", x.sum(axes: [1, 2], keepDims: true)),
            ("sum_02", x.sum(axes: [0, -1])), ("mean_1", x.mean(axis: 1)), ("prod_2", x.prod(axis: 2)),
            ("max_1", x.max(axis: 1)), ("min_02", x.min(axes: [0, 2])), ("var_1", x.variance(axis: 1)),
            ("var_all_0", x.variance(correction: 0)), ("std_2", x.standardDeviation(axis: 2)),
            ("logsumexp_2", x.logSumExp(axis: 2)), ("logsumexp_all", x.logSumExp()),
            ("norm_l1_1", x.norm(.l1, axes: [1])), ("norm_l2_all", x.norm()), ("norm_inf_2", x.norm(.infinity, axes: [2])),
            ("cumsum_1", x.cumulativeSum(axis: 1)), ("cumsum_0", x.cumulativeSum(axis: 0)),
        ]
        for (name, actual) in cases { expectClose(actual, f[name], rtol: 1e-5, atol: 2e-6, name) }
        expectEqual(x.argmax(axis: 1), f["argmax_1"])
        expectEqual(x.argmin(axis: 2), f["argmin_2"])
        expectEqual(x.argmax(), f["argmax_all"])
        let m = f["m"]
        expectEqual(m.all(axes: [1]), f["all_1"])
        expectEqual(m.any(axes: [0]), f["any_0"])
        expectEqual(m.all(), f["all_all"])
        let xi = f["xi"]
        expectEqual(xi.sum(axis: 1), f["sumi_1"])
        expectEqual(xi.sum(), f["sumi_all"])
        // any() over a mask that has false columns.
        let none = Tensor.zeros([3, 4], dtype: .bool)
        #expect(none.any().item(as: Bool.self) == false)
        #expect(none.any(axes: [0]).scalars(as: Bool.self) == [false, false, false, false])
    }

    @Test func softmaxIsStable() throws {
        let f = try Fixtures.numpy("softmax")
        let x = f["x"]
        expectClose(x.softmax(axis: -1), f["softmax_last"], rtol: 1e-5, atol: 1e-7, "softmax last")
        expectClose(x.softmax(axis: 1), f["softmax_1"], rtol: 1e-5, atol: 1e-7, "softmax 1")
        expectClose(x.logSoftmax(axis: -1), f["log_softmax_last"], rtol: 1e-5, atol: 1e-5, "log-softmax last")
        expectClose(x.logSoftmax(axis: 0), f["log_softmax_0"], rtol: 1e-5, atol: 1e-5, "log-softmax 0")
        let x64 = x.cast(to: .float64)
        expectClose(x64.softmax(axis: 1), f["softmax_1"], rtol: 1e-12, atol: 1e-14, "float64 softmax")
        expectClose(x64.logSoftmax(axis: -1), f["log_softmax_last"], rtol: 1e-12, atol: 1e-12, "float64 log-softmax")
    }

    @Test func matmul() throws {
        let f = try Fixtures.numpy("matmul")
        let a2 = f["a2"], b2 = f["b2"]
        expectClose(a2.matmul(b2), f["mm_2d"], rtol: 1e-5, atol: 1e-5)
        expectClose(f["a3"].matmul(f["b3"]), f["mm_batched"], rtol: 1e-5, atol: 1e-5)
        expectClose(f["a4"].matmul(f["b4"]), f["mm_broadcast"], rtol: 1e-5, atol: 1e-5)
        expectClose(f["a3"].matmul(b2), f["mm_batch_2d"], rtol: 1e-5, atol: 1e-5)
        let transposed = a2.transposed()
        #expect(!transposed.isContiguous)
        expectClose(transposed.matmul(a2), f["mm_at_b"], rtol: 1e-5, atol: 1e-5)
        let v = f["v7"]
        expectClose(a2.matmul(v), f["mv"], rtol: 1e-5, atol: 1e-5)
        expectClose(v.matmul(b2), f["vm"], rtol: 1e-5, atol: 1e-5)
        expectClose(v.dot(v), f["dot"], rtol: 1e-5, atol: 1e-5)
        expectClose(v.outer(v[..<3]), f["outer"], rtol: 1e-6, atol: 1e-6)
        expectClose(f["d2"].matmul(f["e2"]), f["mm_f64"], rtol: 1e-12, atol: 1e-12)
        expectEqual(f["ia"].matmul(f["ib"]), f["mm_int"])
        // Short, wide products A·Bᵀ (small M·N, long K: weight gradients) take the direct dot-product
        // path; they agree with float64 results.
        var rng = PhiloxGenerator(seed: 9)
        for (m, n, k) in [(20, 25, 36_864), (3, 5, 5_000), (7, 1, 9_999)] {
            let a = Tensor.normal([m, k], using: &rng), b = Tensor.normal([n, k], using: &rng)
            let reference = a.cast(to: .float64).matmul(b.cast(to: .float64).transposed())
            for threads in [1, 2] {
                let product = ThreadSettings.withThreads(threads) { a.matmul(b.transposed()) }
                expectClose(product, reference, rtol: 1e-4, atol: 1e-3, "A·Bᵀ \(m)×\(k)·\(k)×\(n), \(threads) threads")
            }
        }
        // Transposed operands of a batched product (flags, not copies) agree with copies.
        let a3 = f["a3"]
        expectClose(a3.matmul(a3.transposed()), a3.matmul(a3.transposed().contiguous()), rtol: 1e-6, atol: 1e-6)
    }

    @Test func einsum() throws {
        let f = try Fixtures.numpy("matmul")
        expectClose(Tensor.einsum("ij,jk->ik", f["a2"], f["b2"]), f["einsum_ij_jk"], rtol: 1e-5, atol: 1e-5)
        expectClose(Tensor.einsum("bij,bjk->bik", f["a3"], f["b3"]), f["einsum_bij_bjk"], rtol: 1e-5, atol: 1e-5)
        expectClose(Tensor.einsum("ij->ji", f["a2"]), f["einsum_trace_free"], rtol: 1e-6, atol: 1e-6)
        expectClose(Tensor.einsum("ij->i", f["a2"]), f["einsum_sum"], rtol: 1e-5, atol: 1e-6)
        expectClose(Tensor.einsum("i,j->ij", f["v7"], f["v7"]), f["einsum_outer"], rtol: 1e-6, atol: 1e-6)
        expectClose(Tensor.einsum("bi,ij,bj->b", f["eb"], f["ew"], f["eb"]), f["einsum_bilinear"], rtol: 1e-5, atol: 1e-5)
        expectClose(Tensor.einsum("bhqd,bhkd->bhqk", f["eq"], f["ek"]), f["einsum_batch_contract"], rtol: 1e-5, atol: 1e-5)
    }

    @Test func joiningPaddingAndIndexing() throws {
        let f = try Fixtures.numpy("manipulation")
        let x = f["x"], y = f["y"]
        expectClose(Tensor.concat([x, y], axis: 0), f["concat_0"], rtol: 0, atol: 0)
        expectClose(Tensor.stack([x, x * 2], axis: 1), f["stack_1"], rtol: 0, atol: 0)
        expectClose(x.padded([(1, 0), (2, 1)], value: -1), f["pad_const"], rtol: 0, atol: 0)
        expectClose(x.padded([(2, 1), (1, 3)], mode: .reflect), f["pad_reflect"], rtol: 0, atol: 0)
        expectClose(x.tiled([2, 3]), f["tile"], rtol: 0, atol: 0)
        expectClose(x.repeated(2, axis: 1), f["repeat_1"], rtol: 0, atol: 0)
        expectClose(x.flipped(axes: [0, 1]), f["flip_01"], rtol: 0, atol: 0)
        expectClose(x[TensorSlice.range(step: 2), TensorSlice.range(step: -1)], f["slice_step"], rtol: 0, atol: 0)
        expectClose(x[(-2)..., TensorSlice.range(1, -1, step: 1)], f["slice_neg"], rtol: 0, atol: 0)
        expectClose(x.indexSelect(axis: 1, indices: f["index_select_idx"]), f["index_select"], rtol: 0, atol: 0)
        expectClose(x.gather(axis: 1, indices: f["gather_idx"]), f["gather"], rtol: 0, atol: 0)
        expectClose(x.scatterAdd(axis: 0, indices: f["scatter_idx"], source: f["scatter_src"]), f["scatter_add"], rtol: 1e-6, atol: 1e-6)
        expectClose(Tensor.where(f["cond"], x, y[0]), f["where"], rtol: 0, atol: 0)
        expectClose(x.maskedFill(f["cond"], value: -7), f["masked_fill"], rtol: 0, atol: 0)
        expectClose(f["labels"].oneHot(classes: 4), f["one_hot"], rtol: 0, atol: 0)
        let chunks = x.chunked(2, axis: 1)
        #expect(chunks.map(\.shape) == [[3, 2], [3, 2]])
        expectEqual(Tensor.concat(chunks, axis: 1), x)
        #expect(x.split(sizes: [1, 3], axis: 1).map(\.shape) == [[3, 1], [3, 3]])
    }

    @Test func sorting() throws {
        let f = try Fixtures.numpy("manipulation")
        let s = f["s"]
        let (values, indices) = s.sorted(axis: 1)
        expectClose(values, f["sort_1"], rtol: 0, atol: 0)
        expectEqual(indices, f["argsort_1"])
        expectEqual(s.argsort(axis: 0, descending: true), f["argsort_0_desc"])
        let top = s.topK(3, axis: 1)
        expectClose(top.values, f["topk_vals"], rtol: 0, atol: 0)
        expectEqual(top.indices, f["topk_idx"])
    }
}
