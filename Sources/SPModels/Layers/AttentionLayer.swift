// Self-attention sub-layer: q/k/v projections (fused or separate), rotary or ALiBi positions,
// scaled dot-product attention, output projection; training (saved state) and KV-cache decoding.

import SPTensor

/// A frozen self-attention block.
public struct AttentionLayer: @unchecked Sendable {
    /// How the q, k, v projections are stored.
    public enum Projection: @unchecked Sendable {
        /// One weight producing `[q | k | v]` per row (GPT-2 `c_attn`, BigCode MQA).
        case fusedBlocks(Weight, bias: Tensor?)
        /// One weight producing `[NH][3][HD]` per row (GPT-NeoX `query_key_value`, BLOOM).
        case fusedPerHead(Weight, bias: Tensor?)
        /// Three weights (Llama, Mistral, Qwen2, OPT, Granite).
        case separate(q: Weight, k: Weight, v: Weight, qb: Tensor?, kb: Tensor?, vb: Tensor?)
    }
    /// How positions enter attention.
    public enum Positions: Sendable {
        case none
        case rotary(rotaryDim: Int, style: Rotary.Style)
        case alibi
    }

    public let projection: Projection
    public let out: Weight
    public let outBias: Tensor?
    public let heads: Int, kvHeads: Int, headDim: Int
    public let positions: Positions
    /// Score scale (nil: 1/√HD).
    public let scale: Float?
    /// Mistral's sliding window.
    public let slidingWindow: Int?

    public init(projection: Projection, out: Weight, outBias: Tensor?, heads: Int, kvHeads: Int,
                headDim: Int, positions: Positions, scale: Float? = nil, slidingWindow: Int? = nil) {
        self.projection = projection
        self.out = out
        self.outBias = outBias
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.positions = positions
        self.scale = scale
        self.slidingWindow = slidingWindow
    }

    /// Width of one row of the projected `qkv` buffer: (NH + 2·NKV)·HD.
    public var qkvWidth: Int { (heads + 2 * kvHeads) * headDim }

    /// Views of q, k, v inside a `[B, T, qkvWidth]` buffer.
    func views(_ p: UnsafeMutablePointer<Float>, tokens t: Int) -> (MutableHeadsView, MutableHeadsView, MutableHeadsView) {
        let w = qkvWidth, hd = headDim
        switch projection {
        case .fusedPerHead:
            let l = HeadLayout(batch: t * w, token: w, head: 3 * hd)
            return (MutableHeadsView(p, l), MutableHeadsView(p + hd, l), MutableHeadsView(p + 2 * hd, l))
        case .fusedBlocks, .separate:
            let l = HeadLayout.rows(tokens: t, rowWidth: w, headDim: hd)
            return (MutableHeadsView(p, l), MutableHeadsView(p + heads * hd, l),
                    MutableHeadsView(p + (heads + kvHeads) * hd, l))
        }
    }

    /// qkv[N, W] = projections of h[N, C].
    func project(_ h: UnsafePointer<Float>, _ qkv: UnsafeMutablePointer<Float>, rows n: Int) {
        let w = qkvWidth
        switch projection {
        case .fusedBlocks(let wt, let b), .fusedPerHead(let wt, let b):
            Linear.forward(h, wt, bias: b.map { UnsafePointer($0.data) }, qkv, m: n)
        case .separate(let q, let k, let v, let qb, let kb, let vb):
            Linear.forward(h, q, bias: qb.map { UnsafePointer($0.data) }, qkv, m: n, ldy: w)
            Linear.forward(h, k, bias: kb.map { UnsafePointer($0.data) }, qkv + heads * headDim, m: n, ldy: w)
            Linear.forward(h, v, bias: vb.map { UnsafePointer($0.data) }, qkv + (heads + kvHeads) * headDim,
                           m: n, ldy: w)
        }
    }

    /// dh[N, C] (+)= projectionsᵀ · dqkv[N, W].
    func projectBackward(_ dqkv: UnsafePointer<Float>, _ dh: UnsafeMutablePointer<Float>, rows n: Int,
                         accumulate: Bool) {
        let w = qkvWidth
        switch projection {
        case .fusedBlocks(let wt, _), .fusedPerHead(let wt, _):
            Linear.backwardInput(dqkv, wt, dh, m: n, accumulate: accumulate)
        case .separate(let q, let k, let v, _, _, _):
            Linear.backwardInput(dqkv, q, dh, m: n, accumulate: accumulate, lddy: w)
            Linear.backwardInput(dqkv + heads * headDim, k, dh, m: n, accumulate: true, lddy: w)
            Linear.backwardInput(dqkv + (heads + kvHeads) * headDim, v, dh, m: n, accumulate: true, lddy: w)
        }
    }

    func rotate(_ q: MutableHeadsView, _ k: MutableHeadsView, _ ctx: ForwardContext, backward: Bool) {
        guard case .rotary(let r, let style) = positions else { return }
        for (x, h) in [(q, heads), (k, kvHeads)] {
            if backward {
                Rotary.backward(x, batch: ctx.batch, tokens: ctx.tokens, heads: h, headDim: headDim,
                                rotaryDim: r, cos: ctx.cos.data, sin: ctx.sin.data, style: style)
            } else {
                Rotary.forward(x, batch: ctx.batch, tokens: ctx.tokens, heads: h, headDim: headDim,
                               rotaryDim: r, cos: ctx.cos.data, sin: ctx.sin.data, style: style,
                               bf16: BF16Compute.isOn)
            }
        }
    }

    func options(_ ctx: ForwardContext) -> AttentionOptions {
        var o = AttentionOptions(scale: scale, causal: true, queryOffset: ctx.past, slidingWindow: slidingWindow,
                                 keyMask: UnsafePointer(ctx.keyMask.data), keyMaskStride: ctx.keys)
        // A bf16 model's q, k, v are bf16 tensors (bf16 Linear outputs): its eager attention rounds.
        o.bf16 = BF16Compute.isOn
        if case .alibi = positions {
            o.bias = AttentionBias(UnsafePointer(ctx.alibi.data), batchStride: heads * ctx.keys,
                                   headStride: ctx.keys, rowStride: 0)
        }
        return o
    }

    var contextLayout: (Int) -> HeadLayout {
        { t in HeadLayout.contiguous(tokens: t, heads: heads, headDim: headDim) }
    }

    /// Training forward: out[N,C] = attn(h[N,C]); saves qkv (rotated) [N,W] and probs [B,NH,T,S].
    ///
    /// With `shared`, the T new tokens of each row also see the P prefix keys before them
    /// (`ctx.past` = P, S = P + T); without it S = T and `ctx.past` must be 0.
    func forward(_ h: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, ctx: ForwardContext,
                 qkv: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                 context: UnsafeMutablePointer<Float>, shared: SharedKeys? = nil) {
        let n = ctx.rows, t = ctx.tokens
        project(h, qkv, rows: n)
        let (q, k, v) = views(qkv, tokens: t)
        rotate(q, k, ctx, backward: false)
        let (ks, vs) = keysAndValues(k, v, ctx: ctx, shared: shared)
        Attention.forward(out: MutableHeadsView(context, contextLayout(t)), probs: probs, q: q.readOnly,
                          k: ks, v: vs, shape: shape(ctx), options: options(ctx))
        Linear.forward(context, self.out, bias: outBias.map { UnsafePointer($0.data) }, out, m: n)
    }

    func shape(_ ctx: ForwardContext) -> AttentionShape {
        AttentionShape(batch: ctx.batch, queries: ctx.tokens, keys: ctx.keys, heads: heads, kvHeads: kvHeads,
                       headDim: headDim)
    }

    /// The keys and values the queries see: their own, or the shared prefix's followed by theirs.
    func keysAndValues(_ k: MutableHeadsView, _ v: MutableHeadsView, ctx: ForwardContext,
                       shared: SharedKeys?) -> (HeadsView, HeadsView) {
        guard let sh = shared else { return (k.readOnly, v.readOnly) }
        gatherShared(sh, k: k, v: v, ctx: ctx)
        let l = sharedLayout(keys: ctx.keys)
        return (HeadsView(UnsafePointer(sh.k), l), HeadsView(UnsafePointer(sh.v), l))
    }

    /// Training backward: dh[N,C] (+)= d attn/dh · dOut[N,C], from the saved qkv and probs.
    /// Scratch: `dContext` [N, NH·HD], `dqkv` [N, W].
    ///
    /// - Parameters:
    ///   - shared: as in the forward; the prefix's key/value gradients, summed over the batch, are
    ///     left in `shared.dPrefix`.
    ///   - seed: `[N, W]` gradients of the (rotated) projections from elsewhere, added to this
    ///     layer's own (the batch's share of a shared prefix's keys and values).
    ///   - inputGradient: false skips dh (only `shared.dPrefix` is wanted).
    func backward(_ dOut: UnsafePointer<Float>, _ dh: UnsafeMutablePointer<Float>, ctx: ForwardContext,
                  qkv: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>,
                  dContext: UnsafeMutablePointer<Float>, dqkv: UnsafeMutablePointer<Float>,
                  accumulate: Bool, shared: SharedKeys? = nil, seed: UnsafePointer<Float>? = nil,
                  inputGradient: Bool = true) {
        let n = ctx.rows, t = ctx.tokens
        Linear.backwardInput(dOut, out, dContext, m: n)
        let (q, k, v) = views(qkv, tokens: t)
        let (dq, dk, dv) = views(dqkv, tokens: t)
        // Attention.backward accumulates.
        if let seed { dqkv.update(from: seed, count: n * qkvWidth) } else { dqkv.update(repeating: 0, count: n * qkvWidth) }
        let (ks, vs) = keysAndValues(k, v, ctx: ctx, shared: shared)
        var (dks, dvs) = (dk, dv)
        if let sh = shared {
            zeroSharedGradients(sh, ctx: ctx)
            let l = sharedLayout(keys: ctx.keys)
            (dks, dvs) = (MutableHeadsView(sh.dk, l), MutableHeadsView(sh.dv, l))
        }
        Attention.backward(dq: dq, dk: dks, dv: dvs, dOut: HeadsView(UnsafePointer(dContext), contextLayout(t)),
                           q: q.readOnly, k: ks, v: vs, probs: probs, shape: shape(ctx), options: options(ctx))
        if let sh = shared { scatterShared(sh, dk: dk, dv: dv, ctx: ctx) }
        guard inputGradient else { return }
        rotate(dq, dk, ctx, backward: true)
        projectBackward(dqkv, dh, rows: n, accumulate: accumulate)
    }

    /// Decoding forward with a KV cache: out[N,C] = attn(h[N,C]) over the cached keys plus the new
    /// ones, which are appended to `cache` at positions `ctx.past ..< ctx.keys`. Scratch: `qkv`
    /// [N, W], `context` [N, NH·HD].
    public func decode(_ h: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, ctx: ForwardContext,
                       cache: LayerCache, qkv: UnsafeMutablePointer<Float>, context: UnsafeMutablePointer<Float>) {
        let n = ctx.rows, t = ctx.tokens, kvw = kvHeads * headDim, ggml = ggmlArithmetic
        if ggml { ggmlProject(h, qkv, rows: n) } else { project(h, qkv, rows: n) }
        let (q, k, v) = views(qkv, tokens: t)
        if ggml { ggmlRotate(q, k, ctx) } else { rotate(q, k, ctx, backward: false) }
        // Append the new keys/values: cache rows are [B, capacity, NKV, HD].
        for b in 0..<ctx.batch {
            for i in 0..<t {
                let dst = (b * cache.capacity + ctx.past + i) * kvw
                for hh in 0..<kvHeads {
                    (cache.k.data + dst + hh * headDim).update(from: k.at(b, i, hh), count: headDim)
                    (cache.v.data + dst + hh * headDim).update(from: v.at(b, i, hh), count: headDim)
                }
                if ggml {  // llama.cpp's F16 K/V cache
                    GGMLArithmetic.roundF16(cache.k.data + dst, count: kvw)
                    GGMLArithmetic.roundF16(cache.v.data + dst, count: kvw)
                }
            }
        }
        if ggml {
            ggmlAttend(q, ctx: ctx, cache: cache, context: context)
            Linear.forward(context, self.out, bias: outBias.map { UnsafePointer($0.data) }, out, m: n)
            return
        }
        let cl = HeadLayout(batch: cache.capacity * kvw, token: kvw, head: headDim)
        let shape = AttentionShape(batch: ctx.batch, queries: t, keys: ctx.keys, heads: heads, kvHeads: kvHeads,
                                   headDim: headDim)
        Attention.forward(out: MutableHeadsView(context, contextLayout(t)), probs: nil, q: q.readOnly,
                          k: HeadsView(UnsafePointer(cache.k.data), cl), v: HeadsView(UnsafePointer(cache.v.data), cl),
                          shape: shape, options: options(ctx))
        Linear.forward(context, self.out, bias: outBias.map { UnsafePointer($0.data) }, out, m: n)
    }
}

/// One layer's key/value cache: `[B, capacity, NKV, HD]` each.
public final class LayerCache {
    public let capacity: Int
    public let k: Tensor, v: Tensor

    public init(batch: Int, capacity: Int, kvHeads: Int, headDim: Int) {
        self.capacity = capacity
        k = Tensor(shape: [batch, capacity, kvHeads, headDim])
        v = Tensor(shape: [batch, capacity, kvHeads, headDim])
    }
}
