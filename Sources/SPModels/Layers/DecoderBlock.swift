// One transformer block: norms, attention, MLP and the residual wiring, forward and backward to
// the block input.

import SPTensor

/// Activations a block saves in its training forward for its backward.
///
/// Inside ``BF16Compute`` (``reshape(_:_:compact:)`` with `compact`), on a block whose Linears are
/// all bf16, the saved activations are exactly bf16 (Linear outputs, rounded probabilities, the
/// rounded residual stream) and are stored as bf16; the statistics (mean, rstd) stay float32.
public final class BlockState {
    /// Input of norm 1 (sequential/parallel: the block input; post-norm: x + attn(x)).
    let norm1In = SavedActivation(), mean1 = Tensor(shape: [0]), rstd1 = Tensor(shape: [0])
    /// Input of norm 2 (sequential: x + attn; post-norm: x1 + mlp(x1); parallel: unused).
    let norm2In = SavedActivation(), mean2 = Tensor(shape: [0]), rstd2 = Tensor(shape: [0])
    let qkv = SavedActivation(), probs = SavedActivation()
    let mlpA = SavedActivation(), mlpB = SavedActivation()

    init() {}

    /// Sizes every buffer; `compact` stores the activations as bf16 where the block's are exactly
    /// bf16 (``DecoderBlock/savesBF16``, inside ``BF16Compute``).
    func reshape(_ ctx: ForwardContext, _ block: DecoderBlock, compact wanted: Bool) {
        let n = ctx.rows, c = block.width, a = block.attention, f = block.mlp.inner
        let compact = wanted && block.savesBF16
        for t in [norm1In, norm2In] { t.reshape([n, c], compact: compact) }
        for t in [mean1, rstd1, mean2, rstd2] { t.reshape([n]) }
        qkv.reshape([n, a.qkvWidth], compact: compact)
        probs.reshape([ctx.batch, a.heads, ctx.tokens, ctx.keys], compact: compact)
        mlpA.reshape([n, f], compact: compact)
        if case .gated = block.mlp.kind { mlpB.reshape([n, f], compact: compact) } else { mlpB.reshape([0], compact: compact) }
    }
}

/// Scratch shared by all blocks (one of each, sized for the largest batch seen).
public final class BlockScratch {
    let h = Tensor(shape: [0]), sub = Tensor(shape: [0]), context = Tensor(shape: [0])
    let mlp = Tensor(shape: [0]), dqkv = Tensor(shape: [0]), dh = Tensor(shape: [0])
    let dx1 = Tensor(shape: [0]), qkv = Tensor(shape: [0])
    /// Pre-activation buffers for decoding; in training, the float32 side of bf16-stored
    /// ``BlockState`` activations (as `qkv` and `probs`).
    let mlpA = Tensor(shape: [0]), mlpB = Tensor(shape: [0])
    let probs = Tensor(shape: [0])

    public init() {}

    /// `compact`: training with bf16-stored activations (``BlockState``), which needs float32
    /// sides for the saved pre-activations and probabilities.
    func reshape(_ ctx: ForwardContext, _ block: DecoderBlock, decoding: Bool, compact: Bool = false) {
        let n = ctx.rows, c = block.width, a = block.attention, f = block.mlp.inner
        for t in [h, sub, dh, dx1] { t.reshape([n, c]) }
        context.reshape([n, a.heads * a.headDim])
        mlp.reshape([n, f])
        qkv.reshape([n, a.qkvWidth])
        if decoding || compact {
            mlpA.reshape([n, f]); mlpB.reshape([n, f])
        }
        if !decoding { dqkv.reshape([n, a.qkvWidth]) }
        if compact { probs.reshape([ctx.batch, a.heads, ctx.tokens, ctx.keys]) }
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

    /// True when every Linear of the block is stored bf16, so that inside ``BF16Compute`` its saved
    /// activations are exactly bf16 (``BlockState`` then stores them as bf16).
    public var savesBF16: Bool {
        func bf16(_ w: Weight) -> Bool { if case .bf16 = w.storage { return true } else { return false } }
        let projections: [Weight]
        switch attention.projection {
        case .fusedBlocks(let w, _), .fusedPerHead(let w, _): projections = [w]
        case .separate(let q, let k, let v, _, _, _): projections = [q, k, v]
        }
        let ffn: [Weight]
        switch mlp.kind {
        case .plain(let fc1, _, let fc2, _): ffn = [fc1, fc2]
        case .gated(let gate, let up, let down, _, _, _): ffn = [gate, up, down]
        }
        return (projections + [attention.out] + ffn).allSatisfy(bf16)
    }

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
            let (qkv, probs) = (s.qkv.target(w.qkv.data), s.probs.target(w.probs.data))
            attention.forward(input, sub, ctx: ctx, qkv: qkv, probs: probs, context: w.context.data, shared: shared)
            s.qkv.commit(qkv)
            s.probs.commit(probs)
        }
        func ffn(_ input: UnsafePointer<Float>) {
            let (a, b) = (s.mlpA.target(w.mlpA.data), s.mlpB.target(w.mlpB.data))
            mlp.forward(input, sub, rows: n, saveA: a, saveB: b, scratch: w.mlp.data)
            s.mlpA.commit(a)
            if case .gated = mlp.kind { s.mlpB.commit(b) }
        }
        let hidden = BF16Compute.isOn
        // A bf16 model's residual stream and norm outputs are bf16 tensors: round them where PyTorch does.
        func normed(_ norm: NormLayer, _ input: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                    _ mean: Tensor, _ rstd: Tensor) {
            norm.forward(input, out, rows: n, mean: mean.data, rstd: rstd.data)
            if hidden { BF16Compute.roundHidden(out, count: n * c) }
        }
        func add(_ r: Float) { residualAdd(r, sub, x, n * c, bf16: hidden) }
        // A float32 copy of a saved norm input (the store itself, or w.dx1 when stored bf16).
        func keep(_ saved: SavedActivation) -> UnsafeMutablePointer<Float> { saved.keep(x, scratch: w.dx1.data) }
        switch residual {
        case .sequential(let r):
            s.norm1In.save(x)
            normed(norm1, x, h, s.mean1, s.rstd1)
            attn(h)
            add(r)
            s.norm2In.save(x)
            normed(norm2, x, h, s.mean2, s.rstd2)
            ffn(h)
            add(r)
        case .parallel:
            let input = keep(s.norm1In)
            normed(norm1, x, h, s.mean1, s.rstd1)
            attn(h)
            add(1)                                      // x + attn(n1(x_in)) …
            normed(norm2, input, h, s.mean2, s.rstd2)
            ffn(h)
            add(1)                                      // … + mlp(n2(x_in))
        case .postNorm:
            attn(x)
            add(1)
            normed(norm1, keep(s.norm1In), x, s.mean1, s.rstd1)
            ffn(x)
            add(1)
            normed(norm2, keep(s.norm2In), x, s.mean2, s.rstd2)
        }
    }

    /// Training backward, in place: dx[N,C] holds d(out) on entry and d(block input) on return.
    ///
    /// `shared` and `seed` are passed to the attention (``AttentionLayer/backward``). With
    /// `inputGradient` false only what reaches `shared.dPrefix` is computed and `dx` is left
    /// undefined (the first block of the batch rows, whose inputs are frozen token embeddings).
    /// Activations stored bf16 are widened into the scratch (`w.h` for the norm inputs, `w.qkv`,
    /// `w.probs`, `w.mlpA`, `w.mlpB`) before use.
    func backward(_ dx: UnsafeMutablePointer<Float>, ctx: ForwardContext, s: BlockState, w: BlockScratch,
                  shared: SharedKeys? = nil, seed: UnsafePointer<Float>? = nil, inputGradient: Bool = true) {
        let n = ctx.rows, c = width
        let (dh, dx1) = (w.dh.data, w.dx1.data)
        func attnBack(_ dOut: UnsafePointer<Float>, into d: UnsafeMutablePointer<Float>, accumulate: Bool) {
            attention.backward(dOut, d, ctx: ctx, qkv: s.qkv.load(w.qkv.data), probs: s.probs.load(w.probs.data),
                               dContext: w.context.data, dqkv: w.dqkv.data, accumulate: accumulate, shared: shared,
                               seed: seed, inputGradient: inputGradient)
        }
        func ffnBack(_ dOut: UnsafePointer<Float>, into d: UnsafeMutablePointer<Float>, accumulate: Bool) {
            let gated: Bool
            if case .gated = mlp.kind { gated = true } else { gated = false }
            mlp.backward(dOut, d, rows: n, savedA: s.mlpA.load(w.mlpA.data),
                         savedB: gated ? s.mlpB.load(w.mlpB.data) : s.mlpB.target(w.mlpB.data), scratch: w.mlp.data,
                         accumulate: accumulate)
        }
        // The saved norm input as float32 (widened into w.h, which the backward does not use otherwise).
        func input(_ saved: SavedActivation) -> UnsafeMutablePointer<Float> { saved.load(w.h.data) }
        switch residual {
        case .sequential(let r):
            scaled(r, dx, dx1, n * c)                                  // d mlp out
            ffnBack(dx1, into: dh, accumulate: false)
            norm2.backward(dh, input(s.norm2In), mean: s.mean2.data, rstd: s.rstd2.data, dx, rows: n, accumulate: true)
            scaled(r, dx, dx1, n * c)                                  // d attn out
            attnBack(dx1, into: dh, accumulate: false)
            guard inputGradient else { return }
            norm1.backward(dh, input(s.norm1In), mean: s.mean1.data, rstd: s.rstd1.data, dx, rows: n, accumulate: true)
        case .parallel:
            attnBack(dx, into: dh, accumulate: false)
            guard inputGradient else { return }           // the MLP reads x, not the attention output
            let x = input(s.norm1In)
            norm1.backward(dh, x, mean: s.mean1.data, rstd: s.rstd1.data, dx1, rows: n, accumulate: false)
            ffnBack(dx, into: dh, accumulate: false)
            norm2.backward(dh, x, mean: s.mean2.data, rstd: s.rstd2.data, dx1, rows: n, accumulate: true)
            axpy(1, dx1, dx, n * c)
        case .postNorm:
            norm2.backward(dx, input(s.norm2In), mean: s.mean2.data, rstd: s.rstd2.data, dx1, rows: n, accumulate: false)
            ffnBack(dx1, into: dx1, accumulate: true)                  // d x1 = dz2 + mlpᵀ dz2
            norm1.backward(dx1, input(s.norm1In), mean: s.mean1.data, rstd: s.rstd1.data, dx, rows: n, accumulate: false)
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
        let ggml = attention.ggmlArithmetic, ggmlFFN = mlp.ggmlArithmetic  // llama.cpp's arithmetic
        func ffn(_ input: UnsafePointer<Float>) {
            if ggmlFFN {
                mlp.forwardGGML(input, sub, rows: n, saveA: w.mlpA.data, saveB: w.mlpB.data, scratch: w.mlp.data)
            } else {
                mlp.forward(input, sub, rows: n, saveA: w.mlpA.data, saveB: w.mlpB.data, scratch: w.mlp.data)
            }
        }
        let hidden = BF16Compute.isOn
        func normed(_ norm: NormLayer, _ input: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
            if ggml { norm.forwardGGML(input, out, rows: n) } else { norm.forward(input, out, rows: n, mean: nil, rstd: nil) }
            if hidden { BF16Compute.roundHidden(out, count: n * c) }
        }
        func add(_ r: Float) { residualAdd(r, sub, x, n * c, bf16: hidden) }
        switch residual {
        case .sequential(let r):
            normed(norm1, x, h); attn(h); add(r)
            normed(norm2, x, h); ffn(h); add(r)
        case .parallel:
            w.dx1.data.update(from: x, count: n * c)
            normed(norm1, x, h); attn(h); add(1)
            normed(norm2, w.dx1.data, h); ffn(h); add(1)
        case .postNorm:
            attn(x); add(1); normed(norm1, x, x)
            ffn(x); add(1); normed(norm2, x, x)
        }
    }
}

/// x += r·sub, the residual add. `bf16`: as PyTorch adds two bf16 tensors — r·sub rounded to bf16
/// first (when r ≠ 1), the float32 sum rounded to bf16.
@inline(__always) func residualAdd(_ r: Float, _ sub: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>,
                                   _ n: Int, bf16: Bool) {
    guard bf16 else { return axpy(r, sub, x, n) }
    if r != 1 {
        for i in 0..<n { sub[i] *= r }
        BF16Compute.roundHidden(sub, count: n)
    }
    axpy(1, sub, x, n)
    BF16Compute.roundHidden(x, count: n)
}

/// y += a·x
@inline(__always) func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    if a == 1 { for i in 0..<n { y[i] += x[i] } } else { for i in 0..<n { y[i] += a * x[i] } }
}

/// y = a·x
@inline(__always) func scaled(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    if a == 1 { y.update(from: x, count: n) } else { for i in 0..<n { y[i] = a * x[i] } }
}
