// What a multitask prompt-tuning job needs besides the plain job, resolved before the base model
// loads: the source prompt (read and checked), the source task EXACT_SOURCE_TASK starts from, and
// every record's task id.

import Foundation
import SPPrompt
import SPTensor

/// The multitask part of a prepared job.
public struct MultitaskSetup: Sendable {
    /// Each record's task and the task names.
    public var tasks: TaskAssignment
    /// The source prompt's tensors, for the source init methods.
    public var source: PromptTensors?
    /// `prompt_tuning_init_task` as an id of the source prompt (0 unless EXACT_SOURCE_TASK).
    public var initTaskId: Int
    /// The file holding the source tensors (absolute), recorded as PEFT's `prompt_tuning_init_state_dict_path`.
    public var sourceFile: String?

    /// Nil unless `parameters.tuningType` is MULTITASK_PROMPT_TUNING.
    /// - Throws: ``TuningError`` for a task id out of range, an unknown task name, a source prompt
    ///   that cannot be read or does not fit (its virtual tokens, task count and rank against
    ///   `num_virtual_tokens`, `num_tasks` and `num_ranks`: ``MultitaskInit/checkCounts(_:numTasks:numRanks:source:initTask:)``),
    ///   or, with `EXACT_SOURCE_TASK` from a source whose tasks have names, a record naming a task
    ///   other than the one the target starts from.
    public init?(_ parameters: TuningParameters, resolved: ResolvedTuning, train: [TrainRecord], validation: [TrainRecord]) throws {
        guard parameters.tuningType == .multitaskPromptTuning else { return nil }
        let tc = parameters.tuningConfig
        var sourceNames: [String] = []
        if let path = resolved.sourcePromptPath {
            let s = try MultitaskInit.readSource(path)
            guard s.tensors.rows == resolved.promptRows else {
                throw TuningError.invalidParameter(
                    field: "tuning_config.num_virtual_tokens", value: "\(resolved.numVirtualTokens)",
                    hint: "the source prompt \(path) has \(s.tensors.rows) virtual tokens: select num_virtual_tokens as the source prompt has them")
            }
            source = s.tensors
            sourceNames = s.taskNames
            sourceFile = URL(fileURLWithPath: s.file).standardizedFileURL.path
        }
        switch tc.promptTuningInitTask {
        case nil: initTaskId = 0
        case .id(let i)?: initTaskId = i
        case .name(let n)?:
            guard let i = sourceNames.firstIndex(of: n) else {
                let known = sourceNames.isEmpty ? "the source prompt's tasks have no names" : "its tasks are \(sourceNames.joined(separator: ", "))"
                throw TuningError.invalidParameter(field: "tuning_config.prompt_tuning_init_task", value: quoted(n),
                                                   hint: "the task is unknown to the source prompt; \(known)")
            }
            initTaskId = i
        }
        if let src = source {
            try MultitaskInit.checkCounts(tc.initMethod, numTasks: tc.numTasks, numRanks: tc.numRanks, source: src, initTask: initTaskId)
        }
        var known: [String] = []
        if tc.initMethod == .exactSourceTask, initTaskId < sourceNames.count {
            // The target's one task starts as the source's task `initTaskId`: a record may name it
            // by that name only (a name of another source task, or one the source lacks, is a mistake).
            known = [sourceNames[initTaskId]]
            for (field, records) in [("train_stream", train), ("val_stream", validation)] {
                for (i, r) in records.enumerated() {
                    guard case .name(let n)? = r.task, n != known[0] else { continue }
                    let what = sourceNames.contains(n) ? "another task of the source prompt" : "unknown to the source prompt (its tasks: \(sourceNames.joined(separator: ", ")))"
                    throw TuningError.invalidParameter(
                        field: "\(field)[\(i)].task", value: quoted(n),
                        hint: "\(what); EXACT_SOURCE_TASK starts the target's one task from source task \(quoted(known[0])) (prompt_tuning_init_task): name that task or give no task")
                }
            }
        }
        tasks = try TaskAssignment(train: train, validation: validation, numTasks: tc.numTasks, knownNames: known)
    }

    /// P, U and V to start from: P is `shared` (RANDOM / TEXT as for prompt tuning), then PEFT's
    /// multitask init (``MultitaskInit``).
    public func initial(shared: Tensor, parameters: TuningParameters) throws -> PromptTensors {
        let tc = parameters.tuningConfig
        return try MultitaskInit.make(tc.initMethod, shared: shared, numTasks: tc.numTasks, numRanks: tc.numRanks,
                                      seed: parameters.seed, source: source, initTask: initTaskId)
    }
}
