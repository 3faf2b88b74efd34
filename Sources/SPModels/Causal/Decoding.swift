// Incremental decoding with a KV cache: prefill with the whole (left-padded) prompt, then one token
// per row per call.

import SPTensor

extension DecoderModel {
    /// Runs `T` new tokens per row through the model, appending them to `cache`, and writes the
    /// logits of each row's last new token into `logits` `[B, V]`.
    ///
    /// - Parameters:
    ///   - embeds: `[B, T, E]` new input embeddings (soft prompt rows included at prefill).
    ///   - mask: `[B, T]` attention mask of the new tokens (0 for left padding).
    ///   - rule: how position ids are derived (transformers' `generate` uses `.cumsumMask(padValue: 1)`).
    ///   - positions: more `(b·T + t)` rows of this call whose logits are wanted (e.g. every input
    ///     position at the prefill), from the same forward pass; none by default.
    ///   - onLogits: called with each index into `positions` and that row's `[V]` logits, in order.
    ///     The buffer is reused after the call returns.
    public func decode(embeds: UnsafePointer<Float>, mask: UnsafePointer<Int32>, tokens: Int, cache: KVCache,
                       rule: PositionRule, logits: UnsafeMutablePointer<Float>, workspace ws: InferenceWorkspace,
                       positions: [Int] = [], onLogits: (Int, UnsafePointer<Float>) -> Void = { _, _ in }) throws {
        let b = cache.rows, past = cache.length, s = past + tokens
        guard s <= cache.capacity else {
            throw ModelError.invalidInput("KV cache full: \(past) cached + \(tokens) new > capacity \(cache.capacity)")
        }
        for r in 0..<b { for t in 0..<tokens { cache.mask[r * cache.capacity + past + t] = mask[r * tokens + t] } }
        if ws.fullMask.count < b * s { ws.fullMask = [Int32](repeating: 0, count: b * s) }
        for r in 0..<b { for j in 0..<s { ws.fullMask[r * s + j] = cache.mask[r * cache.capacity + j] } }
        let ctx = ws.ctx
        ws.fullMask.withUnsafeBufferPointer { m in
            prepare(ctx, batch: b, tokens: tokens, past: past, mask: m.baseAddress!, rule: rule,
                    ggml: head.weight.q8Activations)
        }
        let n = ctx.rows, c = spec.hidden
        ws.x.reshape([n, c])
        ws.io.reshape(rows: n, model: self)
        if let first = blocks.first { ws.scratch.reshape(ctx, first, decoding: true) }
        embed(embeds, ws.x.data, ctx: ctx, io: ws.io)
        for (l, block) in blocks.enumerated() {
            block.decode(ws.x.data, ctx: ctx, cache: cache.layers[l], w: ws.scratch)
        }
        let headIn = finish(ws.x.data, ctx: ctx, io: ws.io, ggml: head.weight.q8Activations)
        let e = head.weight.inFeatures
        ws.rowsIn.reshape([b, e])
        for r in 0..<b { (ws.rowsIn.data + r * e).update(from: headIn + (r * tokens + tokens - 1) * e, count: e) }
        head.logits(ws.rowsIn.data, rows: b, logits)
        if !positions.isEmpty { positionLogits(headIn, rows: b * tokens, positions, onLogits) }
        cache.length = s
    }

    /// The head over the picked rows of `headIn` `[N, E']`, in chunks of at most 16 MiB of logits.
    func positionLogits(_ headIn: UnsafePointer<Float>, rows n: Int, _ positions: [Int],
                                _ onLogits: (Int, UnsafePointer<Float>) -> Void) {
        let e = head.weight.inFeatures, v = head.vocab
        let chunk = max(1, min(positions.count, (1 << 22) / max(1, v)))
        let gather = Tensor(shape: [chunk, e]), out = Tensor(shape: [chunk, v])
        var start = 0
        while start < positions.count {
            let m = min(chunk, positions.count - start)
            for i in 0..<m {
                let r = positions[start + i]
                precondition(r >= 0 && r < n, "position row \(r) outside 0..<\(n)")
                (gather.data + i * e).update(from: headIn + r * e, count: e)
            }
            head.logits(gather.data, rows: m, out.data)
            for i in 0..<m { onLogits(start + i, out.data + i * v) }
            start += m
        }
    }
}
