// The parameters of caikit-nlp's `PeftPromptTuning.run()` (caikit_nlp/modules/text_generation/
// peft_prompt_tuning.py, model_run_utils.py `__process_gen_args`), with their defaults, the value
// checks caikit and transformers make, and the TGIS detail flags caikit's local run lacks.

/// caikit's `decoding_method`.
public enum DecodingMethod: String, Sendable, Equatable, CaseIterable {
    case greedy = "GREEDY"
    case sampling = "SAMPLING"

    /// Parses caikit's string (exact, upper case).
    /// - Throws: ``GenerationError/invalidParameter(field:value:reason:code:)`` with caikit's
    ///   `<NLP03521360E>` for anything else.
    public static func parse(_ s: String) throws -> DecodingMethod {
        guard let m = DecodingMethod(rawValue: s) else {
            throw GenerationError.invalidParameter(
                field: "decoding_method", value: "\"\(s)\"",
                reason: "value check failed: Decoding method [\(s)] not in valid decoding methods: [['GREEDY', 'SAMPLING']]",
                code: "<NLP03521360E>")
        }
        return m
    }
}

/// caikit's `ExponentialDecayLengthPenalty` data object: after `startIndex` new tokens the EOS
/// score grows by `|score| · (decayFactor^(n − startIndex) − 1)` (transformers'
/// `ExponentialDecayLengthPenalty`).
public struct ExponentialDecayLengthPenalty: Sendable, Equatable {
    public var startIndex: Int
    public var decayFactor: Double

    public init(startIndex: Int, decayFactor: Double) {
        self.startIndex = startIndex
        self.decayFactor = decayFactor
    }
}

/// Everything `run()` accepts besides the text, with caikit's names and defaults.
///
/// How unset (`nil`) and zero values are read — caikit's documented convention (TGIS's), which its
/// local `run()` does not quite follow because it forwards `None` to transformers:
/// - `topK` nil or 0: no top-k filter (caikit's local run would get transformers' default 50).
/// - `topP`, `typicalP` nil, 0 or 1: no filter.
/// - `temperature` nil or 1: no scaling. `repetitionPenalty` nil, 0 or 1: no penalty.
/// - Sampling parameters are ignored under `GREEDY`, as in caikit (not rejected as TGIS does).
/// - `seed` nil under `SAMPLING`: a fresh seed is drawn and reported in the result, so every
///   sampled result can be reproduced.
public struct GenerationParameters: Sendable, Equatable {
    /// caikit `max_new_tokens` (20). Must be ≥ 1 and ≥ `minNewTokens`.
    public var maxNewTokens = 20
    /// caikit `min_new_tokens` (0): EOS is suppressed until this many tokens exist.
    public var minNewTokens = 0
    /// caikit `truncate_input_tokens` (0 = no truncation): the input keeps its first N tokens
    /// (special tokens included, as transformers' right-side truncation does).
    public var truncateInputTokens = 0
    public var decodingMethod = DecodingMethod.greedy
    public var topK: Int?
    public var topP: Double?
    public var typicalP: Double?
    public var temperature: Double?
    public var repetitionPenalty: Double?
    /// caikit `max_time` in seconds: generation stops (finish reason `TIME_LIMIT`) after the first
    /// token that ends past it.
    public var maxTime: Double?
    public var exponentialDecayLengthPenalty: ExponentialDecayLengthPenalty?
    /// Stop when the generated text contains one of these (real substring matching on the text).
    public var stopSequences: [String] = []
    /// Keep the stop sequence at the end of the text (TGIS `include_stop_sequence`, default true).
    public var includeStopSequence = true
    /// caikit `seed` (`np.uint64`): the sampling RNG's seed. Same seed, same text.
    public var seed: UInt64?
    /// caikit `preserve_input_text` (true): the result text starts with the decoded input.
    public var preserveInputText = true
    /// Fill ``GeneratedTextResult/tokens`` with one entry per new token (TGIS `generated_tokens`).
    public var returnTokens = false
    /// Fill ``GeneratedTextResult/inputTokens`` with one entry per input token (TGIS/caikit
    /// `input_tokens`): the real input tokens after truncation, not the virtual tokens. With
    /// `tokenLogprobs` / `tokenRanks` each entry also carries the token's log-probability and rank
    /// given everything before it (the soft prompt, then the preceding input tokens).
    public var inputTokens = false
    /// Include each token's log-probability (TGIS `token_logprobs`; applies to the lists that
    /// `returnTokens` and `inputTokens` ask for).
    public var tokenLogprobs = false
    /// Include each token's rank (TGIS `token_ranks`; applies to the lists that `returnTokens`
    /// and `inputTokens` ask for).
    public var tokenRanks = false

    public init() {}

    /// Checks the parameters in caikit's order, then transformers' checks on what reaches `generate`.
    /// - Throws: ``GenerationError/invalidParameter(field:value:reason:code:)``.
    public func validate() throws {
        func bad(_ field: String, _ value: Any, _ reason: String, _ code: String? = nil) -> GenerationError {
            .invalidParameter(field: field, value: "\(value)", reason: reason, code: code)
        }
        guard maxNewTokens >= minNewTokens else {
            throw bad("max_new_tokens", maxNewTokens,
                      "value check failed: Max new tokens needs to be bigger than min new tokens (min_new_tokens = \(minNewTokens))",
                      "<NLP80772084E>")
        }
        guard maxNewTokens > 0 else { throw bad("max_new_tokens", maxNewTokens, "`max_new_tokens` must be greater than 0 (transformers)") }
        guard minNewTokens >= 0 else { throw bad("min_new_tokens", minNewTokens, "must be ≥ 0") }
        guard truncateInputTokens >= 0 else {
            throw bad("truncate_input_tokens", truncateInputTokens, "must be ≥ 0 (0 = no truncation)")
        }
        if let r = repetitionPenalty, r != 0, !(r > 0 && r.isFinite) {
            throw bad("repetition_penalty", r, "`penalty` has to be a strictly positive float (transformers; 0 means none)")
        }
        if let t = maxTime, !(t > 0 && t.isFinite) { throw bad("max_time", t, "must be a positive number of seconds") }
        if let d = exponentialDecayLengthPenalty {
            guard d.startIndex >= 0 else { throw bad("exponential_decay_length_penalty.start_index", d.startIndex, "must be ≥ 0") }
            guard d.decayFactor > 0, d.decayFactor.isFinite else {
                throw bad("exponential_decay_length_penalty.decay_factor", d.decayFactor, "must be a positive number")
            }
        }
        if let i = stopSequences.firstIndex(where: \.isEmpty) {
            throw bad("stop_sequences[\(i)]", "\"\"", "an empty stop sequence would stop at once")
        }
        guard decodingMethod == .sampling else { return }
        if let t = temperature, !(t > 0 && t.isFinite) {
            throw bad("temperature", t, "`temperature` has to be a strictly positive float (transformers); use GREEDY for greedy decoding")
        }
        if let k = topK, k < 0 { throw bad("top_k", k, "`top_k` has to be a strictly positive integer (transformers; 0 means none)") }
        if let p = topP, !(p >= 0 && p <= 1) { throw bad("top_p", p, "`top_p` has to be a float > 0 and < 1 (transformers; 0 and 1 mean none)") }
        if let p = typicalP, !(p >= 0 && p <= 1) {
            throw bad("typical_p", p, "`typical_p` has to be a float > 0 and < 1 (transformers; 0 and 1 mean none)")
        }
    }

    /// The logits-processor settings these parameters stand for (call ``validate()`` first).
    func processorConfig(eos: [Int32]) -> ProcessorConfig {
        var c = ProcessorConfig()
        c.eos = eos
        if let r = repetitionPenalty, r != 0, r != 1 { c.repetitionPenalty = Float(r) }
        c.minNewTokens = minNewTokens
        c.decay = exponentialDecayLengthPenalty
        guard decodingMethod == .sampling else { return c }
        c.sampling = true
        if let t = temperature, t != 1 { c.temperature = Float(t) }
        if let k = topK, k != 0 { c.topK = k }
        if let p = topP, p > 0, p < 1 { c.topP = p }
        if let p = typicalP, p > 0, p < 1 { c.typicalP = p }
        return c
    }
}
