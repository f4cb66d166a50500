@testable import DeepSwiftTensor
import DeepSwiftTestSupport
import Testing

@Suite(.serialized) struct RuntimeTests {
    @Test func threadSettingIsOwnedInOnePlace() {
        let original = ThreadSettings.numThreads
        #expect(original >= 1)
        ThreadSettings.withThreads(1) { #expect(ThreadSettings.numThreads == 1) }
        #expect(ThreadSettings.numThreads == original)
        ThreadSettings.numThreads = 0
        #expect(ThreadSettings.numThreads == 1, "thread counts are clamped to at least 1")
        ThreadSettings.numThreads = original
    }

    @Test func reductionsAreBitIdenticalForAnyThreadCount() {
        var rng = PhiloxGenerator(seed: 11)
        let x = Tensor.normal([1_000_003], using: &rng)
        let m = Tensor.normal([512, 1031], using: &rng)
        func results() -> [Tensor] {
            [x.sum(), x.mean(), x.max(), x.variance(), m.sum(axis: 0), m.sum(axis: 1), m.softmax(axis: 1), m.logSumExp(axis: 0),
             x.exp(), x.tanh(), m.matmul(m.transposed())]
        }
        let one = ThreadSettings.withThreads(1) { results() }
        let two = ThreadSettings.withThreads(2) { results() }
        // DeepSwift's own kernels are bit-identical; the last result is a BLAS product, whose
        // summation order depends on OpenBLAS's thread split, so it only agrees to rounding.
        for i in one.indices.dropLast() { expectEqual(one[i], two[i], "result \(i)") }
        expectClose(one.last!, two.last!, rtol: 1e-5, atol: 1e-4, "matmul")
    }

    @Test func cachingAllocatorReusesFreedBlocks() {
        // An unusual size (its own size class, which no other test uses): a freed block comes back
        // for the next tensor of that size instead of a new allocation.
        let count = 27_001   // 108,004 bytes: size class 114,688
        var addresses = Set<UnsafeMutableRawPointer>()
        let before = TensorAllocator.statistics
        for _ in 0..<50 {
            let t = Tensor.zeros([count])
            addresses.insert(t.storage.pointer)
        }
        #expect(addresses.count <= 2, "50 tensors of one size used \(addresses.count) blocks")
        #expect(TensorAllocator.statistics.hits - before.hits >= 49)
        TensorAllocator.emptyCache()
        #expect(TensorAllocator.sizeClass(1000) == 1024 && TensorAllocator.sizeClass(1100) == 1280 && TensorAllocator.sizeClass(64) == 64)
    }

    @Test func hundredMillionElementTensorsWork() {
        let n = 100_000_000
        var x = Tensor.ones([n])
        #expect(x.count == n)
        x += 1
        #expect(x.sum().scalarValue == Double(2 * n))
        let y = x.reshaped([10_000, 10_000]).max(axis: 1)
        #expect(y.shape == [10_000] && y.max().scalarValue == 2)
        x[.range(n - 1, nil, step: 1)] = Tensor(Float(-5))
        #expect(x.min().scalarValue == -5 && x.argmin().item(as: Int64.self) == Int64(n - 1))
    }
}
