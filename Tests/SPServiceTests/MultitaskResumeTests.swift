// Resume-exact multitask training: the checkpoint holds P, U, V and AdamW's moments over all three
// (format version 02), and a multitask run cancelled mid-epoch and resumed ends with the P, U and V
// of a run that was never interrupted (relative 1e-6 in-process, see ResumeTests' header; the CLI
// test resumes in another process and checks the bytes). Plain checkpoints keep version 01.

import Foundation
import SPPrompt
@testable import SPService
import SPTestSupport
@testable import SPTuning
import Testing

@Suite(.serialized) struct MultitaskResumeTests {
    /// Two named tasks, mixed in every batch of 2 (the shuffle puts them anywhere).
    let records: [TrainRecord] = (0..<6).map {
        var r = TrainRecord(input: "w\($0) w\($0 + 2) w\($0 + 5)", output: "w\(10 + $0 % 3)")
        r.task = .name($0 % 2 == 0 ? "even" : "odd")
        return r
    }

    func job(_ root: String, _ model: String, _ name: String) -> PromptTuningJob {
        var p = TuningParameters(baseModel: model, tuningConfig: TuningConfig(numVirtualTokens: 3))
        p.tuningType = .multitaskPromptTuning
        (p.tuningConfig.numTasks, p.tuningConfig.numRanks) = (2, 2)
        (p.numEpochs, p.batchSize, p.accumulateSteps, p.learningRate, p.seed) = (4, 2, 2, 0.05, 11)
        p.trainStream = .inline(records)
        var j = PromptTuningJob(parameters: p, output: URL(fileURLWithPath: root + "/" + name))
        j.checkpointFile = URL(fileURLWithPath: root + "/" + name + ".state")
        return j
    }

    func adapter(_ dir: String) throws -> PromptTensors { try MultitaskInit.readSource(dir).tensors }

    @Test func aResumedMultitaskRunEndsWithTheUninterruptedPUAndV() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let whole = try job(root, model, "whole").run()
        #expect(whole.epochs.count == 4 && !whole.cancelled)

        var j = job(root, model, "resumed")
        let flag = CancellationFlag()
        let log = EventLog()
        var steps = 0
        log.onStep = { steps += 1; if steps == 8 { flag.cancel() } }
        let first = try j.run(cancel: flag, onEvent: log.record)
        #expect(first.cancelled && first.epochs.count == 2)
        let bytes = try Data(contentsOf: j.checkpointFile!)
        #expect(Array(bytes.prefix(8)) == Array("SPCKPT02".utf8), "a multitask checkpoint is version 02")
        let state = try TrainingCheckpoint.decode(bytes, path: "state")
        #expect(state.multitask == TrainingCheckpoint.MultitaskShape(numTasks: 2, numRanks: 2))
        let layout = MultitaskLayout(rows: 3, tokenDim: state.shape[1], numTasks: 2, numRanks: 2)
        #expect(state.prompt.count == layout.count && state.expAvg.count == layout.count && state.expAvgSq.count == layout.count)
        #expect(state.nextEpoch == 2 && state.optimizerSteps == 4 && state.adamSteps == 4)
        #expect(state.expAvgSq[layout.rowsOffset...].contains { $0 > 0 }, "V's moments are saved")
        let savedAfter2 = try adapter(root + "/resumed")
        #expect(state.prompt == layout.flatten(savedAfter2), "the checkpoint holds the P, U, V saved after epoch 2")
        #expect(try state.encode() == bytes, "encode ∘ decode is the identity")

        j.resume = true
        j.overwrite = true
        let log2 = EventLog()
        let second = try j.run(onEvent: log2.record)
        #expect(!second.cancelled && second.epochs.count == 4)
        #expect(log2.kinds.filter { $0 == "step" }.count == 6, "only epochs 2 and 3 run again")
        #expect(assertClose(second.prompt.array, whole.prompt.array, .relative(1e-6), "resumed P"))
        let a = try adapter(root + "/whole"), b = try adapter(root + "/resumed")
        #expect(assertClose(b.shared, a.shared, .relative(1e-6), "saved P"))
        #expect(assertClose(b.multitask!.cols, a.multitask!.cols, .relative(1e-6), "saved U"))
        #expect(assertClose(b.multitask!.rows, a.multitask!.rows, .relative(1e-6), "saved V"))
        #expect(a.multitask!.cols != savedAfter2.multitask!.cols, "U trained on after the resume")
        #expect(try MultitaskInit.readSource(root + "/resumed").taskNames == ["even", "odd"])
    }

    @Test func aCheckpointOfAnotherTaskSplitOrAPlainRunIsRefused() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var j = job(root, model, "p")
        j.parameters.numEpochs = 1
        _ = try j.run()
        // The same records split into tasks otherwise: same tokens, other task ids.
        var other = j
        other.parameters.trainStream = .inline(records.enumerated().map { i, r in
            var r = r
            r.task = .id(i / 3)
            return r
        })
        (other.resume, other.overwrite) = (true, true)
        #expect { _ = try other.run() } throws: { e in "\(e)".contains("another run") }
        var plain = j
        plain.parameters.tuningType = .promptTuning
        (plain.parameters.tuningConfig.numTasks, plain.parameters.tuningConfig.numRanks) = (1, 1)
        (plain.resume, plain.overwrite) = (true, true)
        #expect { _ = try plain.run() } throws: { e in "\(e)".contains("another run") }
        // A truncated or relabelled file is refused.
        let bytes = try Data(contentsOf: j.checkpointFile!)
        for cut in [0, 7, 20, bytes.count - 4, bytes.count - 1] {
            #expect(throws: TuningError.self) { _ = try TrainingCheckpoint.decode(bytes.prefix(cut), path: "x") }
        }
        var v1 = bytes
        v1.replaceSubrange(0..<8, with: Array("SPCKPT01".utf8))
        #expect { _ = try TrainingCheckpoint.decode(v1, path: "x") } throws: { e in "\(e)".contains("version 01") }
    }

    /// A plain run still writes version 01, the bytes older builds wrote: they load as before.
    @Test func plainCheckpointsStayVersion01() throws {
        let c = TrainingCheckpoint(fingerprint: "v1-0", nextEpoch: 1, optimizerSteps: 2, globalStep: 3, adamSteps: 2,
                                   shape: [2, 3], prompt: [1, 2, 3, 4, 5, 6], expAvg: .init(repeating: 0.5, count: 6),
                                   expAvgSq: .init(repeating: 0.25, count: 6), log: [], epochs: [])
        let bytes = try c.encode()
        #expect(Array(bytes.prefix(8)) == Array("SPCKPT01".utf8))
        #expect(!String(decoding: bytes.prefix(200), as: UTF8.self).contains("multitask"))
        let back = try TrainingCheckpoint.decode(bytes, path: "x")
        #expect(back.multitask == nil && back.prompt == c.prompt && back.expAvgSq == c.expAvgSq && back.parameterCount == 6)
        var v2 = bytes
        v2.replaceSubrange(0..<8, with: Array("SPCKPT02".utf8))
        #expect { _ = try TrainingCheckpoint.decode(v2, path: "x") } throws: { e in "\(e)".contains("without its multitask shape") }
    }
}
