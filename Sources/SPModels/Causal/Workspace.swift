// Buffers reused across calls: allocated for the largest (batch, length) seen, never per step.

import SPTensor

/// Input- and output-stage buffers (embedding multiplier, embedding norm, final norm, project_out).
public final class StageBuffers {
    let scaled = Tensor(shape: [0]), preNorm = Tensor(shape: [0]), normed = Tensor(shape: [0])
    let mean = Tensor(shape: [0]), rstd = Tensor(shape: [0])
    let finalMean = Tensor(shape: [0]), finalRstd = Tensor(shape: [0]), headIn = Tensor(shape: [0])

    func reshape(rows n: Int, model m: DecoderModel) {
        let c = m.spec.hidden, e = m.inputWidth
        if m.input.projectIn != nil { scaled.reshape([n, e]) }
        if m.input.norm != nil { preNorm.reshape([n, c]); mean.reshape([n]); rstd.reshape([n]) }
        normed.reshape([n, c])
        finalMean.reshape([n]); finalRstd.reshape([n])
        if m.projectOut != nil { headIn.reshape([n, e]) }
    }
}

/// Everything one training forward/backward needs, reused across steps so that a step allocates
/// nothing once the largest batch shape has been seen.
public final class TrainingWorkspace {
    /// Recompute each block's activations in the backward instead of keeping them (gradient
    /// checkpointing): memory per layer drops to one `[N, C]` input copy, compute grows by one forward.
    public let checkpointing: Bool
    let ctx = ForwardContext()
    var states: [BlockState] = []
    var inputs: [Tensor] = []
    let scratch = BlockScratch()
    let io = StageBuffers()
    let x = Tensor(shape: [0]), dx = Tensor(shape: [0]), dHead = Tensor(shape: [0])
    let recompute = Tensor(shape: [0])
    var head: HeadWorkspace?
    var targets: [Int32] = []

    /// Whether block activations may be stored as bf16 inside ``BF16Compute`` (``BlockState``).
    /// False for a prompt-training prefix, whose saved q/k/v the batch's blocks read in float32.
    let bf16States: Bool

    public convenience init(checkpointing: Bool = false) { self.init(checkpointing: checkpointing, bf16States: true) }

    init(checkpointing: Bool, bf16States: Bool) {
        self.checkpointing = checkpointing
        self.bf16States = bf16States
    }

    /// Sizes every buffer for `ctx`; `head: false` leaves out the LM head's scratch (a caller that
    /// runs the head itself).
    func reshape(for m: DecoderModel, head needsHead: Bool = true) {
        let n = ctx.rows, c = m.spec.hidden
        let needed = checkpointing ? 1 : m.blocks.count
        while states.count < needed { states.append(BlockState()) }
        let compact = bf16States && BF16Compute.isOn
        for (i, b) in m.blocks.enumerated() where i < needed { states[i].reshape(ctx, b, compact: compact) }
        if checkpointing {
            while inputs.count < m.blocks.count { inputs.append(Tensor(shape: [0])) }
            for t in inputs { t.reshape([n, c]) }
            recompute.reshape([n, c])
        }
        if let b = m.blocks.first { scratch.reshape(ctx, b, decoding: false, compact: compact && b.savesBF16) }
        io.reshape(rows: n, model: m)
        x.reshape([n, c]); dx.reshape([n, c])
        dHead.reshape([n, m.projectOut == nil ? c : m.inputWidth])
        if needsHead { head = HeadWorkspace.sized(head, for: m.head, rows: n) }
        if targets.count < n { targets = [Int32](repeating: -100, count: n) }
    }
}

/// A KV cache for incremental decoding of `batch` rows up to `capacity` tokens.
public final class KVCache {
    public let batch: Int
    public let capacity: Int
    /// Rows a decoding call runs: the first `rows` of `batch` (all of them unless a ``RowBatch``
    /// uses fewer).
    public internal(set) var rows: Int
    /// Tokens already cached per row (same for all rows; padding is masked, not skipped).
    public internal(set) var length = 0
    let layers: [LayerCache]
    /// Attention mask of every cached position, `[B, capacity]`.
    var mask: [Int32]

    public init(model: DecoderModel, batch: Int, capacity: Int) {
        self.batch = batch
        self.capacity = capacity
        rows = batch
        layers = model.blocks.map {
            LayerCache(batch: batch, capacity: capacity, kvHeads: $0.attention.kvHeads, headDim: $0.attention.headDim)
        }
        mask = [Int32](repeating: 0, count: batch * capacity)
    }

    /// Forgets every cached token (the buffers are kept).
    public func reset() { length = 0 }
}

/// Buffers for decoding calls.
public final class InferenceWorkspace {
    let ctx = ForwardContext()
    let scratch = BlockScratch()
    let io = StageBuffers()
    let x = Tensor(shape: [0])
    let rowsIn = Tensor(shape: [0])
    var fullMask: [Int32] = []

    public init() {}
}

extension TrainingWorkspace {
    /// Base addresses of every activation buffer (tests check they survive a second step).
    public var bufferAddresses: [Int] {
        var all = [x, dx, dHead, recompute, io.normed, io.headIn] + inputs
        for s in states { all += [s.norm1In, s.norm2In, s.qkv, s.probs, s.mlpA, s.mlpB].map(\.f32) }
        all += [scratch.h, scratch.sub, scratch.context, scratch.mlp, scratch.dqkv, scratch.dh, scratch.dx1,
                scratch.qkv, scratch.probs, scratch.mlpA, scratch.mlpB]
        var addresses = all.map { Int(bitPattern: $0.data) }
        for s in states {
            addresses += [s.norm1In, s.norm2In, s.qkv, s.probs, s.mlpA, s.mlpB].map { Int(bitPattern: $0.bf16) }
        }
        return addresses
    }
}
