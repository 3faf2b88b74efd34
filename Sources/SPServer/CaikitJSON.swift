// caikit's data objects as its `DataBase.to_json()` writes them: every field in declaration order
// (caikit/interfaces/nlp/data_model/text_generation.py, text.py, runtime/data_model/info.py),
// absent optionals as null, enums by name.

import SPGeneration
import SPJSON

extension ProducerId {
    var json: JSONValue { .object([("name", .string(name)), ("version", .string(version))]) }
}

extension GeneratedToken {
    var json: JSONValue {
        .object([("text", .string(text)), ("logprob", logprob.map(JSONValue.double) ?? .null),
                 ("rank", rank.map { .int($0) } ?? .null)])
    }
}

/// A seed as Python writes the int: its exact digits, also above `Int.max` (a uint64 a user sent).
private func seedJSON(_ s: UInt64?) -> JSONValue {
    guard let s else { return .null }
    return Int(exactly: s).map(JSONValue.int) ?? .largeInt(String(s))
}

private func tokenList(_ t: [GeneratedToken]?) -> JSONValue {
    t.map { .array($0.map(\.json)) } ?? .null
}

extension GeneratedTextResult {
    /// caikit `GeneratedTextResult.to_json()` fields, in order.
    public var caikitJSON: JSONValue {
        .object([
            ("generated_text", .string(generatedText)), ("generated_tokens", .int(generatedTokens)),
            ("finish_reason", .string(finishReason.name)), ("producer_id", producerId.json),
            ("input_token_count", .int(inputTokenCount)), ("seed", seedJSON(seed)),
            ("tokens", tokenList(tokens)), ("input_tokens", tokenList(inputTokens)),
        ])
    }
}

extension GeneratedTextStreamResult {
    /// caikit `GeneratedTextStreamResult.to_json()` fields, in order.
    public var caikitJSON: JSONValue {
        let d: JSONValue = .object([
            ("finish_reason", .string(details.finishReason.name)), ("generated_tokens", .int(details.generatedTokens)),
            ("seed", seedJSON(details.seed)), ("input_token_count", .int(details.inputTokenCount)),
        ])
        return .object([
            ("generated_text", .string(generatedText)), ("tokens", tokenList(tokens)), ("details", d),
            ("producer_id", producerId.json), ("input_tokens", tokenList(inputTokens)),
        ])
    }
}

/// caikit `TokenizationResults` as caikit-nlp's TGIS modules return it (`run_tokenizer` →
/// `unary_tokenize`): the token count of the text (special tokens included), `results` null.
public struct TokenizationResults: Sendable, Equatable {
    public var tokenCount: Int

    /// caikit `TokenizationResults.to_json()`.
    public var caikitJSON: JSONValue {
        .object([("results", .null), ("token_count", .int(tokenCount))])
    }
}
