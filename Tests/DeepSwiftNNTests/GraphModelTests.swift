import DeepSwiftAutodiff
import DeepSwiftNN
import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

@Suite struct GraphModelTests {
    @Test func skipConnectionsMergesAndSharedLayers() throws {
        var rng = PhiloxGenerator(seed: 1)
        let graph = GraphBuilder()
        let a = graph.input("a", shape: [4])
        let b = graph.input("b", shape: [4])
        let shared = Dense(4, 4, activation: .tanh, dtype: .float64, using: &rng)
        let ha = graph.add("shared_a", shared, a)
        let hb = graph.add("shared_b", shared, b)           // same weights on both inputs
        let sum = graph.merge("sum", .add, ha, hb)
        let skip = graph.merge("skip", .average, sum, a)     // skip connection from an input
        let joined = graph.merge("joined", .concatenate(axis: 1), skip, hb)
        let out = graph.add("out", Dense(8, 2, dtype: .float64, using: &rng), joined)
        let other = graph.merge("other", .maximum, ha, hb)
        let model = try graph.build(outputs: [out, other], dtype: .float64)

        #expect(model.namedParameters.map(\.name) == ["shared_a.weight", "shared_a.bias", "out.weight", "out.bias"])
        #expect(model.nodeShapes.first { $0.name == "joined" }!.shape == [1, 8])
        #expect(model.summary().contains("(shared)"))

        let x = Tensor.normal([3, 4], dtype: .float64, using: &rng), y = Tensor.normal([3, 4], dtype: .float64, using: &rng)
        let outputs = model([Variable(x), Variable(y)])
        #expect(outputs.map(\.shape) == [[3, 2], [3, 4]])
        // The same computation written by hand.
        let sa = shared(Variable(x)), sb = shared(Variable(y))
        let manual = ((sa + sb) + Variable(x)) / 2
        expectClose(outputs[1].value, sa.value.maximum(sb.value), rtol: 0, atol: 0)
        let head = model.sublayers.last!.layer
        expectClose(outputs[0].value, head(Variable.concat([manual, sb], axis: 1)).value, rtol: 1e-12, atol: 1e-12)
        // Gradients flow through every path (float64 finite differences on the inputs).
        gradCheck([x, y], "graph") { v in let o = model([v[0], v[1]]); return o[0].sum() + o[1].squared().sum() }
    }

    @Test func mismatchedShapesNameTheNodeAndBothShapes() {
        var rng = PhiloxGenerator(seed: 2)
        let graph = GraphBuilder()
        let x = graph.input("x", shape: [3, 8, 8])
        let conv = graph.add("conv", Conv2D(3, 4, kernel: (3, 3), using: &rng), x)       // [1, 4, 6, 6]
        let wrong = graph.merge("bad_add", .add, conv, x)                                  // [1, 3, 8, 8]
        do {
            _ = try graph.build(outputs: [wrong])
            Issue.record("building must fail")
        } catch let error as GraphError {
            #expect(error.description.contains("bad_add") && error.description.contains("[1, 4, 6, 6]") && error.description.contains("[1, 3, 8, 8]"))
        } catch { Issue.record("unexpected \(error)") }

        let graph2 = GraphBuilder()
        let input = graph2.input("pixels", shape: [10])
        let dense = graph2.add("dense", Dense(12, 3, using: &rng), input)
        #expect(throws: GraphError.self) { try graph2.build(outputs: [dense]) }
        do { _ = try graph2.build(outputs: [dense]) } catch {
            #expect("\(error)".contains("dense") && "\(error)".contains("[1, 10]") && "\(error)".contains("[1, 12]"))
        }
        let graph3 = GraphBuilder()
        let c = graph3.input("c", shape: [2, 5])
        let d = graph3.input("d", shape: [3, 4])
        let cat = graph3.merge("cat", .concatenate(axis: 1), c, d)
        #expect(throws: GraphError.self) { try graph3.build(outputs: [cat]) }
    }
}
