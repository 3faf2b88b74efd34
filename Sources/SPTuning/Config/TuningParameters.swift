// The parameters of caikit-nlp `PeftPromptTuning.train()` (§1.2 of the spec), with caikit's names and
// defaults, decodable from JSON or YAML config files and from caikit's HTTP train request body.

import Foundation
import SPJSON
import SPPrompt

/// How a batch is padded.
public enum PaddingMode: String, Sendable, CaseIterable, Codable {
    /// Right-pad every example to the longest one in its batch (SoftPrompt's default).
    case dynamic
    /// caikit's layout: every causal-LM example padded to `max_source_length + max_target_length + 1`
    /// on the tokenizer's padding side. For parity checks against caikit.
    case maxLength = "max_length"
}

/// Every argument of caikit-nlp `PeftPromptTuning.train()`.
///
/// Defaults are caikit's code defaults (which differ from its docstring): `learning_rate` 0.3 and
/// `accumulate_steps` **32** — with the default `batch_size` 8 one optimizer step sees 256 examples,
/// so small data sets take very few steps; lower it for few-shot data.
///
/// ```swift
/// let p = try TuningParameters.load(contentsOf: URL(fileURLWithPath: "train.yaml"))
/// try p.validate(trainCount: records.count, modelKind: .causalLM)
/// ```
public struct TuningParameters: Sendable, Equatable {
    /// caikit's HTTP `model_name` when the file is a whole train request, else `nil`.
    public var modelName: String?
    /// `base_model`: a model id or path (`^[-a-zA-Z_0-9/.]+$`, no `..`).
    public var baseModel: String
    /// `train_stream`; may be `nil` when the caller supplies records directly.
    public var trainStream: DataStreamSource?
    /// `tuning_config`.
    public var tuningConfig: TuningConfig
    /// `val_stream` (accepted and read; caikit's validation loop is broken, see the spec §1.10).
    public var valStream: DataStreamSource?
    /// `device`: `__DETECT__` (default) or `cpu`; nothing else runs in this build.
    public var device: String = "__DETECT__"
    /// `tuning_type`.
    public var tuningType: TuningType = .promptTuning
    /// `num_epochs` (0 is allowed: caikit's tests save untrained prompts that way).
    public var numEpochs: Int = 20
    /// `learning_rate` (`lr` is accepted as an alias).
    public var learningRate: Double = 0.3
    /// `verbalizer`: template rendered against each record, e.g. `"Tweet text : {{input}} Label : "`.
    public var verbalizer: String = "{{input}}"
    /// `batch_size`: micro-batch size.
    public var batchSize: Int = 8
    /// `max_source_length`: source tokens kept (special tokens included).
    public var maxSourceLength: Int = 256
    /// `max_target_length`: target tokens kept (caikit keeps `max_target_length + 1`).
    public var maxTargetLength: Int = 128
    /// `accumulate_steps`: micro-batches per optimizer step (caikit default 32).
    public var accumulateSteps: Int = 32
    /// `torch_dtype`; `nil` is caikit's configured default, float32.
    public var torchDType: TorchDType?
    /// `silence_progress_bars`.
    public var silenceProgressBars: Bool = true
    /// `seed` (caikit `RANDOM_SEED` 73).
    public var seed: UInt64 = 73
    /// `padding` (SoftPrompt extension, not a caikit field): ``PaddingMode/dynamic`` by default.
    public var padding: PaddingMode = .dynamic

    /// The accepted keys: caikit's, plus the alias `lr` and the extension `padding`.
    public static let fieldNames = [
        "base_model", "train_stream", "tuning_config", "val_stream", "device", "tuning_type", "num_epochs",
        "learning_rate", "lr", "verbalizer", "batch_size", "max_source_length", "max_target_length",
        "accumulate_steps", "torch_dtype", "silence_progress_bars", "seed", "padding",
    ]

    /// Parameters with caikit's defaults for the given model and tuning config.
    public init(baseModel: String, tuningConfig: TuningConfig, trainStream: DataStreamSource? = nil) {
        self.baseModel = baseModel
        self.tuningConfig = tuningConfig
        self.trainStream = trainStream
    }

    /// Decodes parameters from a JSON value tree: either the `parameters` object itself or a whole
    /// caikit train request `{"model_name": …, "parameters": {…}}`.
    public init(json value: JSONValue, source: String) throws {
        self = try TuningError.reading { try TuningParameters(fields: value, source: source) }
    }

    private init(fields value: JSONValue, source: String) throws {
        var r = try JSONConfig(object: value, file: source, path: "")
        if r.has("parameters") {
            try r.rejectUnknownKeys(allowed: ["model_name", "parameters", "output_path"])
            if r.has("output_path") {
                throw TuningError.invalidParameter(field: "output_path", value: "{...}",
                                                   hint: "S3 output path not supported by this runtime")
            }
            modelName = try r.stringIfPresent("model_name")
            r = try r.objectIfPresent("parameters")!
        }
        try r.rejectUnknownKeys(allowed: Self.fieldNames)
        guard let base = try r.stringIfPresent("base_model") else {
            throw TuningError.missingParameter(field: r.path(of: "base_model"), hint: "name a model id or directory")
        }
        baseModel = base
        guard let tc = try r.objectIfPresent("tuning_config") else {
            throw TuningError.missingParameter(field: r.path(of: "tuning_config"),
                                               hint: "give at least tuning_config.num_virtual_tokens")
        }
        tuningConfig = try TuningConfig(reading: tc)
        trainStream = try r.value("train_stream").map {
            try DataStreamSource(reading: $0, path: r.path(of: "train_stream"), source: source)
        }
        valStream = try r.value("val_stream").map {
            try DataStreamSource(reading: $0, path: r.path(of: "val_stream"), source: source)
        }
        device = try r.stringIfPresent("device") ?? device
        if let t = try r.stringIfPresent("tuning_type") {
            guard let tt = TuningType(rawValue: t) else {
                throw TuningError.invalidParameter(
                    field: r.path(of: "tuning_type"), value: quoted(t),
                    hint: "\(t) tuning type not supported!; use PROMPT_TUNING or MULTITASK_PROMPT_TUNING")
            }
            tuningType = tt
        }
        numEpochs = try r.intIfPresent("num_epochs") ?? numEpochs
        if r.has("learning_rate") && r.has("lr") {
            throw TuningError.invalidParameter(field: r.path(of: "lr"), value: "(both given)",
                                               hint: "`lr` is an alias of `learning_rate`; give only one")
        }
        learningRate = try r.parameterDouble("learning_rate") ?? r.parameterDouble("lr") ?? learningRate
        verbalizer = try r.stringIfPresent("verbalizer") ?? verbalizer
        batchSize = try r.intIfPresent("batch_size") ?? batchSize
        maxSourceLength = try r.intIfPresent("max_source_length") ?? maxSourceLength
        maxTargetLength = try r.intIfPresent("max_target_length") ?? maxTargetLength
        accumulateSteps = try r.intIfPresent("accumulate_steps") ?? accumulateSteps
        torchDType = try r.stringIfPresent("torch_dtype").flatMap { $0.isEmpty ? nil : try TorchDType(torchName: $0) }
        silenceProgressBars = try r.boolIfPresent("silence_progress_bars") ?? silenceProgressBars
        if let s = try r.intIfPresent("seed") {
            guard s >= 0 else {
                throw TuningError.invalidParameter(field: r.path(of: "seed"), value: String(s), hint: "use a seed ≥ 0")
            }
            seed = UInt64(s)
        }
        if let p = try r.stringIfPresent("padding") {
            guard let mode = PaddingMode(rawValue: p) else {
                throw TuningError.invalidParameter(field: r.path(of: "padding"), value: quoted(p),
                                                   hint: "use `dynamic` or `max_length`")
            }
            padding = mode
        }
    }

    /// Reads a config file: `.yaml`/`.yml` as YAML, anything else as JSON.
    public static func load(contentsOf url: URL) throws -> TuningParameters {
        let data = try FileInput.read(url, what: "config file", maxBytes: 64 << 20)
        guard let text = String(data: data, encoding: .utf8) else { throw TuningError.notUTF8(file: url.path) }
        let ext = url.pathExtension.lowercased()
        let value = ext == "yaml" || ext == "yml"
            ? try JSONValue.parse(yaml: text, source: url.path)
            : try JSONValue.parse(json: data, source: url.path)
        return try TuningParameters(json: value, source: url.path)
    }
}

extension TuningParameters: Decodable {
    /// Decodes through ``JSONValue`` with the same strict rules as ``init(json:source:)``, so
    /// `JSONDecoder` and Yams' `YAMLDecoder` both work; errors are ``TuningError``s.
    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder), source: "decoded parameters")
    }
}
