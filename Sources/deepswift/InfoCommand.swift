import ArgumentParser
import CDeepSwiftKernels
import DeepSwift

/// `deepswift info`: what this build will use on this machine.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show threads, vector instruction set and allocator settings.")

    @OptionGroup var compute: ComputeOptions

    func run() {
        compute.apply()
        let isa = ["baseline (SSE2)", "AVX2+FMA", "AVX-512"][Int(ds_kernels_isa())]
        print("threads:            \(ThreadSettings.numThreads) (cores: \(ThreadSettings.availableCores))")
        print("vector kernels:     \(isa)")
        print("allocator cache:    \(TensorAllocator.cacheLimitBytes >> 20) MiB limit")
        print(jsonLine([("threads", .int(ThreadSettings.numThreads)), ("isa", .string(isa)),
                        ("cores", .int(ThreadSettings.availableCores))]))
    }
}
