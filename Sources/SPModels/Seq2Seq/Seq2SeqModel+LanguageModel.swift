// The encoder-decoder engine behind the model seam: `Seq2SeqModel` conforms to `LanguageModel`
// (kind `.seq2seqLM`), with PEFT's seq2seq prompt-tuning step and a decoding session whose prefill
// runs the encoder once and whose later calls run one decoder token per row against the cache.

import SPTensor

extension Seq2SeqModel: LanguageModel {
    /// Always ``ModelKind/seq2seqLM``.
    public var kind: ModelKind { .seq2seqLM }

    /// The seam's shape (``seq2seqSpec`` has every field): `layers` and `heads` are the encoder's (PEFT's `num_layers` and
    /// `num_attention_heads` for T5 and BART), `maxPositions` the learned-position limit (0: none).
    public var spec: ModelSpec {
        let s = seq2seqSpec
        return ModelSpec(modelType: s.modelType, hidden: s.hidden, vocab: s.vocab, layers: s.encoderLayers, heads: s.heads,
                         headDim: s.headDim, intermediate: s.ffn, maxPositions: s.maxPositions ?? 0)
    }

    /// d_model: the soft prompt's `token_dim`.
    public var inputWidth: Int { seq2seqSpec.hidden }
    /// The LM head's vocabulary.
    public var vocabularySize: Int { head.vocab }
    /// nil: the encoder and the decoder bound their own lengths (BART's learned positions), and the
    /// engine refuses a longer sequence with a ``ModelError`` naming the limit.
    public var positionLimit: Int? { nil }
    /// nil: T5's relative positions extend to any length; BART's learned positions are checked by
    /// the engine per stack (see ``positionLimit``).
    public var contextLimit: Int? { nil }
    /// false: the decoding session moves each row's left padding to the end of its encoder input
    /// (T5 and BART see the row as if it were alone).
    public var paddingChangesResults: Bool { false }

    /// PEFT's ENCODER prompt step (``Seq2SeqPromptPlacement/encoder``); `checkpointing` recomputes
    /// each layer's activations in the backward (same results, less memory, one more forward).
    public func makePromptStep(checkpointing: Bool) -> any PromptStep {
        Seq2SeqPromptStep(model: self, placement: .encoder, checkpointing: checkpointing)
    }

    /// A decoding session for an ENCODER prompt (or none): see ``makeDecodingSession(batch:capacity:encoderPrompt:decoderPrompt:)``.
    public func makeDecodingSession(batch: Int, capacity: Int) -> any DecodingSession {
        Seq2SeqDecodingSession(model: self, batch: batch, capacity: capacity, encoderPromptRows: 0, decoderPrompt: [])
    }

    /// A decoding session whose prefill embeds hold `encoderPrompt` soft-prompt rows in front of each
    /// row (not rescaled, as PEFT passes them) and whose decoder input starts with `decoderPrompt`
    /// (`[Pd, C]` row-major, DECODER and ENCODER+DECODER prompts) before the decoder start token.
    public func makeDecodingSession(batch: Int, capacity: Int, encoderPrompt: Int,
                                    decoderPrompt: [Float]) -> any DecodingSession {
        Seq2SeqDecodingSession(model: self, batch: batch, capacity: capacity, encoderPromptRows: encoderPrompt,
                               decoderPrompt: decoderPrompt)
    }
}

/// One prompt-tuning micro-batch of a seq2seq model: the batch's `inputIds`/`attentionMask` are the
/// encoder rows `[B, length]`, its labels the decoder targets `[B, targetLength]`.
final class Seq2SeqPromptStep: PromptStep {
    let model: Seq2SeqModel
    let placement: Seq2SeqPromptPlacement
    let workspace: Seq2SeqPromptWorkspace
    var promptGrad: [Float] = [], hits: [Int32] = []

    init(model: Seq2SeqModel, placement: Seq2SeqPromptPlacement, checkpointing: Bool) {
        self.model = model
        self.placement = placement
        workspace = Seq2SeqPromptWorkspace(checkpointing: checkpointing)
    }

    func run(prompt: Tensor, input: PromptBatchInput, accumulate grad: UnsafeMutablePointer<Float>?,
             scale: Float) throws -> PromptStepResult {
        let b = input.batch, s = input.length, t = input.targetLength, rows = prompt.shape[0]
        let p = placement == .encoderAndDecoder ? rows / 2 : rows
        guard p >= 1, placement.rows(virtualTokens: p) == rows, prompt.shape[1] == model.inputWidth else {
            throw ModelError.invalidInput("seq2seq prompt of shape \(prompt.shape) does not fit \(placement) placement with width \(model.inputWidth)")
        }
        let pd = placement == .encoder ? 0 : p
        if hits.count < b * (pd + t) { hits = [Int32](repeating: 0, count: b * (pd + t)) }
        if grad != nil, promptGrad.count != rows * model.inputWidth {
            promptGrad = [Float](repeating: 0, count: rows * model.inputWidth)
        }
        let (loss, count) = try hits.withUnsafeMutableBufferPointer { h in
            try promptGrad.withUnsafeMutableBufferPointer { g in
                try model.promptLossAndGradient(
                    prompt: prompt.data, virtualTokens: p, placement: placement, inputIds: input.inputIds.map { Int32($0) },
                    attentionMask: input.attentionMask.map { Int32($0) }, labels: input.labels.map { Int32($0) }, batch: b,
                    sourceTokens: s, targetTokens: t, dPrompt: grad == nil ? nil : g.baseAddress!, scale: scale,
                    workspace: workspace, hits: h.baseAddress!)
            }
        }
        if let grad { for i in 0..<promptGrad.count { grad[i] += promptGrad[i] } }
        var exact = 0
        for r in 0..<b where (0..<(pd + t)).allSatisfy({ hits[r * (pd + t) + $0] != 0 }) { exact += 1 }
        return PromptStepResult(loss: loss, tokens: count, exactMatches: exact)
    }
}

extension LanguageModel {
    /// The prompt step for `placement` (nil: the model's default, ENCODER for seq2seq models).
    /// - Throws: ``ModelError/invalidInput(_:)`` for a placement on a decoder-only model.
    public func makePromptStep(checkpointing: Bool, placement: Seq2SeqPromptPlacement?) throws -> any PromptStep {
        guard let placement else { return makePromptStep(checkpointing: checkpointing) }
        guard let s = self as? Seq2SeqModel else {
            throw ModelError.invalidInput("\(spec.modelType) is a decoder-only model: its prompt goes in front of the decoder only, with no encoder/decoder placement")
        }
        return Seq2SeqPromptStep(model: s, placement: placement, checkpointing: checkpointing)
    }
}
