import DeepSwiftTensor
import Testing

/// Shape mismatches stop the program with a message that prints both shapes (exit tests run the
/// body in a child process and read its standard error).
@Suite struct ProgrammerErrorTests {

    @Test func broadcastMismatchPrintsBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("[2, 3]") && text.contains("[4]"), "message was: \(text)")
    }

    @Test func matmulMismatchPrintsBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).matmul(Tensor.zeros([4, 5]))
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("[2, 3]") && text.contains("[4, 5]"), "message was: \(text)")
    }

    @Test func reshapeMismatchNamesTheShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).reshaped([4, 2])
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("[2, 3]") && text.contains("[4, 2]"), "message was: \(text)")
    }
}
