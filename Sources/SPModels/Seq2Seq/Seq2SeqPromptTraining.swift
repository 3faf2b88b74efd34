// The seq2seq prompt-tuning step, as PEFT's `PeftModelForSeq2SeqLM.forward` builds it. ENCODER
// (PROMPT_TUNING, `num_transformer_submodules` 1): the P virtual tokens go in front of every encoder
// row (attention mask 1), the decoder reads `shift_right(labels)` untouched. ENCODER+DECODER
// (2 submodules, PEFT's generic branch): prompt rows P..<2P also go in front of the decoder inputs
// `embed(shift_right(labels))`, and the labels get P × -100 in front. DECODER: only the latter.
// The loss is the model's own.

import SPTensor

/// Where a seq2seq soft prompt goes (caikit's `output_model_types`).
public enum Seq2SeqPromptPlacement: Sendable, Equatable {
    /// In front of the encoder input (PEFT PROMPT_TUNING; caikit's only seq2seq choice).
    case encoder
    /// In front of the decoder input, with -100 labels.
    case decoder
    /// Rows 0..<P before the encoder input, rows P..<2P before the decoder input
    /// (`num_transformer_submodules` 2).
    case encoderAndDecoder

    /// Prompt rows per virtual token count P: P, or 2P for ``encoderAndDecoder``.
    public func rows(virtualTokens p: Int) -> Int { self == .encoderAndDecoder ? 2 * p : p }
}

/// Buffers for ``Seq2SeqModel/promptLossAndGradient(prompt:virtualTokens:placement:inputIds:attentionMask:labels:batch:sourceTokens:targetTokens:dPrompt:scale:workspace:)``,
/// reused across steps.
public final class Seq2SeqPromptWorkspace {
    let model: Seq2SeqWorkspace
    /// `[B, P + S, C]` encoder inputs, `[B, T, C]` decoder inputs, `[B, P + S, C]` their gradient.
    var encoder: [Float] = [], decoder: [Float] = [], dEncoder: [Float] = [], dDecoder: [Float] = []
    var mask: [Int32] = [], labels: [Int32] = []

    /// Buffers for prompt steps; `checkpointing`: see ``Seq2SeqWorkspace/checkpointing``.
    public init(checkpointing: Bool = false) { model = Seq2SeqWorkspace(checkpointing: checkpointing) }
}

extension Seq2SeqModel {
    /// Loss of a batch with a soft prompt and Σ over the batch of dLoss/d(prompt)·`scale`.
    ///
    /// - Parameters:
    ///   - prompt: `[placement.rows(P), C]` the soft prompt (for ``Seq2SeqPromptPlacement/encoderAndDecoder``
    ///     rows 0..<P for the encoder, P..<2P for the decoder).
    ///   - placement: where the prompt goes.
    ///   - inputIds, attentionMask: `[B, S]` encoder tokens (caikit pads them) and their mask.
    ///   - labels: `[B, T]` decoder targets, -100 where no loss is taken (caikit's layout: target pads
    ///     → -100); the decoder inputs are ``shiftRight(_:batch:)`` of them.
    ///   - dPrompt: `[placement.rows(P), C]` receives the summed gradient (overwritten), or nil for the loss only.
    ///   - hits: `[B, pd + T]` (pd: P when the decoder gets prompt rows, else 0) receives 1 where the
    ///     label is ignored or is the argmax prediction, else 0 (as ``LMHead`` writes it), or nil.
    /// - Returns: the mean loss over labeled positions (NaN when none) and their number.
    public func promptLossAndGradient(prompt: UnsafePointer<Float>, virtualTokens p: Int,
                                      placement: Seq2SeqPromptPlacement = .encoder, inputIds: [Int32],
                                             attentionMask: [Int32], labels: [Int32], batch b: Int, sourceTokens s: Int,
                                             targetTokens t: Int, dPrompt: UnsafeMutablePointer<Float>?,
                                             scale: Float = 1,
                                             workspace ws: Seq2SeqPromptWorkspace,
                                             hits: UnsafeMutablePointer<Int32>? = nil) throws -> (loss: Float, count: Int) {
        guard p >= 1, b >= 1, inputIds.count == b * s, attentionMask.count == b * s, labels.count == b * t else {
            throw ModelError.invalidInput("seq2seq prompt batch: need P ≥ 1, B ≥ 1, \(b)·\(s) input ids and mask entries and \(b)·\(t) labels (got P \(p), \(inputIds.count), \(attentionMask.count), \(labels.count))")
        }
        let c = seq2seqSpec.hidden
        let pe = placement == .decoder ? 0 : p, pd = placement == .encoder ? 0 : p
        let sp = pe + s, tp = pd + t
        for (buffer, count) in [(\Seq2SeqPromptWorkspace.encoder, b * sp * c), (\.dEncoder, b * sp * c),
                                (\.decoder, b * tp * c), (\.dDecoder, b * tp * c)] where ws[keyPath: buffer].count != count {
            ws[keyPath: buffer] = [Float](repeating: 0, count: count)
        }
        if ws.mask.count != b * sp { ws.mask = [Int32](repeating: 1, count: b * sp) }
        if ws.labels.count != b * tp { ws.labels = [Int32](repeating: -100, count: b * tp) }
        let decoderIds = shiftRight(labels, batch: b)
        try ws.encoder.withUnsafeMutableBufferPointer { x in
            try ws.decoder.withUnsafeMutableBufferPointer { y in
                for r in 0..<b {
                    (x.baseAddress! + r * sp * c).update(from: prompt, count: pe * c)
                    try embed(inputIds[(r * s)..<((r + 1) * s)], into: x.baseAddress! + (r * sp + pe) * c)
                    (y.baseAddress! + r * tp * c).update(from: prompt + pe * c, count: pd * c)
                    try embed(decoderIds[(r * t)..<((r + 1) * t)], into: y.baseAddress! + (r * tp + pd) * c)
                }
            }
        }
        for r in 0..<b {
            for j in 0..<pd { ws.labels[r * tp + j] = -100 }
            for j in 0..<t { ws.labels[r * tp + pd + j] = labels[r * t + j] }
            for j in 0..<pe { ws.mask[r * sp + j] = 1 }
            for j in 0..<s { ws.mask[r * sp + pe + j] = attentionMask[r * s + j] }
        }
        let result = try ws.encoder.withUnsafeBufferPointer { x in
            try ws.decoder.withUnsafeBufferPointer { y in
                try ws.dEncoder.withUnsafeMutableBufferPointer { dx in
                    try ws.dDecoder.withUnsafeMutableBufferPointer { dy in
                        try lossAndGradient(encoderEmbeds: x.baseAddress!, encoderMask: ws.mask, sourceTokens: sp,
                                            decoderEmbeds: y.baseAddress!, labels: ws.labels, targetTokens: tp, batch: b,
                                            dEncoderEmbeds: dPrompt == nil || pe == 0 ? nil : dx.baseAddress!,
                                            dDecoderEmbeds: dPrompt == nil || pd == 0 ? nil : dy.baseAddress!,
                                            scale: scale, workspace: ws.model, hits: hits)
                    }
                }
            }
        }
        guard let dPrompt else { return result }
        dPrompt.update(repeating: 0, count: (pe + pd) * c)
        for r in 0..<b {
            for i in 0..<(pe * c) { dPrompt[i] += ws.dEncoder[r * sp * c + i] }
            for i in 0..<(pd * c) { dPrompt[pe * c + i] += ws.dDecoder[r * tp * c + i] }
        }
        return result
    }
}
