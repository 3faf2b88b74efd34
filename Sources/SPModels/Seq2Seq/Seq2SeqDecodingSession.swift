// The seq2seq model's `DecodingSession`: the first call (the prefill) gets each row's encoder input as
// `TokenGenerator` lays it out for any model (soft prompt, left padding, token embeddings), runs the
// encoder once and the decoder over [decoder prompt; start token]; every later call runs one
// decoder token per row against the cached self- and cross-attention keys/values.

import SPTensor

/// Decoding for ``Seq2SeqModel``. Token rows arrive as raw embedding-table rows and are multiplied
/// by ``Seq2SeqModel/embedScale`` here (BART); soft-prompt rows are used as they are (PEFT).
/// Left padding is moved to the end of each encoder row, so a row's result does not depend on the
/// batch (T5's relative positions and BART's learned ones would see the padding otherwise).
final class Seq2SeqDecodingSession: DecodingSession {
    let model: Seq2SeqModel
    let batch: Int, capacity: Int
    let encoderPromptRows: Int
    /// `[Pd, C]` rows in front of the decoder start token.
    let decoderPrompt: [Float]
    let workspace = Seq2SeqDecodeWorkspace()
    var cache: Seq2SeqCache?

    init(model: Seq2SeqModel, batch: Int, capacity: Int, encoderPromptRows: Int, decoderPrompt: [Float]) {
        self.model = model
        self.batch = batch
        self.capacity = capacity
        self.encoderPromptRows = encoderPromptRows
        self.decoderPrompt = decoderPrompt
    }

    func decode(embeds: UnsafePointer<Float>, mask: UnsafePointer<Int32>, tokens: Int,
                logits: UnsafeMutablePointer<Float>, positions: [Int],
                onLogits: (Int, UnsafePointer<Float>) -> Void) throws {
        guard positions.isEmpty else {
            throw ModelError.invalidInput("input-token scores are not available for encoder-decoder models (the encoder predicts no tokens); drop input_tokens with token_logprobs/token_ranks")
        }
        let c = model.inputWidth, b = batch
        guard let cache else {
            try prefill(embeds: embeds, mask: mask, tokens: tokens, logits: logits)
            return
        }
        guard tokens == 1 else {
            throw ModelError.invalidInput("seq2seq decoding takes one new token per row after the prefill (got \(tokens))")
        }
        var x = [Float](repeating: 0, count: b * c)
        for i in 0..<(b * c) { x[i] = embeds[i] * model.embedScale }
        try x.withUnsafeBufferPointer { e in
            try model.decode(embeds: e.baseAddress!, tokens: 1, cache: cache, logits: logits, workspace: workspace)
        }
    }

    /// Encoder over each row's compacted `[prompt; tokens; padding]`, then the decoder prefill.
    private func prefill(embeds: UnsafePointer<Float>, mask: UnsafePointer<Int32>, tokens s: Int,
                         logits: UnsafeMutablePointer<Float>) throws {
        let c = model.inputWidth, b = batch, p = encoderPromptRows
        var x = [Float](repeating: 0, count: b * s * c)
        var m = [Int32](repeating: 0, count: b * s)
        for r in 0..<b {
            var k = 0
            for j in 0..<s where mask[r * s + j] != 0 {
                let scale: Float = j < p ? 1 : model.embedScale
                let src = embeds + (r * s + j) * c, dst = (r * s + k) * c
                for i in 0..<c { x[dst + i] = src[i] * scale }
                m[r * s + k] = 1
                k += 1
            }
        }
        let pd = decoderPrompt.count / c
        let cache = try x.withUnsafeBufferPointer { xp in
            try m.withUnsafeBufferPointer { mp in
                try model.encode(embeds: xp.baseAddress!, mask: mp.baseAddress!, batch: b, sourceTokens: s,
                                 capacity: capacity + pd, workspace: workspace)
            }
        }
        self.cache = cache
        var y = [Float](repeating: 0, count: b * (pd + 1) * c)
        let start = try model.embed([model.seq2seqSpec.decoderStartTokenId])
        for r in 0..<b {
            y.replaceSubrange((r * (pd + 1) * c)..<((r * (pd + 1) + pd) * c), with: decoderPrompt)
            y.replaceSubrange(((r * (pd + 1) + pd) * c)..<((r + 1) * (pd + 1) * c), with: start)
        }
        try y.withUnsafeBufferPointer { e in
            try model.decode(embeds: e.baseAddress!, tokens: pd + 1, cache: cache, logits: logits, workspace: workspace)
        }
    }
}
