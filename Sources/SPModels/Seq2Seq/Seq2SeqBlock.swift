// One encoder or decoder layer of an encoder-decoder model: self-attention, cross-attention (decoder
// only) and the feed-forward network, each wrapped pre-norm (T5: x + f(norm(x))) or post-norm
// (BART: norm(x + f(x))); training forward/backward to the layer input and to the encoder output.

import SPTensor

/// A frozen encoder or decoder layer.
public struct Seq2SeqBlock: @unchecked Sendable {
    /// One residual sub-layer.
    public enum Sublayer: @unchecked Sendable {
        /// Attention over the layer's own input (causal in the decoder).
        case selfAttention(Seq2SeqAttention)
        /// Decoder attention over the encoder output (encoder padding masked).
        case crossAttention(Seq2SeqAttention)
        /// The feed-forward network.
        case feedForward(MLPLayer)
    }
    /// Sub-layers in order, each with the norm that wraps it.
    public let sublayers: [(norm: NormLayer, layer: Sublayer)]
    /// true: x + f(norm(x)) (T5, mBART); false: norm(x + f(x)) (BART).
    public let preNorm: Bool

    /// A layer from its sub-layers and their wiring.
    public init(sublayers: [(norm: NormLayer, layer: Sublayer)], preNorm: Bool) {
        self.sublayers = sublayers
        self.preNorm = preNorm
    }

    var width: Int { sublayers[0].norm.width }
}

/// What one call of a stack (encoder or decoder) shares across its layers.
struct StackCall {
    let batch: Int, tokens: Int
    /// Self-attention options (mask, causality); the bias pointer is set per layer.
    var selfOptions: AttentionOptions
    /// Per-layer relative position bias `[NH, T, T]` (nil: none).
    var selfBias: (Int) -> UnsafePointer<Float>?
    /// Cross-attention: encoder output `[B·S, C]`, S, options (encoder key mask).
    var encoder: UnsafePointer<Float>? = nil
    var encoderTokens = 0
    var crossOptions = AttentionOptions()
    /// Accumulates d(encoder output) in the backward.
    var dEncoder: UnsafeMutablePointer<Float>? = nil

    var rows: Int { batch * tokens }

    func selfOptions(layer l: Int) -> AttentionOptions {
        var o = selfOptions
        if let p = selfBias(l) { o.bias = RelativeBias.attentionBias(p, queries: tokens, keys: tokens) }
        return o
    }
}

/// Activations one sub-layer saves for the backward.
final class SublayerState {
    /// Norm input (pre-norm: the sub-layer input x; post-norm: x + f(x)) and its statistics.
    let normIn = Tensor(shape: [0]), mean = Tensor(shape: [0]), rstd = Tensor(shape: [0])
    /// Attention: q and [k | v] (the probabilities are not kept: the backward recomputes them block by
    /// block from q and k, bit for bit as the forward computed them). Feed-forward: pre-activations in a, b.
    let q = Tensor(shape: [0]), kv = Tensor(shape: [0])
    let a = Tensor(shape: [0]), b = Tensor(shape: [0])
    /// ReLU feed-forward (``MLPLayer/backwardNeedsOnlySign``): the pre-activation's sign, one byte
    /// per element, instead of `a`.
    var sign: [UInt8] = []
}

/// Scratch shared by every layer of both stacks (sized for the largest call).
final class Seq2SeqScratch {
    let h = Tensor(shape: [0]), sub = Tensor(shape: [0]), dh = Tensor(shape: [0]), dz = Tensor(shape: [0])
    let context = Tensor(shape: [0]), dContext = Tensor(shape: [0]), dq = Tensor(shape: [0])
    let dkv = Tensor(shape: [0]), mlp = Tensor(shape: [0])

    func reshape(rows n: Int, keyRows nk: Int, width c: Int, inner: Int, ffn f: Int) {
        for t in [h, sub, dh, dz] { t.reshape([n, c]) }
        for t in [context, dContext, dq] { t.reshape([n, inner]) }
        dkv.reshape([nk, 2 * inner])
        mlp.reshape([n, f])
    }
}

extension Seq2SeqBlock {
    /// Sizes the saved state of every sub-layer for a call of `n` rows (`nk` encoder rows).
    func reshape(_ states: [SublayerState], call: StackCall) {
        let n = call.rows, c = width
        for (i, s) in zip(sublayers.indices, states) {
            s.normIn.reshape([n, c]); s.mean.reshape([n]); s.rstd.reshape([n])
            switch sublayers[i].layer {
            case .selfAttention(let a):
                s.q.reshape([n, a.inner]); s.kv.reshape([n, 2 * a.inner])
            case .crossAttention(let a):
                s.q.reshape([n, a.inner]); s.kv.reshape([call.batch * call.encoderTokens, 2 * a.inner])
            case .feedForward(let m) where m.backwardNeedsOnlySign:
                if s.sign.count < n * m.inner { s.sign = [UInt8](repeating: 0, count: n * m.inner) }
            case .feedForward(let m):
                s.a.reshape([n, m.inner])
                if case .gated = m.kind { s.b.reshape([n, m.inner]) }
            }
        }
    }

    /// out = f(input) for sub-layer `i`, saving into `s`.
    private func run(_ i: Int, _ input: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, layer l: Int,
                     call: StackCall, s: SublayerState, w: Seq2SeqScratch) {
        let (b, t) = (call.batch, call.tokens)
        switch sublayers[i].layer {
        case .selfAttention(let a):
            a.forward(input, keysFrom: input, out, batch: b, queries: t, keys: t, options: call.selfOptions(layer: l),
                      q: s.q.data, kv: s.kv.data, probs: nil, context: w.context.data)
        case .crossAttention(let a):
            a.forward(input, keysFrom: call.encoder!, out, batch: b, queries: t, keys: call.encoderTokens,
                      options: call.crossOptions, q: s.q.data, kv: s.kv.data, probs: nil,
                      context: w.context.data)
        case .feedForward(let m) where m.backwardNeedsOnlySign:
            s.sign.withUnsafeMutableBufferPointer {
                m.forward(input, out, rows: b * t, saveSign: $0.baseAddress!, scratch: w.mlp.data)
            }
        case .feedForward(let m):
            m.forward(input, out, rows: b * t, saveA: s.a.data, saveB: s.b.data, scratch: w.mlp.data)
        }
    }

    /// d(input) = f'ᵀ(dOut) into `dIn` (overwritten); cross-attention also adds into `call.dEncoder`.
    private func runBackward(_ i: Int, _ dOut: UnsafePointer<Float>, _ dIn: UnsafeMutablePointer<Float>, layer l: Int,
                             call: StackCall, s: SublayerState, w: Seq2SeqScratch) {
        let (b, t) = (call.batch, call.tokens)
        switch sublayers[i].layer {
        case .selfAttention(let a):
            a.backward(dOut, dIn, accumulate: false, dhk: nil, batch: b, queries: t, keys: t,
                       options: call.selfOptions(layer: l), q: s.q.data, kv: s.kv.data, probs: nil,
                       dContext: w.dContext.data, dq: w.dq.data, dkv: w.dkv.data)
        case .crossAttention(let a):
            a.backward(dOut, dIn, accumulate: false, dhk: call.dEncoder!, batch: b, queries: t,
                       keys: call.encoderTokens, options: call.crossOptions, q: s.q.data, kv: s.kv.data,
                       probs: nil, dContext: w.dContext.data, dq: w.dq.data, dkv: w.dkv.data)
        case .feedForward(let m) where m.backwardNeedsOnlySign:
            s.sign.withUnsafeBufferPointer {
                m.backward(dOut, dIn, rows: b * t, savedSign: $0.baseAddress!, scratch: w.mlp.data, accumulate: false)
            }
        case .feedForward(let m):
            m.backward(dOut, dIn, rows: b * t, savedA: s.a.data, savedB: s.b.data, scratch: w.mlp.data,
                       accumulate: false)
        }
    }

    /// Training forward, in place on x[B·T, C].
    func forward(_ x: UnsafeMutablePointer<Float>, layer l: Int, call: StackCall, states: [SublayerState],
                 w: Seq2SeqScratch) {
        let n = call.rows, c = width
        let (h, sub) = (w.h.data, w.sub.data)
        // bf16 compute (BART): the residual sums and norm outputs are bf16 tensors in PyTorch.
        let hidden = BF16Compute.isOn
        for i in sublayers.indices {
            let (norm, s) = (sublayers[i].norm, states[i])
            if preNorm {
                s.normIn.data.update(from: x, count: n * c)
                norm.forward(x, h, rows: n, mean: s.mean.data, rstd: s.rstd.data)
                if hidden { BF16Compute.roundHidden(h, count: n * c) }
                run(i, h, sub, layer: l, call: call, s: s, w: w)
                residualAdd(1, sub, x, n * c, bf16: hidden)
            } else {
                run(i, x, sub, layer: l, call: call, s: s, w: w)
                for j in 0..<(n * c) { s.normIn.data[j] = x[j] + sub[j] }
                if hidden { BF16Compute.roundHidden(s.normIn.data, count: n * c) }
                norm.forward(s.normIn.data, x, rows: n, mean: s.mean.data, rstd: s.rstd.data)
                if hidden { BF16Compute.roundHidden(x, count: n * c) }
            }
        }
    }

    /// Training backward, in place: dx holds d(layer output) on entry and d(layer input) on return.
    func backward(_ dx: UnsafeMutablePointer<Float>, layer l: Int, call: StackCall, states: [SublayerState],
                  w: Seq2SeqScratch) {
        let n = call.rows, c = width
        let (dh, dz) = (w.dh.data, w.dz.data)
        for i in sublayers.indices.reversed() {
            let (norm, s) = (sublayers[i].norm, states[i])
            if preNorm {
                runBackward(i, dx, dh, layer: l, call: call, s: s, w: w)
                norm.backward(dh, s.normIn.data, mean: s.mean.data, rstd: s.rstd.data, dx, rows: n, accumulate: true)
            } else {
                norm.backward(dx, s.normIn.data, mean: s.mean.data, rstd: s.rstd.data, dz, rows: n, accumulate: false)
                runBackward(i, dz, dh, layer: l, call: call, s: s, w: w)
                for j in 0..<(n * c) { dx[j] = dz[j] + dh[j] }
            }
        }
    }
}
