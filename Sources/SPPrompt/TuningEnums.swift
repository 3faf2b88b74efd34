// The closed vocabularies of caikit-nlp's PeftPromptTuning, spelled exactly as caikit spells them.

import SPModels
import SPTensor

/// caikit-nlp `TuningType` (`peft_config.py`).
public enum TuningType: String, Sendable, CaseIterable, Codable {
    /// Plain soft-prompt tuning (PEFT `PromptTuningConfig`).
    case promptTuning = "PROMPT_TUNING"
    /// Multitask prompt tuning (PEFT `MultitaskPromptTuningConfig`): shared prompt ∘ rank-r task matrix.
    case multitaskPromptTuning = "MULTITASK_PROMPT_TUNING"

    /// The PEFT `peft_type` string written to `adapter_config.json`.
    public var peftType: String { rawValue }
}

/// How the prompt table is initialised (`tuning_config.prompt_tuning_init_method`).
///
/// caikit accepts `TEXT`, `RANDOM`, `ONLY_SOURCE_SHARED` and `AVERAGE_SOURCE_TASKS`. `SAMPLE_VOCAB`
/// comes from current PEFT (prompt tuning only) and `EXACT_SOURCE_TASK` from PEFT's multitask init
/// (caikit deliberately disallows it; we accept it for multitask tuning only).
public enum PromptTuningInitMethod: String, Sendable, CaseIterable, Codable {
    /// N(0, 1) per element (`nn.Embedding`'s default init); PEFT's default.
    case random = "RANDOM"
    /// The word embeddings of `prompt_tuning_init_text`'s tokens, repeated or cut to the prompt length.
    case text = "TEXT"
    /// The embeddings of uniformly drawn vocabulary tokens (current PEFT, prompt tuning only).
    case sampleVocab = "SAMPLE_VOCAB"
    /// Multitask: load only the shared prompt of the source prompt file.
    case onlySourceShared = "ONLY_SOURCE_SHARED"
    /// Multitask: shared prompt plus the task matrices averaged over the source tasks.
    case averageSourceTasks = "AVERAGE_SOURCE_TASKS"
    /// Multitask: shared prompt plus one source task's matrices (PEFT; caikit disallows it).
    case exactSourceTask = "EXACT_SOURCE_TASK"

    /// A method by caikit's name; caikit's parameter page also spells `AVERAGE_SOURCE_TASKS` as
    /// `AVERAGE_SOURCE`, accepted here.
    public init?(caikitName name: String) {
        self.init(rawValue: name == "AVERAGE_SOURCE" ? Self.averageSourceTasks.rawValue : name)
    }

    /// Whether the method loads a source prompt file (`prompt_tuning_init_source_model`).
    public var needsSourcePrompt: Bool {
        switch self {
        case .onlySourceShared, .averageSourceTasks, .exactSourceTask: return true
        case .random, .text, .sampleVocab: return false
        }
    }

    /// Whether this method is valid for `tuningType`.
    public func isSupported(by tuningType: TuningType) -> Bool {
        switch (self, tuningType) {
        case (.random, _), (.text, _): return true
        case (.sampleVocab, .promptTuning): return true
        case (.sampleVocab, .multitaskPromptTuning): return false
        case (_, .multitaskPromptTuning): return true
        case (_, .promptTuning): return false
        }
    }
}

/// caikit-nlp `PromptOutputModelType`: which transformer stack the prompt is prepended to.
public enum PromptOutputModelType: String, Sendable, CaseIterable, Codable {
    /// The encoder of a seq2seq model.
    case encoder = "ENCODER"
    /// The decoder stack (the only choice for causal LMs).
    case decoder = "DECODER"

    /// The TGIS file name the prompt is saved under (`encoder.pt` / `decoder.pt`).
    public var fileName: String { self == .encoder ? "encoder.pt" : "decoder.pt" }
}

/// The prompt output types each kind of base model allows (``ModelKind`` lives in SPModels).
extension ModelKind {
    /// caikit `PROMPT_OUTPUT_TYPES` (also the default when `output_model_types` is empty).
    public var supportedOutputTypes: [PromptOutputModelType] { self == .causalLM ? [.decoder] : [.encoder] }

    /// The output types SoftPrompt trains: causal LMs `DECODER`; seq2seq `ENCODER` and `DECODER`,
    /// alone or together (caikit refuses `DECODER` for seq2seq; see docs/CAIKIT_DIFFERENCES.md).
    public var allowedOutputTypes: [PromptOutputModelType] { self == .causalLM ? [.decoder] : [.encoder, .decoder] }

    /// caikit `MAX_NUM_TRANSFORMERS`.
    public var maxTransformerSubmodules: Int { self == .causalLM ? 1 : 2 }

    /// PEFT `num_transformer_submodules` for the given output types (caikit
    /// `get_num_transformers_submodules`: causal LMs always 1, seq2seq one per output type).
    public func transformerSubmodules(for outputs: [PromptOutputModelType]) -> Int {
        self == .causalLM ? 1 : max(1, outputs.count)
    }
}

/// `torch_dtype`: the dtype caikit casts the model (and the prompt) to.
///
/// Names are torch's (`getattr(torch, name)`): `float32`/`float`, `float16`/`half`, `bfloat16`, with an
/// optional `torch.` prefix. This build computes in float32 always; the dtype decides how the prompt
/// is rounded and stored.
public enum TorchDType: String, Sendable, CaseIterable, Codable {
    /// `torch.float32`.
    case float32
    /// `torch.float16`.
    case float16
    /// `torch.bfloat16`.
    case bfloat16

    /// Parses a torch dtype name; `nil` or `""` gives caikit's configured default (`float32`).
    public init(torchName: String?) throws {
        guard var s = torchName, !s.isEmpty else { self = .float32; return }
        if s.hasPrefix("torch.") { s.removeFirst(6) }
        switch s {
        case "float32", "float": self = .float32
        case "float16", "half": self = .float16
        case "bfloat16": self = .bfloat16
        default:
            throw TuningError.invalidParameter(
                field: "torch_dtype", value: quoted(torchName ?? ""),
                hint: "Unrecognized data type (caikit <NLP85554812E>); supported: float32, bfloat16, float16")
        }
    }

    /// The storage dtype in SPTensor.
    public var dtype: DType {
        switch self {
        case .float32: return .float32
        case .float16: return .float16
        case .bfloat16: return .bfloat16
        }
    }

    /// The dtype caikit actually trains with on CPU: bfloat16 falls back to float32 with warning
    /// `<NLP18555772W>` (`convert_peft_model_to_type`); float16 is kept.
    public var effectiveOnCPU: TorchDType { self == .bfloat16 ? .float32 : self }
}
