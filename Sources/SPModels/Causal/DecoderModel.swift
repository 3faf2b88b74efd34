// A decoder-only causal LM assembled from layers by an architecture file: training forward/backward
// from inputs_embeds to d(inputs_embeds), logits, and KV-cache decoding.

import SPTensor

/// What happens to `inputs_embeds` before the first block.
public struct InputStage: @unchecked Sendable {
    /// Granite's `embedding_multiplier`.
    public var multiplier: Float = 1
    /// OPT's `project_in` `[C, E]` (when `word_embed_proj_dim` ≠ hidden size).
    public var projectIn: Weight?
    /// Learned absolute positions `[P, C]` (GPT-2 `wpe`, OPT `embed_positions`), looked up at
    /// position id + ``positionOffset``.
    public var learnedPositions: Weight?
    public var positionOffset: Int32 = 0
    /// BLOOM's `word_embeddings_layernorm`.
    public var norm: NormLayer?

    public init() {}
}

/// A frozen decoder-only language model.
public final class DecoderModel: @unchecked Sendable {
    public let spec: ModelSpec
    /// Token embedding table `[V, E]` (PEFT's `word_embeddings`).
    public let tokenEmbedding: Weight
    public let input: InputStage
    public let blocks: [DecoderBlock]
    public let finalNorm: NormLayer?
    /// OPT's `project_out` `[E, C]`.
    public let projectOut: Weight?
    public let head: LMHead
    /// Position ids of the model's own forward when none are given (transformers `cache_position`
    /// for most models; OPT derives them from the mask).
    public let positionRule: PositionRule
    /// Rotary inverse frequencies (nil: no rotary); `dynamicRope` recomputes them per call.
    public let rotary: RotarySpec?

    public init(spec: ModelSpec, tokenEmbedding: Weight, input: InputStage, blocks: [DecoderBlock],
                finalNorm: NormLayer?, projectOut: Weight?, head: LMHead, positionRule: PositionRule,
                rotary: RotarySpec?) {
        self.spec = spec
        self.tokenEmbedding = tokenEmbedding
        self.input = input
        self.blocks = blocks
        self.finalNorm = finalNorm
        self.projectOut = projectOut
        self.head = head
        self.positionRule = positionRule
        self.rotary = rotary
    }

    /// Width of the inputs (`E`, the token-embedding width).
    public var inputWidth: Int { tokenEmbedding.inFeatures }
    var usesALiBi: Bool {
        if case .alibi = blocks.first?.attention.positions { return true }
        return false
    }

    /// Sets sizes, positions, rotary tables and ALiBi biases for a call.
    /// `rotaryLength`: a sequence length the rotary tables must at least be made for (dynamic NTK
    /// scaling depends on it), when this call is part of a longer sequence.
    func prepare(_ ctx: ForwardContext, batch: Int, tokens: Int, past: Int, mask: UnsafePointer<Int32>,
                 rule: PositionRule, rotaryLength: Int = 0, ggml: Bool = false) {
        ctx.prepare(batch: batch, tokens: tokens, past: past, mask: mask)
        ctx.makePositions(rule, mask: mask)
        if let rotary, ggml, rotary.scaling.kind == .default {
            ctx.makeGGMLRotary(dims: rotary.rotaryDim, base: Float(rotary.base))  // llama.cpp's tables
        } else if let rotary {
            let maxPos = max(rotaryLength, Int(ctx.positions.max() ?? 0) + 1)
            ctx.makeRotary(inverseFrequencies: rotary.inverseFrequencies(seqLen: maxPos))
        }
        if usesALiBi { ALiBiBias.fill(ctx, heads: spec.heads, mask: mask) }
    }

    /// x[N,C] = input stage(embeds[N,E]); statistics for the backward go into `io`.
    func embed(_ e: UnsafePointer<Float>, _ x: UnsafeMutablePointer<Float>, ctx: ForwardContext, io: StageBuffers) {
        let n = ctx.rows, ew = inputWidth, c = spec.hidden
        if let p = input.projectIn {
            var src = e
            if input.multiplier != 1 {
                for i in 0..<(n * ew) { io.scaled.data[i] = e[i] * input.multiplier }
                src = UnsafePointer(io.scaled.data)
            }
            Linear.forward(src, p, bias: nil, x, m: n)
        } else if input.multiplier != 1 {
            for i in 0..<(n * c) { x[i] = e[i] * input.multiplier }
        } else {
            x.update(from: e, count: n * c)
        }
        if let wpe = input.learnedPositions {
            for r in 0..<n {
                let pos = Int(ctx.positions[r] + input.positionOffset)
                wpe.addRow(min(max(pos, 0), wpe.outFeatures - 1), into: x + r * c)
            }
        }
        // bf16 compute: the embedding sum is a bf16 tensor in PyTorch (the prompt cast by PEFT, plus
        // the position rows), and so is the input norm's output.
        BF16Compute.roundHidden(x, count: n * c)
        if let norm = input.norm {
            io.preNorm.data.update(from: x, count: n * c)
            norm.forward(io.preNorm.data, x, rows: n, mean: io.mean.data, rstd: io.rstd.data)
            BF16Compute.roundHidden(x, count: n * c)
        }
    }

    /// dE[N,E] = input stageᵀ(dx[N,C]); `dx` is clobbered.
    func embedBackward(_ dx: UnsafeMutablePointer<Float>, _ dE: UnsafeMutablePointer<Float>, ctx: ForwardContext,
                       io: StageBuffers) {
        let n = ctx.rows, c = spec.hidden
        if let norm = input.norm {
            norm.backward(dx, io.preNorm.data, mean: io.mean.data, rstd: io.rstd.data, io.normed.data, rows: n,
                          accumulate: false)
            dx.update(from: io.normed.data, count: n * c)
        }
        if let p = input.projectIn { Linear.backwardInput(dx, p, dE, m: n) } else { dE.update(from: dx, count: n * c) }
        if input.multiplier != 1 { for i in 0..<(n * inputWidth) { dE[i] *= input.multiplier } }
    }

    /// The head's input [N,E'] from the last hidden state x[N,C] (final norm, OPT project_out).
    ///
    /// `ggml`: the final RMSNorm as llama.cpp computes it (inference with ``Weight/q8Activations``).
    func finish(_ x: UnsafeMutablePointer<Float>, ctx: ForwardContext, io: StageBuffers,
                ggml: Bool = false) -> UnsafeMutablePointer<Float> {
        let n = ctx.rows
        var cur = x
        if let fn = finalNorm {
            if ggml {
                fn.forwardGGML(x, io.normed.data, rows: n)
            } else {
                fn.forward(x, io.normed.data, rows: n, mean: io.finalMean.data, rstd: io.finalRstd.data)
            }
            BF16Compute.roundHidden(io.normed.data, count: n * spec.hidden)
            cur = io.normed.data
        }
        if let po = projectOut {
            Linear.forward(cur, po, bias: nil, io.headIn.data, m: n)
            cur = io.headIn.data
        }
        return cur
    }

    /// dx[N,C] = finishᵀ(dHead); `dHead` is clobbered. `x` is the last hidden state (norm input).
    func finishBackward(_ dHead: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                        ctx: ForwardContext, io: StageBuffers) {
        let n = ctx.rows, c = spec.hidden
        var cur = UnsafePointer(dHead)
        if let po = projectOut {
            Linear.backwardInput(dHead, po, io.normed.data, m: n)
            cur = UnsafePointer(io.normed.data)
        }
        if let fn = finalNorm {
            fn.backward(cur, x, mean: io.finalMean.data, rstd: io.finalRstd.data, dx, rows: n, accumulate: false)
        } else {
            dx.update(from: cur, count: n * c)
        }
    }
}

/// Rotary embedding settings of a model.
public struct RotarySpec: Sendable {
    public var rotaryDim: Int
    public var base: Double
    public var scaling: RopeScaling
    public var maxPositions: Int
    private var fixed: [Float]

    public init(rotaryDim: Int, base: Double, scaling: RopeScaling, maxPositions: Int) {
        self.rotaryDim = rotaryDim
        self.base = base
        self.scaling = scaling
        self.maxPositions = maxPositions
        fixed = Rotary.inverseFrequencies(rotaryDim: rotaryDim, base: base, scaling: scaling,
                                          maxPositionEmbeddings: maxPositions)
    }

    /// inv_freq for a forward whose largest position is `seqLen − 1` (only `dynamic` depends on it).
    public func inverseFrequencies(seqLen: Int) -> [Float] {
        guard scaling.kind == .dynamic, seqLen > maxPositions else { return fixed }
        return Rotary.inverseFrequencies(rotaryDim: rotaryDim, base: base, scaling: scaling,
                                         maxPositionEmbeddings: maxPositions, seqLen: seqLen)
    }
}
