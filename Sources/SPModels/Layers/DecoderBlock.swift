// One transformer block: norms, attention, MLP and the residual wiring, forward and backward to
// the block input.

import SPTensor

/// Activations a block saves in its training forward for its backward.
public final class BlockState {
    /// Input of norm 1 (sequential/parallel: the block input; post-norm: x + attn(x)).
    let norm1In = Tensor(shape: [0]), mean1 = Tensor(shape: [0]), rstd1 = Tensor(shape: [0])
    /// Input of norm 2 (sequential: x + attn; post-norm: x1 + mlp(x1); parallel: unused).
    let norm2In = Tensor(shape: [0]), mean2 = Tensor(shape: [0]), rstd2 = Tensor(shape: [0])
    let qkv = Tensor(shape: [0]), probs = Tensor(shape: [0])
    let mlpA = Tensor(shape: [0]), mlpB = Tensor(shape: [0])

    init() {}

    func reshape(_ ctx: ForwardContext, _ block: DecoderBlock) {
        let n = ctx.rows, c = block.width, a = block.attention, f = block.mlp.inner
        for t in [norm1In, norm2In] { t.reshape([n, c]) }
        for t in [mean1, rstd1, mean2, rstd2] { t.reshape([n]) }
        qkv.reshape([n, a.qkvWidth])
        probs.reshape([ctx.batch, a.heads, ctx.tokens, ctx.keys])
        mlpA.reshape([n, f])
        if case .gated = block.mlp.kind { mlpB.reshape([n, f]) }
    }
}

/// Scratch shared by all blocks (one of each, sized for the largest batch seen).
public final class BlockScratch {
    let h = Tensor(shape: [0]), sub = Tensor(shape: [0]), context = Tensor(shape: [0])
    let mlp = Tensor(shape: [0]), dqkv = Tensor(shape: [0]), dh = Tensor(shape: [0])
    let dx1 = Tensor(shape: [0]), qkv = Tensor(shape: [0])
    /// Pre-activation buffers for decoding (training saves them in ``BlockState``).
    let mlpA = Tensor(shape: [0]), mlpB = Tensor(shape: [0])

    public init() {}

    func reshape(_ ctx: ForwardContext, _ block: DecoderBlock, decoding: Bool) {
        let n = ctx.rows, c = block.width, a = block.attention, f = block.mlp.inner
        for t in [h, sub, dh, dx1] { t.reshape([n, c]) }
        context.reshape([n, a.heads * a.headDim])
        mlp.reshape([n, f])
        qkv.reshape([n, a.qkvWidth])
        if decoding {
            mlpA.reshape([n, f]); mlpB.reshape([n, f])
        } else {
            dqkv.reshape([n, a.qkvWidth])
        }
    }
}

/// A frozen transformer block.
public struct DecoderBlock: @unchecked Sendable {
    /// How the sub-layers are wired.
    public enum Residual: Sendable, Equatable {
        /// x1 = x + r·attn(n1(x)); out = x1 + r·mlp(n2(x1))   (r: Granite's residual_multiplier)
        case sequential(multiplier: Float)
        /// out = x + attn(n1(x)) + mlp(n2(x))   (GPT-NeoX use_parallel_residual)
        case parallel
        /// x1 = n1(x + attn(x)); out = n2(x1 + mlp(x1))   (OPT do_layer_norm_before = false)
        case postNorm
    }
    public let norm1: NormLayer
    public let attention: AttentionLayer
    public let norm2: NormLayer
    public let mlp: MLPLayer
    public let residual: Residual
    public var width: Int { norm1.width }

    public init(norm1: NormLayer, attention: AttentionLayer, norm2: NormLayer, mlp: MLPLayer, residual: Residual) {
        self.norm1 = norm1
        self.attention = attention
        self.norm2 = norm2
        self.mlp = mlp
        self.residual = residual
    }

    /// Training forward, in place on x[N,C]; saves what ``backward`` needs into `s`. With `shared`,
    /// the rows also attend to a prefix's keys (see ``SharedKeys``).
    func forward(_ x: UnsafeMutablePointer<Float>, ctx: ForwardContext, s: BlockState, w: BlockScratch,
                 shared: SharedKeys? = nil) {
        let n = ctx.rows, c = width
        let (h, sub) = (w.h.data, w.sub.data)
        func attn(_ input: UnsafePointer<Float>) {
            attention.forward(input, sub, ctx: ctx, qkv: s.qkv.data, probs: s.probs.data, context: w.context.data,
                              shared: shared)
        }
        func ffn(_ input: UnsafePointer<Float>) {
            mlp.forward(input, sub, rows: n, saveA: s.mlpA.data, saveB: s.mlpB.data, scratch: w.mlp.data)
        }
        switch residual {
        case .sequential(let r):
            s.norm1In.data.update(from: x, count: n * c)
            norm1.forward(x, h, rows: n, mean: s.mean1.data, rstd: s.rstd1.data)
            attn(h)
            axpy(r, sub, x, n * c)
            s.norm2In.data.update(from: x, count: n * c)
            norm2.forward(x, h, rows: n, mean: s.mean2.data, rstd: s.rstd2.data)
            ffn(h)
            axpy(r, sub, x, n * c)
        case .parallel:
            s.norm1In.data.update(from: x, count: n * c)
            norm1.forward(x, h, rows: n, mean: s.mean1.data, rstd: s.rstd1.data)
            attn(h)
            axpy(1, sub, x, n * c)                      // x + attn(n1(x_in)) …
            norm2.forward(s.norm1In.data, h, rows: n, mean: s.mean2.data, rstd: s.rstd2.data)
            ffn(h)
            axpy(1, sub, x, n * c)                      // … + mlp(n2(x_in))
        case .postNorm:
            attn(x)
            axpy(1, sub, x, n * c)
            s.norm1In.data.update(from: x, count: n * c)
            norm1.forward(s.norm1In.data, x, rows: n, mean: s.mean1.data, rstd: s.rstd1.data)
            ffn(x)
            axpy(1, sub, x, n * c)
            s.norm2In.data.update(from: x, count: n * c)
            norm2.forward(s.norm2In.data, x, rows: n, mean: s.mean2.data, rstd: s.rstd2.data)
        }
    }

    /// Training backward, in place: dx[N,C] holds d(out) on entry and d(block input) on return.
    ///
    /// `shared` and `seed` are passed to the attention (``AttentionLayer/backward``). With
    /// `inputGradient` false only what reaches `shared.dPrefix` is computed and `dx` is left
    /// undefined (the first block of the batch rows, whose inputs are frozen token embeddings).
    func backward(_ dx: UnsafeMutablePointer<Float>, ctx: ForwardContext, s: BlockState, w: BlockScratch,
                  shared: SharedKeys? = nil, seed: UnsafePointer<Float>? = nil, inputGradient: Bool = true) {
        let n = ctx.rows, c = width
        let (dh, dx1) = (w.dh.data, w.dx1.data)
        func attnBack(_ dOut: UnsafePointer<Float>, into d: UnsafeMutablePointer<Float>, accumulate: Bool) {
            attention.backward(dOut, d, ctx: ctx, qkv: s.qkv.data, probs: s.probs.data, dContext: w.context.data,
                               dqkv: w.dqkv.data, accumulate: accumulate, shared: shared, seed: seed,
                               inputGradient: inputGradient)
        }
        func ffnBack(_ dOut: UnsafePointer<Float>, into d: UnsafeMutablePointer<Float>, accumulate: Bool) {
            mlp.backward(dOut, d, rows: n, savedA: s.mlpA.data, savedB: s.mlpB.data, scratch: w.mlp.data,
                         accumulate: accumulate)
        }
        switch residual {
        case .sequential(let r):
            scaled(r, dx, dx1, n * c)                                  // d mlp out
            ffnBack(dx1, into: dh, accumulate: false)
            norm2.backward(dh, s.norm2In.data, mean: s.mean2.data, rstd: s.rstd2.data, dx, rows: n, accumulate: true)
            scaled(r, dx, dx1, n * c)                                  // d attn out
            attnBack(dx1, into: dh, accumulate: false)
            guard inputGradient else { return }
            norm1.backward(dh, s.norm1In.data, mean: s.mean1.data, rstd: s.rstd1.data, dx, rows: n, accumulate: true)
        case .parallel:
            attnBack(dx, into: dh, accumulate: false)
            guard inputGradient else { return }           // the MLP reads x, not the attention output
            norm1.backward(dh, s.norm1In.data, mean: s.mean1.data, rstd: s.rstd1.data, dx1, rows: n, accumulate: false)
            ffnBack(dx, into: dh, accumulate: false)
            norm2.backward(dh, s.norm1In.data, mean: s.mean2.data, rstd: s.rstd2.data, dx1, rows: n, accumulate: true)
            axpy(1, dx1, dx, n * c)
        case .postNorm:
            norm2.backward(dx, s.norm2In.data, mean: s.mean2.data, rstd: s.rstd2.data, dx1, rows: n, accumulate: false)
            ffnBack(dx1, into: dx1, accumulate: true)                  // d x1 = dz2 + mlpᵀ dz2
            norm1.backward(dx1, s.norm1In.data, mean: s.mean1.data, rstd: s.rstd1.data, dx, rows: n, accumulate: false)
            attnBack(dx, into: dx, accumulate: true)                   // d x = dz1 + attnᵀ dz1
        }
    }

    /// Inference forward with a KV cache, in place on x[N,C]. With `packed`, x holds sequences of
    /// those lengths one after another, each attending over its own keys (cache row j).
    func decode(_ x: UnsafeMutablePointer<Float>, ctx: ForwardContext, cache: LayerCache, w: BlockScratch,
                packed: [Int]? = nil) {
        let n = ctx.rows, c = width
        let (h, sub) = (w.h.data, w.sub.data)
        func attn(_ input: UnsafePointer<Float>) {
            if let packed {
                attention.decodePacked(input, sub, ctx: ctx, lengths: packed, cache: cache, qkv: w.qkv.data, context: w.context.data)
            } else {
                attention.decode(input, sub, ctx: ctx, cache: cache, qkv: w.qkv.data, context: w.context.data)
            }
        }
        func ffn(_ input: UnsafePointer<Float>) {
            mlp.forward(input, sub, rows: n, saveA: w.mlpA.data, saveB: w.mlpB.data, scratch: w.mlp.data)
        }
        switch residual {
        case .sequential(let r):
            norm1.forward(x, h, rows: n, mean: nil, rstd: nil); attn(h); axpy(r, sub, x, n * c)
            norm2.forward(x, h, rows: n, mean: nil, rstd: nil); ffn(h); axpy(r, sub, x, n * c)
        case .parallel:
            w.dx1.data.update(from: x, count: n * c)
            norm1.forward(x, h, rows: n, mean: nil, rstd: nil); attn(h); axpy(1, sub, x, n * c)
            norm2.forward(w.dx1.data, h, rows: n, mean: nil, rstd: nil); ffn(h); axpy(1, sub, x, n * c)
        case .postNorm:
            attn(x); axpy(1, sub, x, n * c); norm1.forward(x, x, rows: n, mean: nil, rstd: nil)
            ffn(x); axpy(1, sub, x, n * c); norm2.forward(x, x, rows: n, mean: nil, rstd: nil)
        }
    }
}

/// y += a·x
@inline(__always) func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    if a == 1 { for i in 0..<n { y[i] += x[i] } } else { for i in 0..<n { y[i] += a * x[i] } }
}

/// y = a·x
@inline(__always) func scaled(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    if a == 1 { y.update(from: x, count: n) } else { for i in 0..<n { y[i] = a * x[i] } }
}
