import CMPI
import DeepSwiftTensor
import DeepSwiftTrain
import Foundation

/// Errors of the MPI layer, with the call that failed.
public enum DistributedError: Error, CustomStringConvertible {
    case mpi(call: String, code: Int32)
    public var description: String {
        switch self {
        case let .mpi(call, code): return "MPI call \(call) failed with error code \(code)"
        }
    }
}

/// ``Communicator`` on MPI's `MPI_COMM_WORLD`: the processes started by `mpirun -np N` (or srun,
/// or a Kubernetes MPI operator) train one model together.
///
/// ```swift
/// let world = try MPICommunicator()          // MPI_Init_thread; rank and size from mpirun
/// trainer.communicator = world
/// try trainer.fit(data, epochs: 1, batchSize: 64, seed: 42)   // same code as on one process
/// ```
///
/// MPI is initialized once per process (with `MPI_THREAD_FUNNELED`: only the thread that created
/// the communicator calls MPI) and finalized at exit. Errors abort the whole job
/// (`MPI_ERRORS_ARE_FATAL`), so a rank that dies makes the others fail instead of hang.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    nonisolated(unsafe) private static var initialized = false

    public init() throws {
        if !Self.initialized {
            var provided: Int32 = 0
            let code = MPI_Init_thread(nil, nil, ds_mpi_thread_funneled(), &provided)
            guard code == ds_mpi_success() else { throw DistributedError.mpi(call: "MPI_Init_thread", code: code) }
            Self.initialized = true
            MPI_Comm_set_errhandler(ds_mpi_comm_world(), ds_mpi_errors_are_fatal())
            atexit { MPI_Finalize() }
        }
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(ds_mpi_comm_world(), &r)
        MPI_Comm_size(ds_mpi_comm_world(), &s)
        rank = Int(r)
        size = Int(s)
    }

    /// Whether this process was started by an MPI launcher (`mpirun` sets these variables).
    public static var launchedByMPI: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMI_SIZE"] != nil || env["PMIX_RANK"] != nil
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        allreduceInPlace(buffer, type: ds_mpi_float(), operation: ds_mpi_sum())
    }

    /// Half-precision sums on the wire (a user-defined MPI operation adding float16 pairs).
    public func allreduceSumHalf(_ buffer: UnsafeMutableBufferPointer<UInt16>) {
        allreduceInPlace(buffer, type: ds_mpi_uint16(), operation: ds_mpi_f16_sum())
    }

    /// MPI_Allreduce in place, large buffers in pieces (MPI counts are 32-bit).
    private func allreduceInPlace<T>(_ buffer: UnsafeMutableBufferPointer<T>, type: MPI_Datatype, operation: MPI_Op) {
        guard size > 1, buffer.count > 0 else { return }
        var offset = 0
        while offset < buffer.count {
            let n = Swift.min(buffer.count - offset, Int(Int32.max))
            MPI_Allreduce(ds_mpi_in_place(), buffer.baseAddress! + offset, Int32(n), type, operation, ds_mpi_comm_world())
            offset += n
        }
    }

    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) {
        guard size > 1, buffer.count > 0 else { return }
        MPI_Bcast(buffer.baseAddress, Int32(buffer.count), ds_mpi_float(), Int32(root), ds_mpi_comm_world())
    }

    public func allgather(_ values: [Double]) -> [[Double]] {
        guard size > 1 else { return [values] }
        var out = [Double](repeating: 0, count: values.count * size)
        values.withUnsafeBufferPointer { send in
            out.withUnsafeMutableBufferPointer { receive in
                _ = MPI_Allgather(send.baseAddress, Int32(values.count), ds_mpi_double(), receive.baseAddress, Int32(values.count),
                                  ds_mpi_double(), ds_mpi_comm_world())
            }
        }
        return (0..<size).map { Array(out[($0 * values.count)..<(($0 + 1) * values.count)]) }
    }

    public func barrier() { if size > 1 { MPI_Barrier(ds_mpi_comm_world()) } }

    private var outstanding: [MPIReduction] = []
    /// Whether ``startAllreduceSum(_:)`` uses `MPI_Iallreduce` (to overlap reductions with the rest of
    /// the backward pass) instead of reducing at once. Off by default: overlap needs a core with
    /// nothing else to do, and OpenMPI's non-blocking collectives are slower than its blocking ones
    /// (LeNet's gradients on 2 ranks of this 2-core machine: 0.36 ms vs 0.22 ms per step). Turn it
    /// on when ranks leave cores idle or reductions cross a network.
    public var nonBlockingReductions = ProcessInfo.processInfo.environment["DEEPSWIFT_NONBLOCKING_ALLREDUCE"] == "1"
    public var overlapsReductions: Bool { nonBlockingReductions }

    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> any PendingReduction {
        let reduction = MPIReduction(communicator: self)
        if !nonBlockingReductions { allreduceSum(buffer); return reduction }
        if size > 1 && buffer.count > 0 {
            MPI_Iallreduce(ds_mpi_in_place(), buffer.baseAddress, Int32(buffer.count), ds_mpi_float(), ds_mpi_sum(), ds_mpi_comm_world(),
                           &reduction.request)
            reduction.active = true
            outstanding.append(reduction)
        }
        return reduction
    }

    public func progress() {
        outstanding.removeAll { !$0.active }
        for reduction in outstanding { reduction.test() }
    }
}

/// An `MPI_Iallreduce` in flight.
final class MPIReduction: PendingReduction {
    var request = MPI_Request(bitPattern: 0)
    var active = false
    unowned let communicator: MPICommunicator

    init(communicator: MPICommunicator) { self.communicator = communicator }

    func test() {
        guard active else { return }
        var done: Int32 = 0
        MPI_Test(&request, &done, nil)
        if done != 0 { active = false }
    }

    func wait() {
        guard active else { return }
        MPI_Wait(&request, nil)
        active = false
    }
}
