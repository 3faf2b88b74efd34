// caikit's text-generation data model (caikit/interfaces/nlp/data_model/text_generation.py):
// GeneratedTextResult, GeneratedTextStreamResult, TokenStreamDetails, GeneratedToken, FinishReason,
// encoded to JSON with caikit's snake_case field names and enum names.

import SPPrompt

/// caikit `FinishReason` (the protobuf numbers are the raw values).
public enum FinishReason: Int, Sendable, Equatable, CaseIterable, Encodable {
    case notFinished = 0, maxTokens = 1, eosToken = 2, cancelled = 3, timeLimit = 4, stopSequence = 5,
         tokenLimit = 6, error = 7

    /// The name caikit puts in JSON (`"EOS_TOKEN"`, …).
    public var name: String {
        switch self {
        case .notFinished: return "NOT_FINISHED"
        case .maxTokens: return "MAX_TOKENS"
        case .eosToken: return "EOS_TOKEN"
        case .cancelled: return "CANCELLED"
        case .timeLimit: return "TIME_LIMIT"
        case .stopSequence: return "STOP_SEQUENCE"
        case .tokenLimit: return "TOKEN_LIMIT"
        case .error: return "ERROR"
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}

/// caikit `ProducerId`: which module made a result.
public struct ProducerId: Sendable, Equatable, Encodable {
    public var name: String
    public var version: String

    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }

    /// caikit-nlp `PeftPromptTuning`'s producer (`name` "Peft generation", `version` "0.1.0").
    public static let peftPromptTuning = ProducerId(name: CaikitModule.name, version: CaikitModule.version)
}

/// caikit `GeneratedToken`: one token's text and, on request, its log-probability and rank.
///
/// A generated token is scored by the processed scores it was chosen from (after penalties and
/// sampling filters); an input token by the model's raw logits at the position before it (the
/// soft prompt's virtual tokens come first, so the first input token is scored too).
public struct GeneratedToken: Sendable, Equatable, Encodable {
    /// The token decoded on its own (special tokens kept).
    public var text: String
    /// log softmax of the scores at this token.
    public var logprob: Double?
    /// 1-based rank of this token among the scores (1 + the number of strictly larger ones).
    public var rank: Int?

    public init(text: String, logprob: Double? = nil, rank: Int? = nil) {
        self.text = text
        self.logprob = logprob
        self.rank = rank
    }
}

/// caikit `GeneratedTextResult`, the result of `run()`.
public struct GeneratedTextResult: Sendable, Equatable, Encodable {
    /// The text (with the decoded input in front when `preserve_input_text` is true).
    public var generatedText: String
    /// New tokens only (caikit-nlp's local run counts the input too; we don't).
    public var generatedTokens: Int
    public var finishReason: FinishReason
    public var producerId: ProducerId
    /// Input tokens after truncation, without virtual tokens.
    public var inputTokenCount: Int
    /// The sampling seed used (nil for greedy decoding).
    public var seed: UInt64?
    /// One entry per new token, when requested.
    public var tokens: [GeneratedToken]?
    /// caikit's `input_tokens`: one entry per input token (after truncation, without the virtual
    /// tokens), when ``GenerationParameters/inputTokens`` is set.
    public var inputTokens: [GeneratedToken]?

    public init(generatedText: String, generatedTokens: Int, finishReason: FinishReason,
                producerId: ProducerId = .peftPromptTuning, inputTokenCount: Int, seed: UInt64? = nil,
                tokens: [GeneratedToken]? = nil, inputTokens: [GeneratedToken]? = nil) {
        self.generatedText = generatedText
        self.generatedTokens = generatedTokens
        self.finishReason = finishReason
        self.producerId = producerId
        self.inputTokenCount = inputTokenCount
        self.seed = seed
        self.tokens = tokens
        self.inputTokens = inputTokens
    }

    enum CodingKeys: String, CodingKey {
        case generatedText = "generated_text", generatedTokens = "generated_tokens", finishReason = "finish_reason"
        case producerId = "producer_id", inputTokenCount = "input_token_count", seed, tokens
        case inputTokens = "input_tokens"
    }
}

/// caikit `TokenStreamDetails`.
public struct TokenStreamDetails: Sendable, Equatable, Encodable {
    /// `NOT_FINISHED` until the last message of a stream.
    public var finishReason: FinishReason
    /// New tokens so far.
    public var generatedTokens: Int
    public var seed: UInt64?
    public var inputTokenCount: Int

    public init(finishReason: FinishReason, generatedTokens: Int, seed: UInt64?, inputTokenCount: Int) {
        self.finishReason = finishReason
        self.generatedTokens = generatedTokens
        self.seed = seed
        self.inputTokenCount = inputTokenCount
    }

    enum CodingKeys: String, CodingKey {
        case finishReason = "finish_reason", generatedTokens = "generated_tokens", seed
        case inputTokenCount = "input_token_count"
    }
}

/// caikit `GeneratedTextStreamResult`: one message of a stream. Concatenating every message's
/// `generatedText` gives the generated text of the equivalent ``GeneratedTextResult`` (without the
/// input text).
public struct GeneratedTextStreamResult: Sendable, Equatable, Encodable {
    /// The new text this message adds (empty while a multi-byte character is incomplete).
    public var generatedText: String
    /// The token(s) this message reports, when token details are requested.
    public var tokens: [GeneratedToken]?
    public var details: TokenStreamDetails
    public var producerId: ProducerId
    /// caikit's `input_tokens`, in the stream's first message only (when requested).
    public var inputTokens: [GeneratedToken]?

    public init(generatedText: String, tokens: [GeneratedToken]? = nil, details: TokenStreamDetails,
                producerId: ProducerId = .peftPromptTuning, inputTokens: [GeneratedToken]? = nil) {
        self.generatedText = generatedText
        self.tokens = tokens
        self.details = details
        self.producerId = producerId
        self.inputTokens = inputTokens
    }

    enum CodingKeys: String, CodingKey {
        case generatedText = "generated_text", tokens, details, producerId = "producer_id"
        case inputTokens = "input_tokens"
    }
}
