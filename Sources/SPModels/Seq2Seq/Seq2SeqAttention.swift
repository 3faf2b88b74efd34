// The attention sub-layer of encoder-decoder models (T5, BART): separate q, k, v, o projections,
// keys and values from the layer's own input (self-attention) or from the encoder output
// (cross-attention), forward and backward to both inputs, and decoding against a key/value cache.

import SPTensor

/// A frozen attention sub-layer of an encoder-decoder model.
///
/// q, k, v and o are `nn.Linear` weights (`[NH·HD, C]`, `[C, NH·HD]` for o); T5 has no biases and
/// no score scaling (scale 1), BART has biases on all four and scales by `HD^-0.5`.
public struct Seq2SeqAttention: @unchecked Sendable {
    /// Projections: q, k, v `[NH·HD, C]`, o `[C, NH·HD]`.
    public let q: Weight, k: Weight, v: Weight, o: Weight
    /// Their biases (BART), nil for T5.
    public let qb: Tensor?, kb: Tensor?, vb: Tensor?, ob: Tensor?
    /// NH heads of HD values each.
    public let heads: Int, headDim: Int
    /// Score scale (T5: 1, BART: 1/√HD).
    public let scale: Float

    /// An attention sub-layer from its weights.
    public init(q: Weight, k: Weight, v: Weight, o: Weight, qb: Tensor? = nil, kb: Tensor? = nil, vb: Tensor? = nil,
                ob: Tensor? = nil, heads: Int, headDim: Int, scale: Float) {
        (self.q, self.k, self.v, self.o) = (q, k, v, o)
        (self.qb, self.kb, self.vb, self.ob) = (qb, kb, vb, ob)
        self.heads = heads
        self.headDim = headDim
        self.scale = scale
    }

    /// NH·HD, the width of q (and of each of k, v).
    public var inner: Int { heads * headDim }

    func queryLayout(_ t: Int) -> HeadLayout { .rows(tokens: t, rowWidth: inner, headDim: headDim) }
    func keyLayout(_ s: Int) -> HeadLayout { .rows(tokens: s, rowWidth: 2 * inner, headDim: headDim) }
    func contextLayout(_ t: Int) -> HeadLayout { .contiguous(tokens: t, heads: heads, headDim: headDim) }

    /// kv[N, 2·inner] = [k(h) | v(h)] for h[N, C].
    func projectKeys(_ h: UnsafePointer<Float>, _ kv: UnsafeMutablePointer<Float>, rows n: Int) {
        Linear.forward(h, k, bias: kb.map { UnsafePointer($0.data) }, kv, m: n, ldy: 2 * inner)
        Linear.forward(h, v, bias: vb.map { UnsafePointer($0.data) }, kv + inner, m: n, ldy: 2 * inner)
    }

    /// Training forward: out[B·T, C] = attn(queries from h[B·T, C], keys/values from hk[B·S, C]).
    /// Saves q `[B·T, inner]`, kv `[B·S, 2·inner]` and, when given, probs `[B, NH, T, S]`.
    /// `keysReady`: kv already holds the projections of hk (cross-attention keys cached across steps).
    func forward(_ h: UnsafePointer<Float>, keysFrom hk: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                 batch b: Int, queries t: Int, keys s: Int, options: AttentionOptions,
                 q qs: UnsafeMutablePointer<Float>, kv: UnsafeMutablePointer<Float>,
                 probs: UnsafeMutablePointer<Float>?, context: UnsafeMutablePointer<Float>, keysReady: Bool = false) {
        Linear.forward(h, q, bias: qb.map { UnsafePointer($0.data) }, qs, m: b * t)
        if !keysReady { projectKeys(hk, kv, rows: b * s) }
        attend(queries: qs, kv: kv, kvLayout: keyLayout(s), batch: b, t: t, s: s, options: options, probs: probs,
               context: context)
        Linear.forward(context, o, bias: ob.map { UnsafePointer($0.data) }, out, m: b * t)
    }

    /// context = softmax(q·kᵀ)·v for q `[B·T, inner]` and keys/values in `kv` with `kvLayout`.
    func attend(queries qs: UnsafePointer<Float>, kv: UnsafePointer<Float>, kvLayout: HeadLayout, batch b: Int,
                t: Int, s: Int, options: AttentionOptions, probs: UnsafeMutablePointer<Float>?,
                context: UnsafeMutablePointer<Float>) {
        var options = options
        options.scale = scale
        Attention.forward(out: MutableHeadsView(context, contextLayout(t)), probs: probs,
                          q: HeadsView(qs, queryLayout(t)), k: HeadsView(kv, kvLayout),
                          v: HeadsView(kv + inner, kvLayout),
                          shape: AttentionShape(batch: b, queries: t, keys: s, heads: heads, headDim: headDim),
                          options: options)
    }

    /// Training backward from the saved q, kv and probs (nil: recomputed per block from q and k, the
    /// same products and softmax as the forward, so the same bits): dh[B·T, C] (+)= ∂/∂h · dOut, and the
    /// key/value side's gradient is added to `dhk` `[B·S, C]` (cross-attention: the encoder
    /// output), or to `dh` when `dhk` is nil (self-attention). Scratch: `dContext` `[B·T, inner]`,
    /// `dq` `[B·T, inner]`, `dkv` `[B·S, 2·inner]`.
    func backward(_ dOut: UnsafePointer<Float>, _ dh: UnsafeMutablePointer<Float>, accumulate: Bool,
                  dhk: UnsafeMutablePointer<Float>?, batch b: Int, queries t: Int, keys s: Int,
                  options: AttentionOptions, q qs: UnsafePointer<Float>, kv: UnsafePointer<Float>,
                  probs: UnsafePointer<Float>?, dContext: UnsafeMutablePointer<Float>,
                  dq: UnsafeMutablePointer<Float>, dkv: UnsafeMutablePointer<Float>) {
        let (nq, nk) = (b * t, b * s)
        var options = options
        options.scale = scale
        Linear.backwardInput(dOut, o, dContext, m: nq)
        dq.update(repeating: 0, count: nq * inner)
        dkv.update(repeating: 0, count: nk * 2 * inner)
        let (ql, kl) = (queryLayout(t), keyLayout(s))
        Attention.backward(dq: MutableHeadsView(dq, ql), dk: MutableHeadsView(dkv, kl),
                           dv: MutableHeadsView(dkv + inner, kl),
                           dOut: HeadsView(UnsafePointer(dContext), contextLayout(t)),
                           q: HeadsView(qs, ql), k: HeadsView(kv, kl), v: HeadsView(kv + inner, kl), probs: probs,
                           shape: AttentionShape(batch: b, queries: t, keys: s, heads: heads, headDim: headDim),
                           options: options)
        Linear.backwardInput(dq, q, dh, m: nq, accumulate: accumulate)
        let target = dhk ?? dh
        Linear.backwardInput(dkv, k, target, m: nk, accumulate: true, lddy: 2 * inner)
        Linear.backwardInput(dkv + inner, v, target, m: nk, accumulate: true, lddy: 2 * inner)
    }
}
