// What prompt tuning of an encoder-decoder model adds to the causal path: caikit's seq2seq examples
// (source and target kept apart, target pads → -100) and where the prompt goes
// (`output_model_types` → ``Seq2SeqPromptPlacement``).

import SPModels
import SPPrompt
import SPTokenizers

extension ResolvedTuning {
    /// Where a seq2seq prompt goes: `[ENCODER]` → encoder, `[DECODER]` → decoder, both →
    /// encoder and decoder (`num_transformer_submodules` 2); nil for a causal LM.
    public var placement: Seq2SeqPromptPlacement? {
        guard modelKind == .seq2seqLM else { return nil }
        let e = outputModelTypes.contains(.encoder), d = outputModelTypes.contains(.decoder)
        return e && d ? .encoderAndDecoder : (d ? .decoder : .encoder)
    }

    /// Rows of the trained prompt table: `num_virtual_tokens` × `num_transformer_submodules`
    /// (PEFT's `total_virtual_tokens`; the encoder block first).
    public var promptRows: Int { numVirtualTokens * numTransformerSubmodules }
}

extension ExampleBuilder {
    /// caikit's seq2seq example (``seq2seq(source:target:tokenizer:maxSourceLength:maxTargetLength:paddingSide:)``)
    /// before padding: `inputIds`/`attentionMask` the truncated source, `labels` the truncated target
    /// with any pad-id token as -100. ``Batcher`` pads sources with the pad id and labels with -100,
    /// which gives caikit's arrays in `max_length` mode.
    /// - Throws: ``TuningError/missingParameter(field:hint:)`` when the tokenizer has no pad or EOS id.
    public static func seq2seqUnpadded(source: String, target: String, tokenizer: some TextTokenizer,
                                       maxSourceLength: Int, maxTargetLength: Int) throws -> TokenizedExample {
        guard let padId = tokenizer.effectivePadTokenId else {
            throw TuningError.missingParameter(field: "pad_token_id", hint: "the tokenizer defines neither PAD nor EOS")
        }
        let s = try tokenizer.encode(source, addSpecialTokens: true, truncatingTo: maxSourceLength)
        let t = try tokenizer.encode(target, addSpecialTokens: true, truncatingTo: maxTargetLength)
        return TokenizedExample(inputIds: s, attentionMask: Array(repeating: 1, count: s.count),
                                labels: t.map { $0 == padId ? ignoreIndex : $0 })
    }
}
