import Foundation
import CDeepSwiftDNNL
import DeepSwiftTensor
import Synchronization

/// oneDNN primitives, created once per configuration and kept in a cache, so that a training
/// step creates no primitive after its first iteration.
///
/// Float32 tensors in plain layouts (NCHW activations, `[out, in/groups, kh, kw]` weights) are
/// passed to oneDNN directly: no reorders. oneDNN's OpenMP pool follows ``ThreadSettings``.
enum OneDNN {
    final class ConvolutionPrimitive: @unchecked Sendable {
        let handle: OpaquePointer
        init(_ handle: OpaquePointer) { self.handle = handle }
        deinit { ds_conv_destroy(handle) }
        var implementation: String { String(cString: ds_conv_implementation(handle)) }
    }

    final class PoolingPrimitive: @unchecked Sendable {
        let handle: OpaquePointer
        let workspaceBytes: Int
        init(_ handle: OpaquePointer) {
            self.handle = handle
            workspaceBytes = Int(ds_pool_workspace_size(handle))
        }
        deinit { ds_pool_destroy(handle) }
    }

    struct PoolingKey: Hashable { var geometry: ConvolutionGeometry; var kind: Int32 }

    struct Cache {
        var convolutions: [ConvolutionGeometry: ConvolutionPrimitive] = [:]
        var convolutionsWithBias: [ConvolutionGeometry: ConvolutionPrimitive] = [:]
        var poolings: [PoolingKey: PoolingPrimitive] = [:]
        var created = 0
    }

    /// At most this many primitives of each kind are kept; beyond it the cache starts afresh.
    static let capacity = 512

    static let cache: Mutex<Cache> = {
        // oneDNN's OpenMP pool follows the thread setting only when OpenMP waits passively:
        // spinning OpenMP threads next to OpenBLAS's and DeepSwift's pools made a LeNet convolution
        // 8× slower on the development machine (32 ms instead of 4 ms). libgomp reads
        // OMP_WAIT_POLICY when the process starts, so the `deepswift` tool restarts itself with
        // OMP_WAIT_POLICY=PASSIVE; a program that does not set it gets a single OpenMP thread.
        _ = isMultiThreaded
        return Mutex(Cache())
    }()

    /// Whether oneDNN runs on more than one thread (see ``cache``); configures its pool on first use.
    static let isMultiThreaded: Bool = {
        let passive = ProcessInfo.processInfo.environment["OMP_WAIT_POLICY"]?.uppercased() == "PASSIVE"
        if passive { ThreadSettings.onChange { ds_dnnl_set_num_threads(Int32($0)) } } else { ds_dnnl_set_num_threads(1) }
        return passive
    }()

    /// Number of primitives created so far (a training step should add none after the first).
    static var primitivesCreated: Int { cache.withLock { $0.created } }

    static func convolution(_ g: ConvolutionGeometry, bias: Bool) -> ConvolutionPrimitive {
        if let found = cache.withLock({ bias ? $0.convolutionsWithBias[g] : $0.convolutions[g] }) { return found }
        var config = ds_conv_config(n: Int64(g.batch), c: Int64(g.channels), h: Int64(g.height), w: Int64(g.width),
                                    oc: Int64(g.outputChannels), kh: Int64(g.kernelHeight), kw: Int64(g.kernelWidth),
                                    sh: Int64(g.strideHeight), sw: Int64(g.strideWidth), ph: Int64(g.padTop), pw: Int64(g.padLeft),
                                    ph_r: Int64(g.padBottom), pw_r: Int64(g.padRight), dh: Int64(g.dilationHeight),
                                    dw: Int64(g.dilationWidth), groups: Int64(g.groups), has_bias: bias ? 1 : 0)
        var handle: OpaquePointer?
        let status = ds_conv_create(&config, &handle)
        guard status == 0, let handle else { tensorFailure("oneDNN could not create a convolution for \(g) (status \(status))") }
        let primitive = ConvolutionPrimitive(handle)
        cache.withLock { c in
            if c.convolutions.count + c.convolutionsWithBias.count >= capacity { c.convolutions = [:]; c.convolutionsWithBias = [:] }
            if bias { c.convolutionsWithBias[g] = primitive } else { c.convolutions[g] = primitive }
            c.created += 1
        }
        return primitive
    }

    static func pooling(_ g: ConvolutionGeometry, kind: Int32) -> PoolingPrimitive {
        let key = PoolingKey(geometry: g, kind: kind)
        if let found = cache.withLock({ $0.poolings[key] }) { return found }
        var config = ds_pool_config(n: Int64(g.batch), c: Int64(g.channels), h: Int64(g.height), w: Int64(g.width),
                                    oh: Int64(g.outputHeight), ow: Int64(g.outputWidth), kh: Int64(g.kernelHeight),
                                    kw: Int64(g.kernelWidth), sh: Int64(g.strideHeight), sw: Int64(g.strideWidth),
                                    ph: Int64(g.padTop), pw: Int64(g.padLeft), ph_r: Int64(g.padBottom), pw_r: Int64(g.padRight),
                                    kind: kind)
        var handle: OpaquePointer?
        let status = ds_pool_create(&config, &handle)
        guard status == 0, let handle else { tensorFailure("oneDNN could not create a pooling primitive for \(g) (status \(status))") }
        let primitive = PoolingPrimitive(handle)
        cache.withLock { c in
            if c.poolings.count >= capacity { c.poolings = [:] }
            c.poolings[key] = primitive
            c.created += 1
        }
        return primitive
    }

    static func check(_ status: Int32, _ what: String) {
        tensorCheck(status == 0, "oneDNN \(what) failed with status \(status)")
    }
}

/// Counters of the oneDNN backend.
public enum OneDNNStatistics {
    /// Primitives (convolution and pooling) created so far; a training step adds none after its first.
    public static var primitivesCreated: Int { OneDNN.primitivesCreated }
}
