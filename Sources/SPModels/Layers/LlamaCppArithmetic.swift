// Inference with llama.cpp's arithmetic (`--activations q8`, weights with ``Weight/q8Activations``):
// besides the Q8-activation products, the keys and values are cached as llama.cpp's default context
// stores them (F16), attention runs ggml-cpu's flash-attention kernel, RMSNorm sums in double and the
// gated SiLU uses ggml's vector exp (``GGMLArithmetic``). Only inference (decode) takes these paths.

import SPTensor

extension AttentionLayer {
    /// True when decoding follows llama.cpp's arithmetic: the projections are Q8-activation block
    /// weights and the positions are rotary or none (llama.cpp has no ALiBi for these families).
    var ggmlArithmetic: Bool {
        guard out.q8Activations else { return false }
        if case .alibi = positions { return false }
        return true
    }

    /// Rotates q and k in place as ggml's `rotate_pairs` does, with the tables in `ctx` (ggml's own
    /// when ``ForwardContext/makeGGMLRotary(dims:base:)`` filled them).
    func ggmlRotate(_ q: MutableHeadsView, _ k: MutableHeadsView, _ ctx: ForwardContext) {
        guard case .rotary(let r, let style) = positions else { return }
        let half = r / 2, t = ctx.tokens
        for b in 0..<ctx.batch {
            let c = UnsafePointer(ctx.cos.data + b * t * half), s = UnsafePointer(ctx.sin.data + b * t * half)
            for (x, n) in [(q, heads), (k, kvHeads)] {
                GGMLArithmetic.ropeRows(x.data + b * x.layout.batch, rows: t, tokenStride: x.layout.token, heads: n,
                                        headStride: x.layout.head, dims: r, interleaved: style == .interleaved, cos: c, sin: s)
            }
        }
    }

    /// qkv[N, W] = the projections of h[N, C] as ``project(_:_:rows:)`` computes them; separate q/k/v
    /// Q8-activation weights without biases share one quantization of h and one pool run.
    func ggmlProject(_ h: UnsafePointer<Float>, _ qkv: UnsafeMutablePointer<Float>, rows n: Int) {
        let w = qkvWidth
        if case .separate(let q, let k, let v, .none, .none, .none) = projection,
           QuantDotQ8.products([q, k, v], x: h, m: n, k: q.inFeatures,
                               outputs: [(qkv, w), (qkv + heads * headDim, w), (qkv + (heads + kvHeads) * headDim, w)]) {
            return
        }
        project(h, qkv, rows: n)
    }

    /// The rotary width whose q/k order llama.cpp's GGUF permutation changed (halves-style rotary, as
    /// our GGUF loader restores it), else 0.
    var ggufRotary: Int {
        if case .rotary(let r, .halves) = positions { return r }
        return 0
    }

    /// context[N, NH·HD] = attention of the rotated q (in `q`) over `cache` (keys and values
    /// already appended and rounded to f16), as ggml-cpu's flash attention computes it.
    func ggmlAttend(_ q: MutableHeadsView, ctx: ForwardContext, cache: LayerCache, context: UnsafeMutablePointer<Float>) {
        let t = ctx.tokens, kvw = kvHeads * headDim, qw = heads * headDim
        for b in 0..<ctx.batch {
            let rowOut = context + b * t * qw
            for i in 0..<t {
                for h in 0..<heads { (rowOut + i * qw + h * headDim).update(from: q.at(b, i, h), count: headDim) }
            }
            GGMLArithmetic.flashAttention(
                q: rowOut, qStride: qw, tokens: t, heads: heads, kvHeads: kvHeads, headDim: headDim,
                k: cache.k.data + b * cache.capacity * kvw, v: cache.v.data + b * cache.capacity * kvw, kvStride: kvw,
                keyMask: UnsafePointer(ctx.keyMask.data + b * ctx.keys), past: ctx.past, window: slidingWindow,
                scale: scale ?? 1 / Float(headDim).squareRoot(), ggufRotary: ggufRotary, out: rowOut, outStride: qw)
        }
    }
}

extension NormLayer {
    /// y[N,C] = norm(x) as ggml computes it (``GGMLArithmetic/rmsNorm(_:weight:_:rows:cols:eps:)``) for a
    /// plain RMSNorm; any other norm as ``forward(_:_:rows:mean:rstd:)``.
    func forwardGGML(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int) {
        guard case .rms(let offset) = kind, offset == 0 else { return forward(x, y, rows: rows, mean: nil, rstd: nil) }
        GGMLArithmetic.rmsNorm(x, weight: weight.map { UnsafePointer($0.data) }, y, rows: rows, cols: width, eps: eps)
    }
}

extension MLPLayer {
    /// True when the feed-forward follows llama.cpp's arithmetic: gated SiLU on Q8-activation weights
    /// without biases (llama.cpp's `ggml_swiglu_split`).
    var ggmlArithmetic: Bool {
        guard case .gated(let gate, _, _, .none, .none, _) = kind, activation == .silu else { return false }
        return gate.q8Activations
    }

    /// out[N,C] = down(silu(gate(x)) ⊙ up(x)) with ggml's SwiGLU (``GGMLArithmetic/swiglu(gate:up:_:rows:cols:)``).
    /// Requires ``ggmlArithmetic``. saveA/saveB/scratch as for ``forward(_:_:rows:saveA:saveB:scratch:)``.
    func forwardGGML(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows n: Int,
                     saveA: UnsafeMutablePointer<Float>, saveB: UnsafeMutablePointer<Float>,
                     scratch: UnsafeMutablePointer<Float>) {
        guard case .gated(let gate, let up, let down, _, _, let db) = kind else { return }
        // gate and up share x: quantized once, one pool run (the same bits as two products).
        if !QuantDotQ8.products([gate, up], x: x, m: n, k: gate.inFeatures, outputs: [(saveA, inner), (saveB, inner)]) {
            Linear.forward(x, gate, bias: nil, saveA, m: n)
            Linear.forward(x, up, bias: nil, saveB, m: n)
        }
        GGMLArithmetic.swiglu(gate: saveA, up: saveB, scratch, rows: n, cols: inner)
        Linear.forward(scratch, down, bias: db.map { UnsafePointer($0.data) }, out, m: n)
    }
}

extension ForwardContext {
    /// Fills ``cos`` and ``sin`` `[B·T, dims/2]` with ggml's rotary tables for ``positions``
    /// (``GGMLArithmetic/ropeTables(positions:count:dims:base:cos:sin:)``: no scaling).
    func makeGGMLRotary(dims: Int, base: Float) {
        cos.reshape([rows, dims / 2])
        sin.reshape([rows, dims / 2])
        positions.withUnsafeBufferPointer { p in
            GGMLArithmetic.ropeTables(positions: p.baseAddress!, count: rows, dims: dims, base: base, cos: cos.data, sin: sin.data)
        }
    }
}
