import DeepSwiftTensor
import Foundation
import Testing

/// Checks that `actual` has `expected`'s shape and that every element is within
/// `atol + rtol·|expected|`; on failure, reports the worst element with its index.
public func expectClose(
    _ actual: Tensor, _ expected: Tensor, rtol: Double = 1e-5, atol: Double = 1e-6,
    _ message: String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.shape == expected.shape else {
        Issue.record("\(message) shape mismatch: actual \(actual.shape) vs expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    let a = actual.doubles, e = expected.doubles
    var worst = -1, worstExcess = 0.0
    for i in a.indices {
        if a[i].isNaN && e[i].isNaN { continue }
        if a[i] == e[i] { continue }
        let excess = abs(a[i] - e[i]) - (atol + rtol * abs(e[i]))
        if excess > worstExcess || (a[i].isNaN != e[i].isNaN) {
            worstExcess = a[i].isNaN != e[i].isNaN ? .infinity : excess
            worst = i
        }
    }
    if worst >= 0 {
        Issue.record("\(message) element \(worst) differs: actual \(a[worst]) vs expected \(e[worst]) (rtol \(rtol), atol \(atol))",
                     sourceLocation: sourceLocation)
    }
}

/// Checks exact equality of shape, dtype and values.
public func expectEqual(_ actual: Tensor, _ expected: Tensor, _ message: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    if actual.shape != expected.shape || actual.dtype != expected.dtype || actual.doubles != expected.doubles {
        Issue.record("\(message) tensors differ:\nactual   \(actual.dtype) \(actual.shape) \(actual.doubles.prefix(20))\nexpected \(expected.dtype) \(expected.shape) \(expected.doubles.prefix(20))",
                     sourceLocation: sourceLocation)
    }
}

/// Runs `body` in a child process-free way and reports whether it trapped is not possible in
/// Swift Testing on Linux; instead, preconditions are tested through `Tensor.broadcastShape` and
/// other non-trapping queries. This helper formats a shape like the library's messages do.
public func shapeText(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
