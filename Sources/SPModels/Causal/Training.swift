// The training step of prompt tuning: loss of a padded batch given as inputs_embeds, and the
// gradient with respect to those embeddings. No weight gradient is ever computed.

import SPTensor

extension DecoderModel {
    /// Mean next-token cross-entropy of a batch and, if `dEmbeds` is given, dLoss/d(inputs_embeds)·`scale`.
    ///
    /// - Parameters:
    ///   - embeds: `[B, T, E]` inputs (soft prompt rows included).
    ///   - mask: `[B, T]` attention mask (1 real, 0 padding).
    ///   - labels: `[B, T]` token ids or -100; as in transformers, position t predicts `labels[t+1]`.
    ///   - dEmbeds: `[B, T, E]` output gradient, or nil for the loss only.
    ///   - hits: optional `[B, T]` greedy hits per position (see ``LMHead/loss(hidden:targets:rows:dHidden:scale:workspace:hits:)``;
    ///     row t reports whether `labels[t+1]` is the argmax).
    /// - Returns: the loss (mean over counted targets, NaN when none) and the number counted.
    public func lossAndGradient(embeds: UnsafePointer<Float>, mask: UnsafePointer<Int32>, labels: UnsafePointer<Int32>,
                                batch: Int, tokens: Int, dEmbeds: UnsafeMutablePointer<Float>?, scale: Float = 1,
                                workspace ws: TrainingWorkspace,
                                hits: UnsafeMutablePointer<Int32>? = nil) throws -> (loss: Float, count: Int) {
        let headIn = forwardTraining(embeds: embeds, mask: mask, batch: batch, tokens: tokens, ws: ws)
        let n = ws.ctx.rows
        for b in 0..<batch {
            for t in 0..<tokens { ws.targets[b * tokens + t] = t + 1 < tokens ? labels[b * tokens + t + 1] : -100 }
        }
        let result = try ws.targets.withUnsafeBufferPointer { tg in
            try head.loss(hidden: headIn, targets: tg.baseAddress!, rows: n, dHidden: dEmbeds == nil ? nil : ws.dHead.data,
                          scale: scale, workspace: ws.head!, hits: hits)
        }
        guard let dEmbeds else { return result }
        backwardTraining(dEmbeds: dEmbeds, ws: ws)
        return result
    }

    /// Logits `[rows.count, V]` at the given flattened `(b·T + t)` rows (all rows when nil).
    public func logits(embeds: UnsafePointer<Float>, mask: UnsafePointer<Int32>, batch: Int, tokens: Int,
                       rows: [Int]? = nil, workspace ws: TrainingWorkspace) -> [Float] {
        let headIn = forwardTraining(embeds: embeds, mask: mask, batch: batch, tokens: tokens, ws: ws)
        let e = head.weight.inFeatures, v = head.vocab
        let picked = rows ?? Array(0..<(batch * tokens))
        var out = [Float](repeating: 0, count: picked.count * v)
        let tmp = Tensor(shape: [1, e])
        out.withUnsafeMutableBufferPointer { o in
            for (i, r) in picked.enumerated() {
                tmp.data.update(from: headIn + r * e, count: e)
                head.logits(tmp.data, rows: 1, o.baseAddress! + i * v)
            }
        }
        return out
    }

    /// Forward pass that saves activations; returns the head input `[N, E']`.
    func forwardTraining(embeds: UnsafePointer<Float>, mask: UnsafePointer<Int32>, batch: Int, tokens: Int,
                         ws: TrainingWorkspace) -> UnsafeMutablePointer<Float> {
        prepare(ws.ctx, batch: batch, tokens: tokens, past: 0, mask: mask, rule: positionRule)
        ws.reshape(for: self)
        let n = ws.ctx.rows, c = spec.hidden
        embed(embeds, ws.x.data, ctx: ws.ctx, io: ws.io)
        for (l, block) in blocks.enumerated() {
            if ws.checkpointing { ws.inputs[l].data.update(from: ws.x.data, count: n * c) }
            block.forward(ws.x.data, ctx: ws.ctx, s: ws.states[ws.checkpointing ? 0 : l], w: ws.scratch)
        }
        return finish(ws.x.data, ctx: ws.ctx, io: ws.io)
    }

    /// Backward from `ws.dHead` to d(inputs_embeds).
    func backwardTraining(dEmbeds: UnsafeMutablePointer<Float>, ws: TrainingWorkspace) {
        let n = ws.ctx.rows, c = spec.hidden
        finishBackward(ws.dHead.data, x: ws.x.data, ws.dx.data, ctx: ws.ctx, io: ws.io)
        for l in blocks.indices.reversed() {
            let state = ws.states[ws.checkpointing ? 0 : l]
            if ws.checkpointing {
                ws.recompute.data.update(from: ws.inputs[l].data, count: n * c)
                blocks[l].forward(ws.recompute.data, ctx: ws.ctx, s: state, w: ws.scratch)
            }
            blocks[l].backward(ws.dx.data, ctx: ws.ctx, s: state, w: ws.scratch)
        }
        embedBackward(ws.dx.data, dEmbeds, ctx: ws.ctx, io: ws.io)
    }
}
