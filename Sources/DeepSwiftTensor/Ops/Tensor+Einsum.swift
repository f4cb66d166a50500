/// Einstein summation for one, two or more operands, reduced to permutes, sums and batched GEMMs.
///
/// Each operand's axes are named by one letter; letters that are absent from the output are summed.
/// Without `->`, the output is the letters that appear exactly once, in alphabetical order.
/// Repeated letters within one operand (diagonals) and `...` are not supported.
///
/// ```swift
/// Tensor.einsum("ij,jk->ik", a, b)              // matmul
/// Tensor.einsum("bhqd,bhkd->bhqk", q, k)        // attention scores
/// Tensor.einsum("bi,ij,bj->b", x, w, x)         // bilinear form, contracted left to right
/// Tensor.einsum("ij->j", a)                     // column sums
/// ```
extension Tensor {
    public static func einsum(_ equation: String, _ operands: Tensor...) -> Tensor { einsum(equation, operands) }

    public static func einsum(_ equation: String, _ operands: [Tensor]) -> Tensor {
        let compact = equation.filter { !$0.isWhitespace }
        tensorCheck(!compact.contains("..."), "einsum: '...' is not supported in \"\(equation)\"")
        let sides = compact.components(separatedBy: "->")
        tensorCheck(sides.count <= 2, "einsum: more than one '->' in \"\(equation)\"")
        let inputs = sides[0].split(separator: ",", omittingEmptySubsequences: false).map { Array($0) }
        tensorCheck(inputs.count == operands.count,
                     "einsum: \"\(equation)\" names \(inputs.count) operands, \(operands.count) given")
        var sizes: [Character: Int] = [:]
        for (labels, operand) in zip(inputs, operands) {
            tensorCheck(labels.count == operand.rank,
                         "einsum: \"\(String(labels))\" has \(labels.count) letters for an operand of shape \(shapeString(operand.shape))")
            tensorCheck(Set(labels).count == labels.count, "einsum: repeated letter in \"\(String(labels))\" (diagonals are not supported)")
            for (label, size) in zip(labels, operand.shape) {
                tensorCheck(label.isLetter, "einsum: '\(label)' is not a letter in \"\(equation)\"")
                if let known = sizes[label] {
                    tensorCheck(known == size, "einsum: letter '\(label)' has size \(known) and \(size) (shapes \(operands.map { shapeString($0.shape) }))")
                }
                sizes[label] = size
            }
        }
        let output: [Character]
        if sides.count == 2 {
            output = Array(sides[1])
            for label in output { tensorCheck(sizes[label] != nil, "einsum: output letter '\(label)' is not in any input of \"\(equation)\"") }
        } else {
            let all = inputs.flatMap { $0 }
            output = Set(all).filter { l in all.filter { $0 == l }.count == 1 }.sorted()
        }
        var current = operands[0], labels = inputs[0]
        if operands.count == 1 { return reduceAndPermute(current, labels, to: output) }
        for k in 1..<operands.count {
            let later = Set(inputs[(k + 1)...].flatMap { $0 }).union(output)
            let keep = (labels + inputs[k]).filter { later.contains($0) }
            var seen = Set<Character>()
            let intermediate = keep.filter { seen.insert($0).inserted }
            current = contractPair(current, labels, operands[k], inputs[k], to: k == operands.count - 1 ? output : intermediate)
            labels = k == operands.count - 1 ? output : intermediate
        }
        return current
    }

    /// Sums the axes whose labels are not in `target`, then orders the rest as `target`.
    private static func reduceAndPermute(_ t: Tensor, _ labels: [Character], to target: [Character]) -> Tensor {
        let summed = labels.indices.filter { !target.contains(labels[$0]) }
        var result = t, remaining = labels
        if !summed.isEmpty {
            result = t.sum(axes: summed)
            remaining = labels.filter { target.contains($0) }
        }
        return result.permuted(target.map { remaining.firstIndex(of: $0)! })
    }

    /// One pairwise contraction: [batch, left, contracted] · [batch, contracted, right] as a batched GEMM.
    private static func contractPair(_ a: Tensor, _ la: [Character], _ b: Tensor, _ lb: [Character], to out: [Character]) -> Tensor {
        let setA = Set(la), setB = Set(lb), setOut = Set(out)
        // Letters only in one operand and not wanted later are summed first.
        let a = reduceAndPermute(a, la, to: la.filter { setB.contains($0) || setOut.contains($0) })
        let la = la.filter { setB.contains($0) || setOut.contains($0) }
        let b = reduceAndPermute(b, lb, to: lb.filter { setA.contains($0) || setOut.contains($0) })
        let lb = lb.filter { setA.contains($0) || setOut.contains($0) }
        let batch = la.filter { setB.contains($0) && setOut.contains($0) }
        let contracted = la.filter { setB.contains($0) && !setOut.contains($0) }
        let left = la.filter { !setB.contains($0) }
        let right = lb.filter { !setA.contains($0) }
        func size(_ t: Tensor, _ labels: [Character], _ group: [Character]) -> Int {
            group.reduce(1) { $0 * t.shape[labels.firstIndex(of: $1)!] }
        }
        let a3 = a.permuted((batch + left + contracted).map { la.firstIndex(of: $0)! })
            .reshaped([size(a, la, batch), size(a, la, left), size(a, la, contracted)])
        let b3 = b.permuted((batch + contracted + right).map { lb.firstIndex(of: $0)! })
            .reshaped([size(b, lb, batch), size(b, lb, contracted), size(b, lb, right)])
        let product = a3.matmul(b3)
        let dims = batch.map { a.shape[la.firstIndex(of: $0)!] } + left.map { a.shape[la.firstIndex(of: $0)!] }
            + right.map { b.shape[lb.firstIndex(of: $0)!] }
        let produced = batch + left + right
        return product.reshaped(dims).permuted(out.map { produced.firstIndex(of: $0)! })
    }
}
