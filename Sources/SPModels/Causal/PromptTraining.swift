// The prompt-tuning step with the soft prompt computed once per batch instead of once per row.
//
// PEFT prepends the same P virtual tokens to every example, with attention mask 1. Under a causal
// mask they see only each other, and their positions (arange or cumsum of the mask), rotary
// tables and ALiBi biases are the same in every row, so their activations are identical across
// the batch. This runs them once (batch 1, P rows); the batch's own S tokens per row attend to the
// prefix's keys and values like a KV cache (past = P). The backward is linear in the upstream
// gradient, so the batch's gradients to the prefix's keys, values and outputs are summed first and
// go through the prefix's backward once, giving Σ_b dLoss/d(prompt) directly. Mathematically the
// same step as ``DecoderModel/lossAndGradient(embeds:mask:labels:batch:tokens:dEmbeds:scale:workspace:hits:)``
// on the concatenated batch (only float summation order differs); it does B·P fewer rows of every
// per-row product, and skips the batch rows' input gradient in the first block (their inputs are
// frozen token embeddings).

import SPTensor

/// Buffers for ``DecoderModel/promptLossAndGradient(prompt:embeds:mask:labels:batch:virtualTokens:tokens:dPrompt:scale:workspace:hits:)``,
/// reused across steps (a step allocates nothing once its largest shape has been seen).
public final class PromptTrainingWorkspace {
    /// Recompute block activations in the backward (gradient checkpointing), for both parts.
    public let checkpointing: Bool
    /// The prompt's rows (batch 1) and the batch's own rows.
    let prefix: TrainingWorkspace, rows: TrainingWorkspace
    /// `[B, P + S, NKV·HD]` keys/values each row sees, and their gradients.
    let k = Tensor(shape: [0]), v = Tensor(shape: [0]), dk = Tensor(shape: [0]), dv = Tensor(shape: [0])
    /// `[P, W]` the batch's summed gradient to the prefix's projections, per layer.
    let seed = Tensor(shape: [0])
    /// `[B, P + S, E']` head inputs in the concatenated layout, and their gradient.
    let hidden = Tensor(shape: [0]), dHidden = Tensor(shape: [0])
    var head: HeadWorkspace?
    var targets: [Int32] = []

    public convenience init(checkpointing: Bool = false) { self.init(checkpointing: checkpointing, bf16States: true) }

    /// `bf16States`: whether the batch rows' block activations may be stored as bf16 (``BlockState``);
    /// the prompt's rows always keep float32 (the batch's blocks read their q/k/v).
    init(checkpointing: Bool, bf16States: Bool) {
        self.checkpointing = checkpointing
        prefix = TrainingWorkspace(checkpointing: checkpointing, bf16States: false)
        rows = TrainingWorkspace(checkpointing: checkpointing, bf16States: bf16States)
    }

    func reshape(for m: DecoderModel, batch: Int, virtual p: Int, tokens s: Int) {
        let t = p + s, n = batch * t
        var (kvw, w) = (0, 0)
        for b in m.blocks { (kvw, w) = (max(kvw, b.attention.kvHeads * b.attention.headDim), max(w, b.attention.qkvWidth)) }
        k.reshape([batch, t, kvw]); v.reshape([batch, t, kvw]); dk.reshape([batch, t, kvw]); dv.reshape([batch, t, kvw])
        seed.reshape([p, w])
        let e = m.projectOut == nil ? m.spec.hidden : m.inputWidth
        hidden.reshape([n, e]); dHidden.reshape([n, e])
        head = HeadWorkspace.sized(head, for: m.head, rows: n)
        if targets.count < n { targets = [Int32](repeating: -100, count: n) }
    }
}

extension DecoderModel {
    /// Loss of a prompt-tuning batch and Σ over the batch of dLoss/d(prompt)·`scale`, with the prompt's
    /// rows computed once (see the file comment). Equal, up to float summation order, to
    /// ``lossAndGradient(embeds:mask:labels:batch:tokens:dEmbeds:scale:workspace:hits:)`` on
    /// `[prompt; embeds[b]]` per row with the prompt rows of `dEmbeds` summed over the batch.
    ///
    /// - Parameters:
    ///   - prompt: `[P, E]` the soft prompt.
    ///   - embeds: `[B, S, E]` each row's token embeddings (without the prompt).
    ///   - mask: `[B, P + S]` attention mask of the concatenated rows; its first P columns must be 1.
    ///   - labels: `[B, P + S]` as for `lossAndGradient` (position t predicts `labels[t+1]`).
    ///   - dPrompt: `[P, E]` receives the summed gradient (overwritten), or nil for the loss only.
    ///   - hits: optional `[B, P + S]`, as for `lossAndGradient`.
    /// - Returns: the mean loss over counted targets (NaN when none) and their number.
    public func promptLossAndGradient(prompt: UnsafePointer<Float>, embeds: UnsafePointer<Float>,
                                      mask: UnsafePointer<Int32>, labels: UnsafePointer<Int32>, batch: Int,
                                      virtualTokens p: Int, tokens s: Int, dPrompt: UnsafeMutablePointer<Float>?,
                                      scale: Float = 1, workspace ws: PromptTrainingWorkspace,
                                      hits: UnsafeMutablePointer<Int32>? = nil) throws -> (loss: Float, count: Int) {
        let t = p + s
        guard batch >= 1, p >= 1, s >= 1 else {
            throw ModelError.invalidInput("prompt batch needs batch, virtual tokens and tokens ≥ 1 (got \(batch), \(p), \(s))")
        }
        for b in 0..<batch where (0..<p).contains(where: { mask[b * t + $0] == 0 }) {
            throw ModelError.invalidInput("attention mask of row \(b) is 0 inside the \(p) virtual tokens; they must all be 1")
        }
        let (pre, main) = (ws.prefix, ws.rows)
        let c = spec.hidden
        prepare(main.ctx, batch: batch, tokens: s, past: p, mask: mask, rule: positionRule)
        prepare(pre.ctx, batch: 1, tokens: p, past: 0, mask: mask, rule: positionRule,
                rotaryLength: Int(main.ctx.positions.max() ?? 0) + 1)
        main.reshape(for: self, head: false)
        pre.reshape(for: self, head: false)
        ws.reshape(for: self, batch: batch, virtual: p, tokens: s)
        let he = ws.hidden.shape[1]
        func keys(_ prefixState: BlockState) -> SharedKeys {
            SharedKeys(prefixQKV: prefixState.qkv.f32.data, length: p, k: ws.k.data, v: ws.v.data, dk: ws.dk.data,
                       dv: ws.dv.data, dPrefix: ws.seed.data)
        }
        func state(_ w: TrainingWorkspace, _ l: Int) -> BlockState { w.states[ws.checkpointing ? 0 : l] }

        // Forward: the prompt's block l, then the batch's, which reads the prompt's keys and values.
        embed(prompt, pre.x.data, ctx: pre.ctx, io: pre.io)
        embed(embeds, main.x.data, ctx: main.ctx, io: main.io)
        for (l, block) in blocks.enumerated() {
            if ws.checkpointing {
                pre.inputs[l].data.update(from: pre.x.data, count: p * c)
                main.inputs[l].data.update(from: main.x.data, count: batch * s * c)
            }
            block.forward(pre.x.data, ctx: pre.ctx, s: state(pre, l), w: pre.scratch)
            block.forward(main.x.data, ctx: main.ctx, s: state(main, l), w: main.scratch, shared: keys(state(pre, l)))
        }
        let hp = finish(pre.x.data, ctx: pre.ctx, io: pre.io), hm = finish(main.x.data, ctx: main.ctx, io: main.io)
        for b in 0..<batch {
            (ws.hidden.data + b * t * he).update(from: hp, count: p * he)
            (ws.hidden.data + (b * t + p) * he).update(from: hm + b * s * he, count: s * he)
            for j in 0..<t { ws.targets[b * t + j] = j + 1 < t ? labels[b * t + j + 1] : -100 }
        }
        let result = try ws.targets.withUnsafeBufferPointer { tg in
            try head.loss(hidden: ws.hidden.data, targets: tg.baseAddress!, rows: batch * t,
                          dHidden: dPrompt == nil ? nil : ws.dHidden.data, scale: scale, workspace: ws.head!, hits: hits)
        }
        guard let dPrompt else { return result }

        // Backward: the head's gradient split back into the prompt's (summed) and the batch's rows.
        pre.dHead.data.update(repeating: 0, count: p * he)
        for b in 0..<batch {
            let row = ws.dHidden.data + b * t * he
            for i in 0..<(p * he) { pre.dHead.data[i] += row[i] }
            (main.dHead.data + b * s * he).update(from: row + p * he, count: s * he)
        }
        finishBackward(pre.dHead.data, x: pre.x.data, pre.dx.data, ctx: pre.ctx, io: pre.io)
        finishBackward(main.dHead.data, x: main.x.data, main.dx.data, ctx: main.ctx, io: main.io)
        for l in blocks.indices.reversed() {
            let (sp, sm) = (state(pre, l), state(main, l))
            if ws.checkpointing {
                pre.recompute.data.update(from: pre.inputs[l].data, count: p * c)
                blocks[l].forward(pre.recompute.data, ctx: pre.ctx, s: sp, w: pre.scratch)
                main.recompute.data.update(from: main.inputs[l].data, count: batch * s * c)
                blocks[l].forward(main.recompute.data, ctx: main.ctx, s: sm, w: main.scratch, shared: keys(sp))
            }
            // The batch's block first: it leaves its share of d(prefix k, v) in ws.seed.
            blocks[l].backward(main.dx.data, ctx: main.ctx, s: sm, w: main.scratch, shared: keys(sp),
                               inputGradient: l > 0)
            blocks[l].backward(pre.dx.data, ctx: pre.ctx, s: sp, w: pre.scratch, seed: ws.seed.data)
        }
        embedBackward(pre.dx.data, dPrompt, ctx: pre.ctx, io: pre.io)
        return result
    }
}

extension PromptTrainingWorkspace {
    /// Base addresses of every buffer (tests check a second step of the same shape keeps them).
    public var bufferAddresses: [Int] {
        prefix.bufferAddresses + rows.bufferAddresses
            + [k, v, dk, dv, seed, hidden, dHidden].map { Int(bitPattern: $0.data) }
    }
}
