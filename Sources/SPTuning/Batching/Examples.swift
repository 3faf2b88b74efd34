// Tokenized training examples laid out exactly as caikit-nlp builds them (spec §1.9):
// causal LMs as `HFAutoCausalLM._causal_lm_padding_as_seq2seq`, seq2seq as
// `HFAutoSeq2SeqLM.tokenize_function`.

import SPPrompt
import SPTokenizers

/// One tokenized example: ids, attention mask and labels of equal length (`-100` = no loss).
public struct TokenizedExample: Sendable, Equatable {
    /// Token ids.
    public var inputIds: [Int]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int]
    /// Target ids; ``ExampleBuilder/ignoreIndex`` where no loss is taken. For causal LMs these are
    /// aligned with `inputIds` (the model shifts them); for seq2seq they are the decoder targets.
    public var labels: [Int]

    /// Creates an example.
    public init(inputIds: [Int], attentionMask: [Int], labels: [Int]) {
        self.inputIds = inputIds
        self.attentionMask = attentionMask
        self.labels = labels
    }

    /// Number of positions of `inputIds`.
    public var count: Int { inputIds.count }
}

/// The side a tokenizer pads on.
public enum PaddingSide: String, Sendable {
    /// Pads before the tokens.
    case left
    /// Pads after the tokens.
    case right

    /// caikit's rule (`resources/pretrained_model/base.py`): `left` if `"gpt"`, `"opt"` or `"bloom"` is a
    /// case-sensitive substring of the model name or path, else `right`.
    public static func caikit(modelName: String) -> PaddingSide {
        ["gpt", "opt", "bloom"].contains { modelName.contains($0) } ? .left : .right
    }
}

/// Builds training examples from records.
public enum ExampleBuilder {
    /// The label that excludes a position from the loss (torch's `ignore_index`).
    public static let ignoreIndex = -100

    /// caikit's causal-LM example, before padding.
    ///
    /// ```
    /// S = tok(source, truncation, max_length = maxSourceLength)        special tokens on
    /// T = tok(target, truncation, max_length = maxTargetLength + 1)    special tokens on (Llama: BOS!)
    /// input_ids = (S + T + [eos])[:L]      labels = ([-100]*|S| + T + [eos])[:L]
    /// L = maxSourceLength + maxTargetLength + 1
    /// ```
    /// The `[:L]` cut can drop the final EOS when both parts are at their maximum, as in caikit.
    /// - Throws: ``TuningError/missingParameter(field:hint:)`` when the tokenizer has no EOS token.
    public static func causalLM(source: String, target: String, tokenizer: some TextTokenizer,
                                maxSourceLength: Int, maxTargetLength: Int) throws -> TokenizedExample {
        guard let eos = tokenizer.eosTokenId else {
            throw TuningError.missingParameter(field: "eos_token_id",
                                               hint: "the tokenizer defines no EOS token; causal-LM targets end with it")
        }
        let L = causalLength(maxSourceLength: maxSourceLength, maxTargetLength: maxTargetLength)
        let s = try tokenizer.encode(source, addSpecialTokens: true, truncatingTo: maxSourceLength)
        let t = try tokenizer.encode(target, addSpecialTokens: true, truncatingTo: maxTargetLength + 1) + [eos]
        let ids = Array((s + t).prefix(L))
        let labels = Array((Array(repeating: ignoreIndex, count: s.count) + t).prefix(L))
        return TokenizedExample(inputIds: ids, attentionMask: Array(repeating: 1, count: ids.count), labels: labels)
    }

    /// caikit's fixed causal-LM length `L = max_source_length + max_target_length + 1`.
    public static func causalLength(maxSourceLength: Int, maxTargetLength: Int) -> Int {
        maxSourceLength + maxTargetLength + 1
    }

    /// Pads `example` to `length` on `side` (ids with `padId`, mask 0, labels -100), as
    /// `tokenizer.pad(padding="max_length")` plus caikit's label padding do; longer examples are cut
    /// to `length` from the right.
    public static func pad(_ example: TokenizedExample, to length: Int, padId: Int,
                           side: PaddingSide) -> TokenizedExample {
        let n = max(0, length - example.count)
        func padded(_ xs: [Int], _ value: Int) -> [Int] {
            let fill = Array(repeating: value, count: n)
            return Array((side == .left ? fill + xs : xs + fill).prefix(length))
        }
        return TokenizedExample(inputIds: padded(example.inputIds, padId),
                                attentionMask: padded(example.attentionMask, 0),
                                labels: padded(example.labels, ignoreIndex))
    }

    /// caikit's seq2seq example (`HFAutoSeq2SeqLM.tokenize_function`):
    ///
    /// ```
    /// inputs = tok(source, max_length = maxSourceLength, padding = "max_length", truncation)
    /// labels = tok(target, max_length = maxTargetLength, padding = "max_length", truncation)
    /// labels = [-100 if t == pad_id else t for t in labels]      (any real pad-id token too)
    /// ```
    /// `inputIds`/`attentionMask` have `maxSourceLength` entries and `labels` `maxTargetLength`.
    /// - Throws: ``TuningError/missingParameter(field:hint:)`` when there is no pad or EOS id.
    public static func seq2seq(source: String, target: String, tokenizer: some TextTokenizer,
                               maxSourceLength: Int, maxTargetLength: Int,
                               paddingSide: PaddingSide) throws -> TokenizedExample {
        guard let padId = tokenizer.effectivePadTokenId else {
            throw TuningError.missingParameter(field: "pad_token_id", hint: "the tokenizer defines neither PAD nor EOS")
        }
        let s = try tokenizer.encode(source, addSpecialTokens: true, truncatingTo: maxSourceLength)
        let t = try tokenizer.encode(target, addSpecialTokens: true, truncatingTo: maxTargetLength)
        let src = pad(TokenizedExample(inputIds: s, attentionMask: Array(repeating: 1, count: s.count), labels: s),
                      to: maxSourceLength, padId: padId, side: paddingSide)
        let tgt = pad(TokenizedExample(inputIds: t, attentionMask: t.map { _ in 1 }, labels: t),
                      to: maxTargetLength, padId: padId, side: paddingSide)
        return TokenizedExample(inputIds: src.inputIds, attentionMask: src.attentionMask,
                                labels: tgt.inputIds.map { $0 == padId ? ignoreIndex : $0 })
    }
}
