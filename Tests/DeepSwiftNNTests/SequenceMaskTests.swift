import DeepSwiftAutodiff
import DeepSwiftNN
import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

/// Padding must not matter: a padded batch with its mask gives, at the real steps, the outputs and
/// gradients of each sequence run alone at its own length.
@Suite struct SequenceMaskTests {
    static func network(_ dtype: DType) -> Sequential {
        var rng = PhiloxGenerator(seed: 11)
        let embed = Embedding(count: 7, dimension: 5, paddingIndex: 0, dtype: dtype, using: &rng)
        let forward = LSTM(inputSize: 5, hiddenSize: 6, dtype: dtype, using: &rng)
        let backward = LSTM(inputSize: 5, hiddenSize: 6, goBackwards: true, dtype: dtype, using: &rng)
        let gru = GRU(inputSize: 12, hiddenSize: 4, dtype: dtype, using: &rng)
        return Sequential {
            embed
            Bidirectional(forward, backward)
            gru
            LastTimeStep()
            Dense(4, 3, dtype: dtype, using: &rng)
        }
    }

    @Test(arguments: [DType.float64, .float32])
    func paddedBatchEqualsSequencesAlone(_ dtype: DType) {
        let sequences: [[Int64]] = [[3, 1, 4, 1, 5], [2, 6], [5, 3, 2]]
        let steps = 5
        let padded = Tensor(sequences.flatMap { $0 + Array(repeating: 0, count: steps - $0.count) }, shape: [3, steps])
        let model = Self.network(dtype)
        let seed = Tensor([0.3, -1.2, 0.7, 1.1, 0.2, -0.4, -0.9, 0.5, 0.8] as [Double], shape: [3, 3]).cast(to: dtype)
        model.zeroGrad()
        let batched = model(Variable(padded))
        (batched * Variable(seed)).sum().backward()
        let batchedGradients = model.parameters.map { $0.grad! }
        var aloneGradients = model.parameters.map { Tensor.zeros(like: $0.value) }
        let tol = dtype == .float64 ? 1e-12 : 1e-5
        for (i, sequence) in sequences.enumerated() {
            model.zeroGrad()
            let alone = model(Variable(Tensor(sequence, shape: [1, sequence.count])))
            expectClose(batched.value[i].unsqueezed(axis: 0), alone.value, rtol: tol, atol: tol, "sequence \(i) \(dtype)")
            (alone * Variable(seed[i].unsqueezed(axis: 0))).sum().backward()
            for (k, p) in model.parameters.enumerated() { aloneGradients[k] = aloneGradients[k] + p.grad! }
        }
        for (k, (name, _)) in model.namedParameters.enumerated() {
            expectClose(batchedGradients[k], aloneGradients[k], rtol: tol * 10, atol: tol * 10, "gradient of \(name) \(dtype)")
        }
        // The padding id's embedding row receives no gradient.
        #expect(batchedGradients[0][0].abs().max().item(as: Double.self) == 0)
    }

    @Test func maskingLayerMasksAllZeroSteps() {
        let x = Tensor([1, 2, 0, 0, 3, 0, 0, 0] as [Double], shape: [2, 2, 2])
        let (y, mask) = Masking(value: 0)(Variable(x), mask: nil)
        expectClose(mask!, Tensor([1, 0, 1, 0] as [Float], shape: [2, 2]), rtol: 0, atol: 0)
        expectClose(y.value, x, rtol: 0, atol: 0)
        // RepeatVector drops the mask; TimeDistributed keeps shapes.
        var rng = PhiloxGenerator(seed: 1)
        let td = TimeDistributed(Dense(2, 3, dtype: .float64, using: &rng))
        #expect(td(Variable(x)).shape == [2, 2, 3])
        #expect(RepeatVector(4)(Variable(x[0]), mask: mask).mask == nil)
        #expect(RepeatVector(4)(Variable(x[0])).shape == [2, 4, 2])
    }
}

/// Masked global pooling over time counts real steps only (Keras's GlobalAveragePooling1D with a mask).
@Suite struct MaskedPoolingTests {
    @Test(arguments: [false, true])
    func poolingIgnoresPaddedSteps(_ isMax: Bool) {
        var rng = PhiloxGenerator(seed: 8)
        let model = Sequential { Embedding(count: 9, dimension: 3, paddingIndex: 0, using: &rng); GlobalPooling(axes: [1], max: isMax) }
        let rows: [[Int64]] = [[3, 1, 4, 1], [2, 7, 0, 0], [8, 0, 0, 0]]
        let batch = Gradients.withoutRecording { model(Variable(Tensor(rows.flatMap { $0 }, shape: [3, 4]))).value }
        for (i, row) in rows.enumerated() {
            let real = Array(row.prefix { $0 != 0 })
            let alone = Gradients.withoutRecording { model(Variable(Tensor(real, shape: [1, real.count]))).value }
            expectClose(batch.narrowed(axis: 0, start: i, length: 1), alone, rtol: 1e-6, atol: 1e-6, "row \(i)")
        }
    }
}

/// Masks flow through graph models as through `Sequential`: a padded batch gives each sequence's
/// own result, also after a merge and attention that read the mask.
@Suite struct GraphMaskTests {
    @Test func paddedBatchesMatchSequencesRunAlone() throws {
        var rng = PhiloxGenerator(seed: 31)
        let g = GraphBuilder()
        let ids = g.input("ids", shape: [5])
        let embedded = g.add("embed", Embedding(count: 9, dimension: 4, paddingIndex: 0, using: &rng), ids)
        let states = g.add("lstm", LSTM(inputSize: 4, hiddenSize: 3, returnSequences: true, using: &rng), embedded)
        let attended = g.add("attention", MultiHeadAttention(embedDimension: 3, heads: 1, using: &rng), [states, states])
        let joined = g.merge("joined", .concatenate(axis: 2), states, attended)
        let last = g.add("gru", GRU(inputSize: 6, hiddenSize: 2, returnSequences: false, using: &rng), joined)
        let model = try g.build(outputs: [last])
        model.setTraining(false)
        let rows: [[Int64]] = [[3, 1, 4, 1, 5], [2, 7, 0, 0, 0], [8, 0, 0, 0, 0]]
        let batch = Gradients.withoutRecording { model(Variable(Tensor(rows.flatMap { $0 }, shape: [3, 5]))).value }
        for (i, row) in rows.enumerated() {
            let real = row.prefix { $0 != 0 }
            let alone = Gradients.withoutRecording { model(Variable(Tensor(Array(real), shape: [1, real.count]))).value }
            expectClose(batch.narrowed(axis: 0, start: i, length: 1), alone, rtol: 1e-5, atol: 1e-6, "row \(i)")
        }
    }
}
