import ArgumentParser
import DeepSwift
import Foundation

/// `deepswift demo`: a short tour of the tensor library (the main job until training lands).
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A short tour of DeepSwift tensors: creation, views, math, matmul, random numbers, .npy files.")

    @OptionGroup var compute: ComputeOptions
    @Option(help: "Seed for the random tensors.") var seed: UInt64 = 42
    @Flag(help: "Print a JSON summary as the last line.") var json = false

    func run() throws {
        compute.apply()
        var rng = PhiloxGenerator(seed: seed)
        let x = Tensor.arange(12).cast(to: .float32).reshaped([3, 4])
        print("x =", x)
        print("x.T (a view, no copy) =", x.T)
        print("x[1..., .range(step: -1)] =", x[1..., .range(step: -1)])
        print("softmax(x, axis: 1) =", x.softmax(axis: 1))
        let w = Tensor.normal([4, 2], std: 0.5, using: &rng)
        print("w ~ N(0, 0.5²) =", w)
        let y = x.matmul(w).gelu()
        print("gelu(x · w) =", y)
        print("sum over rows =", y.sum(axis: 0), " argmax per row =", y.argmax(axis: 1))

        // Least squares by gradient descent, to show the pieces working together.
        let inputs = Tensor.uniform([256, 3], low: -1, high: 1, using: &rng)
        let trueWeights = Tensor([2, -3, 0.5] as [Float], shape: [3, 1])
        let targets = inputs.matmul(trueWeights) + Tensor.normal([256, 1], std: 0.01, using: &rng)
        var weights = Tensor.zeros([3, 1])
        for _ in 0..<200 {
            let residual = inputs.matmul(weights) - targets
            let gradient = inputs.T.matmul(residual) * (2.0 / 256)
            weights -= gradient * 0.5
        }
        let loss = (inputs.matmul(weights) - targets).squared().mean().scalarValue
        print("fitted weights (true 2, -3, 0.5) =", weights.reshaped([3]), " mse =", loss)

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("deepswift-demo.npy").path
        try NumPy.save(weights, to: path)
        let reloaded = try NumPy.load(path)
        print("saved and reloaded \(path): equal =", reloaded == weights)
        if json {
            print(jsonLine([("demo", .string("tensor")), ("mse", .double(loss)), ("threads", .int(ThreadSettings.numThreads))]))
        }
    }
}
