// Multitask prompts under data-parallel training (ThreadGroup ranks, DistributedTests' in-memory
// Collective): every rank trains its shard of each mixed-task micro-batch, the gradients of P, U
// and V are allreduced like the plain prompt's, and the run ends with the single-process P, U, V
// and per-step losses (≤ 1e-5); a cancelled 2-rank run resumes from its version 02 checkpoint to
// the uninterrupted P, U and V. scripts/mpi_check.sh checks the same over real Open MPI processes.

import Foundation
import SPPrompt
@testable import SPService
import SPTestSupport
@testable import SPTuning
import Testing

@Suite(.serialized) struct DistributedMultitaskTests {
    /// 9 records of three named tasks, batch 2, accumulate 2: uneven shards of mixed batches.
    let records: [TrainRecord] = (0..<9).map {
        var r = TrainRecord(input: "w\($0) w\($0 + 2) w\($0 + 5)", output: "w\(10 + $0 % 3)")
        r.task = .name(["red", "green", "blue"][($0 * 2) % 3])
        return r
    }
    let validation: [TrainRecord] = (0..<4).map {
        var r = TrainRecord(input: "w\($0 + 1) w\($0 + 4)", output: "w\(10 + $0 % 3)")
        r.task = .name(["red", "green", "blue"][$0 % 3])
        return r
    }

    func job(_ root: String, _ model: String, _ name: String, state: Bool = false) -> PromptTuningJob {
        var p = TuningParameters(baseModel: model, tuningConfig: TuningConfig(numVirtualTokens: 3))
        p.tuningType = .multitaskPromptTuning
        (p.tuningConfig.numTasks, p.tuningConfig.numRanks) = (3, 2)
        (p.numEpochs, p.batchSize, p.accumulateSteps, p.learningRate, p.seed) = (3, 2, 2, 0.05, 5)
        p.trainStream = .inline(records)
        p.valStream = .inline(validation)
        var j = PromptTuningJob(parameters: p, output: URL(fileURLWithPath: root + "/" + name))
        if state { j.checkpointFile = URL(fileURLWithPath: root + "/" + name + ".state") }
        return j
    }

    func flat(_ dir: String) throws -> [Float] {
        let t = try MultitaskInit.readSource(dir).tensors
        return t.shared + t.multitask!.cols + t.multitask!.rows
    }

    @Test(arguments: [2, 3])
    func ranksEndWithTheSingleProcessPUAndV(ranks: Int) throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let single = try job(root, model, "single").run()
        let outcomes = try ThreadGroup(size: ranks).run { rank -> PromptTuningJob.Outcome in
            var j = job(root, model, "dist")
            j.collective = rank
            return try j.run()
        }.map { try $0.get() }
        for (r, o) in outcomes.enumerated() {
            #expect(o.prompt.array == outcomes[0].prompt.array, "rank \(r) holds rank 0's P bit for bit")
        }
        let a = try flat(root + "/single"), b = try flat(root + "/dist")
        #expect(a.count == 3 * 48 + 3 * 3 * 2 + 3 * 2 * 48 && a.count == b.count)
        #expect(assertClose(b, a, .absolute(1e-5), "\(ranks) ranks vs 1 process: P, U, V"))
        #expect(a.prefix(3 * 48).elementsEqual(single.prompt.array), "the single run's P is its prompt")
        for (x, y) in zip(outcomes[0].epochs, single.epochs) {
            #expect(abs(x.trainLoss - y.trainLoss) < 1e-5 && abs(x.validationLoss! - y.validationLoss!) < 1e-5)
        }
        let la = try TrainingLog.read(contentsOf: URL(fileURLWithPath: root + "/single/training_logs.jsonl"))
        let lb = try TrainingLog.read(contentsOf: URL(fileURLWithPath: root + "/dist/training_logs.jsonl"))
        #expect(la.count == 15 && la.map(\.step) == lb.map(\.step))
        #expect(assertClose(lb.map(\.value), la.map(\.value), .absolute(1e-5), "per-step losses"))
        let names = try String(contentsOfFile: root + "/dist/softprompt_tasks.json", encoding: .utf8)
        #expect(names.contains("red") && names.contains("blue"), "rank 0 saved the task names")
    }

    @Test func aCancelledTwoRankRunResumesToTheUninterruptedPUAndV() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try job(root, model, "whole").run()
        let flag = CancellationFlag()
        let first = ThreadGroup(size: 2).run { rank -> PromptTuningJob.Outcome in
            var j = job(root, model, "dist", state: true)
            j.collective = rank
            var steps = 0
            return try j.run(cancel: rank.rank == 1 ? flag : CancellationFlag()) { event in
                if case .microStep = event { steps += 1 }
                if rank.rank == 0, steps == 7 { flag.cancel() }
            }
        }.map { try? $0.get() }
        #expect(first.allSatisfy { $0?.cancelled == true }, "every rank stopped")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: root + "/dist.state"))
        #expect(Array(bytes.prefix(8)) == Array("SPCKPT02".utf8), "a multitask checkpoint is version 02")
        let resumed = try ThreadGroup(size: 2).run { rank -> PromptTuningJob.Outcome in
            var j = job(root, model, "dist", state: true)
            j.collective = rank
            j.resume = true
            j.overwrite = true
            return try j.run()
        }.map { try $0.get() }
        #expect(resumed[0].epochs.count == 3 && resumed[1].prompt.array == resumed[0].prompt.array)
        #expect(assertClose(try flat(root + "/dist"), try flat(root + "/whole"), .absolute(1e-5), "resumed 2 ranks vs 1 process"))
    }
}
