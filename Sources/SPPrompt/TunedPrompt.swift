// A soft prompt ready for generation, made from what `PromptReader` read: a PEFT adapter directory,
// a caikit-nlp prompt directory or a prompt tensor file; for a multitask prompt, one task's prompt.

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
    public static func isPromptDirectory(_ path: String) -> Bool { PromptReader.isPromptDirectory(path) }

    /// Reads a PEFT adapter directory, a caikit prompt directory (PEFT wins when both files exist)
    /// or a prompt tensor file, through ``PromptReader``. For a multitask prompt, `task` picks the
    /// task whose prompt P ∘ (U[task] · V[task]) is used (default: task 0, what caikit exports).
    /// - Throws: ``PromptError/badPromptDirectory(path:reason:hint:)`` naming the file and field.
    public static func load(directory: String, task: PromptTask? = nil) throws -> TunedPrompt {
        let stored = try PromptReader.read(directory)
        let p: TunedPrompt
        switch stored.layout {
        case .peft, .file: p = try fromTensors(stored, task: task)
        case .caikit: p = try fromCaikit(stored, task: task)
        }
        try p.checkFinite(directory)
        return p
    }

    /// A PEFT adapter or a tensor file: prompt tuning's table, or the chosen task's multitask prompt.
    static func fromTensors(_ s: StoredPrompt, task: PromptTask?) throws -> TunedPrompt {
        guard let t = s.tensors else { throw PromptError.badPromptDirectory(path: s.path, reason: "holds no prompt tensors", hint: "save the adapter with PEFT save_pretrained") }
        let taskType = s.adapterConfig?.taskType ?? "CAUSAL_LM"
        guard let kind = ModelKind(taskType: taskType) else {
            throw PromptError.badPromptDirectory(path: s.path + "/adapter_config.json", reason: "task_type \(taskType) is not supported",
                                                 hint: "only CAUSAL_LM and SEQ_2_SEQ_LM prompts can be generated with")
        }
        let id = try (task ?? .id(0)).resolve(in: s, numTasks: t.multitask?.numTasks ?? 1)
        // PEFT seq2seq: the first num_virtual_tokens rows go to the encoder, a second block to the decoder.
        let nv = s.adapterConfig?.numVirtualTokens ?? t.rows
        return TunedPrompt(values: t.effectivePrompt(task: id), virtualTokens: t.rows, tokenDim: t.tokenDim, format: .peft,
                           baseModel: s.adapterConfig?.baseModelNameOrPath, taskType: kind, encoderRows: kind == .seq2seqLM ? nv : 0)
    }

    /// caikit layout: `config.yml` (`task_type`, `ENCODER`/`DECODER`, `base_model_name`, `verbalizer`,
    /// `eos_token`) and the `torch.save`d `[virtualTokens, tokenDim]` tensors it names. A multitask
    /// prompt's task other than 0 comes from the PEFT adapter saved in `<base_model_name>/`.
    static func fromCaikit(_ s: StoredPrompt, task: PromptTask?) throws -> TunedPrompt {
        let path = s.path + "/config.yml"
        func bad(_ reason: String, _ hint: String) -> PromptError { .badPromptDirectory(path: path, reason: reason, hint: hint) }
        let taskName = try s.caikitString("task_type") ?? "CAUSAL_LM"
        guard let kind = ModelKind(taskType: taskName) else {
            throw bad("task_type \(taskName) is not supported", "only CAUSAL_LM and SEQ_2_SEQ_LM prompts can be generated with")
        }
        let verbalizer = try s.caikitString("verbalizer") ?? "{{input}}"
        do { _ = try Verbalizer(verbalizer) } catch { throw bad("\(error)", "fix `verbalizer` in config.yml") }
        let blocks: [TorchTensor?] = kind == .causalLM ? [s.decoder] : [s.encoder, s.decoder]
        let real = blocks.compactMap { $0 }
        guard let first = real.first else {
            throw bad(kind == .causalLM ? "`DECODER` is missing or empty" : "both `ENCODER` and `DECODER` are missing or empty",
                      kind == .causalLM ? "a causal-LM prompt is saved as DECODER: decoder.pt" : "a seq2seq prompt names encoder.pt and/or decoder.pt")
        }
        guard real.allSatisfy({ $0.shape == first.shape }) else {
            throw bad("ENCODER and DECODER prompts have shapes \(real.map(\.shape))", "both halves have [num_virtual_tokens, token_dim]")
        }
        var values = real.flatMap(\.values)
        let numTasks = s.adapterConfig?.tuningType == .multitaskPromptTuning ? s.adapterConfig?.numTasks ?? 1
            : s.tensors?.multitask?.numTasks ?? 1
        let id = try (task ?? .id(0)).resolve(in: s, numTasks: numTasks)
        if id != 0, s.adapterConfig == nil, let t = s.tensors {
            // A DECODER-only seq2seq multitask prompt: P, U and V saved next to config.yml.
            guard t.rows * t.tokenDim == values.count else {
                throw bad("\(PromptReader.multitaskTensorsFile) does not match the exported prompt", "save the prompt again")
            }
            values = t.effectivePrompt(task: id)
        } else if id != 0, let sub = try s.caikitString("full_model_path") {
            // The exported files hold task 0's prompt; the other tasks' come from the adapter's tensors.
            let adapter = try PromptReader.read(s.path + "/" + sub, layout: .peft)
            guard let t = adapter.tensors, t.rows * t.tokenDim == values.count else {
                throw bad("the adapter in \(sub)/ does not match the exported prompt", "save the prompt again")
            }
            values = t.effectivePrompt(task: id)
        }
        let encoderRows = kind == .seq2seqLM && blocks[0] != nil ? first.shape[0] : 0
        return TunedPrompt(values: values, virtualTokens: first.shape[0] * real.count, tokenDim: first.shape[1], format: .caikit,
                           baseModel: try s.caikitString("base_model_name"), verbalizer: verbalizer, eosToken: try s.caikitString("eos_token"),
                           baseModelPath: try s.caikitString("softprompt_base_model_path"), taskType: kind, encoderRows: encoderRows)
    }
}

/// Which task of a multitask prompt to use: its id or its name (names are saved with the prompt).
public enum PromptTask: Sendable, Equatable {
    /// This task's id in the prompt saved at `path` (any layout ``PromptReader`` reads), checked
    /// against its task count and saved names without building the prompt.
    /// - Throws: ``PromptError`` naming the range or the known names.
    public func resolvedId(inPromptAt path: String) throws -> Int {
        let s = try PromptReader.read(path)
        let mpt = s.adapterConfig?.tuningType == .multitaskPromptTuning ? s.adapterConfig?.numTasks : nil
        return try resolve(in: s, numTasks: s.tensors?.multitask?.numTasks ?? mpt ?? 1)
    }

    /// Task id, 0-based.
    case id(Int)
    /// Task name, as given in the training data's `task` field.
    case name(String)

    /// The task id in `stored`, checked against `numTasks` (1 for a plain prompt, whose only task is 0).
    /// - Throws: ``PromptError`` naming the range or the known names.
    func resolve(in stored: StoredPrompt, numTasks: Int) throws -> Int {
        switch self {
        case .id(let i):
            guard i >= 0, i < numTasks else {
                throw PromptError.badPromptDirectory(path: stored.path, reason: "task id \(i) is out of range: the prompt has \(numTasks) task(s)",
                                                     hint: "pass a task id in 0…\(numTasks - 1)")
            }
            return i
        case .name(let n):
            guard let i = stored.taskNames.firstIndex(of: n) else {
                let known = stored.taskNames.isEmpty ? "the prompt's tasks have no names" : "its tasks are \(stored.taskNames.joined(separator: ", "))"
                throw PromptError.badPromptDirectory(path: stored.path, reason: "unknown task name \(n)", hint: "\(known); pass --task-id N instead")
            }
            return i
        }
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
