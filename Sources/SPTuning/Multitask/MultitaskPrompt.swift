// PEFT's multitask prompt (MultitaskPromptEmbedding, peft 0.21.2): task k's prompt is
//   prompt_k = P ∘ (U[k] · V[k])      P [R, D], U [K, R, r], V [K, r, D]
// and its backward from d(prompt_k) = G [R, D]:
//   dP += G ∘ (U[k]·V[k]);   dW = G ∘ P;   dU[k] += dW · V[k]ᵀ;   dV[k] += U[k]ᵀ · dW.
// The three tensors live in one flat buffer [P | U | V], so one AdamW steps all of them exactly as
// torch's AdamW steps three parameters of one group.

import SPPrompt
import SPTensor

/// The trainable tensors of a multitask prompt in one flat buffer `[P | U | V]`.
public struct MultitaskLayout: Sendable, Equatable {
    /// Rows R of the shared prompt (`num_virtual_tokens · num_transformer_submodules`).
    public let rows: Int
    /// `token_dim` D.
    public let tokenDim: Int
    /// `num_tasks` K.
    public let numTasks: Int
    /// `num_ranks` r.
    public let numRanks: Int

    /// Creates the layout.
    public init(rows: Int, tokenDim: Int, numTasks: Int, numRanks: Int) {
        precondition(rows > 0 && tokenDim > 0 && numTasks > 0 && numRanks > 0, "multitask layout \(rows)×\(tokenDim), K \(numTasks), r \(numRanks)")
        self.rows = rows
        self.tokenDim = tokenDim
        self.numTasks = numTasks
        self.numRanks = numRanks
    }

    /// Offset of U in the flat buffer.
    public var colsOffset: Int { rows * tokenDim }
    /// Offset of V in the flat buffer.
    public var rowsOffset: Int { colsOffset + numTasks * rows * numRanks }
    /// Length of the flat buffer.
    public var count: Int { rowsOffset + numTasks * numRanks * tokenDim }

    /// The flat buffer of `t` (whose shape must match this layout).
    public func flatten(_ t: PromptTensors) -> [Float] {
        precondition(t.rows == rows && t.tokenDim == tokenDim && t.multitask?.numTasks == numTasks && t.multitask?.numRanks == numRanks)
        return t.shared + t.multitask!.cols + t.multitask!.rows
    }

    /// The tensors held in the flat buffer `p` (`count` values).
    public func tensors(_ p: UnsafePointer<Float>) -> PromptTensors {
        let all = Array(UnsafeBufferPointer(start: p, count: count))
        let factors = MultitaskFactors(numTasks: numTasks, numRanks: numRanks, cols: Array(all[colsOffset..<rowsOffset]),
                                       rows: Array(all[rowsOffset..<count]))
        // The counts follow from the layout, so this cannot fail.
        return try! PromptTensors(shared: Array(all[0..<colsOffset]), rows: rows, tokenDim: tokenDim, multitask: factors)
    }

    /// W = U[k] · V[k] into `w` `[R, D]`.
    func taskMatrix(_ p: UnsafePointer<Float>, task k: Int, into w: UnsafeMutablePointer<Float>) {
        let r = numRanks, d = tokenDim
        let u = p + colsOffset + k * rows * r, v = p + rowsOffset + k * r * d
        for t in 0..<rows {
            for j in 0..<d {
                var s: Float = 0
                for q in 0..<r { s += u[t * r + q] * v[q * d + j] }
                w[t * d + j] = s
            }
        }
    }

    /// prompt_k = P ∘ (U[k] · V[k]) into `out` `[R, D]`.
    public func prompt(_ p: UnsafePointer<Float>, task k: Int, into out: UnsafeMutablePointer<Float>) {
        taskMatrix(p, task: k, into: out)
        for i in 0..<(rows * tokenDim) { out[i] *= p[i] }
    }

    /// Adds `scale` · d(loss)/d[P | U | V] to `grad` (flat, `count`) given G = d(loss)/d(prompt_k)
    /// `[R, D]`; `work` holds `R · D` scratch values.
    public func backward(_ p: UnsafePointer<Float>, task k: Int, dPrompt g: UnsafePointer<Float>, scale: Float,
                         grad: UnsafeMutablePointer<Float>, work w: UnsafeMutablePointer<Float>) {
        let r = numRanks, d = tokenDim, n = rows * d
        taskMatrix(p, task: k, into: w)
        for i in 0..<n {
            let gi = scale * g[i]
            grad[i] += gi * w[i]         // dP = G ∘ W
            w[i] = gi * p[i]             // dW = G ∘ P
        }
        let u = p + colsOffset + k * rows * r, v = p + rowsOffset + k * r * d
        let du = grad + colsOffset + k * rows * r, dv = grad + rowsOffset + k * r * d
        for t in 0..<rows {
            for q in 0..<r {
                var s: Float = 0                                   // dU[t, q] = Σ_j dW[t, j] · V[q, j]
                for j in 0..<d { s += w[t * d + j] * v[q * d + j] }
                du[t * r + q] += s
                let uq = u[t * r + q]                              // dV[q, j] += U[t, q] · dW[t, j]
                for j in 0..<d { dv[q * d + j] += uq * w[t * d + j] }
            }
        }
    }
}
