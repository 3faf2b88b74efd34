// Data-parallel training without MPI: ranks run as threads of this process over `ThreadGroup`, an
// in-memory Collective (allreduce and broadcast behind a barrier, summed in rank order). The
// distributed loop must end with the prompt and loss log of one process with the same global batch
// (≤ 1e-5), on every rank, with uneven and empty shards; only rank 0 writes. scripts/mpi_check.sh
// checks the same over real Open MPI processes.

import Foundation
import SPModels
import SPPrompt
import SPTensor
@testable import SPService
import SPTestSupport
@testable import SPTuning
import Testing

/// `size` ranks of one process: every collective call blocks until all ranks made it.
final class ThreadGroup: @unchecked Sendable {
    let size: Int
    private let cond = NSCondition()
    private var parts: [[UInt8]?], result: [UInt8] = [], generation = 0

    init(size: Int) {
        self.size = size
        parts = Array(repeating: nil, count: size)
    }

    /// One barrier round: every rank hands in `mine`, all get `combine(parts in rank order)`.
    func exchange(rank: Int, _ mine: [UInt8], _ combine: ([[UInt8]]) -> [UInt8]) -> [UInt8] {
        cond.lock()
        defer { cond.unlock() }
        let gen = generation
        parts[rank] = mine
        if parts.allSatisfy({ $0 != nil }) {
            result = combine(parts.map { $0! })
            parts = Array(repeating: nil, count: size)
            generation += 1
            cond.broadcast()
        } else {
            while generation == gen { cond.wait() }
        }
        return result
    }

    final class Rank: Collective, @unchecked Sendable {
        let group: ThreadGroup
        let rank: Int
        var size: Int { group.size }
        init(_ group: ThreadGroup, _ rank: Int) { self.group = group; self.rank = rank }

        func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
            let out = group.exchange(rank: rank, Array(UnsafeRawBufferPointer(values))) { parts in
                var acc = [Float](repeating: 0, count: values.count)
                for p in parts { p.withUnsafeBytes { b in for i in acc.indices { acc[i] += b.load(fromByteOffset: 4 * i, as: Float.self) } } }
                return acc.withUnsafeBytes { Array($0) }
            }
            out.withUnsafeBytes { b in for i in 0..<values.count { values[i] = b.load(fromByteOffset: 4 * i, as: Float.self) } }
        }

        func broadcast(_ bytes: UnsafeMutableRawBufferPointer, root: Int) throws {
            let out = group.exchange(rank: rank, Array(bytes)) { $0[root] }
            for i in 0..<bytes.count { bytes[i] = out[i] }
        }
    }

    /// Runs `body(rank)` on `size` threads at once and returns their results in rank order.
    func run<T>(_ body: @escaping @Sendable (Rank) throws -> T) -> [Result<T, any Error>] {
        let box = ResultsBox<T>(count: size), done = DispatchSemaphore(value: 0), lock = NSLock()
        for r in 0..<size {
            let rank = Rank(self, r)
            let t = Thread {
                let res = Result { try body(rank) }
                lock.withLock { box.results[r] = res }
                done.signal()
            }
            t.stackSize = 8 << 20
            t.start()
        }
        for _ in 0..<size { done.wait() }
        return box.results.map { $0! }
    }
}

/// A model whose prompt step fails from its `failAt`-th call on (a rank that hits bad data mid-epoch).
final class FaultyModel: LanguageModel, @unchecked Sendable {
    let base: any LanguageModel, failAt: Int
    init(_ base: any LanguageModel, failAt: Int) { self.base = base; self.failAt = failAt }
    var kind: ModelKind { base.kind }
    var spec: ModelSpec { base.spec }
    var tokenEmbedding: Weight { base.tokenEmbedding }
    var inputWidth: Int { base.inputWidth }
    var vocabularySize: Int { base.vocabularySize }
    var positionLimit: Int? { base.positionLimit }
    var contextLimit: Int? { base.contextLimit }
    var paddingChangesResults: Bool { base.paddingChangesResults }
    func makePromptStep(checkpointing: Bool) -> any PromptStep { Step(base.makePromptStep(checkpointing: checkpointing), failAt) }
    func makeDecodingSession(batch: Int, capacity: Int) -> any DecodingSession { base.makeDecodingSession(batch: batch, capacity: capacity) }

    final class Step: PromptStep {
        let inner: any PromptStep, failAt: Int
        var calls = 0
        init(_ inner: any PromptStep, _ failAt: Int) { self.inner = inner; self.failAt = failAt }
        func run(prompt: Tensor, input: PromptBatchInput, accumulate: UnsafeMutablePointer<Float>?, scale: Float) throws -> PromptStepResult {
            calls += 1
            if calls >= failAt { throw ModelError.invalidInput("injected: token id 9999 outside the vocabulary") }
            return try inner.run(prompt: prompt, input: input, accumulate: accumulate, scale: scale)
        }
    }
}

/// The ranks' results, written under a lock.
final class ResultsBox<T>: @unchecked Sendable {
    var results: [Result<T, any Error>?]
    init(count: Int) { results = Array(repeating: nil, count: count) }
}

@Suite(.serialized) struct DistributedTests {
    // 7 records, batch 2: micro-batches of 2, 2, 2, 1 rows; accumulate 2: steps over 4 and 3 rows.
    let records = (0..<7).map { TrainRecord(input: "w\($0) w\($0 + 2) w\($0 + 5)", output: "w\(10 + $0 % 3)") }
    let validation = (0..<5).map { TrainRecord(input: "w\($0 + 1) w\($0 + 4)", output: "w\(10 + $0 % 3)") }

    func job(_ root: String, _ model: String, _ name: String, state: Bool = false) -> PromptTuningJob {
        var p = TuningParameters(baseModel: model, tuningConfig: TuningConfig(numVirtualTokens: 3))
        (p.numEpochs, p.batchSize, p.accumulateSteps, p.learningRate, p.seed) = (3, 2, 2, 0.05, 5)
        p.trainStream = .inline(records)
        p.valStream = .inline(validation)
        var j = PromptTuningJob(parameters: p, output: URL(fileURLWithPath: root + "/" + name))
        if state { j.checkpointFile = URL(fileURLWithPath: root + "/" + name + ".state") }
        return j
    }

    @Test(arguments: [1, 2, 3, 5])
    func ranksEndWithTheSingleProcessPrompt(ranks: Int) throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let single = try job(root, model, "single").run()
        let group = ThreadGroup(size: ranks)
        let outcomes = try group.run { rank -> PromptTuningJob.Outcome in
            var j = job(root, model, "dist")
            j.collective = rank
            return try j.run()
        }.map { try $0.get() }
        for (r, o) in outcomes.enumerated() {
            #expect(o.prompt.array == outcomes[0].prompt.array, "rank \(r) holds rank 0's prompt bit for bit")
        }
        #expect(assertClose(outcomes[0].prompt.array, single.prompt.array, .absolute(1e-5), "\(ranks) ranks vs 1 process"))
        for (a, b) in zip(outcomes[0].epochs, single.epochs) {
            #expect(abs(a.trainLoss - b.trainLoss) < 1e-5 && abs(a.validationLoss! - b.validationLoss!) < 1e-5)
            #expect(a.validationAccuracy == b.validationAccuracy)
        }
        let a = try TrainingLog.read(contentsOf: URL(fileURLWithPath: root + "/single/training_logs.jsonl"))
        let b = try TrainingLog.read(contentsOf: URL(fileURLWithPath: root + "/dist/training_logs.jsonl"))
        #expect(a.map(\.step) == b.map(\.step) && a.count == 12)
        #expect(assertClose(b.map(\.value), a.map(\.value), .absolute(1e-5), "per-step losses"))
        let saved = try TunedPrompt.load(directory: root + "/dist")
        #expect(saved.values == outcomes[0].prompt.array, "rank 0 saved its prompt")
    }

    @Test func aRankWithOtherDataStopsEveryRankBeforeTheFirstStep() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let results = ThreadGroup(size: 3).run { rank -> PromptTuningJob.Outcome in
            var j = job(root, model, "dist")
            if rank.rank == 2 { j.parameters.trainStream = .inline(Array(records.dropLast())) }
            j.collective = rank
            return try j.run()
        }
        for res in results {
            #expect(throws: DistributedError.self) { try res.get() }
            if case .failure(let e as DistributedError) = res {
                #expect(e.isAgreed && "\(e)".contains("rank 2 of 3") && "\(e)".contains("same files"))
            }
        }
        #expect(!FileManager.default.fileExists(atPath: root + "/dist/decoder.pt"), "nothing saved")
    }

    @Test func aCancelOnOneRankStopsAllAfterTheStepAndResumeFinishes() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let whole = try job(root, model, "whole").run()
        let flag = CancellationFlag()
        let first = ThreadGroup(size: 2).run { rank -> PromptTuningJob.Outcome in
            var j = job(root, model, "dist", state: true)
            j.collective = rank
            // Rank 1 alone sees the cancel (in epoch 1): both ranks must stop at the same step.
            var steps = 0
            return try j.run(cancel: rank.rank == 1 ? flag : CancellationFlag()) { event in
                if case .microStep = event { steps += 1 }
                if rank.rank == 0, steps == 6 { flag.cancel() }
            }
        }.map { try? $0.get() }
        // Rank 1 sees the flag at the end of epoch 1's last step or at epoch 2's first (timing), but
        // both ranks stop at the same step, after the same saved epochs.
        #expect(first.allSatisfy { $0?.cancelled == true }, "every rank stopped")
        #expect(first[0]?.epochs.count == first[1]?.epochs.count && (1...2).contains(first[0]?.epochs.count ?? 0))
        let resumed = try ThreadGroup(size: 2).run { rank -> PromptTuningJob.Outcome in
            var j = job(root, model, "dist", state: true)
            j.collective = rank
            j.resume = true
            j.overwrite = true
            return try j.run()
        }.map { try $0.get() }
        #expect(resumed[0].epochs.count == 3 && resumed[1].prompt.array == resumed[0].prompt.array)
        #expect(assertClose(resumed[0].prompt.array, whole.prompt.array, .absolute(1e-5), "resumed 2 ranks vs 1 process"))
    }

    @Test func aRankFailingMidEpochStopsEveryRankAtTheSameStepWithItsReason() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let j = job(root, model, "x")
        let prepared = try j.prepare()
        let base = try j.loadBase(prepared)
        let initial = try j.initialPrompt(prepared, base: base)
        let results = ThreadGroup(size: 3).run { rank -> Int in
            let m: any LanguageModel = rank.rank == 1 ? FaultyModel(base.model, failAt: 3) : base.model
            var run = try TuningRun(model: m, parameters: j.parameters, resolved: prepared.resolved, tokenizer: base.text,
                                    train: prepared.train, validation: prepared.validation)
            run.collective = rank
            return try run.run(initialPrompt: initial).epochs.count
        }
        for res in results {
            guard case .failure(let e as DistributedError) = res else { Issue.record("expected a DistributedError, got \(res)"); continue }
            guard case let .rankFailed(ranks, size, _, _, messages) = e else { Issue.record("\(e)"); continue }
            #expect(ranks == [1] && size == 3 && messages.count == 1 && messages[0].contains("injected"), "\(e)")
            #expect(e.isAgreed && "\(e)".contains("rank 1 of 3"))
        }
    }

    @Test func shardsCoverEveryRowOnceInOrderAndDifferByAtMostOne() {
        for sizes in [[2, 2], [2, 1], [4], [1, 1, 1, 1], [3, 0, 2], [1]] {
            for n in 1...6 {
                let shards = (0..<n).map { ShardPlan(batchSizes: sizes, rank: $0, size: n) }
                let rows = shards.flatMap { $0.pieces.flatMap { p in p.rows.map { (p.batch, $0) } } }
                let all = sizes.enumerated().flatMap { i, b in (0..<b).map { (i, $0) } }
                #expect(rows.map(\.0) == all.map(\.0) && rows.map(\.1) == all.map(\.1), "\(sizes) over \(n)")
                let counts = shards.map(\.rowCount)
                #expect(counts.max()! - counts.min()! <= 1, "\(sizes) over \(n): \(counts)")
            }
        }
        // 4 rows over 3 ranks: rows 0 | 1 | 2, 3; rank 2's shard is micro-batch 1 whole.
        #expect(ShardPlan(batchSizes: [2, 2], rank: 1, size: 3).pieces == [.init(batch: 0, rows: 1..<2)])
        #expect(ShardPlan(batchSizes: [2, 2], rank: 2, size: 3).pieces == [.init(batch: 1, rows: 0..<2)])
        #expect(ShardPlan(batchSizes: [2, 1], rank: 1, size: 2).pieces
                == [.init(batch: 0, rows: 1..<2), .init(batch: 1, rows: 0..<1)])
    }

    @Test func rowsOfABatchKeepItsLayout() {
        let b = Batch(batchSize: 3, length: 2, inputIds: [1, 2, 3, 4, 5, 6], attentionMask: [1, 1, 0, 1, 1, 1],
                      labels: [-100, 2, -100, 4, 5, 6], targetLength: 2, exampleIndices: [7, 8, 9])
        let r = b.rows(1..<3)
        #expect(r.batchSize == 2 && r.inputIds == [3, 4, 5, 6] && r.attentionMask == [0, 1, 1, 1])
        #expect(r.labels == [-100, 4, 5, 6] && r.exampleIndices == [8, 9] && r.targetTokenCount == 3)
    }

    @Test func withoutALauncherTrainingStaysSingleProcess() {
        #expect(!OpenMPI.launched(environment: ["PATH": "/usr/bin"]))
        #expect(OpenMPI.launched(environment: ["OMPI_COMM_WORLD_SIZE": "2"]))
        #expect(OpenMPI.launched(environment: ["PMIX_RANK": "0"]))
        let e = DistributedError.notLaunched(hint: "start it with mpirun")
        #expect(!e.isAgreed && "\(e)".contains("--distributed"))
    }
}
