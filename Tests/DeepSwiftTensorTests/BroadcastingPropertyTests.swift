import DeepSwiftTensor
import DeepSwiftTestSupport
import PropertyBased
import Testing

/// Broadcasting checked against a scalar reference implementation on random shapes.
@Suite struct BroadcastingPropertyTests {
    /// Random shapes of rank 0...4 with dimensions 1...4.
    static let shapes = Gen.int(in: 1...4).array(of: 0...4)
    /// Bits that choose how the second shape is derived.
    static let masks = Gen.int(in: 0...15)

    /// A second shape derived from `shape` by dropping leading axes and turning some dimensions
    /// into 1 (so that the two broadcast); the mask also picks the operand order.
    static func pair(_ shape: [Int], _ mask: Int) -> ([Int], [Int]) {
        let drop = mask % (shape.count + 1)
        let other = shape.enumerated().dropFirst(drop).map { index, dim in (mask >> (index % 4)) & 1 == 1 ? 1 : dim }
        return mask & 1 == 0 ? (shape, other) : (other, shape)
    }

    @Test func broadcastShapeIsSymmetricAndMatchesNumPyRule() async {
        await propertyCheck(input: Self.shapes, Self.masks) { shape, mask in
            let (a, b) = Self.pair(shape, mask)
            let ab = Tensor.broadcastShape(a, b), ba = Tensor.broadcastShape(b, a)
            #expect(ab == ba)
            #expect(ab != nil)
            if let ab {
                #expect(ab.count == max(a.count, b.count))
                for i in 0..<ab.count {
                    let da = i < ab.count - a.count ? 1 : a[i - (ab.count - a.count)]
                    let db = i < ab.count - b.count ? 1 : b[i - (ab.count - b.count)]
                    #expect(ab[i] == max(da, db))
                }
            }
        }
    }

    @Test func elementwiseResultsMatchScalarLoop() async {
        await propertyCheck(count: 60, input: Self.shapes, Self.masks) { shape, mask in
            let (shapeA, shapeB) = Self.pair(shape, mask)
            let a = Tensor.arange(0, Double(shapeA.reduce(1, *)), step: 1, dtype: .float32).reshaped(shapeA)
            let b = (Tensor.arange(0, Double(shapeB.reduce(1, *)), step: 1, dtype: .float32) * 10).reshaped(shapeB)
            let sum = a + b
            let out = Tensor.broadcastShape(shapeA, shapeB)!
            #expect(sum.shape == out)
            // Scalar reference: walk every output index and read both inputs with broadcasting.
            let values = sum.scalars(as: Float.self)
            let total = out.reduce(1, *)
            for flat in 0..<total {
                var index = [Int](repeating: 0, count: out.count)
                var rest = flat
                for axis in stride(from: out.count - 1, through: 0, by: -1) {
                    index[axis] = rest % out[axis]
                    rest /= out[axis]
                }
                func read(_ t: Tensor) -> Float {
                    let lead = out.count - t.rank
                    let i = (0..<t.rank).map { t.shape[$0] == 1 ? 0 : index[lead + $0] }
                    return t.scalar(at: i, as: Float.self)
                }
                #expect(values[flat] == read(a) + read(b))
            }
        }
    }

    @Test func incompatibleShapesAreDetected() {
        #expect(Tensor.broadcastShape([2, 3], [4]) == nil)
        #expect(Tensor.broadcastShape([2, 1, 3], [5, 2]) == nil)
        #expect(Tensor.broadcastShape([], [3, 2]) == [3, 2])
        #expect(Tensor.broadcastShape([0, 1], [1, 5]) == [0, 5])
    }

    @Test func stridedAndBroadcastOperandsAgreeWithContiguousCopies() async {
        await propertyCheck(count: 40, input: Gen.int(in: 1...6), Gen.int(in: 1...6)) { rows, cols in
            var rng = PhiloxGenerator(seed: UInt64(rows * 7 + cols))
            let a = Tensor.normal([cols, rows], using: &rng).transposed()   // strided view
            let b = Tensor.normal([rows, 1], using: &rng)
            let c = Tensor.normal([cols], using: &rng)
            for (lhs, rhs) in [(a, b), (a, c), (b, c)] {
                expectEqual(lhs * rhs, lhs.contiguous() * rhs.contiguous())
                expectEqual(lhs.maximum(rhs), lhs.contiguous().maximum(rhs.contiguous()))
            }
        }
    }
}
