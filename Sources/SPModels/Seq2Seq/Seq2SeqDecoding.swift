// Incremental decoding of an encoder-decoder model: the encoder runs once (soft prompt included),
// each decoder layer keeps its self-attention keys/values in a cache and the cross-attention keys/
// values of the encoder output are projected once; then one decoder token per row per call.

import SPTensor

/// Decoder caches of a batch: self-attention `[B, capacity, 2·inner]` and cross-attention
/// `[B, S, 2·inner]` keys|values per decoder layer, the encoder key mask.
public final class Seq2SeqCache {
    /// Rows, and decoder tokens per row the cache can hold.
    public let batch: Int, capacity: Int
    /// Encoder tokens per row (S).
    public let sourceTokens: Int
    /// Decoder tokens already cached per row.
    public internal(set) var length = 0
    let selfKV: [Tensor], crossKV: [Tensor]
    let encoderMask: Tensor

    init(model: Seq2SeqModel, batch: Int, capacity: Int, sourceTokens: Int) {
        self.batch = batch
        self.capacity = capacity
        self.sourceTokens = sourceTokens
        let inner = model.seq2seqSpec.heads * model.seq2seqSpec.headDim
        selfKV = model.decoder.blocks.map { _ in Tensor(shape: [batch, capacity, 2 * inner]) }
        crossKV = model.decoder.blocks.map { _ in Tensor(shape: [batch, sourceTokens, 2 * inner]) }
        encoderMask = Tensor(shape: [batch, sourceTokens])
    }
}

/// Buffers for decoding calls.
public final class Seq2SeqDecodeWorkspace {
    let encoder = Seq2SeqWorkspace()
    let x = Tensor(shape: [0]), h = Tensor(shape: [0]), sub = Tensor(shape: [0]), q = Tensor(shape: [0])
    let context = Tensor(shape: [0]), mlpA = Tensor(shape: [0]), mlpB = Tensor(shape: [0]), mlp = Tensor(shape: [0])
    let out = Tensor(shape: [0]), rowsIn = Tensor(shape: [0])
    var biases: [Tensor] = []

    /// Empty buffers, sized on first use.
    public init() {}
}

extension Seq2SeqModel {
    /// Runs the encoder over `[B, S, C]` inputs (soft prompt rows included) and returns a cache
    /// holding every decoder layer's cross-attention keys/values, room for `capacity` decoder tokens.
    public func encode(embeds: UnsafePointer<Float>, mask: UnsafePointer<Int32>, batch b: Int, sourceTokens s: Int,
                       capacity: Int, workspace ws: Seq2SeqDecodeWorkspace) throws -> Seq2SeqCache {
        try validate(batch: b, source: s, target: max(1, min(capacity, seq2seqSpec.maxPositions ?? capacity)))
        let e = ws.encoder
        e.encoder.keyMask.reshape([b, s])
        for i in 0..<(b * s) { e.encoder.keyMask.data[i] = mask[i] != 0 ? 1 : 0 }
        let options = AttentionOptions(causal: encoder.causal, keyMask: UnsafePointer(e.encoder.keyMask.data), keyMaskStride: s)
        let call = stackCall(encoder, buf: e.encoder, batch: b, tokens: s, options: options)
        let out = run(encoder, embeds: embeds, call: call, buf: e.encoder, ws: e)
        let cache = Seq2SeqCache(model: self, batch: b, capacity: capacity, sourceTokens: s)
        cache.encoderMask.data.update(from: e.encoder.keyMask.data, count: b * s)
        for (l, block) in decoder.blocks.enumerated() {
            for sl in block.sublayers {
                if case .crossAttention(let a) = sl.layer { a.projectKeys(out, cache.crossKV[l].data, rows: b * s) }
            }
        }
        return cache
    }

    /// Runs `T` new decoder tokens per row (`[B, T, C]` embeddings, e.g. the start token's) after the
    /// cached ones and writes the logits of each row's last new token into `logits` `[B, V]`.
    public func decode(embeds: UnsafePointer<Float>, tokens t: Int, cache: Seq2SeqCache,
                       logits: UnsafeMutablePointer<Float>, workspace ws: Seq2SeqDecodeWorkspace) throws {
        let b = cache.batch, past = cache.length, keys = past + t, c = seq2seqSpec.hidden
        guard t > 0, keys <= cache.capacity else {
            throw ModelError.invalidInput("decoder cache full: \(past) cached + \(t) new > capacity \(cache.capacity)")
        }
        if let p = seq2seqSpec.maxPositions, keys > p {
            throw ModelError.invalidInput("decoder sequence of \(keys) tokens is longer than the model's \(p) learned positions (max_position_embeddings)")
        }
        let n = b * t, inner = seq2seqSpec.heads * seq2seqSpec.headDim
        for tensor in [ws.x, ws.h, ws.sub, ws.out] { tensor.reshape([n, c]) }
        ws.q.reshape([n, inner]); ws.context.reshape([n, inner])
        for tensor in [ws.mlpA, ws.mlpB, ws.mlp] { tensor.reshape([n, seq2seqSpec.ffn]) }
        let x = ws.x.data
        x.update(from: embeds, count: n * c)
        if let pos = decoder.learnedPositions {
            for r in 0..<n { pos.addRow(decoder.positionOffset + past + r % t, into: x + r * c) }
        }
        decoder.embeddingNorm?.forward(x, x, rows: n, mean: nil, rstd: nil)
        if let rb = decoder.relativeBias {
            while ws.biases.count < rb.tables.count { ws.biases.append(Tensor(shape: [0])) }
            for (i, table) in rb.tables.enumerated() {
                ws.biases[i].reshape([table.inFeatures, t, keys])
                RelativeBias.bias(out: ws.biases[i].data, table: table, queries: t, keys: keys, queryOffset: past,
                                  bidirectional: false, maxDistance: rb.maxDistance)
            }
        }
        let selfLayout = HeadLayout(batch: cache.capacity * 2 * inner, token: 2 * inner, head: seq2seqSpec.headDim)
        for (l, block) in decoder.blocks.enumerated() {
            for (norm, layer) in block.sublayers {
                let input: UnsafeMutablePointer<Float>
                if block.preNorm { norm.forward(x, ws.h.data, rows: n, mean: nil, rstd: nil); input = ws.h.data } else { input = x }
                switch layer {
                case .selfAttention(let a):
                    Linear.forward(input, a.q, bias: a.qb.map { UnsafePointer($0.data) }, ws.q.data, m: n)
                    for r in 0..<b {
                        let dst = cache.selfKV[l].data + (r * cache.capacity + past) * 2 * inner
                        a.projectKeys(input + r * t * c, dst, rows: t)
                    }
                    var o = AttentionOptions(causal: decoder.causal, queryOffset: past)
                    if let rb = decoder.relativeBias {
                        o.bias = RelativeBias.attentionBias(ws.biases[rb.table(layer: l)].data, queries: t, keys: keys)
                    }
                    a.attend(queries: ws.q.data, kv: cache.selfKV[l].data, kvLayout: selfLayout, batch: b, t: t, s: keys,
                             options: o, probs: nil, context: ws.context.data)
                    Linear.forward(ws.context.data, a.o, bias: a.ob.map { UnsafePointer($0.data) }, ws.sub.data, m: n)
                case .crossAttention(let a):
                    Linear.forward(input, a.q, bias: a.qb.map { UnsafePointer($0.data) }, ws.q.data, m: n)
                    let o = AttentionOptions(keyMask: UnsafePointer(cache.encoderMask.data), keyMaskStride: cache.sourceTokens)
                    a.attend(queries: ws.q.data, kv: cache.crossKV[l].data, kvLayout: a.keyLayout(cache.sourceTokens),
                             batch: b, t: t, s: cache.sourceTokens, options: o, probs: nil, context: ws.context.data)
                    Linear.forward(ws.context.data, a.o, bias: a.ob.map { UnsafePointer($0.data) }, ws.sub.data, m: n)
                case .feedForward(let m):
                    m.forward(input, ws.sub.data, rows: n, saveA: ws.mlpA.data, saveB: ws.mlpB.data, scratch: ws.mlp.data)
                }
                for j in 0..<(n * c) { x[j] += ws.sub.data[j] }
                if !block.preNorm { norm.forward(x, x, rows: n, mean: nil, rstd: nil) }
            }
        }
        var last = x
        if let fn = decoder.finalNorm { fn.forward(x, ws.out.data, rows: n, mean: nil, rstd: nil); last = ws.out.data }
        ws.rowsIn.reshape([b, c])
        for r in 0..<b { (ws.rowsIn.data + r * c).update(from: last + (r * t + t - 1) * c, count: c) }
        head.logits(ws.rowsIn.data, rows: b, logits)
        cache.length = keys
    }

    /// Greedy decoding of `maxNewTokens` tokens per row from the decoder start token (no stop
    /// condition: a caller that wants EOS handling checks the returned ids). Returns `[B][maxNewTokens]`.
    public func greedy(encoderEmbeds: UnsafePointer<Float>, encoderMask: UnsafePointer<Int32>, batch b: Int,
                       sourceTokens s: Int, maxNewTokens: Int,
                       workspace ws: Seq2SeqDecodeWorkspace = Seq2SeqDecodeWorkspace()) throws -> [[Int32]] {
        guard maxNewTokens > 0 else { return Array(repeating: [], count: b) }
        let cache = try encode(embeds: encoderEmbeds, mask: encoderMask, batch: b, sourceTokens: s,
                               capacity: maxNewTokens, workspace: ws)
        let v = head.vocab
        var logits = [Float](repeating: 0, count: b * v)
        var next = [Int32](repeating: seq2seqSpec.decoderStartTokenId, count: b)
        var out = [[Int32]](repeating: [], count: b)
        for _ in 0..<maxNewTokens {
            let x = try embed(next)
            try x.withUnsafeBufferPointer { e in
                try logits.withUnsafeMutableBufferPointer { l in
                    try decode(embeds: e.baseAddress!, tokens: 1, cache: cache, logits: l.baseAddress!, workspace: ws)
                }
            }
            for r in 0..<b {
                var best = 0
                for j in 1..<v where logits[r * v + j] > logits[r * v + best] { best = j }
                next[r] = Int32(best)
                out[r].append(Int32(best))
            }
        }
        return out
    }
}
