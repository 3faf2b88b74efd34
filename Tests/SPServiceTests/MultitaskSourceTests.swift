// A target prompt against its source prompt, checked by `prepare` before any model loads: the
// target's task count and rank (AVERAGE_SOURCE_TASKS / EXACT_SOURCE_TASK load the source's U and
// V strictly), EXACT_SOURCE_TASK's task, and the task names the target data gives (with
// EXACT_SOURCE_TASK only the source task the target starts from). Each error names its field.

import Foundation
import SPPrompt
@testable import SPService
import SPTestSupport
import SPTuning
import Testing

@Suite(.serialized) struct MultitaskSourceTests {
    func records(_ task: String?) -> [TrainRecord] {
        (0..<4).map {
            var r = TrainRecord(input: "w\($0) w\($0 + 3)", output: "w\(10 + $0 % 2)")
            r.task = task.map { .name($0) } ?? ($0 % 2 == 0 ? .name("even") : .name("odd"))
            return r
        }
    }

    func job(_ root: String, _ model: String, _ out: String, method: PromptTuningInitMethod = .text,
             tasks: Int = 1, ranks: Int = 2, initTask: TaskLabel? = nil, tokens: Int = 3) -> PromptTuningJob {
        var p = TuningParameters(baseModel: model, tuningConfig: TuningConfig(numVirtualTokens: tokens))
        p.tuningType = .multitaskPromptTuning
        (p.tuningConfig.numTasks, p.tuningConfig.numRanks) = (tasks, ranks)
        p.tuningConfig.promptTuningInitMethod = method
        if method == .text { p.tuningConfig.promptTuningInitText = "w1 w2" }
        if method.needsSourcePrompt { p.tuningConfig.promptTuningInitSourceModel = "src" }
        p.tuningConfig.promptTuningInitTask = initTask
        (p.numEpochs, p.batchSize, p.learningRate) = (1, 2, 0.05)
        var j = PromptTuningJob(parameters: p, output: URL(fileURLWithPath: root + "/" + out))
        j.sourcePromptBase = root
        return j
    }

    func expectRefused(_ j: PromptTuningJob, _ data: [TrainRecord], validation: [TrainRecord]? = nil, _ words: [String],
                       sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try j.prepare(train: data, validation: validation)
            Issue.record("accepted; expected an error mentioning \(words)", sourceLocation: sourceLocation)
        } catch {
            let m = "\(error)"
            for w in words { #expect(m.contains(w), "\(m) lacks \(w)", sourceLocation: sourceLocation) }
        }
    }

    @Test func targetCountsAndNamesAreCheckedAgainstTheSource() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var src = job(root, model, "src", tasks: 2)
        src.parameters.trainStream = .inline(records(nil))
        _ = try src.run()
        #expect(try MultitaskInit.readSource(root + "/src").taskNames == ["even", "odd"])

        let exact = job(root, model, "t", method: .exactSourceTask, initTask: .name("odd"))
        let ok = try exact.prepare(train: records("odd"), validation: records(nil).filter { $0.task == .name("odd") })
        #expect(ok.multitask?.initTaskId == 1 && ok.multitask?.tasks.names == ["odd"] && ok.multitask?.tasks.train == [0, 0, 0, 0])
        #expect(try exact.prepare(train: records(nil).map { var r = $0; r.task = nil; return r }, validation: nil)
            .multitask?.tasks.names == ["odd"], "records without a task are the target's task 0, named after its source task")
        expectRefused(exact, records("even"), ["train_stream[0].task", "another task of the source prompt", "\"odd\""])
        expectRefused(exact, records("nyt"), ["train_stream[0].task", "unknown to the source prompt (its tasks: even, odd)"])
        expectRefused(exact, records("odd"), validation: records("even"), ["val_stream[0].task", "another task"])
        expectRefused(job(root, model, "t", method: .averageSourceTasks, tasks: 2), records(nil), ["tuning_config.num_tasks", "use num_tasks 1"])
        expectRefused(job(root, model, "t", method: .averageSourceTasks, ranks: 1), records(nil), ["tuning_config.num_ranks", "use num_ranks 2"])
        expectRefused(job(root, model, "t", method: .exactSourceTask, initTask: .id(5)), records(nil), ["tuning_config.prompt_tuning_init_task", "0…1"])
        expectRefused(job(root, model, "t", method: .exactSourceTask, initTask: .name("nyt")), records(nil), ["prompt_tuning_init_task", "even, odd"])
        expectRefused(job(root, model, "t", method: .onlySourceShared, tokens: 4), records(nil), ["num_virtual_tokens", "3 virtual tokens"])
        #expect(!FileManager.default.fileExists(atPath: root + "/t"), "nothing written")

        // The target trains from source task "odd" and keeps its name.
        var target = exact
        target.parameters.trainStream = .inline(records("odd"))
        _ = try target.run()
        let saved = try MultitaskInit.readSource(root + "/t")
        let source = try MultitaskInit.readSource(root + "/src")
        #expect(saved.taskNames == ["odd"] && saved.tensors.multitask?.numTasks == 1)
        #expect(saved.tensors.multitask!.cols.count == source.tensors.multitask!.cols.count / 2)
    }
}
