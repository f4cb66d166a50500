import DeepSwiftTensor

extension DataSet {
    /// Samples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> DataSet {
        let index = Tensor(indices.map(Int64.init))
        return DataSet(features: features.indexSelect(axis: 0, indices: index), labels: labels.indexSelect(axis: 0, indices: index))
    }

    /// Splits into parts of the given fractions (the last part takes the rest), after a shuffle
    /// drawn from `seed`. `stratified` keeps each class's share in every part (integer labels).
    ///
    /// ```swift
    /// let parts = data.split([0.8, 0.2], seed: 1, stratified: true)   // train, test
    /// ```
    public func split(_ fractions: [Double], seed: UInt64, stratified: Bool = false) -> [DataSet] {
        tensorCheck(!fractions.isEmpty && fractions.allSatisfy { $0 >= 0 } && fractions.reduce(0, +) <= 1 + 1e-9,
                    "DataSet.split: fractions \(fractions) must be non-negative and sum to at most 1")
        var rng = PhiloxGenerator(seed: seed)
        let order = Tensor.permutation(count, using: &rng).scalars(as: Int64.self).map(Int.init)
        var groups: [[Int]]
        if stratified {
            tensorCheck(labels.rank == 1 && !labels.dtype.isFloatingPoint, "DataSet.split: stratified needs integer class labels [N], got \(labels.dtype) \(labels.shape)")
            let classes = labels.cast(to: .int64).scalars(as: Int64.self)
            var byClass: [Int64: [Int]] = [:]
            for i in order { byClass[classes[i], default: []].append(i) }
            groups = byClass.keys.sorted().map { byClass[$0]! }
        } else {
            groups = [order]
        }
        var parts = [[Int]](repeating: [], count: fractions.count)
        for group in groups {
            var start = 0
            for (p, f) in fractions.enumerated() {
                let n = p == fractions.count - 1 ? group.count - start : Swift.min(group.count - start, Int((f * Double(group.count)).rounded()))
                parts[p] += group[start..<(start + n)]
                start += n
            }
        }
        var rank = [Int](repeating: 0, count: count)
        for (position, i) in order.enumerated() { rank[i] = position }
        return parts.map { subset($0.sorted { rank[$0] < rank[$1] }) }
    }
}
