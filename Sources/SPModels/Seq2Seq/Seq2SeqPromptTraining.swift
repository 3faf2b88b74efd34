// The seq2seq prompt-tuning step for an ENCODER prompt, as PEFT's `PeftModelForSeq2SeqLM.forward`
// does PROMPT_TUNING: the P virtual tokens go in front of every encoder row (attention mask 1),
// the decoder reads `shift_right(labels)` untouched, and the loss is the model's own.

import SPTensor

/// Buffers for ``Seq2SeqModel/encoderPromptLossAndGradient(prompt:virtualTokens:inputIds:attentionMask:labels:batch:sourceTokens:targetTokens:dPrompt:scale:workspace:)``,
/// reused across steps.
public final class Seq2SeqPromptWorkspace {
    let model = Seq2SeqWorkspace()
    /// `[B, P + S, C]` encoder inputs, `[B, T, C]` decoder inputs, `[B, P + S, C]` their gradient.
    var encoder: [Float] = [], decoder: [Float] = [], dEncoder: [Float] = []
    var mask: [Int32] = []

    public init() {}
}

extension Seq2SeqModel {
    /// Loss of a batch with an ENCODER soft prompt and Σ over the batch of dLoss/d(prompt)·`scale`.
    ///
    /// - Parameters:
    ///   - prompt: `[P, C]` the soft prompt.
    ///   - inputIds, attentionMask: `[B, S]` encoder tokens (caikit pads them) and their mask.
    ///   - labels: `[B, T]` decoder targets, -100 where no loss is taken (caikit's layout: target pads
    ///     → -100); the decoder inputs are ``shiftRight(_:batch:)`` of them.
    ///   - dPrompt: `[P, C]` receives the summed gradient (overwritten), or nil for the loss only.
    /// - Returns: the mean loss over labeled positions (NaN when none) and their number.
    public func encoderPromptLossAndGradient(prompt: UnsafePointer<Float>, virtualTokens p: Int, inputIds: [Int32],
                                             attentionMask: [Int32], labels: [Int32], batch b: Int, sourceTokens s: Int,
                                             targetTokens t: Int, dPrompt: UnsafeMutablePointer<Float>?,
                                             scale: Float = 1,
                                             workspace ws: Seq2SeqPromptWorkspace) throws -> (loss: Float, count: Int) {
        guard p >= 1, b >= 1, inputIds.count == b * s, attentionMask.count == b * s, labels.count == b * t else {
            throw ModelError.invalidInput("seq2seq prompt batch: need P ≥ 1, B ≥ 1, \(b)·\(s) input ids and mask entries and \(b)·\(t) labels (got P \(p), \(inputIds.count), \(attentionMask.count), \(labels.count))")
        }
        let c = spec.hidden, sp = p + s
        let tokens = try embed(inputIds), decoderTokens = try embed(shiftRight(labels, batch: b))
        if ws.encoder.count != b * sp * c { ws.encoder = [Float](repeating: 0, count: b * sp * c) }
        if ws.dEncoder.count != b * sp * c { ws.dEncoder = [Float](repeating: 0, count: b * sp * c) }
        if ws.mask.count != b * sp { ws.mask = [Int32](repeating: 1, count: b * sp) }
        ws.decoder = decoderTokens
        for r in 0..<b {
            for i in 0..<(p * c) { ws.encoder[r * sp * c + i] = prompt[i] }
            for i in 0..<(s * c) { ws.encoder[(r * sp + p) * c + i] = tokens[r * s * c + i] }
            for j in 0..<p { ws.mask[r * sp + j] = 1 }
            for j in 0..<s { ws.mask[r * sp + p + j] = attentionMask[r * s + j] }
        }
        let result = try ws.encoder.withUnsafeBufferPointer { x in
            try ws.decoder.withUnsafeBufferPointer { y in
                try ws.dEncoder.withUnsafeMutableBufferPointer { dx in
                    try lossAndGradient(encoderEmbeds: x.baseAddress!, encoderMask: ws.mask, sourceTokens: sp,
                                        decoderEmbeds: y.baseAddress!, labels: labels, targetTokens: t, batch: b,
                                        dEncoderEmbeds: dPrompt == nil ? nil : dx.baseAddress!, dDecoderEmbeds: nil,
                                        scale: scale, workspace: ws.model)
                }
            }
        }
        guard let dPrompt else { return result }
        dPrompt.update(repeating: 0, count: p * c)
        for r in 0..<b { for i in 0..<(p * c) { dPrompt[i] += ws.dEncoder[r * sp * c + i] } }
        return result
    }
}
