// Soft prompts read from disk: PEFT adapter directories (adapter_config.json +
// adapter_model.safetensors) and caikit-nlp prompt directories (config.yml + encoder.pt / decoder.pt).

import Foundation
import SPFormats
import SPJSON
import SPModels

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
    /// The kind of model the prompt was tuned for (PEFT / caikit `task_type`).
    public var taskType: ModelKind
    /// For a seq2seq prompt, the leading rows of `values` that go in front of the encoder input
    /// (ENCODER); the remaining rows go in front of the decoder input (DECODER). 0 for causal LMs,
    /// whose whole prompt goes in front of the (only) input.
    public var encoderRows: Int

    public init(values: [Float], virtualTokens: Int, tokenDim: Int, format: Format = .peft, baseModel: String? = nil,
                verbalizer: String = "{{input}}", eosToken: String? = nil, baseModelPath: String? = nil,
                taskType: ModelKind = .causalLM, encoderRows: Int = 0) {
        precondition(values.count == virtualTokens * tokenDim, "prompt values \(values.count) ≠ \(virtualTokens)×\(tokenDim)")
        precondition(encoderRows >= 0 && encoderRows <= virtualTokens && (taskType == .seq2seqLM || encoderRows == 0),
                     "encoder rows \(encoderRows) of \(virtualTokens) for \(taskType.taskType)")
        self.taskType = taskType
        self.encoderRows = encoderRows
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
    /// - Throws: ``PromptError/badPromptDirectory(path:reason:hint:)`` naming the file and field.
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
        throw PromptError.badPromptDirectory(
            path: directory, reason: "neither adapter_config.json (PEFT) nor config.yml (caikit) found",
            hint: "pass a directory written by PEFT save_pretrained or by caikit-nlp / softprompt train")
    }

    /// PEFT prompt tuning (`prompt_embeddings`) or multitask prompt tuning (task 0's effective
    /// prompt `P ∘ (U₀·V₀)`, what caikit exports for TGIS).
    static func loadPEFT(_ dir: String) throws -> TunedPrompt {
        let configPath = dir + "/adapter_config.json"
        func bad(_ file: String, _ reason: String, _ hint: String) -> PromptError {
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
        } catch let e as PromptError {
            throw e
        } catch {
            throw bad("adapter_config.json", "\(error)", "a PEFT adapter_config.json needs peft_type, num_virtual_tokens, token_dim")
        }
        guard type == "PROMPT_TUNING" || type == "MULTITASK_PROMPT_TUNING" else {
            throw bad("adapter_config.json", "peft_type \(type) is not prompt tuning", "only PROMPT_TUNING and MULTITASK_PROMPT_TUNING adapters hold a soft prompt")
        }
        let kind = task.map(ModelKind.init(taskType:)) ?? .causalLM
        guard let kind else {
            throw bad("adapter_config.json", "task_type \(task ?? "") is not supported", "only CAUSAL_LM and SEQ_2_SEQ_LM prompts can be generated with")
        }
        let maxSubmodules = kind == .causalLM ? 1 : (type == "PROMPT_TUNING" ? 2 : 1)
        guard nv > 0, dim > 0, (1...maxSubmodules).contains(submodules) else {
            throw bad("adapter_config.json", "num_virtual_tokens \(nv), token_dim \(dim), num_transformer_submodules \(submodules)",
                      "a \(kind.taskType) \(type) prompt has num_virtual_tokens ≥ 1, token_dim ≥ 1 and 1…\(maxSubmodules) transformer submodule(s)")
        }
        let rows = nv * submodules
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
            let p = try matrix(file, "prompt_embeddings", rows: rows, cols: dim)
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
        } catch let e as PromptError {
            throw e
        } catch {
            throw bad("adapter_model.safetensors", "\(error)", "the file must hold prompt_embeddings [\(rows), \(dim)]")
        }
        // PEFT seq2seq: the first num_virtual_tokens rows go to the encoder, a second block to the decoder.
        return TunedPrompt(values: values, virtualTokens: rows, tokenDim: dim, format: .peft, baseModel: base,
                           taskType: kind, encoderRows: kind == .seq2seqLM ? nv : 0)
    }

    /// `name` as a `[rows, cols]` float32 matrix.
    static func matrix(_ file: SafetensorsFile, _ name: String, rows: Int, cols: Int) throws -> [Float] {
        let t = try file.tensor(name)
        guard t.shape == [rows, cols] else {
            throw PromptError.badPromptDirectory(path: file.path, reason: "\(name) has shape \(t.shape), adapter_config.json says [\(rows), \(cols)]",
                                                     hint: "the adapter files do not belong together")
        }
        return Array(UnsafeBufferPointer(start: t.data, count: rows * cols))
    }

    /// caikit layout: `config.yml` (`task_type`, `ENCODER`/`DECODER`, `base_model_name`, `verbalizer`, `eos_token`) and the
    /// `torch.save`d `[virtualTokens, tokenDim]` tensor it names.
    static func loadCaikit(_ dir: String) throws -> TunedPrompt {
        let path = dir + "/config.yml"
        func bad(_ reason: String, _ hint: String) -> PromptError { .badPromptDirectory(path: path, reason: reason, hint: hint) }
        let root: JSONObject
        do {
            let data = try FileInput.read(URL(fileURLWithPath: path), what: "config.yml", maxBytes: 16 << 20)
            guard let text = String(data: data, encoding: .utf8) else { throw bad("not UTF-8", "re-encode config.yml as UTF-8") }
            guard case .object(let o) = try JSONValue.parse(yaml: text, source: path) else {
                throw bad("not a mapping", "config.yml is the caikit ModuleConfig written by save()")
            }
            root = o
        } catch let e as PromptError {
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
        let task = try string("task_type") ?? "CAUSAL_LM"
        guard let kind = ModelKind(taskType: task) else {
            throw bad("task_type \(task) is not supported", "only CAUSAL_LM and SEQ_2_SEQ_LM prompts can be generated with")
        }
        let verbalizer = try string("verbalizer") ?? "{{input}}"
        do { _ = try Verbalizer(verbalizer) } catch { throw bad("\(error)", "fix `verbalizer` in config.yml") }
        var blocks: [TorchTensor?] = []
        for key in kind == .causalLM ? ["DECODER"] : ["ENCODER", "DECODER"] {
            guard let file = try string(key), !file.isEmpty else { blocks.append(nil); continue }
            blocks.append(try readBlock(dir, key: key, file: file, bad: bad))
        }
        let real = blocks.compactMap { $0 }
        guard let first = real.first else {
            throw bad(kind == .causalLM ? "`DECODER` is missing or empty" : "both `ENCODER` and `DECODER` are missing or empty",
                      kind == .causalLM ? "a causal-LM prompt is saved as DECODER: decoder.pt" : "a seq2seq prompt names encoder.pt and/or decoder.pt")
        }
        guard real.allSatisfy({ $0.shape == first.shape }) else {
            throw bad("ENCODER and DECODER prompts have shapes \(real.map(\.shape))", "both halves have [num_virtual_tokens, token_dim]")
        }
        let tensor = (shape: [first.shape[0] * real.count, first.shape[1]], values: real.flatMap(\.values))
        let encoderRows = kind == .seq2seqLM && blocks[0] != nil ? first.shape[0] : 0
        return TunedPrompt(values: tensor.values, virtualTokens: tensor.shape[0], tokenDim: tensor.shape[1], format: .caikit,
                           baseModel: try string("base_model_name"), verbalizer: verbalizer, eosToken: try string("eos_token"),
                           baseModelPath: try string("softprompt_base_model_path"), taskType: kind, encoderRows: encoderRows)
    }

    /// One `torch.save`d `[num_virtual_tokens, token_dim]` prompt file named by config.yml's `key`.
    static func readBlock(_ dir: String, key: String, file: String,
                          bad: (String, String) -> PromptError) throws -> TorchTensor {
        guard !file.contains("/"), !file.contains("..") else {
            throw bad("`\(key)` \(file) is not a plain file name", "the prompt file lives next to config.yml")
        }
        let tensor: TorchTensor
        do {
            tensor = try TorchPT.readTensor(contentsOf: URL(fileURLWithPath: dir + "/" + file))
        } catch {
            throw PromptError.badPromptDirectory(path: dir + "/" + file, reason: "\(error)",
                                                     hint: "the file must be torch.save(tensor[num_virtual_tokens, token_dim])")
        }
        guard tensor.shape.count == 2, tensor.shape[0] > 0, tensor.shape[1] > 0 else {
            throw PromptError.badPromptDirectory(path: dir + "/" + file, reason: "tensor shape \(tensor.shape)",
                                                     hint: "expected [num_virtual_tokens, token_dim]")
        }
        return tensor
    }
}

extension TunedPrompt {
    /// Throws when the prompt holds NaN or infinite values (a diverged training run): generating
    /// with it would silently produce empty or garbage text.
    func checkFinite(_ directory: String) throws {
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw PromptError.badPromptDirectory(
                path: directory, reason: "the prompt holds \(values[i]) at row \(i / max(1, tokenDim)) (not a finite number)",
                hint: "the training diverged; retrain it with a lower learning rate")
        }
    }
}
