// PEFT's adapter_config.json for prompt tuning, with every key PEFT 0.21.2 writes for
// PromptTuningConfig / MultitaskPromptTuningConfig, as `json.dumps(indent=2, sort_keys=True)`
// (no trailing newline), so that `PeftConfig.from_pretrained` and `PeftModel.from_pretrained` load it.

import Foundation
import SPJSON

/// The `adapter_config.json` of a prompt-tuning adapter.
public struct PEFTAdapterConfig: Sendable, Equatable {
    /// `base_model_name_or_path`: the base model id or path (caikit: the `base_model` it loaded).
    public var baseModelNameOrPath: String?
    /// `peft_type`.
    public var tuningType: TuningType
    /// `task_type`: `CAUSAL_LM` or `SEQ_2_SEQ_LM`.
    public var taskType: String
    /// `num_virtual_tokens`.
    public var numVirtualTokens: Int
    /// `token_dim`: the model's hidden size.
    public var tokenDim: Int
    /// `num_transformer_submodules`.
    public var numTransformerSubmodules: Int
    /// `num_attention_heads` from the model config.
    public var numAttentionHeads: Int?
    /// `num_layers` from the model config.
    public var numLayers: Int?
    /// `prompt_tuning_init` (`RANDOM`, `TEXT`, `SAMPLE_VOCAB`, or a multitask init).
    public var promptTuningInit: PromptTuningInitMethod
    /// `prompt_tuning_init_text`.
    public var promptTuningInitText: String?
    /// `tokenizer_name_or_path` (caikit always passes the base model path).
    public var tokenizerNameOrPath: String?
    /// `prompt_tuning_init_state_dict_path` (multitask only).
    public var promptTuningInitStateDictPath: String?
    /// `num_tasks` K (multitask only).
    public var numTasks = 1
    /// `num_ranks` r (multitask only).
    public var numRanks = 1
    /// `prompt_tuning_init_task`: the source task `EXACT_SOURCE_TASK` starts from (multitask only).
    public var promptTuningInitTask = 0
    /// `inference_mode`: `save_pretrained` writes `true`.
    public var inferenceMode = true
    /// `peft_version`: the PEFT release whose format this mirrors.
    public var peftVersion = "0.21.2"

    /// Creates a config.
    public init(baseModelNameOrPath: String?, tuningType: TuningType, taskType: String, numVirtualTokens: Int,
                tokenDim: Int, numTransformerSubmodules: Int, numAttentionHeads: Int?, numLayers: Int?,
                promptTuningInit: PromptTuningInitMethod, promptTuningInitText: String? = nil,
                tokenizerNameOrPath: String?, promptTuningInitStateDictPath: String? = nil) {
        self.baseModelNameOrPath = baseModelNameOrPath
        self.tuningType = tuningType
        self.taskType = taskType
        self.numVirtualTokens = numVirtualTokens
        self.tokenDim = tokenDim
        self.numTransformerSubmodules = numTransformerSubmodules
        self.numAttentionHeads = numAttentionHeads
        self.numLayers = numLayers
        self.promptTuningInit = promptTuningInit
        self.promptTuningInitText = promptTuningInitText
        self.tokenizerNameOrPath = tokenizerNameOrPath
        self.promptTuningInitStateDictPath = promptTuningInitStateDictPath
    }

    /// The key/value pairs PEFT writes (multitask adds its four keys).
    public var dictionary: JSONValue {
        func str(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        func int(_ i: Int?) -> JSONValue { i.map(JSONValue.int) ?? .null }
        var pairs: [(String, JSONValue)] = [
            ("auto_mapping", .null), ("base_model_name_or_path", str(baseModelNameOrPath)),
            ("inference_mode", .bool(inferenceMode)), ("modules_to_save", .null),
            ("num_attention_heads", int(numAttentionHeads)), ("num_layers", int(numLayers)),
            ("num_transformer_submodules", .int(numTransformerSubmodules)), ("num_virtual_tokens", .int(numVirtualTokens)),
            ("peft_type", .string(tuningType.peftType)), ("peft_version", .string(peftVersion)),
            ("prompt_tuning_init", .string(promptTuningInit.rawValue)), ("prompt_tuning_init_text", str(promptTuningInitText)),
            ("revision", .null), ("task_type", .string(taskType)), ("token_dim", .int(tokenDim)),
            ("tokenizer_kwargs", .null), ("tokenizer_name_or_path", str(tokenizerNameOrPath)),
        ]
        if tuningType == .multitaskPromptTuning {
            pairs += [("num_ranks", .int(numRanks)), ("num_tasks", .int(numTasks)),
                      ("prompt_tuning_init_state_dict_path", str(promptTuningInitStateDictPath)),
                      ("prompt_tuning_init_task", .int(promptTuningInitTask))]
        }
        return .object(JSONObject(pairs))
    }

    /// The file text, byte-identical to PEFT's.
    public var jsonText: String { dictionary.dumps(indent: 2, sortKeys: true) }

    /// Writes `adapter_config.json` atomically.
    public func write(to url: URL) throws { try AtomicFile.write(Data(jsonText.utf8), to: url) }

    /// Reads an `adapter_config.json` written by PEFT (or by us). Unknown keys are ignored, since
    /// PEFT versions add keys over time; the prompt-tuning keys are checked. A missing `task_type`
    /// (PEFT's default `None`) reads as `CAUSAL_LM`.
    public init(contentsOf url: URL) throws {
        self = try TuningError.reading { try PEFTAdapterConfig(fields: url) }
    }

    private init(fields url: URL) throws {
        let data = try FileInput.read(url, what: "adapter config", maxBytes: 16 << 20)
        let r = try JSONConfig(object: JSONValue.parse(json: data, source: url.path), file: url.path, path: "")
        func required<T>(_ v: T?, _ key: String) throws -> T {
            guard let v else { throw TuningError.malformedConfig(source: url.path, reason: "missing `\(key)`") }
            return v
        }
        let peftType = try required(r.stringIfPresent("peft_type"), "peft_type")
        guard let tt = TuningType(rawValue: peftType) else {
            throw TuningError.badFile(file: url.path, reason: "peft_type \(peftType) is not a prompt-tuning adapter")
        }
        let initName = try r.stringIfPresent("prompt_tuning_init") ?? "RANDOM"
        guard let initMethod = PromptTuningInitMethod(rawValue: initName) else {
            throw TuningError.badFile(file: url.path, reason: "unknown prompt_tuning_init \(initName)")
        }
        self.init(baseModelNameOrPath: try r.stringIfPresent("base_model_name_or_path"), tuningType: tt,
                  taskType: try r.stringIfPresent("task_type") ?? "CAUSAL_LM",
                  numVirtualTokens: try required(r.intIfPresent("num_virtual_tokens"), "num_virtual_tokens"),
                  tokenDim: try required(r.intIfPresent("token_dim"), "token_dim"),
                  numTransformerSubmodules: try r.intIfPresent("num_transformer_submodules") ?? 1,
                  numAttentionHeads: try r.intIfPresent("num_attention_heads"), numLayers: try r.intIfPresent("num_layers"),
                  promptTuningInit: initMethod, promptTuningInitText: try r.stringIfPresent("prompt_tuning_init_text"),
                  tokenizerNameOrPath: try r.stringIfPresent("tokenizer_name_or_path"),
                  promptTuningInitStateDictPath: try r.stringIfPresent("prompt_tuning_init_state_dict_path"))
        numTasks = try r.intIfPresent("num_tasks") ?? 1
        numRanks = try r.intIfPresent("num_ranks") ?? 1
        promptTuningInitTask = try r.intIfPresent("prompt_tuning_init_task") ?? 0
        inferenceMode = try r.boolIfPresent("inference_mode") ?? true
        peftVersion = try r.stringIfPresent("peft_version") ?? peftVersion
    }
}
