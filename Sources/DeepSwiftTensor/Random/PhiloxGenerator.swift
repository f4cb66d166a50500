/// Philox-4x32-10, the counter-based generator of Salmon et al. (SC'11), as used by JAX, cuRAND
/// and PyTorch's CUDA backend.
///
/// The value *is* the state: a seed (the key) and a counter of 128-bit blocks already used. Block
/// `i` is a pure function of `(seed, i)`, so tensors are filled in parallel with results that do
/// not depend on the thread count, and a generator saved in a checkpoint resumes exactly.
///
/// ```swift
/// var rng = PhiloxGenerator(seed: 42)
/// let w = Tensor.normal([256, 128], std: 0.02, using: &rng)
/// let saved = rng                              // copy = snapshot of the stream position
/// let d = Tensor.bernoulli([128], probability: 0.5, using: &rng)
/// ```
public struct PhiloxGenerator: RandomNumberGenerator, Sendable, Hashable, Codable {
    /// The key.
    public let seed: UInt64
    /// Number of 128-bit blocks consumed so far.
    public private(set) var counter: UInt64

    /// A generator at the start of the stream for `seed` (or at `counter`, to restore a saved state).
    public init(seed: UInt64, counter: UInt64 = 0) {
        self.seed = seed
        self.counter = counter
    }

    /// The four 32-bit words of block `index`.
    @inline(__always)
    public func block(_ index: UInt64) -> (UInt32, UInt32, UInt32, UInt32) {
        PhiloxGenerator.philox(counter: (UInt32(truncatingIfNeeded: index), UInt32(truncatingIfNeeded: index >> 32), 0, 0),
                               key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
    }

    /// Reserves `count` consecutive blocks and returns the index of the first.
    public mutating func reserveBlocks(_ count: Int) -> UInt64 {
        let start = counter
        counter &+= UInt64(count)
        return start
    }

    /// The next 64 random bits (one block per call; `RandomNumberGenerator` conformance).
    public mutating func next() -> UInt64 {
        let b = block(reserveBlocks(1))
        return UInt64(b.0) | UInt64(b.1) << 32
    }

    /// The raw Philox-4x32-10 bijection: one 128-bit block from a counter and a key.
    public static func philoxBlock(counter: (UInt32, UInt32, UInt32, UInt32), key: (UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        philox(counter: counter, key: key)
    }

    @inline(__always)
    static func philox(counter: (UInt32, UInt32, UInt32, UInt32), key: (UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        var c = counter
        var k = key
        for _ in 0..<10 {
            let p0 = UInt64(0xD251_1F53) &* UInt64(c.0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c.2)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            c = (hi1 ^ c.1 ^ k.0, lo1, hi0 ^ c.3 ^ k.1, lo0)
            k = (k.0 &+ 0x9E37_79B9, k.1 &+ 0xBB67_AE85)
        }
        return c
    }
}
