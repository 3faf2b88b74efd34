// caikit's config.yml for a saved PeftPromptTuning model: the ModuleSaver keys plus the keys
// PeftPromptTuning.save() adds (spec §1.12). Written as YAML with sorted keys, like PyYAML's dump.

import Foundation
import SPJSON
import Yams

/// The `config.yml` of a saved prompt.
public struct CaikitPromptConfig: Sendable, Equatable {
    /// `caikit_nlp_version`: caikit writes the library version; SoftPrompt the caikit-nlp release it matches.
    public var caikitNLPVersion = SoftPromptIdentity.caikitNLPVersion
    /// `softprompt_version` (not a caikit key): the SoftPrompt version that wrote the directory;
    /// `nil` for directories written by caikit.
    public var softPromptVersion: String? = SoftPromptIdentity.version
    /// `created`: `str(datetime.now())`.
    public var created: String
    /// `saved`: `str(datetime.now())`.
    public var saved: String
    /// `tracking_id`: a random UUID (lower case, as Python's `str(uuid4())`).
    public var trackingID: String
    /// `module_id` (``CaikitModule/moduleID``).
    public var moduleID = CaikitModule.moduleID
    /// `module_class` (``CaikitModule/moduleClass``).
    public var moduleClass = CaikitModule.moduleClass
    /// `name` (``CaikitModule/name``).
    public var name = CaikitModule.name
    /// `version` (``CaikitModule/version``).
    public var version = CaikitModule.version
    /// `base_model_config`: the HF model config dict without `_name_or_path`.
    public var baseModelConfig: JSONValue
    /// `base_model_name`: the base model's last path component.
    public var baseModelName: String
    /// `eos_token`: the tokenizer's EOS token text.
    public var eosToken: String?
    /// `has_base_model`: whether the PEFT adapter and tokenizer were saved in `<base_model_name>/`.
    public var hasBaseModel: Bool
    /// `verbalizer`.
    public var verbalizer: String
    /// `tuning_type`.
    public var tuningType: TuningType
    /// `task_type`: `CAUSAL_LM` or `SEQ_2_SEQ_LM`.
    public var taskType: String
    /// `trained_torch_dtype`: `float32`, `float16` or `bfloat16`.
    public var trainedTorchDType: TorchDType
    /// `output_model_types` (stored as a JSON string, e.g. `'["DECODER"]'`).
    public var outputModelTypes: [PromptOutputModelType]
    /// `ENCODER`: `encoder.pt`, or `""` when no encoder prompt is saved.
    public var encoderFile: String
    /// `DECODER`: `decoder.pt`, or `""` when no decoder prompt is saved.
    public var decoderFile: String
    /// `training_logs`.
    public var trainingLogs = CaikitModule.trainingLogFileName
    /// `full_model_path`: `<base_model_name>` when `has_base_model`.
    public var fullModelPath: String?
    /// `tokenizer_path`: `<base_model_name>` when `has_base_model`.
    public var tokenizerPath: String?
    /// `softprompt_base_model_path` (SoftPrompt's own key; caikit ignores it): the absolute path of
    /// the base model the prompt was trained on, so the directory finds its base model from
    /// anywhere (`base_model_name` is only the last path component).
    public var baseModelPath: String?

    /// A config for a prompt saved now; the prompt files follow from `outputModelTypes`.
    public init(baseModelConfig: JSONValue, baseModelName: String, eosToken: String?, hasBaseModel: Bool,
                verbalizer: String, tuningType: TuningType, taskType: String, trainedTorchDType: TorchDType,
                outputModelTypes: [PromptOutputModelType], date: Date = Date()) {
        var config = baseModelConfig
        if case .object(var o) = config { o["_name_or_path"] = nil; config = .object(o) }
        self.baseModelConfig = config
        self.baseModelName = baseModelName
        self.eosToken = eosToken
        self.hasBaseModel = hasBaseModel
        self.verbalizer = verbalizer
        self.tuningType = tuningType
        self.taskType = taskType
        self.trainedTorchDType = trainedTorchDType
        self.outputModelTypes = outputModelTypes
        encoderFile = outputModelTypes.contains(.encoder) ? PromptOutputModelType.encoder.fileName : ""
        decoderFile = outputModelTypes.contains(.decoder) ? PromptOutputModelType.decoder.fileName : ""
        created = PythonDateTime.isoformat(date, separator: " ")
        saved = created
        trackingID = UUID().uuidString.lowercased()
        if hasBaseModel { fullModelPath = baseModelName; tokenizerPath = baseModelName }
    }

    /// `output_model_types` as caikit stores it: `json.dumps([t.name for t in types])`.
    public var outputModelTypesJSON: String { JSONValue.array(outputModelTypes.map { .string($0.rawValue) }).dumps() }

    /// The YAML document.
    public func yamlText() throws -> String {
        func s(_ v: String?) -> JSONValue { v.map(JSONValue.string) ?? .null }
        var keys: JSONObject = [
            "caikit_nlp_version": .string(caikitNLPVersion), "created": .string(created), "saved": .string(saved),
            "name": .string(name), "tracking_id": .string(trackingID), "module_id": .string(moduleID),
            "module_class": .string(moduleClass), "version": .string(version),
            "base_model_config": baseModelConfig, "base_model_name": .string(baseModelName), "eos_token": s(eosToken),
            "has_base_model": .bool(hasBaseModel), "verbalizer": .string(verbalizer),
            "tuning_type": .string(tuningType.rawValue), "task_type": .string(taskType),
            "trained_torch_dtype": .string(trainedTorchDType.rawValue), "output_model_types": .string(outputModelTypesJSON),
            "ENCODER": .string(encoderFile), "DECODER": .string(decoderFile), "training_logs": .string(trainingLogs),
        ]
        if let softPromptVersion { keys[SoftPromptIdentity.markerKey] = .string(softPromptVersion) }
        if let fullModelPath { keys["full_model_path"] = .string(fullModelPath) }
        if let tokenizerPath { keys["tokenizer_path"] = .string(tokenizerPath) }
        if let baseModelPath { keys["softprompt_base_model_path"] = .string(baseModelPath) }
        do {
            return try Yams.serialize(node: Self.node(.object(keys)), width: -1, sortKeys: true)
        } catch {
            throw TuningError.io(path: "config.yml", reason: "YAML serialisation failed (\(error))")
        }
    }

    private static func node(_ v: JSONValue) throws -> Node {
        switch v {
        case .null: return Node("null", Tag(.null))
        case .bool(let b): return try b.represented()
        case .int(let i): return try i.represented()
        case .largeInt(let t): return Node(t, Tag(.int))
        case .double(let d): return try d.represented()
        case .string(let s): return try s.represented()
        case .array(let a): return Node(try a.map(node))
        case .object(let o): return Node(try o.keys.sorted().map { (Node($0), try node(o[$0]!)) })
        }
    }

    /// Parses a `config.yml`; keys this module does not use are ignored (caikit variants add some).
    /// - Throws: ``TuningError/badFile(file:reason:)`` when `module_id` is not PeftPromptTuning's.
    public init(yaml text: String, source: String) throws {
        self = try TuningError.reading { try CaikitPromptConfig(fields: text, source: source) }
    }

    /// Reads the fields of a parsed `config.yml` (see ``init(yaml:source:)``).
    public init(object: JSONObject, source: String) throws {
        self = try TuningError.reading { try CaikitPromptConfig(config: JSONConfig(object: .object(object), file: source, path: ""), source: source) }
    }

    private init(fields text: String, source: String) throws {
        try self.init(config: JSONConfig(object: JSONValue.parse(yaml: text, source: source), file: source, path: ""), source: source)
    }

    private init(config r: JSONConfig, source: String) throws {
        func req(_ key: String) throws -> String {
            guard let v = try r.stringIfPresent(key) else { throw TuningError.malformedConfig(source: source, reason: "missing `\(key)`") }
            return v
        }
        moduleID = try req("module_id")
        guard moduleID == CaikitModule.moduleID else {
            throw TuningError.badFile(file: source, reason: "module_id \(moduleID) is not caikit-nlp PeftPromptTuning (\(CaikitModule.moduleID))")
        }
        caikitNLPVersion = try r.stringIfPresent("caikit_nlp_version") ?? caikitNLPVersion
        softPromptVersion = try r.stringIfPresent(SoftPromptIdentity.markerKey)
        created = try r.stringIfPresent("created") ?? ""
        saved = try r.stringIfPresent("saved") ?? ""
        trackingID = try r.stringIfPresent("tracking_id") ?? ""
        moduleClass = try r.stringIfPresent("module_class") ?? moduleClass
        name = try r.stringIfPresent("name") ?? name
        version = try r.stringIfPresent("version") ?? version
        baseModelConfig = r.value("base_model_config") ?? .object([:])
        baseModelName = try req("base_model_name")
        eosToken = try r.stringIfPresent("eos_token")
        hasBaseModel = try r.boolIfPresent("has_base_model") ?? false
        verbalizer = try req("verbalizer")
        let tt = try req("tuning_type")
        guard let tuning = TuningType(rawValue: tt) else {
            throw TuningError.badFile(file: source, reason: "tuning_type \(tt) is not PROMPT_TUNING or MULTITASK_PROMPT_TUNING")
        }
        tuningType = tuning
        taskType = try req("task_type")
        trainedTorchDType = try TorchDType(torchName: try r.stringIfPresent("trained_torch_dtype"))
        let types = try req("output_model_types")
        guard case .array(let items) = try JSONValue.parse(json: Data(types.utf8), source: "\(source) output_model_types") else {
            throw TuningError.badFile(file: source, reason: "output_model_types must be a JSON list string")
        }
        outputModelTypes = try items.map {
            guard case .string(let s) = $0, let t = PromptOutputModelType(rawValue: s) else {
                throw TuningError.badFile(file: source, reason: "bad output_model_types entry \($0.brief)")
            }
            return t
        }
        encoderFile = try r.stringIfPresent("ENCODER") ?? ""
        decoderFile = try r.stringIfPresent("DECODER") ?? ""
        trainingLogs = try r.stringIfPresent("training_logs") ?? trainingLogs
        fullModelPath = try r.stringIfPresent("full_model_path")
        tokenizerPath = try r.stringIfPresent("tokenizer_path")
        baseModelPath = try r.stringIfPresent("softprompt_base_model_path")
    }
}
