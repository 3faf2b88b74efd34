// Packed prefill of several sequences in one call (continuous batching): the sequences' tokens lie
// one after another in h[N, C], N = Σ t_j. The projections run over all N rows at once; attention
// runs per sequence, over that sequence's own keys, with exactly the views, shapes, masks and
// biases of its prefill alone (batch 1, T = S = t_j), so under `RowInvariance` each sequence's
// keys, values and outputs are bit for bit those of its prefill alone.
//
//   h[N,C] → qkv[N,W] (one GEMM) → rotate (per-token positions) → for each j: keys/values of rows
//   o_j..<o_j+t_j into cache row j, positions 0..<t_j; context rows o_j… = attn_j → out[N,C] (one GEMM)

import SPTensor

extension AttentionLayer {
    /// Decoding forward over packed sequences of `lengths` tokens (`ctx`: batch 1, `Σ lengths`
    /// tokens, past 0, per-token positions restarting at 0 for each sequence). Sequence j's keys and
    /// values go to row j of `cache` at positions `0..<lengths[j]`. Scratch as in ``decode(_:_:ctx:cache:qkv:context:)``.
    func decodePacked(_ h: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, ctx: ForwardContext,
                      lengths: [Int], cache: LayerCache, qkv: UnsafeMutablePointer<Float>,
                      context: UnsafeMutablePointer<Float>) {
        let n = ctx.rows, kvw = kvHeads * headDim, w = qkvWidth, cw = heads * headDim
        project(h, qkv, rows: n)
        let (q, k, _) = views(qkv, tokens: n)
        rotate(q, k, ctx, backward: false)
        let longest = lengths.max() ?? 0
        let ones = [Float](repeating: 1, count: longest)
        var alibi = [Float](repeating: 0, count: usesALiBi ? heads * longest : 0)
        let slopes = usesALiBi ? ALiBi.slopes(heads: heads) : []
        let cl = HeadLayout(batch: cache.capacity * kvw, token: kvw, head: headDim)
        var o = 0
        for (j, t) in lengths.enumerated() {
            // The sequence's q, k, v as its prefill alone sees them: views of a [t, W] buffer.
            let (qs, ks, vs) = views(qkv + o * w, tokens: t)
            let row = j * cache.capacity * kvw
            for i in 0..<t {
                let dst = row + i * kvw
                for hh in 0..<kvHeads {
                    (cache.k.data + dst + hh * headDim).update(from: ks.at(0, i, hh), count: headDim)
                    (cache.v.data + dst + hh * headDim).update(from: vs.at(0, i, hh), count: headDim)
                }
            }
            let shape = AttentionShape(batch: 1, queries: t, keys: t, heads: heads, kvHeads: kvHeads, headDim: headDim)
            ones.withUnsafeBufferPointer { mask in
                alibi.withUnsafeMutableBufferPointer { bias in
                    var opt = AttentionOptions(scale: scale, causal: true, queryOffset: 0, slidingWindow: slidingWindow,
                                               keyMask: mask.baseAddress!, keyMaskStride: t)
                    if usesALiBi {
                        ALiBi.bias(out: bias.baseAddress!, mask: mask.baseAddress!, batch: 1, keys: t, slopes: slopes)
                        opt.bias = AttentionBias(UnsafePointer(bias.baseAddress!), batchStride: heads * t, headStride: t, rowStride: 0)
                    }
                    Attention.forward(out: MutableHeadsView(context + o * cw, contextLayout(t)), probs: nil, q: qs.readOnly,
                                      k: HeadsView(UnsafePointer(cache.k.data + row), cl),
                                      v: HeadsView(UnsafePointer(cache.v.data + row), cl), shape: shape, options: opt)
                }
            }
            o += t
        }
        Linear.forward(context, self.out, bias: outBias.map { UnsafePointer($0.data) }, out, m: n)
    }

    var usesALiBi: Bool {
        if case .alibi = positions { return true }
        return false
    }
}
