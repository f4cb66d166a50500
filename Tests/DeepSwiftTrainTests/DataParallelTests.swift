import CDeepSwiftKernels
import DeepSwiftAutodiff
import DeepSwiftData
import DeepSwiftNN
import DeepSwiftOptim
import DeepSwiftTensor
import DeepSwiftTestSupport
import DeepSwiftTrain
import Foundation
import Testing

/// Synchronous data parallelism on in-process groups (threads): N members with a global batch B
/// end with the weights of one member with batch B.
@Suite struct DataParallelTests {
    static func model(seed: UInt64) -> Sequential {
        var rng = PhiloxGenerator(seed: seed)
        return Sequential {
            Dense(6, 16, activation: .relu, using: &rng)
            Dense(16, 3, using: &rng)
        }
    }

    static func data() -> DataSet {
        var rng = PhiloxGenerator(seed: 5)
        return DataSet(features: Tensor.normal([50, 6], using: &rng), labels: Tensor.randomInt([50], low: 0, high: 3, using: &rng))
    }

    static func train(_ network: Sequential, communicator: (any Communicator)?) throws -> [EpochResult] {
        let trainer = Trainer(model: network, optimizer: Adam(network.parameters, learningRate: 1e-2)) {
            Losses.softmaxCrossEntropy(logits: $0, labels: $1)
        }
        trainer.communicator = communicator
        return try trainer.fit(data(), epochs: 2, batchSize: 12, seed: 7)
    }

    /// Runs `body(rank)` on `size` real threads (a barrier inside needs them all running at once).
    static func onThreads(_ size: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let done = DispatchSemaphore(value: 0)
        for rank in 0..<size {
            Thread.detachNewThread {
                body(rank)
                done.signal()
            }
        }
        for _ in 0..<size { done.wait() }
    }

    final class Results: @unchecked Sendable {
        var weights: [[Float]]
        var losses: [[Double]]
        var checksums: [[Double]] = []
        init(_ n: Int) { weights = Array(repeating: [], count: n); losses = Array(repeating: [], count: n) }
    }

    @Test(arguments: [2, 3])
    func membersMatchOneProcessWithTheSameGlobalBatch(_ size: Int) throws {
        let single = Self.model(seed: 1)
        let reference = try Self.train(single, communicator: nil)
        let expected = FlatParameters.gather(single.parameters)

        let group = InProcessGroup(size: size)
        let results = Results(size)
        Self.onThreads(size) { rank in
            // Different initial weights per member: rank 0's are broadcast at the start.
            let network = Self.model(seed: 1 + UInt64(rank) * 100)
            let history = try! Self.train(network, communicator: group.members[rank])
            results.weights[rank] = FlatParameters.gather(network.parameters)
            results.losses[rank] = history.map(\.loss)
        }
        for rank in 0..<size {
            expectClose(Tensor(results.weights[rank]), Tensor(expected), rtol: 1e-5, atol: 1e-5, "rank \(rank) of \(size)")
            for (a, b) in zip(results.losses[rank], reference.map(\.loss)) { #expect(abs(a - b) < 1e-5, "epoch loss \(a) vs \(b)") }
        }
    }

    @Test func collectivesSumBroadcastAndGatherInRankOrder() {
        let group = InProcessGroup(size: 3)
        let results = Results(3)
        Self.onThreads(3) { rank in
            let c = group.members[rank]
            var buffer: [Float] = [Float(rank), 1, Float(rank * rank)]
            buffer.withUnsafeMutableBufferPointer { c.allreduceSum($0) }
            var root: [Float] = rank == 2 ? [7, 8] : [0, 0]
            root.withUnsafeMutableBufferPointer { c.broadcast($0, root: 2) }
            let gathered = c.allgather([Double(rank) * 10])
            c.barrier()
            results.weights[rank] = buffer + root + gathered.map { Float($0[0]) }
        }
        for rank in 0..<3 { #expect(results.weights[rank] == [3, 3, 5, 7, 8, 0, 10, 20]) }
    }
}

@Suite struct CheckpointTests {
    /// Two epochs straight equal one epoch, a checkpoint, and a resumed second epoch — also when
    /// the second epoch runs on two data-parallel members instead of one.
    @Test func resumingContinuesTheSameRunOnAnyNumberOfMembers() throws {
        let straight = DataParallelTests.model(seed: 1)
        _ = try DataParallelTests.train(straight, communicator: nil)   // 2 epochs
        let expected = FlatParameters.gather(straight.parameters)

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("deepswift-ckpt-\(UUID()).npz").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = DataParallelTests.model(seed: 1)
        let trainer = Trainer(model: first, optimizer: Adam(first.parameters, learningRate: 1e-2)) { Losses.softmaxCrossEntropy(logits: $0, labels: $1) }
        _ = try trainer.fit(DataParallelTests.data(), epochs: 1, batchSize: 12, seed: 7,
                            listeners: [CheckpointWriter(path: path, trainer: trainer)])

        // Resume on one member.
        let again = DataParallelTests.model(seed: 99)
        let resumed = Trainer(model: again, optimizer: Adam(again.parameters, learningRate: 1e-2)) { Losses.softmaxCrossEntropy(logits: $0, labels: $1) }
        #expect(try Checkpoint.restore(from: path, into: resumed) == 1)
        _ = try resumed.fit(DataParallelTests.data(), epochs: 2, batchSize: 12, seed: 7, startEpoch: 1)
        expectClose(Tensor(FlatParameters.gather(again.parameters)), Tensor(expected), rtol: 1e-6, atol: 1e-6, "resumed on 1")

        // Resume on two members.
        let group = InProcessGroup(size: 2)
        let results = DataParallelTests.Results(2)
        DataParallelTests.onThreads(2) { rank in
            let network = DataParallelTests.model(seed: 500 + UInt64(rank))
            let t = Trainer(model: network, optimizer: Adam(network.parameters, learningRate: 1e-2)) { Losses.softmaxCrossEntropy(logits: $0, labels: $1) }
            t.communicator = group.members[rank]
            let start = try! Checkpoint.restore(from: path, into: t)
            _ = try! t.fit(DataParallelTests.data(), epochs: 2, batchSize: 12, seed: 7, startEpoch: start)
            results.weights[rank] = FlatParameters.gather(network.parameters)
        }
        for rank in 0..<2 { expectClose(Tensor(results.weights[rank]), Tensor(expected), rtol: 1e-5, atol: 1e-5, "resumed on 2, rank \(rank)") }

        // A checkpoint of another model names the mismatch.
        let other = Sequential { Dense(6, 4, seed: 1) }
        let wrong = Trainer(model: other, optimizer: Adam(other.parameters)) { Losses.softmaxCrossEntropy(logits: $0, labels: $1) }
        #expect(throws: DataError.self) { try Checkpoint.restore(from: path, into: wrong) }
    }
}

/// `mpirun` jobs of the real command-line tool (skipped where OpenMPI or the built tool is missing).
@Suite(.serialized) struct MPIJobTests {
    static let root = URL(fileURLWithPath: Fixtures.directory.path).deletingLastPathComponent().deletingLastPathComponent()
    static var tool: String { root.appendingPathComponent(".build/debug/deepswift").path }
    static var mpirun: String? { ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) } }

    static func launch(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun!)
        process.arguments = ["--allow-run-as-root", "--oversubscribe", "--mca", "mpi_yield_when_idle", "1"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// A rank killed with SIGKILL makes the whole job exit non-zero within seconds (no hang).
    @Test func aKilledRankEndsTheJobQuickly() throws {
        guard mpirunAvailable() else { return }
        let started = Date()
        let job = try Self.launch(["-np", "2", Self.tool, "bench", "allreduce", "--count", "100000", "--runs", "1000000"])
        // Wait for the two ranks to exist, then kill one.
        var pids: [Int32] = []
        for _ in 0..<100 where pids.count < 2 {
            Thread.sleep(forTimeInterval: 0.1)
            pids = Self.children(of: job.processIdentifier)
        }
        #expect(pids.count >= 1, "the ranks did not start")
        if let victim = pids.first { kill(victim, SIGKILL) }
        let killedAt = Date()
        while job.isRunning && Date().timeIntervalSince(killedAt) < 20 { Thread.sleep(forTimeInterval: 0.1) }
        let ended = !job.isRunning
        if !ended { job.terminate() }
        #expect(ended, "the job still ran 20 s after a rank was killed")
        if ended { #expect(job.terminationStatus != 0) }
        _ = started
    }

    /// Runs `command` (bash) inside host 1 of a simulated cluster of `hosts` network namespaces
    /// (scripts/netns_cluster.sh); nil when namespaces cannot be created here.
    static func onCluster(hosts: Int, _ command: String, timeout: TimeInterval = 240) throws -> (status: Int32, output: String)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["timeout", "\(Int(timeout))", root.appendingPathComponent("scripts/netns_cluster.sh").path, "\(hosts)", "--", "bash", "-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        if process.terminationStatus == 3 && output.contains("cannot create network namespaces") {
            print("multi-host test skipped: \(output)")
            return nil
        }
        return (process.terminationStatus, output)
    }

    /// Three "hosts" (network namespaces on a private bridge, TCP only): collectives work, and a
    /// two-host training run gives a trained model; killing one host's rank ends the job quickly.
    @Test func simulatedMultiHostClusterTrainsAndFailsFast() throws {
        guard mpirunAvailable(), let data = Fixtures.mnistDirectory else { return }
        let tool = Self.tool
        guard let reduce = try Self.onCluster(hosts: 3, "mpirun $MPIRUN_ARGS -np 3 \(tool) bench allreduce --count 1000000 --runs 3") else { return }
        #expect(reduce.status == 0 && reduce.output.contains("\"ranks\":3"), "allreduce on 3 hosts: \(reduce.output)")

        let train = try Self.onCluster(hosts: 2, "mpirun $MPIRUN_ARGS -np 2 \(tool) train mlp-mnist --distributed --epochs 1 --json --quiet --data \(data)")!
        let line = train.output.split(separator: "\n").last { $0.hasPrefix("{") } ?? ""
        #expect(train.status == 0 && line.contains("\"ranks\":2"), "training on 2 hosts: \(train.output)")
        if let range = line.range(of: "\"test_accuracy\":") {
            let value = Double(line[range.upperBound...].prefix { $0 == "." || $0.isNumber }) ?? 0
            #expect(value > 0.95, "accuracy \(value)")
        }

        // Fault: kill -9 the rank on host 2 while the ranks are reducing; the job must end non-zero within seconds.
        let fault = try Self.onCluster(hosts: 2, """
            mpirun $MPIRUN_ARGS -np 2 \(tool) bench allreduce --count 100000 --runs 100000000 & job=$!
            for i in $(seq 1 100); do
                victim=$(for p in $(ip netns pids ${CLUSTER_PREFIX}h2); do [ "$(cat /proc/$p/comm 2>/dev/null)" = deepswift ] && echo $p; done | head -1)
                [ -n "$victim" ] && break; sleep 0.1
            done
            [ -n "$victim" ] || { echo "no rank found on host 2"; exit 90; }
            sleep 1; start=$(date +%s); kill -9 $victim
            wait $job; status=$?; end=$(date +%s)
            echo "job status $status after $((end - start)) s"
            [ $status -ne 0 ] && [ $((end - start)) -le 20 ]
            """, timeout: 120)!
        #expect(fault.status == 0, "a killed rank must end the job non-zero within 20 s: \(fault.output)")
    }

    /// A rank that hangs (SIGSTOP, not dead) blocks its peers' collectives; their watchdog
    /// (`--timeout`) ends them, and with them the job, with a message saying why.
    @Test func aHungRankIsCaughtByTheWatchdog() throws {
        guard mpirunAvailable(), let data = Fixtures.mnistDirectory else { return }
        let output = Pipe()
        let job = Process()
        job.executableURL = URL(fileURLWithPath: Self.mpirun!)
        job.arguments = ["--allow-run-as-root", "--oversubscribe", "--mca", "mpi_yield_when_idle", "1", "-np", "2", Self.tool, "train", "mlp-mnist",
                         "--distributed", "--epochs", "50", "--timeout", "3", "--quiet", "--data", data]
        job.standardOutput = output
        job.standardError = output
        try job.run()
        // Rank 0 prints its "training ..." line once MPI is up, the data loaded and its watchdog set.
        var text = ""
        let reader = output.fileHandleForReading
        while !text.contains("training mlp-mnist") {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let ranks = Self.children(of: job.processIdentifier, matching: "mlp-mnist")
        #expect(ranks.count == 2, "the ranks did not start: \(text)")
        // Hang rank 1 (SIGSTOP): rank 0 then waits in a collective until its watchdog fires.
        let hung = ranks.first { (try? String(contentsOfFile: "/proc/\($0)/environ", encoding: .utf8))?.contains("OMPI_COMM_WORLD_RANK=1") == true }
        Thread.sleep(forTimeInterval: 0.5)
        if let hung { kill(hung, SIGSTOP) }
        let stoppedAt = Date()
        while job.isRunning && Date().timeIntervalSince(stoppedAt) < 30 { Thread.sleep(forTimeInterval: 0.2) }
        let ended = !job.isRunning
        for rank in ranks { kill(rank, SIGKILL) }
        if !ended { job.terminate() }
        if ended { text += String(decoding: reader.readDataToEndOfFile(), as: UTF8.self) }
        #expect(ended, "the job still ran 30 s after a rank hung")
        if ended { #expect(job.terminationStatus != 0) }
        #expect(text.contains("no training progress"), "the watchdog's message: \(text.suffix(600))")
    }

    func mpirunAvailable() -> Bool {
        guard Self.mpirun != nil, FileManager.default.isExecutableFile(atPath: Self.tool) else {
            print("MPIJobTests skipped: mpirun or \(Self.tool) missing")
            return false
        }
        return true
    }

    /// Descendant processes of `pid` whose command is the tool (read from /proc).
    static func children(of pid: Int32, matching word: String = "allreduce") -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var result: [Int32] = []
        for entry in entries {
            guard let p = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8),
                  let cmd = try? String(contentsOfFile: "/proc/\(p)/cmdline", encoding: .utf8) else { continue }
            let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
            guard fields.count > 2, let parent = Int32(fields[1]) else { continue }
            if cmd.contains("deepswift") && cmd.contains(word) && (parent == pid || isDescendant(parent, of: pid)) { result.append(p) }
        }
        return result
    }

    static func isDescendant(_ p: Int32, of ancestor: Int32) -> Bool {
        var current = p
        for _ in 0..<8 {
            guard current > 1, let stat = try? String(contentsOfFile: "/proc/\(current)/stat", encoding: .utf8),
                  let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 2, let parent = Int32(fields[1]) else { return false }
            if parent == ancestor { return true }
            current = parent
        }
        return false
    }
}

@Suite struct ParameterAveragingTests {
    static func run(_ network: Sequential, _ communicator: (any Communicator)?, interval: Int?) throws {
        let trainer = Trainer(model: network, optimizer: SGD(network.parameters, learningRate: 0.1)) {
            Losses.softmaxCrossEntropy(logits: $0, labels: $1)
        }
        trainer.communicator = communicator
        trainer.parameterAveragingInterval = interval
        _ = try trainer.fit(DataParallelTests.data(), epochs: 2, batchSize: 12, seed: 7)
    }

    /// With plain SGD, equal slices and averaging after every step, parameter averaging is the same
    /// update as gradient averaging; with a longer interval the members still end identical.
    @Test func averagingEveryStepEqualsGradientAveragingForSGD() throws {
        let single = DataParallelTests.model(seed: 1)
        try Self.run(single, nil, interval: nil)
        let expected = FlatParameters.gather(single.parameters)
        for interval in [1, 3] {
            let group = InProcessGroup(size: 2)
            let results = DataParallelTests.Results(2)
            DataParallelTests.onThreads(2) { rank in
                let network = DataParallelTests.model(seed: 1 + UInt64(rank) * 7)
                try! Self.run(network, group.members[rank], interval: interval)
                results.weights[rank] = FlatParameters.gather(network.parameters)
            }
            #expect(results.weights[0] == results.weights[1], "members differ after averaging every \(interval)")
            if interval == 1 { expectClose(Tensor(results.weights[0]), Tensor(expected), rtol: 1e-5, atol: 1e-5, "interval 1") }
        }
    }
}

/// Gradient compression: float16 conversions are exact IEEE rounding, and error feedback keeps
/// what rounding drops.
@Suite struct GradientCompressionTests {
    @Test func halfConversionsMatchSwiftsFloat16() {
        var values: [Float] = [0, -0, 1, -1, 0.1, 65504, 65520, 70000, 6e-8, 3e-8, 5.96e-8, 1e-5, -2.5e-6, .infinity, -.infinity, 1.0009765, 1.00048828125]
        var rng = PhiloxGenerator(seed: 9)
        values += Tensor.normal([3000], std: 100, using: &rng).scalars(as: Float.self)
        values += Tensor.normal([3000], std: 1e-5, using: &rng).scalars(as: Float.self)
        for portable in [Int32(0), 1] {
            var half = [UInt16](repeating: 0, count: values.count), back = [Float](repeating: 0, count: values.count)
            ds_f32_to_f16(values, &half, values.count, portable)
            ds_f16_to_f32(half, &back, values.count, portable)
            for (i, v) in values.enumerated() {
                #expect(half[i] == Float16(v).bitPattern, "\(v) → \(half[i]) (portable \(portable))")
                #expect(back[i] == Float(Float16(v)), "\(v) back")
            }
        }
        var a: [UInt16] = [Float16(1.5).bitPattern, Float16(-2).bitPattern], b: [UInt16] = [Float16(0.25).bitPattern, Float16(0.5).bitPattern]
        ds_f16_add(&a, b, 2)
        #expect(a == [Float16(1.75).bitPattern, Float16(-1.5).bitPattern])
    }

    /// A gradient smaller than float16's smallest value (6e-8) is lost by plain rounding; error
    /// feedback carries it until it is large enough to send, so the sum over steps is kept.
    @Test func errorFeedbackKeepsTinyGradients() {
        let group = InProcessGroup(size: 2)
        let results = DataParallelTests.Results(2)
        DataParallelTests.onThreads(2) { rank in
            let p = Parameter(Tensor([Float(0), 0], shape: [2]))
            let averager = GradientAverager(parameters: [p], communicator: group.members[rank])
            averager.compression = .fp16
            var applied: Float = 0, exact: Float = 0
            for _ in 0..<100 {
                p.grad = Tensor([Float(2e-8), 0.3], shape: [2])
                averager.beginStep()
                averager.finishStep()
                applied += p.grad!.scalars(as: Float.self)[0]
                exact += 2 * 2e-8
            }
            results.weights[rank] = [applied, exact, p.grad!.scalars(as: Float.self)[1]]
        }
        for rank in 0..<2 {
            let (applied, exact, other) = (results.weights[rank][0], results.weights[rank][1], results.weights[rank][2])
            #expect(abs(applied - exact) <= 6e-8 * 2, "over 100 steps: \(applied) sent vs \(exact)")
            #expect(abs(other - 0.6) < 1e-3, "ordinary values: \(other)")
        }
    }

    /// With fp16 exchange, training follows the exact run closely.
    @Test func compressedTrainingStaysCloseToExact() throws {
        let single = DataParallelTests.model(seed: 1)
        _ = try DataParallelTests.train(single, communicator: nil)
        let expected = FlatParameters.gather(single.parameters)
        let group = InProcessGroup(size: 2)
        let results = DataParallelTests.Results(2)
        DataParallelTests.onThreads(2) { rank in
            let network = DataParallelTests.model(seed: 1)
            let trainer = Trainer(model: network, optimizer: Adam(network.parameters, learningRate: 1e-2)) {
                Losses.softmaxCrossEntropy(logits: $0, labels: $1)
            }
            trainer.communicator = group.members[rank]
            trainer.gradientCompression = .fp16
            _ = try! trainer.fit(DataParallelTests.data(), epochs: 2, batchSize: 12, seed: 7)
            results.weights[rank] = FlatParameters.gather(network.parameters)
        }
        #expect(results.weights[0] == results.weights[1], "replicas agree")
        let difference = zip(results.weights[0], expected).map { abs($0 - $1) }.max() ?? 0
        #expect(difference < 5e-3 && difference > 0, "largest weight difference to the exact run: \(difference)")
    }
}
