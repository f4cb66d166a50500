import DeepSwiftTensor
import Testing

@Suite struct DescriptionTests {
    @Test func printsLikeNumPy() {
        #expect(Tensor([[1, 2], [3, 4.5]] as [[Float]]).description == "tensor([[1. , 2. ],\n        [3. , 4.5]], dtype=float32)")
        #expect(Tensor([1, -20, 3] as [Int64]).description == "tensor([  1, -20,   3], dtype=int64)")
        #expect(Tensor([true, false]).description == "tensor([ true, false], dtype=bool)")
        #expect(Tensor(Float(2.5)).description == "tensor(2.5, dtype=float32)")
        #expect(Tensor.zeros([2, 2, 2]).description == "tensor([[[0., 0.],\n         [0., 0.]],\n\n        [[0., 0.],\n         [0., 0.]]], dtype=float32)")
    }

    @Test func summarizesLargeTensors() {
        let text = Tensor.arange(0, 2000, step: 1, dtype: .float32).reshaped([2, 1000]).description
        #expect(text.contains("..."))
        #expect(text.contains("997.") && !text.contains("500."))
        #expect(text.count < 200)
    }

    @Test func scientificNotationForWideRanges() {
        let text = Tensor([1e-8, 1] as [Float]).description
        #expect(text.contains("e-08"))
    }
}
