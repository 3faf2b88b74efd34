// The trainable tensors of a saved prompt under PEFT's names: `prompt_embeddings` [R, D] and, for
// multitask prompt tuning, `prefix_task_cols` U [K, R, r] and `prefix_task_rows` V [K, r, D]
// (R = num_virtual_tokens · num_transformer_submodules). Read from `adapter_model.safetensors` or a
// torch `.pt`/`.bin` state dict, the one place these names are resolved.

import Foundation
import SPFormats
import SPTensor

/// The rank-r task factors of a multitask prompt: task k's prompt is P ∘ (U[k] · V[k]).
public struct MultitaskFactors: Sendable, Equatable {
    /// `num_tasks` K.
    public var numTasks: Int
    /// `num_ranks` r.
    public var numRanks: Int
    /// `prefix_task_cols` U, row-major [K, R, r].
    public var cols: [Float]
    /// `prefix_task_rows` V, row-major [K, r, D].
    public var rows: [Float]

    /// Creates the factors; the counts are checked by ``PromptTensors/init(shared:rows:tokenDim:multitask:)``.
    public init(numTasks: Int, numRanks: Int, cols: [Float], rows: [Float]) {
        self.numTasks = numTasks
        self.numRanks = numRanks
        self.cols = cols
        self.rows = rows
    }
}

/// A prompt's tensors: the shared table and, for multitask prompt tuning, its task factors.
public struct PromptTensors: Sendable, Equatable {
    /// Rows R of the shared table (`num_virtual_tokens · num_transformer_submodules`).
    public var rows: Int
    /// `token_dim` D.
    public var tokenDim: Int
    /// `prompt_embeddings` P, row-major [R, D].
    public var shared: [Float]
    /// U and V for a multitask prompt; nil for plain prompt tuning.
    public var multitask: MultitaskFactors?

    /// Creates the tensors, checking every count against R, D, K and r.
    /// - Throws: ``PromptError/badPromptDirectory(path:reason:hint:)`` naming `source`.
    public init(shared: [Float], rows: Int, tokenDim: Int, multitask: MultitaskFactors? = nil, source: String = "prompt") throws {
        guard rows > 0, tokenDim > 0, shared.count == rows * tokenDim else {
            throw PromptError.badPromptDirectory(path: source, reason: "prompt_embeddings holds \(shared.count) values for [\(rows), \(tokenDim)]",
                                                 hint: "the prompt table is [num_virtual_tokens, token_dim]")
        }
        if let m = multitask {
            guard m.numTasks > 0, m.numRanks > 0, m.cols.count == m.numTasks * rows * m.numRanks,
                  m.rows.count == m.numTasks * m.numRanks * tokenDim else {
                throw PromptError.badPromptDirectory(
                    path: source, reason: "prefix_task_cols (\(m.cols.count) values) / prefix_task_rows (\(m.rows.count) values) do not fit [K, \(rows), r] / [K, r, \(tokenDim)] with K \(m.numTasks), r \(m.numRanks)",
                    hint: "the multitask tensors must belong to the same prompt")
            }
        }
        self.rows = rows
        self.tokenDim = tokenDim
        self.shared = shared
        self.multitask = multitask
    }

    /// The prompt of `task`: P itself for plain prompt tuning, P ∘ (U[task] · V[task]) for multitask
    /// prompt tuning (PEFT's `MultitaskPromptEmbedding.forward`; caikit's export).
    /// - Precondition: `task` is in `0..<numTasks` (callers check outside input first).
    public func effectivePrompt(task: Int) -> [Float] {
        guard let m = multitask else { return shared }
        precondition(task >= 0 && task < m.numTasks, "task \(task) of \(m.numTasks)")
        let r = m.numRanks, d = tokenDim
        var out = shared
        // out[t, j] = P[t, j] · Σ_k U[task, t, k] · V[task, k, j]
        for t in 0..<rows {
            for j in 0..<d {
                var w: Float = 0
                for k in 0..<r { w += m.cols[(task * rows + t) * r + k] * m.rows[(task * r + k) * d + j] }
                out[t * d + j] *= w
            }
        }
        return out
    }

    /// Tensors under PEFT's names for `adapter_model.safetensors`, stored as `dtype`.
    public func safetensors(dtype: DType) -> [SafetensorsTensor] {
        var out = [SafetensorsTensor(name: "prompt_embeddings", dtype: dtype, shape: [rows, tokenDim], values: shared)]
        if let m = multitask {
            out.append(SafetensorsTensor(name: "prefix_task_cols", dtype: dtype, shape: [m.numTasks, rows, m.numRanks], values: m.cols))
            out.append(SafetensorsTensor(name: "prefix_task_rows", dtype: dtype, shape: [m.numTasks, m.numRanks, tokenDim], values: m.rows))
        }
        return out
    }

    /// Reads `prompt_embeddings` (and, when present, `prefix_task_cols` / `prefix_task_rows`) from a
    /// `.safetensors` file or a torch `.pt`/`.bin` state dict. `expectRows` / `expectDim` (when
    /// given) must match.
    /// - Throws: ``PromptError/badPromptDirectory(path:reason:hint:)`` naming the file and tensor.
    public static func read(file path: String, expectRows: Int? = nil, expectDim: Int? = nil) throws -> PromptTensors {
        var named: [String: (shape: [Int], values: [Float])] = [:]
        do {
            if path.hasSuffix(".safetensors") {
                let f = try SafetensorsFile(path: path)
                for name in ["prompt_embeddings", "prefix_task_cols", "prefix_task_rows"] where f.tensorNames.contains(name) {
                    let t = try f.tensor(name)
                    named[name] = (t.shape, Array(UnsafeBufferPointer(start: t.data, count: t.shape.reduce(1, *))))
                }
            } else {
                for (name, t) in try TorchPT.readTensors(contentsOf: URL(fileURLWithPath: path)) { named[name] = (t.shape, t.values) }
            }
        } catch let e as PromptError {
            throw e
        } catch {
            throw PromptError.badPromptDirectory(path: path, reason: "\(error)", hint: "pass PEFT's adapter_model.safetensors or a torch state dict of prompt tensors")
        }
        func bad(_ reason: String, _ hint: String) -> PromptError { .badPromptDirectory(path: path, reason: reason, hint: hint) }
        guard let p = named["prompt_embeddings"], p.shape.count == 2 else {
            throw bad("no 2-d prompt_embeddings tensor (has \(named.keys.sorted()))", "a prompt file holds prompt_embeddings [num_virtual_tokens, token_dim]")
        }
        let (r, d) = (p.shape[0], p.shape[1])
        if let expectRows, r != expectRows {
            throw bad("prompt_embeddings has \(r) rows, expected num_virtual_tokens \(expectRows)", "use the same num_virtual_tokens as the source prompt")
        }
        if let expectDim, d != expectDim {
            throw bad("prompt_embeddings has width \(d), expected token_dim \(expectDim)", "the source prompt was trained on a model of another width")
        }
        var factors: MultitaskFactors?
        switch (named["prefix_task_cols"], named["prefix_task_rows"]) {
        case (nil, nil): break
        case let (u?, v?):
            guard u.shape.count == 3, v.shape.count == 3, u.shape[1] == r, v.shape[2] == d, u.shape[2] == v.shape[1], u.shape[0] == v.shape[0] else {
                throw bad("prefix_task_cols \(u.shape) / prefix_task_rows \(v.shape) do not fit [K, \(r), r] / [K, r, \(d)]",
                          "the multitask tensors must belong to prompt_embeddings [\(r), \(d)]")
            }
            factors = MultitaskFactors(numTasks: u.shape[0], numRanks: u.shape[2], cols: u.values, rows: v.values)
        default:
            throw bad("only one of prefix_task_cols and prefix_task_rows", "a multitask prompt holds both")
        }
        return try PromptTensors(shared: p.values, rows: r, tokenDim: d, multitask: factors, source: path)
    }
}
