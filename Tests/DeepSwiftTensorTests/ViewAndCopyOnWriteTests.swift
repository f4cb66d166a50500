import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

@Suite struct ViewAndCopyOnWriteTests {
    let x = Tensor.arange(24).cast(to: .float32).reshaped([2, 3, 4])

    @Test func viewsShareStorage() {
        for view in [x.reshaped([6, 4]), x.permuted([2, 0, 1]), x.transposed(), x[1], x[.all, 1..., .range(step: 2)],
                     x.expanded(to: [5, 2, 3, 4]), x.unsqueezed(axis: 1), x.flattened(), x.flipped(axes: [2]),
                     x.narrowed(axis: 1, start: 1, length: 2), x.selected(axis: 2, index: -1)] {
            #expect(view.storage === x.storage, "view of shape \(view.shape) shares storage")
        }
        #expect(x.reshaped([6, 4]).isContiguous)
        #expect(!x.transposed().isContiguous)
    }

    @Test func reshapeCopiesOnlyWhenStridesRequireIt() {
        let t = x.transposed()                  // [2, 4, 3], not contiguous
        let merged = t.reshaped([2, 12])        // cannot be expressed with strides
        #expect(merged.storage !== x.storage)
        expectEqual(merged, t.contiguous().reshaped([2, 12]))
        let split = x.permuted([1, 0, 2]).reshaped([3, 2, 2, 2])  // splitting the last axis keeps a view
        #expect(split.storage === x.storage)
        expectEqual(split, x.permuted([1, 0, 2]).contiguous().reshaped([3, 2, 2, 2]))
        #expect(x.reshaped([-1, 4]).shape == [6, 4])
        #expect(Tensor(Float(1)).reshaped([1, 1]).shape == [1, 1])
    }

    @Test func slicingSemantics() {
        let v = Tensor.arange(10)
        #expect(v[2..<5].scalars(as: Int64.self) == [2, 3, 4])
        #expect(v[(-3)...].scalars(as: Int64.self) == [7, 8, 9])
        #expect(v[...2].scalars(as: Int64.self) == [0, 1, 2])
        #expect(v[TensorSlice.range(1, nil, step: 3)].scalars(as: Int64.self) == [1, 4, 7])
        #expect(v[TensorSlice.range(step: -2)].scalars(as: Int64.self) == [9, 7, 5, 3, 1])
        #expect(v[TensorSlice.range(7, 2, step: -2)].scalars(as: Int64.self) == [7, 5, 3])
        #expect(v[TensorSlice.range(20, 30, step: 1)].count == 0)
        #expect(v[-1].item(as: Int64.self) == 9)
        #expect(x[.ellipsis, 0].shape == [2, 3])
        #expect(x[.newAxis, 0, .newAxis].shape == [1, 1, 3, 4])
        #expect(x[1, 2, 3].item(as: Float.self) == 23)
    }

    @Test func copyOnWriteKeepsValueSemantics() {
        let original = Tensor.zeros([3, 4])
        var copy = original
        copy.setScalar(5, at: [1, 1])
        #expect(original.sum().scalarValue == 0)
        #expect(copy.sum().scalarValue == 5)

        var view = original[1]
        view.fillInPlace(7)
        #expect(original.sum().scalarValue == 0, "writing a view never changes the tensor it came from")
        #expect(view.scalars(as: Float.self) == [7, 7, 7, 7])

        var region = Tensor.zeros([3, 4])
        let before = region
        region[1, 1...] = Tensor(Float(2))
        region[.all, 0] = Tensor([1, 2, 3] as [Float])
        #expect(before.sum().scalarValue == 0)
        #expect(region.scalars(as: Float.self) == [1, 0, 0, 0, 2, 2, 2, 2, 3, 0, 0, 0])
    }

    @Test func inPlaceOperatorsReuseUniqueStorage() {
        var a = Tensor.ones([1024])
        let address = a.storage.pointer   // the address only: holding the storage would share it
        a += Tensor.ones([1024])
        #expect(a.storage.pointer == address, "unique contiguous storage is updated in place")
        #expect(a.scalars(as: Float.self).allSatisfy { $0 == 2 })
        let shared = a
        a *= 3
        #expect(a.storage !== shared.storage)
        #expect(shared.scalars(as: Float.self)[0] == 2)
        #expect(a.scalars(as: Float.self)[0] == 6)
    }

    @Test func castsAndCreation() {
        #expect(Tensor([1.7, -2.5, 300] as [Float]).cast(to: .int32).scalars(as: Int32.self) == [1, -2, 300])
        #expect(Tensor([0, 2, -1] as [Int64]).cast(to: .bool).scalars(as: Bool.self) == [false, true, true])
        #expect(Tensor([true, false]).cast(to: .float64).scalars(as: Double.self) == [1, 0])
        #expect(Tensor([257, -1] as [Int64]).cast(to: .uint8).scalars(as: UInt8.self) == [1, 255])
        #expect(Tensor.eye(2, 3).scalars(as: Float.self) == [1, 0, 0, 0, 1, 0])
        #expect(Tensor.linspace(0, 1, count: 5).scalars(as: Float.self) == [0, 0.25, 0.5, 0.75, 1])
        #expect(Tensor.arange(0, 1, step: 0.25).dtype == .float32)
        #expect(Tensor.arange(5).dtype == .int64)
        #expect(Tensor.full([2], value: 3, dtype: .int32).scalars(as: Int32.self) == [3, 3])
        let literal: Tensor = [[1, 2], [3, 4.5]]
        #expect(literal.dtype == .float32 && literal.shape == [2, 2])
        let ints: Tensor = [1, 2, 3]
        #expect(ints.dtype == .int64)
        #expect(Tensor([[1, 2], [3, 4]] as [[Int32]]).shape == [2, 2])
    }

    @Test func scalarOperandsKeepTensorDtype() {
        let f = Tensor([1, 2] as [Float])
        #expect((f * 2).dtype == .float32)
        #expect((f + 0.5).dtype == .float32)
        let i = Tensor([1, 2] as [Int32])
        #expect((i + 1).dtype == .int32)
        #expect((i * 1.5).dtype == .float32)
        #expect((i * 1.5).scalars(as: Float.self) == [1.5, 3])
        #expect((2 - f).scalars(as: Float.self) == [1, 0])
        #expect((Tensor([1, 2] as [Float]) + Tensor([1, 2] as [Double])).dtype == .float64)
    }
}
