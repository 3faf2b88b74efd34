// caikit-nlp's `PeftPromptTuning.run()` done right: verbalize, tokenize (with truncation), generate
// with the soft prompt, decode, and report a `GeneratedTextResult` whose counts and finish reasons
// are correct. Batches and token streams go through the same path.

import Foundation
import SPModels
import SPPrompt
import SPTokenizers

/// Text in, `GeneratedTextResult` out: a model, its tokenizer and an optional tuned prompt.
///
/// ```swift
/// let prompt = try TunedPrompt.load(directory: "my-prompt")
/// let gen = try TextGenerator(model: model, tokenizer: tokenizer, prompt: prompt)
/// var p = GenerationParameters()
/// p.maxNewTokens = 32
/// let result = try gen.run("@user the service was great", parameters: p)
/// print(result.generatedText, result.finishReason)
/// ```
public final class TextGenerator: @unchecked Sendable {
    public let tokens: TokenGenerator
    public let tokenizer: any TextTokenizer
    /// The prompt's verbalizer (`{{input}}` when there is no prompt).
    public let verbalizer: Verbalizer
    /// Ids that end generation.
    public let eosTokenIds: [Int32]
    /// The id fed for padding.
    public let padTokenId: Int32
    public let producerId: ProducerId

    /// - Parameters:
    ///   - verbalizer: the template inputs are rendered with; default: the prompt's (`{{input}}`
    ///     without a prompt).
    ///   - eosTokenIds: transformers' `eos_token_id` (from the model's generation_config.json);
    ///     default: the tokenizer's EOS. A caikit prompt's `eos_token` is added when it is one token.
    /// - Throws: ``GenerationError`` when the prompt does not fit the model or its verbalizer is invalid.
    public init(model: any LanguageModel, tokenizer: any TextTokenizer, prompt: TunedPrompt? = nil,
                verbalizer: String? = nil, eosTokenIds: [Int]? = nil, producerId: ProducerId = .peftPromptTuning) throws {
        tokens = try TokenGenerator(model: model, prompt: prompt)
        self.tokenizer = tokenizer
        do {
            self.verbalizer = try Verbalizer(verbalizer ?? prompt?.verbalizer ?? "{{input}}")
        } catch {
            throw GenerationError.badPromptDirectory(path: "verbalizer", reason: "\(error)", hint: "fix the prompt's verbalizer")
        }
        var eos = eosTokenIds ?? tokenizer.eosTokenId.map { [$0] } ?? []
        // caikit also ends on the prompt's `eos_token` (config.yml), compared as text.
        if let t = prompt?.eosToken, let ids = try? tokenizer.encode(t, addSpecialTokens: false), ids.count == 1,
           !eos.contains(ids[0]) {
            eos.append(ids[0])
        }
        self.eosTokenIds = eos.map(Int32.init)
        padTokenId = Int32(tokenizer.padTokenId ?? eos.first ?? 0)
        self.producerId = producerId
    }

    /// caikit `run(text, …)`.
    public func run(_ text: String, parameters: GenerationParameters = GenerationParameters()) throws -> GeneratedTextResult {
        try run(batch: [text], parameters: [parameters])[0]
    }

    /// Several requests in one left-padded batch; each result equals the one `run` gives alone.
    public func run(batch texts: [String], parameters: [GenerationParameters]) throws -> [GeneratedTextResult] {
        var results: [GeneratedTextResult?] = Array(repeating: nil, count: texts.count)
        try generate(texts, parameters, isCancelled: { false }, streaming: false, onMessage: { _, _ in }) { row, result in
            results[row] = result
        }
        return results.map { $0! }
    }

    /// caikit `run_stream_out`, done as a real stream: `onMessage` gets one message per new token
    /// as it is produced (text empty while a character is incomplete); the last message carries
    /// the finish reason, the first one the input tokens when `inputTokens` is set. Returns the
    /// complete result.
    @discardableResult
    public func generateStreaming(_ text: String, parameters: GenerationParameters = GenerationParameters(),
                       isCancelled: () -> Bool = { false },
                       onMessage: (GeneratedTextStreamResult) throws -> Void) throws -> GeneratedTextResult {
        var final: GeneratedTextResult?
        try generate([text], [parameters], isCancelled: isCancelled, streaming: true, onMessage: { _, m in try onMessage(m) }) { _, r in
            final = r
        }
        return final!
    }

    /// The decoded input a result starts with when `preserveInputText` is set (the verbalized,
    /// truncated input as the tokenizer gives it back).
    public func decodedInput(_ text: String, parameters: GenerationParameters = GenerationParameters()) throws -> String {
        let ids = try prepare(text, parameters).ids
        return try tokenizer.decode(ids, skipSpecialTokens: true, cleanUpTokenizationSpaces: true)
    }

    /// Prepared input of one request.
    struct Prepared {
        var ids: [Int]
        var parameters: GenerationParameters
        var seed: UInt64?
    }

    /// Verbalizes and tokenizes one text (caikit steps 1–3).
    func prepare(_ text: String, _ p: GenerationParameters) throws -> Prepared {
        try p.validate()
        let verbalized: String
        do { verbalized = try verbalizer.render(input: text) } catch { throw GenerationError.tokenizer("\(error)") }
        let ids: [Int]
        do {
            ids = p.truncateInputTokens > 0
                ? try tokenizer.encode(verbalized, addSpecialTokens: true, truncatingTo: p.truncateInputTokens)
                : try tokenizer.encode(verbalized, addSpecialTokens: true)
        } catch let e as GenerationError {
            throw e
        } catch {
            throw GenerationError.tokenizer("cannot encode the input: \(error)")
        }
        var seed = p.seed
        if p.decodingMethod == .sampling && seed == nil {
            seed = GenerationSeed.draw()
        }
        return Prepared(ids: ids, parameters: p, seed: seed)
    }

    /// The shared path: prepare, generate, decode; `onMessage` (when `streaming`) and `onResult` per row.
    func generate(_ texts: [String], _ parameters: [GenerationParameters], isCancelled: () -> Bool,
                  streaming: Bool, onMessage: (Int, GeneratedTextStreamResult) throws -> Void,
                  onResult: (Int, GeneratedTextResult) throws -> Void) throws {
        precondition(texts.count == parameters.count, "one parameter set per text")
        let prepared = try zip(texts, parameters).map { try prepare($0, $1) }
        var rows = try prepared.map { try RowOutput($0, generator: self, streaming: streaming) }
        let requests = prepared.map { TokenRequest(inputIds: $0.ids.map(Int32.init), parameters: $0.parameters, seed: $0.seed) }
        _ = try tokens.generate(requests, eos: eosTokenIds, pad: padTokenId, isCancelled: isCancelled, onInputScores: { r, scores in
            rows[r].inputScores(scores)
        }, onToken: { s in
            try rows[s.row].token(s, self) { try onMessage(s.row, $0) }
        }, onFinish: { r, reason in
            try onResult(r, try rows[r].finish(reason, self) { try onMessage(r, $0) })
        })
    }

    /// One token's text as caikit's token details show it (special tokens kept, no clean-up).
    func tokenText(_ id: Int) throws -> String {
        try tokenizer.decode([id], skipSpecialTokens: false, cleanUpTokenizationSpaces: false)
    }

    /// Whether this token ends its row by EOS or by the token budget (known before `onFinish`).
    func ends(_ s: TokenStep, _ p: GenerationParameters) -> Bool {
        eosTokenIds.contains(s.id) || s.index + 1 >= p.maxNewTokens
    }
}
