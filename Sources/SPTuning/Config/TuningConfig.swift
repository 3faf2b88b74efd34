// caikit-nlp's `TuningConfig` data object (caikit_nlp/data_model/generation.py).

import SPJSON
import SPPrompt

/// The `tuning_config` of a prompt-tuning job, with caikit-nlp's field names.
///
/// ```yaml
/// tuning_config:
///   num_virtual_tokens: 8
///   prompt_tuning_init_method: TEXT
///   prompt_tuning_init_text: "Classify if the tweet is a complaint or not:"
///   output_model_types: [DECODER]
/// ```
public struct TuningConfig: Sendable, Equatable {
    /// `num_virtual_tokens`: rows of the soft prompt per transformer submodule. Required (> 0).
    public var numVirtualTokens: Int?
    /// `prompt_tuning_init_method`; `nil` means PEFT's default, `RANDOM` — even when init text is given,
    /// exactly as in caikit.
    public var promptTuningInitMethod: PromptTuningInitMethod?
    /// `prompt_tuning_init_text`: required with `TEXT`.
    public var promptTuningInitText: String?
    /// `prompt_tuning_init_source_model`: a source prompt file, relative to `source_prompt_base`,
    /// for the multitask init methods (PEFT's `prompt_tuning_init_state_dict_path`).
    public var promptTuningInitSourceModel: String?
    /// `output_model_types`; empty means the model kind's default (`DECODER` causal, `ENCODER` seq2seq).
    public var outputModelTypes: [PromptOutputModelType]
    /// `num_tasks` K of a multitask prompt (PEFT's name; caikit always uses 1).
    public var numTasks: Int = 1
    /// `num_ranks` r of a multitask prompt (PEFT's name; caikit always uses 1).
    public var numRanks: Int = 1
    /// `prompt_tuning_init_task`: the source task `EXACT_SOURCE_TASK` starts from, by id or by the
    /// name saved with the source prompt.
    public var promptTuningInitTask: TaskLabel?

    /// The caikit field names, in the data model's order.
    public static let fieldNames = [
        "num_virtual_tokens", "prompt_tuning_init_text", "prompt_tuning_init_method",
        "prompt_tuning_init_source_model", "output_model_types", "num_tasks", "num_ranks", "prompt_tuning_init_task",
    ]

    /// Creates a config; only `numVirtualTokens` is needed in practice.
    public init(numVirtualTokens: Int?, promptTuningInitMethod: PromptTuningInitMethod? = nil,
                promptTuningInitText: String? = nil, promptTuningInitSourceModel: String? = nil,
                outputModelTypes: [PromptOutputModelType] = []) {
        self.numVirtualTokens = numVirtualTokens
        self.promptTuningInitMethod = promptTuningInitMethod
        self.promptTuningInitText = promptTuningInitText
        self.promptTuningInitSourceModel = promptTuningInitSourceModel
        self.outputModelTypes = outputModelTypes
    }

    /// The effective init method (PEFT default `RANDOM` when unset).
    public var initMethod: PromptTuningInitMethod { promptTuningInitMethod ?? .random }

    init(reading r: JSONConfig) throws {
        try r.rejectUnknownKeys(allowed: Self.fieldNames)
        numVirtualTokens = try r.intIfPresent("num_virtual_tokens")
        promptTuningInitText = try r.stringIfPresent("prompt_tuning_init_text")
        promptTuningInitSourceModel = try r.stringIfPresent("prompt_tuning_init_source_model")
        numTasks = try r.intIfPresent("num_tasks") ?? numTasks
        numRanks = try r.intIfPresent("num_ranks") ?? numRanks
        switch r.value("prompt_tuning_init_task") {
        case nil, .null?: break
        case .int(let i)?: promptTuningInitTask = .id(i)
        case .string(let n)?: promptTuningInitTask = .name(n)
        case let v?:
            throw TuningError.invalidParameter(field: r.path(of: "prompt_tuning_init_task"), value: v.brief,
                                               hint: "a source task id (integer) or the task's name")
        }
        if let m = try r.stringIfPresent("prompt_tuning_init_method"), !m.isEmpty {
            guard let method = PromptTuningInitMethod(caikitName: m) else {
                throw TuningError.invalidParameter(
                    field: r.path(of: "prompt_tuning_init_method"), value: quoted(m),
                    hint: "caikit <NLP11848053E>; use one of "
                        + PromptTuningInitMethod.allCases.map(\.rawValue).joined(separator: ", "))
            }
            promptTuningInitMethod = method
        }
        let outputs = try r.stringsIfPresent("output_model_types")
        if let outputs, outputs.isEmpty {
            throw TuningError.invalidParameter(
                field: r.path(of: "output_model_types"), value: "[]",
                hint: "name at least one of ENCODER, DECODER, or leave the field out for the model's default")
        }
        outputModelTypes = try (outputs ?? []).map { s in
            guard let t = PromptOutputModelType(rawValue: s) else {
                throw TuningError.invalidParameter(
                    field: r.path(of: "output_model_types"), value: quoted(s),
                    hint: "'\(s)' is not a valid PromptOutputModelType; use ENCODER or DECODER")
            }
            return t
        }
    }
}
