/// Generic elementwise loops.
///
/// The per-element operation is a small struct conforming to ``UnaryFunction`` or
/// ``BinaryFunction`` rather than a closure: the loops are specialized for each concrete struct,
/// so the operation is inlined and the loop vectorizes. (A closure captured by the parallel loop
/// body would be called indirectly for every element.)
enum ElementwiseKernels {
    /// `y[i] = f(x[i])` over `n` contiguous elements, split across threads.
    @inline(__always)
    static func map<F: UnaryFunction>(_ x: UnsafePointer<F.Input>, _ y: UnsafeMutablePointer<F.Output>, _ n: Int, _ f: F) {
        let xs = UncheckedSendable(x), ys = UncheckedSendable(y), fs = UncheckedSendable(f)
        Parallel.forRanges(n) { range in
            let x = xs.value, y = ys.value, f = fs.value
            for i in range { y[i] = f(x[i]) }
        }
    }

    /// `out = f(a, b)` over a broadcast loop nest; `out` is contiguous.
    @inline(__always)
    static func zip<F: BinaryFunction>(_ loop: StridedLoop, _ a: UnsafePointer<F.A>, _ b: UnsafePointer<F.B>,
                                       _ out: UnsafeMutablePointer<F.Output>, _ f: F) {
        let ap = UncheckedSendable(a), bp = UncheckedSendable(b), op = UncheckedSendable(out), fs = UncheckedSendable(f)
        let sa = loop.innerStrideA, sb = loop.innerStrideB
        loop.parallelSegments { oa, ob, oc, n in
            let pa = ap.value + oa, pb = bp.value + ob, po = op.value + oc, f = fs.value
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

/// A function of one element, applied by ``ElementwiseKernels/map(_:_:_:_:)``.
protocol UnaryFunction {
    associatedtype Input
    associatedtype Output
    func callAsFunction(_ x: Input) -> Output
}

/// A function of two elements, applied by ``ElementwiseKernels/zip(_:_:_:_:_:)``.
protocol BinaryFunction {
    associatedtype A
    associatedtype B
    associatedtype Output
    func callAsFunction(_ a: A, _ b: B) -> Output
}

/// Wraps a closure; for operations dominated by a libm call, where an indirect call is negligible.
struct ClosureFunction<Input, Output>: UnaryFunction {
    let body: (Input) -> Output
    @inline(__always) func callAsFunction(_ x: Input) -> Output { body(x) }
}

// MARK: Floating-point unary functions

enum FloatFunctions {
    struct Negate<T: FloatElement>: UnaryFunction { @inline(__always) func callAsFunction(_ x: T) -> T { -x } }
    struct Absolute<T: FloatElement>: UnaryFunction { @inline(__always) func callAsFunction(_ x: T) -> T { Swift.abs(x) } }
    struct Sign<T: FloatElement>: UnaryFunction {
        @inline(__always) func callAsFunction(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? -1 : x) }
    }
    struct Square<T: FloatElement>: UnaryFunction { @inline(__always) func callAsFunction(_ x: T) -> T { x * x } }
    struct ReLU<T: FloatElement>: UnaryFunction {
        // NaN stays NaN (x > 0 is false for NaN, and NaN != NaN picks x).
        @inline(__always) func callAsFunction(_ x: T) -> T { x > 0 || x != x ? x : 0 }
    }
    struct LeakyReLU<T: FloatElement>: UnaryFunction {
        let slope: T
        @inline(__always) func callAsFunction(_ x: T) -> T { x > 0 ? x : x * slope }
    }
    struct Floor<T: FloatElement>: UnaryFunction { @inline(__always) func callAsFunction(_ x: T) -> T { x.rounded(.down) } }
    struct Ceil<T: FloatElement>: UnaryFunction { @inline(__always) func callAsFunction(_ x: T) -> T { x.rounded(.up) } }
    struct Round<T: FloatElement>: UnaryFunction { @inline(__always) func callAsFunction(_ x: T) -> T { x.rounded(.toNearestOrEven) } }
    struct Clamp<T: FloatElement>: UnaryFunction {
        let low: T, high: T
        @inline(__always) func callAsFunction(_ x: T) -> T { x < low ? low : (x > high ? high : x) }
    }
    struct SquareRoot<T: FloatElement>: UnaryFunction { @inline(__always) func callAsFunction(_ x: T) -> T { x.squareRoot() } }
    struct ReciprocalSquareRoot<T: FloatElement>: UnaryFunction { @inline(__always) func callAsFunction(_ x: T) -> T { 1 / x.squareRoot() } }
    struct Reciprocal<T: FloatElement>: UnaryFunction { @inline(__always) func callAsFunction(_ x: T) -> T { 1 / x } }
}

// MARK: Integer unary functions

enum IntegerFunctions {
    struct Negate<T: IntegerElement>: UnaryFunction { @inline(__always) func callAsFunction(_ x: T) -> T { 0 &- x } }
    struct Absolute<T: IntegerElement>: UnaryFunction { @inline(__always) func callAsFunction(_ x: T) -> T { x < 0 ? 0 &- x : x } }
    struct Sign<T: IntegerElement>: UnaryFunction {
        @inline(__always) func callAsFunction(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? 0 &- 1 : 0) }
    }
    struct Square<T: IntegerElement>: UnaryFunction { @inline(__always) func callAsFunction(_ x: T) -> T { x &* x } }
    struct ReLU<T: IntegerElement>: UnaryFunction { @inline(__always) func callAsFunction(_ x: T) -> T { x > 0 ? x : 0 } }
    struct Identity<T: IntegerElement>: UnaryFunction { @inline(__always) func callAsFunction(_ x: T) -> T { x } }
    struct Clamp<T: IntegerElement>: UnaryFunction {
        let low: T, high: T
        @inline(__always) func callAsFunction(_ x: T) -> T { x < low ? low : (x > high ? high : x) }
    }
}

// MARK: Binary functions

enum BinaryFunctions {
    struct Add<T: FloatElement>: BinaryFunction { @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { a + b } }
    struct Subtract<T: FloatElement>: BinaryFunction { @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { a - b } }
    struct Multiply<T: FloatElement>: BinaryFunction { @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { a * b } }
    struct Divide<T: FloatElement>: BinaryFunction { @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { a / b } }
    /// NaN-propagating maximum (as `torch.maximum`).
    struct Maximum<T: FloatElement>: BinaryFunction {
        @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { (a > b || a != a) ? a : b }
    }
    /// NaN-propagating minimum.
    struct Minimum<T: FloatElement>: BinaryFunction {
        @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { (a < b || a != a) ? a : b }
    }
    struct Power<T: FloatElement>: BinaryFunction {
        let pow: (T, T) -> T
        @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { b == 2 ? a * a : pow(a, b) }
    }

    struct WrappingAdd<T: IntegerElement>: BinaryFunction { @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { a &+ b } }
    struct WrappingSubtract<T: IntegerElement>: BinaryFunction { @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { a &- b } }
    struct WrappingMultiply<T: IntegerElement>: BinaryFunction { @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { a &* b } }
    struct IntegerMaximum<T: IntegerElement>: BinaryFunction { @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { Swift.max(a, b) } }
    struct IntegerMinimum<T: IntegerElement>: BinaryFunction { @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { Swift.min(a, b) } }
    struct IntegerPower<T: IntegerElement>: BinaryFunction {
        @inline(__always) func callAsFunction(_ base: T, _ exponent: T) -> T {
            if exponent < 0 {
                if base == 1 { return 1 }
                if T.isSigned && base == 0 &- 1 { return exponent & 1 == 0 ? 1 : base }
                return 0
            }
            var result: T = 1, b = base, e = exponent
            while e > 0 {
                if e & 1 == 1 { result = result &* b }
                b = b &* b
                e >>= 1
            }
            return result
        }
    }

    struct Equal<T: Comparable>: BinaryFunction { @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a == b } }
    struct NotEqual<T: Comparable>: BinaryFunction { @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a != b } }
    struct Less<T: Comparable>: BinaryFunction { @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a < b } }
    struct LessEqual<T: Comparable>: BinaryFunction { @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a <= b } }
    struct Greater<T: Comparable>: BinaryFunction { @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a > b } }
    struct GreaterEqual<T: Comparable>: BinaryFunction { @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a >= b } }

    struct And: BinaryFunction { @inline(__always) func callAsFunction(_ a: Bool, _ b: Bool) -> Bool { a && b } }
    struct Or: BinaryFunction { @inline(__always) func callAsFunction(_ a: Bool, _ b: Bool) -> Bool { a || b } }
    struct Xor: BinaryFunction { @inline(__always) func callAsFunction(_ a: Bool, _ b: Bool) -> Bool { a != b } }
}
