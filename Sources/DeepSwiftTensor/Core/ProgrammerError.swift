/// Checks for programmer errors inside tensor math (mismatched shapes, bad axes, wrong dtypes).
///
/// Unlike `precondition`, whose message is dropped in optimized builds, these always print the
/// message (with both shapes, where shapes are involved) before stopping the program.
@inline(__always)
public func tensorCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                 file: StaticString = #fileID, line: UInt = #line) {
    if _slowPath(!condition()) { tensorFailure(message(), file: file, line: line) }
}

/// Stops the program with `message` (see ``tensorCheck(_:_:file:line:)``).
@inline(never)
public func tensorFailure(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError("DeepSwift: " + message, file: file, line: line)
}
