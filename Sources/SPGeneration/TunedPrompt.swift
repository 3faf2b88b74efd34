// Soft prompts read from disk: PEFT adapter directories (adapter_config.json +
// adapter_model.safetensors) and caikit-nlp prompt directories (config.yml + decoder.pt).

import Foundation
import SPFormats
import SPJSON
import SPTuning

/// A trained soft prompt: `[virtualTokens, tokenDim]` vectors put in front of the input embeddings,
/// plus what its directory says about using it.
public struct TunedPrompt: Sendable, Equatable {
    /// Where the prompt came from.
    public enum Format: String, Sendable, Equatable {
        /// A PEFT adapter directory.
        case peft
        /// A caikit-nlp `PeftPromptTuning` directory.
        case caikit
    }

    public var virtualTokens: Int
    public var tokenDim: Int
    /// Row-major `[virtualTokens, tokenDim]`.
    public var values: [Float]
    public var format: Format
    /// PEFT `base_model_name_or_path` or caikit `base_model_name` (nil when absent).
    public var baseModel: String?
    /// caikit's verbalizer template (`{{input}}` for PEFT adapters, which have none).
    public var verbalizer: String
    /// caikit's `eos_token` (nil for PEFT adapters).
    public var eosToken: String?
    /// The base model's absolute path as `softprompt train` records it (`softprompt_base_model_path`
    /// in `config.yml`); nil for other prompts.
    public var baseModelPath: String?

    public init(values: [Float], virtualTokens: Int, tokenDim: Int, format: Format = .peft, baseModel: String? = nil,
                verbalizer: String = "{{input}}", eosToken: String? = nil, baseModelPath: String? = nil) {
        precondition(values.count == virtualTokens * tokenDim, "prompt values \(values.count) ≠ \(virtualTokens)×\(tokenDim)")
        self.values = values
        self.virtualTokens = virtualTokens
        self.tokenDim = tokenDim
        self.format = format
        self.baseModel = baseModel
        self.verbalizer = verbalizer
        self.eosToken = eosToken
        self.baseModelPath = baseModelPath
    }

    /// True when `path` is a directory holding `adapter_config.json` or `config.yml`.
    public static func isPromptDirectory(_ path: String) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: path + "/adapter_config.json") || fm.fileExists(atPath: path + "/config.yml")
    }

    /// Reads a PEFT adapter directory or a caikit prompt directory (PEFT wins when both files exist).
    /// - Throws: ``GenerationError/badPromptDirectory(path:reason:hint:)`` naming the file and field.
    public static func load(directory: String) throws -> TunedPrompt {
        if FileManager.default.fileExists(atPath: directory + "/adapter_config.json") {
            let p = try loadPEFT(directory)
            try p.checkFinite(directory)
            return p
        }
        if FileManager.default.fileExists(atPath: directory + "/config.yml") {
            let p = try loadCaikit(directory)
            try p.checkFinite(directory)
            return p
        }
        throw GenerationError.badPromptDirectory(
            path: directory, reason: "neither adapter_config.json (PEFT) nor config.yml (caikit) found",
            hint: "pass a directory written by PEFT save_pretrained or by caikit-nlp / softprompt train")
    }

    /// PEFT prompt tuning (`prompt_embeddings`) or multitask prompt tuning (task 0's effective
    /// prompt `P ∘ (U₀·V₀)`, what caikit exports for TGIS).
    static func loadPEFT(_ dir: String) throws -> TunedPrompt {
        let configPath = dir + "/adapter_config.json"
        func bad(_ file: String, _ reason: String, _ hint: String) -> GenerationError {
            .badPromptDirectory(path: dir + "/" + file, reason: reason, hint: hint)
        }
        let config: JSONConfig
        let type: String, nv: Int, dim: Int, submodules: Int, task: String?, base: String?
        do {
            config = try JSONConfig(contentsOf: configPath)
            type = try config.string("peft_type")
            nv = try config.int("num_virtual_tokens")
            dim = try config.int("token_dim")
            submodules = try config.int("num_transformer_submodules", default: 1)
            task = try config.stringIfPresent("task_type")
            base = try config.stringIfPresent("base_model_name_or_path")
        } catch let e as GenerationError {
            throw e
        } catch {
            throw bad("adapter_config.json", "\(error)", "a PEFT adapter_config.json needs peft_type, num_virtual_tokens, token_dim")
        }
        guard type == "PROMPT_TUNING" || type == "MULTITASK_PROMPT_TUNING" else {
            throw bad("adapter_config.json", "peft_type \(type) is not prompt tuning", "only PROMPT_TUNING and MULTITASK_PROMPT_TUNING adapters hold a soft prompt")
        }
        if let task, task != "CAUSAL_LM" {
            throw bad("adapter_config.json", "task_type \(task) is not supported", "only CAUSAL_LM prompts can be generated with")
        }
        guard nv > 0, dim > 0, submodules == 1 else {
            throw bad("adapter_config.json", "num_virtual_tokens \(nv), token_dim \(dim), num_transformer_submodules \(submodules)",
                      "a causal-LM prompt has num_virtual_tokens ≥ 1, token_dim ≥ 1 and one transformer submodule")
        }
        let weightsPath = dir + "/adapter_model.safetensors"
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            let hint = FileManager.default.fileExists(atPath: dir + "/adapter_model.bin")
                ? "only adapter_model.bin is present: re-save with save_pretrained(safe_serialization=True)"
                : "save the adapter with PEFT save_pretrained"
            throw bad("adapter_model.safetensors", "missing", hint)
        }
        var values: [Float]
        do {
            let file = try SafetensorsFile(path: weightsPath)
            let p = try matrix(file, "prompt_embeddings", rows: nv, cols: dim)
            values = p
            if type == "MULTITASK_PROMPT_TUNING" {
                let cols = try file.tensor("prefix_task_cols"), rowsT = try file.tensor("prefix_task_rows")
                guard cols.shape.count == 3, rowsT.shape.count == 3, cols.shape[1] == nv, rowsT.shape[2] == dim,
                      cols.shape[2] == rowsT.shape[1], cols.shape[0] >= 1, rowsT.shape[0] == cols.shape[0] else {
                    throw bad("adapter_model.safetensors",
                              "prefix_task_cols \(cols.shape) / prefix_task_rows \(rowsT.shape) do not fit [K, \(nv), r] / [K, r, \(dim)]",
                              "the multitask adapter is inconsistent with adapter_config.json")
                }
                let r = cols.shape[2]
                for t in 0..<nv {
                    for d in 0..<dim {
                        var w: Float = 0
                        for k in 0..<r { w += cols.data[t * r + k] * rowsT.data[k * dim + d] }
                        values[t * dim + d] *= w
                    }
                }
            }
        } catch let e as GenerationError {
            throw e
        } catch {
            throw bad("adapter_model.safetensors", "\(error)", "the file must hold prompt_embeddings [\(nv), \(dim)]")
        }
        return TunedPrompt(values: values, virtualTokens: nv, tokenDim: dim, format: .peft, baseModel: base)
    }

    /// `name` as a `[rows, cols]` float32 matrix.
    static func matrix(_ file: SafetensorsFile, _ name: String, rows: Int, cols: Int) throws -> [Float] {
        let t = try file.tensor(name)
        guard t.shape == [rows, cols] else {
            throw GenerationError.badPromptDirectory(path: file.path, reason: "\(name) has shape \(t.shape), adapter_config.json says [\(rows), \(cols)]",
                                                     hint: "the adapter files do not belong together")
        }
        return Array(UnsafeBufferPointer(start: t.data, count: rows * cols))
    }

    /// caikit layout: `config.yml` (`DECODER`, `base_model_name`, `verbalizer`, `eos_token`) and the
    /// `torch.save`d `[virtualTokens, tokenDim]` tensor it names.
    static func loadCaikit(_ dir: String) throws -> TunedPrompt {
        let path = dir + "/config.yml"
        func bad(_ reason: String, _ hint: String) -> GenerationError { .badPromptDirectory(path: path, reason: reason, hint: hint) }
        let root: JSONObject
        do {
            let data = try FileInput.read(URL(fileURLWithPath: path), what: "config.yml", maxBytes: 16 << 20)
            guard let text = String(data: data, encoding: .utf8) else { throw bad("not UTF-8", "re-encode config.yml as UTF-8") }
            guard case .object(let o) = try JSONValue.parse(yaml: text, source: path) else {
                throw bad("not a mapping", "config.yml is the caikit ModuleConfig written by save()")
            }
            root = o
        } catch let e as GenerationError {
            throw e
        } catch {
            throw bad("\(error)", "config.yml must be UTF-8 YAML")
        }
        func string(_ key: String) throws -> String? {
            switch root[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            case let v?: throw bad("`\(key)` is \(v.typeName), expected a string", "see caikit's PeftPromptTuning.save")
            }
        }
        if let task = try string("task_type"), task != "CAUSAL_LM" {
            throw bad("task_type \(task) is not supported", "only CAUSAL_LM prompts can be generated with")
        }
        guard let decoder = try string("DECODER"), !decoder.isEmpty else {
            throw bad("`DECODER` is missing or empty", "a causal-LM prompt is saved as DECODER: decoder.pt")
        }
        guard !decoder.contains("/"), !decoder.contains("..") else {
            throw bad("`DECODER` \(decoder) is not a plain file name", "the prompt file lives next to config.yml")
        }
        let verbalizer = try string("verbalizer") ?? "{{input}}"
        do { _ = try Verbalizer(verbalizer) } catch { throw bad("\(error)", "fix `verbalizer` in config.yml") }
        let tensor: TorchTensor
        do {
            tensor = try TorchPT.readTensor(contentsOf: URL(fileURLWithPath: dir + "/" + decoder))
        } catch {
            throw GenerationError.badPromptDirectory(path: dir + "/" + decoder, reason: "\(error)",
                                                     hint: "the file must be torch.save(tensor[num_virtual_tokens, token_dim])")
        }
        guard tensor.shape.count == 2, tensor.shape[0] > 0, tensor.shape[1] > 0 else {
            throw GenerationError.badPromptDirectory(path: dir + "/" + decoder, reason: "tensor shape \(tensor.shape)",
                                                     hint: "expected [num_virtual_tokens, token_dim]")
        }
        return TunedPrompt(values: tensor.values, virtualTokens: tensor.shape[0], tokenDim: tensor.shape[1], format: .caikit,
                           baseModel: try string("base_model_name"), verbalizer: verbalizer, eosToken: try string("eos_token"),
                           baseModelPath: try string("softprompt_base_model_path"))
    }
}
