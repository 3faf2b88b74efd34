// Validation of TuningParameters in caikit-nlp's order (spec §1.3), so that a job that caikit would
// reject fails here with the same first complaint, plus the numeric checks caikit leaves to torch.

import Foundation
import SPModels
import SPPrompt

/// The outcome of validating ``TuningParameters`` against a model: every choice resolved.
public struct ResolvedTuning: Sendable, Equatable {
    /// `base_model_name`: the last path component of `base_model` (caikit `os.path.split(...)[-1]`).
    public var baseModelName: String
    /// The model kind the parameters were checked against.
    public var modelKind: ModelKind
    /// Output model types after applying the model kind's default.
    public var outputModelTypes: [PromptOutputModelType]
    /// PEFT `num_transformer_submodules`.
    public var numTransformerSubmodules: Int
    /// `num_virtual_tokens`.
    public var numVirtualTokens: Int
    /// The effective init method (`RANDOM` when unset).
    public var initMethod: PromptTuningInitMethod
    /// The source prompt file (`source_prompt_base` joined with `prompt_tuning_init_source_model`).
    public var sourcePromptPath: String?
    /// The parsed verbalizer.
    public var verbalizer: Verbalizer
    /// The dtype the prompt is stored in (caikit's CPU rule: bfloat16 → float32).
    public var trainedDType: TorchDType
    /// The device (always `cpu` in this build).
    public var device: String
    /// Warnings caikit would log (e.g. `<NLP18555772W>` for bfloat16 on CPU).
    public var warnings: [String]
}

extension TuningParameters {
    /// Checks the parameters in caikit-nlp's order and resolves defaults.
    ///
    /// Order: empty training data → base model name → init method and source prompt → tuning type
    /// (multitask: `num_tasks`, `num_ranks`, `prompt_tuning_init_task`) → output model types → verbalizer → `num_virtual_tokens` → `TEXT` without text → `training_data_limit` →
    /// empty validation data → device → learning rate, epochs, batch size, accumulation, lengths.
    ///
    /// - Parameters:
    ///   - trainCount: number of training records read.
    ///   - valCount: number of validation records, or `nil` without a validation stream.
    ///   - modelKind: the base model's kind (from its `config.json`).
    ///   - limits: caikit's `training_data_limit` table.
    ///   - sourcePromptBase: caikit's `source_prompt_base` for multitask source prompts.
    /// - Throws: the first ``TuningError`` found.
    public func validate(trainCount: Int, valCount: Int? = nil, modelKind: ModelKind,
                         limits: TrainingDataLimit = .unlimited,
                         sourcePromptBase: String = "") throws -> ResolvedTuning {
        guard trainCount > 0 else {
            throw TuningError.emptyData(field: "train_stream", hint: "give at least one {input, output} record")
        }
        let name = try Self.checkBaseModel(baseModel)
        let tc = tuningConfig
        let method = tc.initMethod
        guard method.isSupported(by: tuningType) else {
            throw TuningError.invalidParameter(
                field: "tuning_config.prompt_tuning_init_method", value: method.rawValue,
                hint: method == .sampleVocab
                    ? "SAMPLE_VOCAB is available for PROMPT_TUNING only"
                    : "\(method.rawValue) needs tuning_type MULTITASK_PROMPT_TUNING (caikit would silently use RANDOM)")
        }
        let sourcePath = try Self.sourcePromptPath(method: method, source: tc.promptTuningInitSourceModel,
                                                   base: sourcePromptBase)
        try checkMultitask()
        let outputs = tc.outputModelTypes.isEmpty ? modelKind.supportedOutputTypes : tc.outputModelTypes
        for t in outputs where !modelKind.allowedOutputTypes.contains(t) {
            throw TuningError.invalidParameter(
                field: "tuning_config.output_model_types", value: t.rawValue,
                hint: "a \(modelKind.taskType) model supports only "
                    + modelKind.allowedOutputTypes.map(\.rawValue).joined(separator: ", ") + " (caikit <NLP36947542E>)")
        }
        guard outputs.count <= modelKind.maxTransformerSubmodules, Set(outputs).count == outputs.count else {
            throw TuningError.invalidParameter(
                field: "tuning_config.output_model_types", value: "[" + outputs.map(\.rawValue).joined(separator: ", ") + "]",
                hint: "at most \(modelKind.maxTransformerSubmodules) distinct output type(s) for \(modelKind.taskType) (caikit <NLP30542004E>)")
        }
        let verbalizer = try Verbalizer(self.verbalizer)
        guard let nvt = tc.numVirtualTokens else {
            throw TuningError.missingParameter(field: "tuning_config.num_virtual_tokens",
                                               hint: "num_virtual_tokens not provided in tuning_config (caikit <NLP11369136E>)")
        }
        guard nvt > 0 else {
            throw TuningError.invalidParameter(field: "tuning_config.num_virtual_tokens", value: String(nvt),
                                               hint: "use a positive number of virtual tokens, e.g. 8")
        }
        if method == .text, (tc.promptTuningInitText ?? "").isEmpty {
            throw TuningError.missingParameter(field: "tuning_config.prompt_tuning_init_text",
                                               hint: "prompt_tuning_init_method TEXT needs the text to initialise from")
        }
        if let limit = limits.limit(moduleID: CaikitModule.moduleID, modelName: name), limit > 0, trainCount > limit {
            throw TuningError.tooManyExamples(count: trainCount, limit: limit, model: name)
        }
        let dtype = torchDType ?? .float32
        var warnings: [String] = []
        if dtype == .bfloat16 {
            warnings.append("<NLP18555772W> bfloat16 is not supported on cpu by caikit; the prompt trains and is saved in float32")
        }
        if let valCount, valCount == 0 {
            throw TuningError.emptyData(field: "val_stream", hint: "omit val_stream or give records (caikit <NLP63201425E>)")
        }
        let device = try Self.resolveDevice(device)
        try checkHyperparameters()
        return ResolvedTuning(
            baseModelName: name, modelKind: modelKind, outputModelTypes: outputs,
            numTransformerSubmodules: modelKind.transformerSubmodules(for: outputs), numVirtualTokens: nvt,
            initMethod: method, sourcePromptPath: sourcePath, verbalizer: verbalizer,
            trainedDType: dtype.effectiveOnCPU, device: device, warnings: warnings)
    }

    /// The source prompt of a multitask init method: `source` under the base, which is
    /// `SOURCE_PROMPT_BASE` from the environment when set (caikit's env override), else `base`
    /// (the config's `source_prompt_base`); nil for the other methods. A file (`.safetensors`, torch
    /// `.pt`/`.bin`) or a prompt directory (PEFT adapter or SoftPrompt/caikit directory).
    /// - Throws: ``TuningError`` when the name is missing (caikit `<NLP89108490E>`), escapes the
    ///   base, or is not there (caikit `<NLP96030210E>`).
    public static func sourcePromptPath(method: PromptTuningInitMethod, source: String?, base configBase: String,
                                        environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        guard method.needsSourcePrompt else { return nil }
        guard let src = source, !src.isEmpty else {
            throw TuningError.missingParameter(
                field: "tuning_config.prompt_tuning_init_source_model",
                hint: "\(method.rawValue) loads a source prompt; name its file (caikit <NLP89108490E>)")
        }
        let base = environment["SOURCE_PROMPT_BASE"].flatMap { $0.isEmpty ? nil : $0 } ?? configBase
        let path = base.isEmpty ? src : (base as NSString).appendingPathComponent(src)
        if !base.isEmpty {
            func real(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.resolvingSymlinksInPath().path }
            let root = real(base), resolved = real(path)
            guard resolved == root || resolved.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
                throw TuningError.invalidParameter(field: "tuning_config.prompt_tuning_init_source_model", value: quoted(src),
                                                   hint: "the path escapes source_prompt_base \(base); name a file under it")
            }
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw TuningError.io(path: path, reason: "source prompt file not found (caikit <NLP96030210E>); "
                + "hint: paths are relative to source_prompt_base (or SOURCE_PROMPT_BASE)")
        }
        return path
    }

    /// caikit `resolve_base_model`'s name check; returns `base_model_name` (the last path component).
    public static func checkBaseModel(_ baseModel: String) throws -> String {
        let allowed = baseModel.unicodeScalars.allSatisfy {
            $0 == "-" || $0 == "_" || $0 == "/" || $0 == "." || ("a"..."z").contains($0)
                || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
        }
        guard !baseModel.isEmpty, allowed, !baseModel.contains("..") else {
            throw TuningError.invalidParameter(
                field: "base_model", value: quoted(baseModel),
                hint: "invalid characters in base_model name (caikit <NLP66932773E>); use letters, digits, - _ / . and no `..`")
        }
        var trimmed = Substring(baseModel)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        return trimmed.split(separator: "/").last.map(String.init) ?? String(trimmed)
    }

    /// `device`: `__DETECT__`, `""` and `cpu` mean the CPU; anything else is refused.
    public static func resolveDevice(_ device: String) throws -> String {
        switch device {
        case CaikitModule.detectDevice, "", "cpu": return "cpu"
        default: throw TuningError.unsupportedDevice(device)
        }
    }

    /// `num_tasks`, `num_ranks` and `prompt_tuning_init_task`: ≥ 1, ≥ 1 and ≥ 0 for multitask
    /// prompt tuning; left at their defaults otherwise (PROMPT_TUNING has no tasks).
    private func checkMultitask() throws {
        let tc = tuningConfig
        guard tuningType == .multitaskPromptTuning else {
            for (field, set) in [("num_tasks", tc.numTasks != 1), ("num_ranks", tc.numRanks != 1),
                                 ("prompt_tuning_init_task", tc.promptTuningInitTask != nil)] where set {
                throw TuningError.invalidParameter(field: "tuning_config.\(field)", value: "(set)",
                                                   hint: "\(field) belongs to tuning_type MULTITASK_PROMPT_TUNING; PROMPT_TUNING would ignore it")
            }
            return
        }
        guard tc.numTasks >= 1 else {
            throw TuningError.invalidParameter(field: "tuning_config.num_tasks", value: "\(tc.numTasks)", hint: "a multitask prompt has at least 1 task")
        }
        guard tc.numRanks >= 1 else {
            throw TuningError.invalidParameter(field: "tuning_config.num_ranks", value: "\(tc.numRanks)", hint: "use a rank ≥ 1 (caikit uses 1)")
        }
        if case .id(let i)? = tc.promptTuningInitTask, i < 0 {
            throw TuningError.invalidParameter(field: "tuning_config.prompt_tuning_init_task", value: "\(i)", hint: "source task ids start at 0")
        }
        if tc.promptTuningInitTask != nil, tc.initMethod != .exactSourceTask {
            throw TuningError.invalidParameter(field: "tuning_config.prompt_tuning_init_task", value: "(set)",
                                               hint: "only EXACT_SOURCE_TASK starts from one source task; \(tc.initMethod.rawValue) would ignore it")
        }
    }

    private func checkHyperparameters() throws {
        guard learningRate.isFinite, learningRate >= 0 else {
            throw TuningError.invalidParameter(field: "learning_rate", value: String(learningRate),
                                               hint: "use a finite learning rate ≥ 0, e.g. 0.3 (caikit's default)")
        }
        let ints: [(String, Int, Int, String)] = [
            ("num_epochs", numEpochs, 0, "0 saves the initial prompt"),
            ("batch_size", batchSize, 1, "e.g. 8"),
            ("accumulate_steps", accumulateSteps, 1, "1 steps after every batch; caikit's default is 32"),
            ("max_source_length", maxSourceLength, 1, "e.g. 256"),
            ("max_target_length", maxTargetLength, 1, "e.g. 128"),
        ]
        for (field, value, minimum, example) in ints where value < minimum {
            throw TuningError.invalidParameter(field: field, value: String(value), hint: "use a value ≥ \(minimum); \(example)")
        }
    }
}
