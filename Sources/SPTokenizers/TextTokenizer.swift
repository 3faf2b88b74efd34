// What prompt tuning (label construction) and generation need from a tokenizer: one protocol, one
// HF truncation rule. SPTokenizers' `Tokenizer` conforms through SPService's `TokenizerAdapter`;
// tests use word- and byte-level tokenizers.

/// A tokenizer as label construction and text generation see it.
public protocol TextTokenizer: Sendable {
    /// Token ids of `text`, like HF `tokenizer(text, add_special_tokens=…)["input_ids"]`.
    func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int]
    /// Text of `ids`, like transformers `tokenizer.decode(ids, skip_special_tokens=…,
    /// clean_up_tokenization_spaces=…)`. Bytes of an incomplete UTF-8 character decode to U+FFFD.
    func decode(_ ids: [Int], skipSpecialTokens: Bool, cleanUpTokenizationSpaces: Bool) throws -> String
    /// `tokenizer.eos_token_id`.
    var eosTokenId: Int? { get }
    /// `tokenizer.pad_token_id` (caikit sets it to the EOS id when absent, see ``effectivePadTokenId``).
    var padTokenId: Int? { get }
    /// `tokenizer.bos_token_id`.
    var bosTokenId: Int? { get }
    /// HF `tokenizer(text, truncation=True, max_length=maxLength, add_special_tokens=…)["input_ids"]`.
    ///
    /// HF truncates the *content* so that content plus special tokens fits in `maxLength` (the
    /// default strategy `longest_first` on the right), so a trailing `</s>` survives truncation.
    /// The default implementation derives the special-token prefix and suffix by comparing the
    /// encodings with and without special tokens, which is exact for template post-processors
    /// (BOS/EOS/CLS/SEP around one sequence). Override it when that does not hold.
    func encode(_ text: String, addSpecialTokens: Bool, truncatingTo maxLength: Int) throws -> [Int]
}

extension TextTokenizer {
    /// HF truncation derived from ``encode(_:addSpecialTokens:)`` (see the requirement's documentation).
    public func encode(_ text: String, addSpecialTokens: Bool, truncatingTo maxLength: Int) throws -> [Int] {
        if addSpecialTokens {
            let full = try encode(text, addSpecialTokens: true)
            guard full.count > maxLength else { return full }
            let plain = try encode(text, addSpecialTokens: false)
            guard let (prefix, suffix) = specialTokenFrame(full: full, plain: plain) else {
                return Array(full.prefix(maxLength))
            }
            let keep = max(0, maxLength - prefix.count - suffix.count)
            return Array((prefix + plain.prefix(keep) + suffix).prefix(maxLength))
        }
        return Array(try encode(text, addSpecialTokens: false).prefix(maxLength))
    }

    /// caikit's pad id: `pad_token_id`, or `eos_token_id` when the tokenizer has none.
    public var effectivePadTokenId: Int? { padTokenId ?? eosTokenId }
}

/// Splits `full` into `prefix + plain + suffix`; nil when `plain` is not a contiguous slice of `full`.
func specialTokenFrame(full: [Int], plain: [Int]) -> (prefix: [Int], suffix: [Int])? {
    guard full.count >= plain.count else { return nil }
    for k in 0...(full.count - plain.count) where Array(full[k..<(k + plain.count)]) == plain {
        return (Array(full[..<k]), Array(full[(k + plain.count)...]))
    }
    return nil
}
