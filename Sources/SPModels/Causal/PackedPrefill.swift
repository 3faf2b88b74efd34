// Packed prefill: the prompts of several new sequences in one forward call (continuous batching,
// `RowBatch.add(packed:joins:…)`). Their tokens are concatenated, `[N = Σ t_j, E]`, with no
// padding: embeddings, norms, MLPs and every linear layer run once over all N rows; attention runs
// per sequence over its own keys exactly as its prefill alone runs it
// (`AttentionLayer.decodePacked`). Under `RowInvariance` (one-row-count-independent GEMMs) every
// sequence's logits and keys/values are then bit for bit those of its prefill alone.

import SPTensor

extension DecoderModel {
    /// Prefills sequences of `lengths` tokens in one call: sequence j's keys and values go to row j
    /// of `cache` at positions `0..<lengths[j]` (the cache's length becomes the longest; shorter
    /// rows are masked after their end), and its last token's logits to row j of `logits` `[J, V]`.
    ///
    /// - Parameters:
    ///   - embeds: `[Σ lengths, E]` the sequences' input embeddings (soft prompt rows included), one after another.
    ///   - positions, onLogits: more rows of `embeds` whose logits are wanted (indices into `0..<Σ lengths`),
    ///     as in ``decode(embeds:mask:tokens:cache:rule:logits:workspace:positions:onLogits:)``.
    /// - Throws: ``ModelError/invalidInput(_:)`` for an empty or zero-length sequence, more sequences
    ///   than cache rows, a sequence longer than the cache, or a model whose rotary tables depend on
    ///   the call's length (dynamic NTK).
    public func prefillPacked(embeds: UnsafePointer<Float>, lengths: [Int], cache: KVCache,
                              logits: UnsafeMutablePointer<Float>, workspace ws: InferenceWorkspace,
                              positions: [Int] = [], onLogits: (Int, UnsafePointer<Float>) -> Void = { _, _ in }) throws {
        let j = lengths.count, n = lengths.reduce(0, +), longest = lengths.max() ?? 0
        guard j > 0, lengths.allSatisfy({ $0 > 0 }) else {
            throw ModelError.invalidInput("packed prefill: every sequence needs ≥ 1 token (lengths \(lengths))")
        }
        guard j <= cache.batch, longest <= cache.capacity else {
            throw ModelError.invalidInput("packed prefill: \(j) sequences of up to \(longest) tokens exceed the cache (\(cache.batch) × \(cache.capacity))")
        }
        if let rotary, rotary.scaling.kind == .dynamic {
            throw ModelError.invalidInput("packed prefill: dynamic NTK rotary tables depend on each call's length")
        }
        let ctx = ws.ctx
        let ones = [Int32](repeating: 1, count: n)
        ones.withUnsafeBufferPointer { ctx.prepare(batch: 1, tokens: n, past: 0, mask: $0.baseAddress!) }
        ctx.positions.removeAll(keepingCapacity: true)
        for t in lengths { for p in 0..<t { ctx.positions.append(Int32(p)) } }
        if let rotary { ctx.makeRotary(inverseFrequencies: rotary.inverseFrequencies(seqLen: longest)) }
        let c = spec.hidden
        ws.x.reshape([n, c])
        ws.io.reshape(rows: n, model: self)
        if let first = blocks.first { ws.scratch.reshape(ctx, first, decoding: true) }
        embed(embeds, ws.x.data, ctx: ctx, io: ws.io)
        for (l, block) in blocks.enumerated() {
            block.decode(ws.x.data, ctx: ctx, cache: cache.layers[l], w: ws.scratch, packed: lengths)
        }
        let headIn = finish(ws.x.data, ctx: ctx, io: ws.io)
        let e = head.weight.inFeatures
        ws.rowsIn.reshape([j, e])
        var end = 0
        for (r, t) in lengths.enumerated() {
            end += t
            (ws.rowsIn.data + r * e).update(from: headIn + (end - 1) * e, count: e)
        }
        head.logits(ws.rowsIn.data, rows: j, logits)
        if !positions.isEmpty { positionLogits(headIn, rows: n, positions, onLogits) }
        cache.rows = j
        cache.length = longest
        for (r, t) in lengths.enumerated() {
            for p in 0..<longest { cache.mask[r * cache.capacity + p] = p < t ? 1 : 0 }
        }
    }
}
