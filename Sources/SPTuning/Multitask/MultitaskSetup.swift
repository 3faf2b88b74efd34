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
    /// - Throws: ``TuningError`` for a task id out of range, an unknown task name, or a source prompt
    ///   that cannot be read or does not fit.
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
        tasks = try TaskAssignment(train: train, validation: validation, numTasks: tc.numTasks)
    }

    /// P, U and V to start from: P is `shared` (RANDOM / TEXT as for prompt tuning), then PEFT's
    /// multitask init (``MultitaskInit``).
    public func initial(shared: Tensor, parameters: TuningParameters) throws -> PromptTensors {
        let tc = parameters.tuningConfig
        return try MultitaskInit.make(tc.initMethod, shared: shared, numTasks: tc.numTasks, numRanks: tc.numRanks,
                                      seed: parameters.seed, source: source, initTask: initTaskId)
    }
}
