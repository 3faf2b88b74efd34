// The one reader of saved prompts. Every layout goes through `PromptReader.read`: a PEFT adapter
// directory (adapter_config.json + adapter_model.safetensors), a caikit-nlp directory (config.yml +
// encoder.pt / decoder.pt, the PEFT adapter in <base_model_name>/), or a torch `.pt`/`.bin` /
// `.safetensors` file of prompt tensors. Generation (`TunedPrompt`), training round trips
// (`SavedPrompt.load`), the server and the multitask source prompt all read through it; it throws
// only `PromptError` (SavedPrompt maps it to `TuningError`).

import Foundation
import SPFormats
import SPJSON

/// A prompt as read from disk, before a consumer picks what it needs.
public struct StoredPrompt: Sendable {
    /// Which layout the path holds.
    public enum Layout: String, Sendable, Equatable {
        /// A PEFT adapter directory.
        case peft
        /// A caikit-nlp `PeftPromptTuning` directory.
        case caikit
        /// A lone `.pt` / `.bin` / `.safetensors` file of prompt tensors.
        case file
    }

    /// The path read.
    public var path: String
    /// The layout found.
    public var layout: Layout
    /// The PEFT adapter config (PEFT layout: the directory's; caikit layout: `<full_model_path>/`'s when saved).
    public var adapterConfig: PEFTAdapterConfig?
    /// PEFT and file layouts: the tensors under PEFT's names.
    public var tensors: PromptTensors?
    /// Caikit layout: `config.yml` as a mapping (keys caikit variants add are kept).
    public var caikitFields: JSONObject?
    /// Caikit layout: the `ENCODER` prompt file's tensor.
    public var encoder: TorchTensor?
    /// Caikit layout: the `DECODER` prompt file's tensor.
    public var decoder: TorchTensor?
    /// Task names of a multitask prompt, index = task id (empty when the tasks have no names).
    public var taskNames: [String]

    /// A string field of `config.yml`; nil when absent or null.
    /// - Throws: ``PromptError`` when the field is not a string.
    public func caikitString(_ key: String) throws -> String? {
        switch caikitFields?[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let v?:
            throw PromptError.badPromptDirectory(path: path + "/config.yml", reason: "`\(key)` is \(v.typeName), expected a string",
                                                 hint: "see caikit's PeftPromptTuning.save")
        }
    }
}

/// Reads prompts in every layout (see ``StoredPrompt/Layout``).
public enum PromptReader {
    /// The file a multitask prompt's task names are kept in, next to `adapter_config.json` or `config.yml`.
    public static let taskNamesFile = "softprompt_tasks.json"
    /// The file a multitask prompt without a PEFT adapter (seq2seq DECODER only, which PEFT cannot
    /// express) keeps its P, U and V in, next to `config.yml`, under PEFT's tensor names.
    public static let multitaskTensorsFile = "softprompt_multitask.safetensors"

    /// True when `path` is a directory holding `adapter_config.json` or `config.yml`.
    public static func isPromptDirectory(_ path: String) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: path + "/adapter_config.json") || fm.fileExists(atPath: path + "/config.yml")
    }

    /// Reads `path`: a PEFT adapter directory (wins when both config files exist), a caikit
    /// directory, or a prompt tensor file. `layout` insists on one layout.
    /// - Throws: ``PromptError/badPromptDirectory(path:reason:hint:)`` naming the file and field.
    public static func read(_ path: String, layout: StoredPrompt.Layout? = nil) throws -> StoredPrompt {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        let exists = fm.fileExists(atPath: path, isDirectory: &isDir)
        if exists, !isDir.boolValue, layout == nil || layout == .file {
            return StoredPrompt(path: path, layout: .file, tensors: try PromptTensors.read(file: path), taskNames: [])
        }
        if layout != .caikit, fm.fileExists(atPath: path + "/adapter_config.json") { return try readPEFT(path) }
        if layout != .peft, layout == .caikit || fm.fileExists(atPath: path + "/config.yml") { return try readCaikit(path) }
        throw PromptError.badPromptDirectory(
            path: path, reason: "neither adapter_config.json (PEFT) nor config.yml (caikit) found",
            hint: "pass a directory written by PEFT save_pretrained or by caikit-nlp / softprompt train")
    }

    /// Maps any reading error (`TuningError`, `FormatError`, `JSONError`) to ``PromptError``.
    static func mapped<T>(_ file: String, hint: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as PromptError { throw e } catch {
            throw PromptError.badPromptDirectory(path: file, reason: "\(error)", hint: hint)
        }
    }

    static func readPEFT(_ dir: String) throws -> StoredPrompt {
        let configPath = dir + "/adapter_config.json"
        let config = try mapped(configPath, hint: "a PEFT adapter_config.json needs peft_type, num_virtual_tokens, token_dim") {
            try PEFTAdapterConfig(contentsOf: URL(fileURLWithPath: configPath))
        }
        let nv = config.numVirtualTokens, dim = config.tokenDim, sub = config.numTransformerSubmodules
        let multitask = config.tuningType == .multitaskPromptTuning
        let maxSubmodules = config.taskType == "SEQ_2_SEQ_LM" ? 2 : 1
        guard nv > 0, dim > 0, (1...maxSubmodules).contains(sub) else {
            throw PromptError.badPromptDirectory(
                path: configPath, reason: "num_virtual_tokens \(nv), token_dim \(dim), num_transformer_submodules \(sub)",
                hint: "a \(config.taskType) \(config.tuningType.rawValue) prompt has num_virtual_tokens ≥ 1, token_dim ≥ 1 and 1…\(maxSubmodules) transformer submodule(s)")
        }
        let weights = dir + "/adapter_model.safetensors"
        guard FileManager.default.fileExists(atPath: weights) else {
            let hint = FileManager.default.fileExists(atPath: dir + "/adapter_model.bin")
                ? "only adapter_model.bin is present: re-save with save_pretrained(safe_serialization=True)"
                : "save the adapter with PEFT save_pretrained"
            throw PromptError.badPromptDirectory(path: weights, reason: "missing", hint: hint)
        }
        let tensors = try PromptTensors.read(file: weights, expectRows: nv * sub, expectDim: dim)
        if multitask, tensors.multitask == nil {
            throw PromptError.badPromptDirectory(path: weights, reason: "a MULTITASK_PROMPT_TUNING adapter without prefix_task_cols / prefix_task_rows",
                                                 hint: "the adapter files do not belong together")
        }
        if let m = tensors.multitask, !multitask || (config.numTasks, config.numRanks) != (m.numTasks, m.numRanks) {
            throw PromptError.badPromptDirectory(
                path: weights, reason: "task tensors of K \(m.numTasks), r \(m.numRanks) for a \(config.tuningType.rawValue) config of num_tasks \(config.numTasks), num_ranks \(config.numRanks)",
                hint: "the adapter files do not belong together")
        }
        return StoredPrompt(path: dir, layout: .peft, adapterConfig: config, tensors: tensors,
                            taskNames: try taskNames(dir, count: tensors.multitask?.numTasks ?? 1))
    }

    static func readCaikit(_ dir: String) throws -> StoredPrompt {
        let path = dir + "/config.yml"
        let fields: JSONObject = try mapped(path, hint: "config.yml must be the UTF-8 YAML caikit's save() writes") {
            let data = try FileInput.read(URL(fileURLWithPath: path), what: "config.yml (not a saved prompt?)", maxBytes: 16 << 20)
            guard case .object(let o) = try JSONValue.parse(yaml: decodeUTF8Text(data, file: path), source: path) else {
                throw PromptError.badPromptDirectory(path: path, reason: "not a mapping", hint: "config.yml is the caikit ModuleConfig written by save()")
            }
            return o
        }
        var stored = StoredPrompt(path: dir, layout: .caikit, caikitFields: fields, taskNames: [])
        for key in ["ENCODER", "DECODER"] {
            guard let file = try stored.caikitString(key), !file.isEmpty else { continue }
            let t = try readBlock(dir, key: key, file: file)
            if key == "ENCODER" { stored.encoder = t } else { stored.decoder = t }
        }
        guard stored.encoder != nil || stored.decoder != nil else {
            throw PromptError.badPromptDirectory(path: path, reason: "names neither an ENCODER nor a DECODER prompt file",
                                                 hint: "a causal-LM prompt is saved as DECODER: decoder.pt; a seq2seq prompt names encoder.pt and/or decoder.pt")
        }
        if case .bool(true)? = fields["has_base_model"], let sub = try stored.caikitString("full_model_path"), !sub.isEmpty {
            let url = URL(fileURLWithPath: dir).appendingPathComponent(sub).appendingPathComponent("adapter_config.json")
            stored.adapterConfig = try mapped(url.path, hint: "the adapter in <base_model_name>/ is PEFT's adapter_config.json") {
                try PEFTAdapterConfig(contentsOf: url)
            }
        }
        let mtFile = dir + "/" + multitaskTensorsFile
        if stored.adapterConfig == nil, FileManager.default.fileExists(atPath: mtFile) {
            let block = stored.decoder ?? stored.encoder
            let t = try PromptTensors.read(file: mtFile, expectRows: block?.shape[0], expectDim: block?.shape[1])
            guard t.multitask != nil else {
                throw PromptError.badPromptDirectory(path: mtFile, reason: "holds no prefix_task_cols / prefix_task_rows",
                                                     hint: "the file holds a multitask prompt's P, U and V; save the prompt again")
            }
            stored.tensors = t
        }
        stored.taskNames = try taskNames(dir, count: stored.adapterConfig?.numTasks ?? stored.tensors?.multitask?.numTasks ?? 1)
        return stored
    }

    /// One `torch.save`d `[num_virtual_tokens, token_dim]` prompt file named by config.yml's `key`.
    static func readBlock(_ dir: String, key: String, file: String) throws -> TorchTensor {
        guard !file.contains("/"), !file.contains("..") else {
            throw PromptError.badPromptDirectory(path: dir + "/config.yml", reason: "`\(key)` \(file) is not a plain file name",
                                                 hint: "the prompt file lives next to config.yml")
        }
        let url = dir + "/" + file
        let tensor = try mapped(url, hint: "the file must be torch.save(tensor[num_virtual_tokens, token_dim])") {
            try TorchPT.readTensor(contentsOf: URL(fileURLWithPath: url))
        }
        guard tensor.shape.count == 2, tensor.shape[0] > 0, tensor.shape[1] > 0 else {
            throw PromptError.badPromptDirectory(path: url, reason: "tensor shape \(tensor.shape)", hint: "expected [num_virtual_tokens, token_dim]")
        }
        return tensor
    }

    /// The task names saved next to a multitask prompt (`softprompt_tasks.json`: a JSON list of
    /// strings, index = task id), or `[]` when the file is absent.
    static func taskNames(_ dir: String, count: Int) throws -> [String] {
        let url = URL(fileURLWithPath: dir).appendingPathComponent(taskNamesFile)
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let hint = "\(taskNamesFile) is a JSON list of \(count) distinct task names, index = task id"
        return try mapped(url.path, hint: hint) {
            let data = try FileInput.read(url, what: "task names", maxBytes: 1 << 20)
            guard case .array(let items) = try JSONValue.parse(json: data, source: url.path) else {
                throw PromptError.badPromptDirectory(path: url.path, reason: "not a JSON list", hint: hint)
            }
            let names: [String] = items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
            guard names.count == items.count, names.count == count, Set(names).count == count else {
                throw PromptError.badPromptDirectory(path: url.path, reason: "\(items.count) entries for \(count) task(s)", hint: hint)
            }
            return names
        }
    }
}
