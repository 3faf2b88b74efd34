// Attention over a prefix shared by every batch row: prompt tuning prepends the same soft prompt
// to each example, and under a causal mask its rows see only each other, so their activations are
// identical across the batch. The prompt runs once (batch 1); each example's own tokens then attend
// to its keys and values as to a KV cache, and in the backward their gradients are summed over the
// batch into the prompt's own attention backward.

import SPTensor

/// One layer's view of the shared prefix for the batch's attention.
struct SharedKeys {
    /// The prefix's saved `[P, W]` projections (keys rotated), from its own forward at this layer.
    let prefixQKV: UnsafeMutablePointer<Float>
    /// P, prefix tokens.
    let length: Int
    /// Scratch `[B, P + S, NKV, HD]`: all keys and values each batch row sees.
    let k: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
    /// Scratch `[B, P + S, NKV, HD]`: their gradients in the backward.
    let dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>
    /// Backward output `[P, W]`: Σ over the batch of d(prefix k, v) (the q part is zero), which seeds
    /// the prefix's own attention backward at this layer.
    let dPrefix: UnsafeMutablePointer<Float>
}

extension AttentionLayer {
    /// Layout of the `[B, P + S, NKV, HD]` key/value scratch.
    func sharedLayout(keys: Int) -> HeadLayout { .contiguous(tokens: keys, heads: kvHeads, headDim: headDim) }

    /// Fills `sh.k`, `sh.v` [B, P+S] from the prefix's keys (rows 0..<P of every batch row) and the
    /// batch's own k, v [B, S] (rows P..<P+S).
    func gatherShared(_ sh: SharedKeys, k: MutableHeadsView, v: MutableHeadsView, ctx: ForwardContext) {
        let p = sh.length, s = ctx.tokens, keys = p + s
        let (_, pk, pv) = views(sh.prefixQKV, tokens: p)
        let l = sharedLayout(keys: keys)
        let (ak, av) = (MutableHeadsView(sh.k, l), MutableHeadsView(sh.v, l))
        Parallel.forRange(ctx.batch) { rows in
            for b in rows {
                for g in 0..<kvHeads {
                    for j in 0..<p {
                        ak.at(b, j, g).update(from: pk.at(0, j, g), count: headDim)
                        av.at(b, j, g).update(from: pv.at(0, j, g), count: headDim)
                    }
                    for i in 0..<s {
                        ak.at(b, p + i, g).update(from: k.at(b, i, g), count: headDim)
                        av.at(b, p + i, g).update(from: v.at(b, i, g), count: headDim)
                    }
                }
            }
        }
    }

    /// Zeroes `sh.dk`, `sh.dv` (Attention.backward accumulates into them).
    func zeroSharedGradients(_ sh: SharedKeys, ctx: ForwardContext) {
        let perRow = ctx.keys * kvHeads * headDim
        Parallel.forRange(ctx.batch) { rows in
            let (start, count) = (rows.lowerBound * perRow, rows.count * perRow)
            (sh.dk + start).update(repeating: 0, count: count)
            (sh.dv + start).update(repeating: 0, count: count)
        }
    }

    /// Splits `sh.dk`, `sh.dv` [B, P+S]: rows P..<P+S go to the batch's dk, dv [B, S] (overwritten),
    /// rows 0..<P are summed over the batch into `sh.dPrefix` (overwritten, q part zero).
    func scatterShared(_ sh: SharedKeys, dk: MutableHeadsView, dv: MutableHeadsView, ctx: ForwardContext) {
        let p = sh.length, s = ctx.tokens, keys = p + s
        sh.dPrefix.update(repeating: 0, count: p * qkvWidth)
        let (_, pk, pv) = views(sh.dPrefix, tokens: p)
        let l = sharedLayout(keys: keys)
        let (ak, av) = (MutableHeadsView(sh.dk, l), MutableHeadsView(sh.dv, l))
        // Split by kv head, so that each part sums its own prefix rows over the batch.
        Parallel.forRange(kvHeads) { heads in
            for g in heads {
                for b in 0..<ctx.batch {
                    for j in 0..<p {
                        let (sk, sv, tk, tv) = (ak.at(b, j, g), av.at(b, j, g), pk.at(0, j, g), pv.at(0, j, g))
                        for d in 0..<headDim { tk[d] += sk[d]; tv[d] += sv[d] }
                    }
                    for i in 0..<s {
                        dk.at(b, i, g).update(from: ak.at(b, p + i, g), count: headDim)
                        dv.at(b, i, g).update(from: av.at(b, p + i, g), count: headDim)
                    }
                }
            }
        }
    }
}
