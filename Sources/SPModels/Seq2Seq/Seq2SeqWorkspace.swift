// Buffers of encoder-decoder training, reused across steps: allocated for the largest shapes seen.

import SPTensor

/// One stack's activations for a training call.
final class StackBuffers {
    /// Per layer, per sub-layer saved state.
    var states: [[SublayerState]] = []
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
        while states.count < stack.blocks.count { states.append([]) }
        for (l, block) in stack.blocks.enumerated() {
            while states[l].count < block.sublayers.count { states[l].append(SublayerState()) }
            block.reshape(states[l], call: call)
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
    let encoder = StackBuffers(), decoder = StackBuffers()
    let scratch = Seq2SeqScratch()
    /// d(encoder output) `[B·S, C]`, summed over the decoder's cross-attentions.
    let dEncoderOut = Tensor(shape: [0])
    /// d(head input) `[B·T, C]`.
    let dHead = Tensor(shape: [0])
    var head: HeadWorkspace?

    public init() {}
}

extension Seq2SeqWorkspace {
    /// Base addresses of every activation buffer (tests check that a second step of the same shape
    /// reuses them).
    public var bufferAddresses: [Int] {
        var all = [dEncoderOut, dHead, scratch.h, scratch.sub, scratch.dh, scratch.dz, scratch.context,
                   scratch.dContext, scratch.dq, scratch.dkv, scratch.mlp]
        for buf in [encoder, decoder] {
            all += [buf.x, buf.dx, buf.stageIn, buf.out, buf.keyMask] + buf.biases
            for layer in buf.states { for s in layer { all += [s.normIn, s.q, s.kv, s.probs, s.a, s.b] } }
        }
        return all.map { Int(bitPattern: $0.data) }
    }
}

extension Seq2SeqPromptWorkspace {
    /// ``Seq2SeqWorkspace/bufferAddresses`` of the model step.
    public var bufferAddresses: [Int] { model.bufferAddresses }
}
