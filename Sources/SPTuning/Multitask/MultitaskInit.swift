// PEFT's MultitaskPromptEmbedding.__init__: P as PromptEmbedding (RANDOM / TEXT), U [K, R, r] and
// V [K, r, D] drawn from N(0, 0.02²) (seeded; not torch's stream), then, for the source methods,
// the source prompt file loaded over them:
//   ONLY_SOURCE_SHARED    P ← source P                      (U, V stay random)
//   AVERAGE_SOURCE_TASKS  P ← source P, U ← mean_k U_src, V ← mean_k V_src   (strict: K = 1, same r)
//   EXACT_SOURCE_TASK     P ← source P, U ← U_src[task], V ← V_src[task]     (strict: K = 1, same r)
// (The source path itself is resolved by `TuningParameters.sourcePromptPath`.)

import Foundation
import SPPrompt
import SPTensor

/// Initial P, U and V of a multitask prompt.
public enum MultitaskInit {
    /// The standard deviation of PEFT's U and V init.
    public static let factorStd: Float = 0.02

    /// P from `shared` (``PromptInit/make(_:text:numVirtualTokens:model:tokenizer:seed:)``'s result),
    /// U and V random, then the source prompt loaded as `method` says.
    /// - Parameters:
    ///   - source: the source prompt's tensors (required by the source methods).
    ///   - initTask: `prompt_tuning_init_task` for `EXACT_SOURCE_TASK`.
    /// - Throws: ``TuningError/invalidParameter(field:value:hint:)`` naming the mismatch.
    public static func make(_ method: PromptTuningInitMethod, shared: Tensor, numTasks: Int, numRanks: Int, seed: UInt64,
                            source: PromptTensors? = nil, initTask: Int = 0) throws -> PromptTensors {
        let rows = shared.shape[0], dim = shared.shape[1]
        guard numTasks > 0 else {
            throw TuningError.invalidParameter(field: "tuning_config.num_tasks", value: "\(numTasks)", hint: "a multitask prompt has at least 1 task")
        }
        guard numRanks > 0 else {
            throw TuningError.invalidParameter(field: "tuning_config.num_ranks", value: "\(numRanks)", hint: "use a rank ≥ 1 (caikit uses 1)")
        }
        var rng = SplitMix64(seed: seed ^ 0x3A5C_0F_7A5C)
        var p = shared.array
        var u = PromptInit.gaussian(numTasks * rows * numRanks, std: factorStd, rng: &rng)
        var v = PromptInit.gaussian(numTasks * numRanks * dim, std: factorStd, rng: &rng)
        if method.needsSourcePrompt {
            guard let src = source else {
                throw TuningError.missingParameter(field: "tuning_config.prompt_tuning_init_source_model",
                                                   hint: "\(method.rawValue) loads a source prompt; name its file")
            }
            guard src.rows == rows, src.tokenDim == dim else {
                throw TuningError.invalidParameter(
                    field: "tuning_config.num_virtual_tokens", value: "\(rows) rows of width \(dim)",
                    hint: "the source prompt is [\(src.rows), \(src.tokenDim)]: select num_virtual_tokens as the source prompt has them, on a model of the same width")
            }
            p = src.shared
            try checkCounts(method, numTasks: numTasks, numRanks: numRanks, source: src, initTask: initTask)
            if let m = src.multitask, method != .onlySourceShared {
                if method == .exactSourceTask {
                    u = Array(m.cols[(initTask * rows * numRanks)..<((initTask + 1) * rows * numRanks)])
                    v = Array(m.rows[(initTask * numRanks * dim)..<((initTask + 1) * numRanks * dim)])
                } else {
                    u = mean(m.cols, tasks: m.numTasks)
                    v = mean(m.rows, tasks: m.numTasks)
                }
            }
        }
        return try mapped { try PromptTensors(shared: p, rows: rows, tokenDim: dim,
                                              multitask: MultitaskFactors(numTasks: numTasks, numRanks: numRanks, cols: u, rows: v)) }
    }

    /// The target's task count and rank against the source prompt's, for the source methods:
    /// `AVERAGE_SOURCE_TASKS` and `EXACT_SOURCE_TASK` need the source's U and V, `num_tasks` 1 and
    /// the source's `num_ranks` (PEFT loads them strictly), and `EXACT_SOURCE_TASK`'s task must be
    /// one of the source's. Checked before the base model loads and again by ``make(_:shared:numTasks:numRanks:seed:source:initTask:)``.
    /// - Throws: ``TuningError/invalidParameter(field:value:hint:)`` naming the field.
    public static func checkCounts(_ method: PromptTuningInitMethod, numTasks: Int, numRanks: Int, source src: PromptTensors,
                                   initTask: Int) throws {
        guard method.needsSourcePrompt, method != .onlySourceShared else { return }
        guard let m = src.multitask else {
            throw TuningError.invalidParameter(field: "tuning_config.prompt_tuning_init_source_model", value: "a plain prompt",
                                               hint: "\(method.rawValue) needs prefix_task_cols / prefix_task_rows; use ONLY_SOURCE_SHARED for a plain prompt")
        }
        guard numTasks == 1 else {
            throw TuningError.invalidParameter(
                field: "tuning_config.num_tasks", value: "\(numTasks)",
                hint: "\(method.rawValue) loads one task (the source prompt has \(m.numTasks)) into a one-task prompt (PEFT loads it strictly): use num_tasks 1")
        }
        guard m.numRanks == numRanks else {
            throw TuningError.invalidParameter(
                field: "tuning_config.num_ranks", value: "\(numRanks)",
                hint: "the source prompt's tasks have rank \(m.numRanks) and \(method.rawValue) loads them strictly: use num_ranks \(m.numRanks)")
        }
        if method == .exactSourceTask {
            guard initTask >= 0, initTask < m.numTasks else {
                throw TuningError.invalidParameter(field: "tuning_config.prompt_tuning_init_task", value: "\(initTask)",
                                                   hint: "the source prompt has tasks 0…\(m.numTasks - 1)")
            }
        }
    }

    /// `x` `[K, n]` averaged over K (torch `mean(0)`: float32 sum, then divide).
    static func mean(_ x: [Float], tasks k: Int) -> [Float] {
        let n = x.count / k
        var out = [Float](repeating: 0, count: n)
        for t in 0..<k { for i in 0..<n { out[i] += x[t * n + i] } }
        return out.map { $0 / Float(k) }
    }

    /// Reads the source prompt at `path` through the one prompt reader: a `.safetensors` / `.pt` /
    /// `.bin` file, a PEFT adapter directory or a SoftPrompt prompt directory (its adapter), with
    /// the task names saved next to it, and the file that holds the tensors (what PEFT's
    /// `prompt_tuning_init_state_dict_path` must name: `from_pretrained` loads it again).
    /// - Throws: ``TuningError/badFile(file:reason:)``.
    public static func readSource(_ path: String) throws -> (tensors: PromptTensors, taskNames: [String], file: String) {
        try mapped {
            let stored = try PromptReader.read(path)
            let weights = "adapter_model.safetensors"
            if let t = stored.tensors {
                let file = switch stored.layout {
                case .file: path
                case .peft: path + "/" + weights
                case .caikit: path + "/" + PromptReader.multitaskTensorsFile   // a DECODER-only seq2seq prompt's
                }
                return (t, stored.taskNames, file)
            }
            if let sub = try stored.caikitString("full_model_path"),
               let t = try PromptReader.read(path + "/" + sub, layout: .peft).tensors {
                return (t, stored.taskNames, path + "/" + sub + "/" + weights)
            }
            throw PromptError.badPromptDirectory(path: path, reason: "holds no adapter tensors", hint: "save the source prompt with its PEFT adapter")
        }
    }

    static func mapped<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let PromptError.badPromptDirectory(path, reason, hint) {
            throw TuningError.badFile(file: path, reason: "\(reason); hint: \(hint)")
        }
    }
}
