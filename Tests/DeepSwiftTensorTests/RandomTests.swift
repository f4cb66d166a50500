import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

@Suite(.serialized) struct RandomTests {
    @Test func philoxMatchesPublishedKnownAnswers() {
        // Known-answer vectors of Philox-4x32-10 (Random123's kat_vectors).
        let zero = PhiloxGenerator.philoxBlock(counter: (0, 0, 0, 0), key: (0, 0))
        #expect(zero == (0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8))
        let ones = PhiloxGenerator.philoxBlock(counter: (.max, .max, .max, .max), key: (.max, .max))
        #expect(ones == (0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD))
        let pi = PhiloxGenerator.philoxBlock(counter: (0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344), key: (0xA409_3822, 0x299F_31D0))
        #expect(pi == (0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x24126EA1))
    }

    @Test func sameSeedSameBitsForAnyThreadCount() {
        func draw(threads: Int) -> [Tensor] {
            ThreadSettings.withThreads(threads) {
                var rng = PhiloxGenerator(seed: 2024)
                return [Tensor.uniform([300_001], using: &rng), Tensor.normal([200_003], dtype: .float64, using: &rng),
                        Tensor.truncatedNormal([100_000], using: &rng), Tensor.bernoulli([70_001], probability: 0.3, using: &rng),
                        Tensor.randomInt([50_001], low: -5, high: 17, using: &rng), Tensor.permutation(1000, using: &rng)]
            }
        }
        let one = draw(threads: 1), two = draw(threads: 2), three = draw(threads: 3)
        for i in one.indices {
            expectEqual(one[i], two[i])
            expectEqual(one[i], three[i])
        }
    }

    @Test func streamAdvancesAndRestores() {
        var rng = PhiloxGenerator(seed: 7)
        let saved = rng
        let first = Tensor.uniform([10], using: &rng)
        let second = Tensor.uniform([10], using: &rng)
        #expect(first != second)
        var restored = saved
        expectEqual(Tensor.uniform([10], using: &restored), first)
        #expect(restored == PhiloxGenerator(seed: 7, counter: rng.counter - 3))
    }

    @Test func distributionsHaveTheRightMoments() {
        var rng = PhiloxGenerator(seed: 99)
        let n = 400_000
        let u = Tensor.uniform([n], low: -2, high: 3, dtype: .float64, using: &rng)
        #expect(abs(u.mean().scalarValue - 0.5) < 0.02)
        #expect(u.min().scalarValue >= -2 && u.max().scalarValue < 3)
        let g = Tensor.normal([n], mean: 1, std: 2, using: &rng)
        #expect(abs(g.mean().scalarValue - 1) < 0.02)
        #expect(abs(g.standardDeviation().scalarValue - 2) < 0.02)
        let t = Tensor.truncatedNormal([n], mean: 0, std: 1, using: &rng)
        #expect(t.min().scalarValue >= -2 && t.max().scalarValue <= 2)
        // Variance of a standard normal truncated to ±2 is 0.7737.
        #expect(abs(t.variance().scalarValue - 0.7737) < 0.01)
        let b = Tensor.bernoulli([n], probability: 0.25, dtype: .float32, using: &rng)
        #expect(abs(b.mean().scalarValue - 0.25) < 0.005)
        let k = Tensor.randomInt([n], low: 3, high: 9, using: &rng)
        #expect(k.min().scalarValue == 3 && k.max().scalarValue == 8)
        let p = Tensor.permutation(500, using: &rng).scalars(as: Int64.self)
        #expect(p.sorted() == Array(0..<500))
        let shuffled = Tensor.arange(10).shuffled(using: &rng).scalars(as: Int64.self)
        #expect(shuffled.sorted() == Array(0..<10))
    }
}
