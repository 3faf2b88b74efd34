// Buffers of encoder-decoder training, reused across steps: allocated for the largest shapes seen.

import SPTensor

/// One stack's activations for a training call.
final class StackBuffers {
    /// Per layer, per sub-layer saved state (one layer's worth, reused by every layer, when
    /// checkpointing).
    var states: [[SublayerState]] = []
    /// Checkpointing: each layer's input `[B·T, C]`, and the buffer its forward is replayed in.
    var inputs: [Tensor] = []
    let replay = Tensor(shape: [0])
    let checkpointing: Bool

    init(checkpointing: Bool) { self.checkpointing = checkpointing }

    /// The saved state of layer `l`.
    func state(_ l: Int) -> [SublayerState] { states[checkpointing ? 0 : l] }
    /// The residual stream (the last layer's output, input of the final norm, at the end).
    let x = Tensor(shape: [0]), dx = Tensor(shape: [0])
    /// Input of the embedding norm and its statistics.
    let stageIn = Tensor(shape: [0]), stageMean = Tensor(shape: [0]), stageRstd = Tensor(shape: [0])
    /// Output of the final norm and its statistics.
    let out = Tensor(shape: [0]), finalMean = Tensor(shape: [0]), finalRstd = Tensor(shape: [0])
    /// Key mask `[B, T]` as floats (encoder).
    let keyMask = Tensor(shape: [0])
    /// Relative position biases `[NH, T, T]`, one per table.
    var biases: [Tensor] = []

    func reshape(_ stack: Seq2SeqStack, call: StackCall, hidden c: Int) {
        let n = call.rows
        // Every layer of a stack has the same sub-layers, so one state serves them all when checkpointing.
        let kept = checkpointing ? min(1, stack.blocks.count) : stack.blocks.count
        while states.count < kept { states.append([]) }
        for (l, block) in stack.blocks.enumerated() where l < kept {
            while states[l].count < block.sublayers.count { states[l].append(SublayerState()) }
            block.reshape(states[l], call: call)
        }
        if checkpointing {
            while inputs.count < stack.blocks.count { inputs.append(Tensor(shape: [0])) }
            for t in inputs { t.reshape([n, c]) }
            replay.reshape([n, c])
        }
        for t in [x, dx, out] { t.reshape([n, c]) }
        for t in [finalMean, finalRstd] { t.reshape([n]) }
        if stack.embeddingNorm != nil {
            stageIn.reshape([n, c]); stageMean.reshape([n]); stageRstd.reshape([n])
        }
        let tables = stack.relativeBias?.tables ?? []
        while biases.count < tables.count { biases.append(Tensor(shape: [0])) }
        for (i, table) in tables.enumerated() { biases[i].reshape([table.inFeatures, call.tokens, call.tokens]) }
    }
}

/// Everything one encoder-decoder training forward/backward needs, reused across steps so that a
/// step allocates nothing once the largest batch shape has been seen.
public final class Seq2SeqWorkspace {
    /// Recompute each layer's activations in the backward instead of keeping them (gradient
    /// checkpointing): per layer only its `[B·T, C]` input is kept, and the step runs one more forward.
    /// The recomputed activations are the same bits, so the loss and gradients do not change.
    public let checkpointing: Bool
    let encoder: StackBuffers, decoder: StackBuffers
    let scratch = Seq2SeqScratch()
    /// d(encoder output) `[B·S, C]`, summed over the decoder's cross-attentions.
    let dEncoderOut = Tensor(shape: [0])
    /// d(head input) `[B·T, C]`.
    let dHead = Tensor(shape: [0])
    var head: HeadWorkspace?

    /// Buffers for a training step, with gradient checkpointing or not.
    public init(checkpointing: Bool = false) {
        self.checkpointing = checkpointing
        encoder = StackBuffers(checkpointing: checkpointing)
        decoder = StackBuffers(checkpointing: checkpointing)
    }
}

extension Seq2SeqWorkspace {
    /// Base addresses of every activation buffer (tests check that a second step of the same shape
    /// reuses them).
    public var bufferAddresses: [Int] {
        var all = [dEncoderOut, dHead, scratch.h, scratch.sub, scratch.dh, scratch.dz, scratch.context,
                   scratch.dContext, scratch.dq, scratch.dkv, scratch.mlp]
        for buf in [encoder, decoder] {
            all += [buf.x, buf.dx, buf.stageIn, buf.out, buf.keyMask, buf.replay] + buf.biases + buf.inputs
            for layer in buf.states { for s in layer { all += [s.normIn, s.q, s.kv, s.a, s.b] } }
        }
        let signs = [encoder, decoder].flatMap { $0.states.flatMap { $0.map { s in
            s.sign.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) } } } }
        return all.map { Int(bitPattern: $0.data) } + signs
    }
}

extension Seq2SeqPromptWorkspace {
    /// ``Seq2SeqWorkspace/bufferAddresses`` of the model step.
    public var bufferAddresses: [Int] { model.bufferAddresses }
}
