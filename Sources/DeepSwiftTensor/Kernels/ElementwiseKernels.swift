/// Generic elementwise loops. Every public elementwise op picks its element types and closure
/// once, outside the loop; these functions are inlined and specialized for each combination.
enum ElementwiseKernels {
    /// `y[i] = f(x[i])` over `n` contiguous elements, split across threads.
    @inline(__always)
    static func map<S, D>(_ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<D>, _ n: Int, _ f: (S) -> D) {
        let xs = UncheckedSendable(x), ys = UncheckedSendable(y)
        Parallel.forRanges(n) { range in
            let x = xs.value, y = ys.value
            for i in range { y[i] = f(x[i]) }
        }
    }

    /// `out = f(a, b)` over a broadcast loop nest; `out` is contiguous.
    @inline(__always)
    static func zip<A, B, R>(_ loop: StridedLoop, _ a: UnsafePointer<A>, _ b: UnsafePointer<B>,
                             _ out: UnsafeMutablePointer<R>, _ f: (A, B) -> R) {
        let ap = UncheckedSendable(a), bp = UncheckedSendable(b), op = UncheckedSendable(out)
        let sa = loop.innerStrideA, sb = loop.innerStrideB
        loop.parallelSegments { oa, ob, oc, n in
            let pa = ap.value + oa, pb = bp.value + ob, po = op.value + oc
            if sa == 1 && sb == 1 {
                for i in 0..<n { po[i] = f(pa[i], pb[i]) }
            } else if sa == 1 && sb == 0 {
                let v = pb[0]
                for i in 0..<n { po[i] = f(pa[i], v) }
            } else if sa == 0 && sb == 1 {
                let v = pa[0]
                for i in 0..<n { po[i] = f(v, pb[i]) }
            } else {
                for i in 0..<n { po[i] = f(pa[i * sa], pb[i * sb]) }
            }
        }
    }
}
