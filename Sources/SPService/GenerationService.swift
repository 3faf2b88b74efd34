// caikit-nlp's run() and run_stream_out() for a prompt or a base model: one object per (model,
// tokenizer, prompt), used by `generate`, the demo's evaluation and a serving runtime.

import Foundation
import SPGeneration
import SPModels
import SPPrompt
import SPTensor
import SPTokenizers

/// Text generation with an optional soft prompt, as caikit's `PeftPromptTuning` serves it.
///
/// ```swift
/// let target = try GenerationTarget.open(model: "my-prompt", baseModel: nil, baseModelsDir: nil)
/// let service = try GenerationService(target: target, tokenizer: TokenizerAdapter(tokenizer: try loadTokenizer(target.location)))
/// let result = try service.run("@user the service was great")
/// ```
public final class GenerationService: Sendable {
    /// The text-level generator (verbalizer, tokenizer, stop sequences, details).
    public let text: TextGenerator
    /// The token-level generator under it (ids in, ids out).
    public var tokens: TokenGenerator { text.tokens }
    /// True when generation runs inside `BF16Compute` (a bf16-stored model served as trained with
    /// `torch_dtype: bfloat16`; see ``servesInBF16(promptDirectory:kind:)``).
    public let computesInBF16: Bool

    /// A service for `model` with `prompt` (nil: the base model alone).
    ///
    /// - Parameters:
    ///   - verbalizer: overrides the prompt's verbalizer (e.g. to evaluate a base model with the
    ///     template a prompt is being trained with).
    ///   - eosTokenIds: the model's `eos_token_id` list; default: the tokenizer's EOS.
    ///   - producerId: the results' `producer_id`; default: caikit's `PeftPromptTuning` with a
    ///     prompt, its `TextGeneration` module without one.
    ///   - computesInBF16: generate inside `BF16Compute` (bf16-stored weights on the bf16 kernels).
    public init(model: any LanguageModel, tokenizer: any TextTokenizer, prompt: TunedPrompt? = nil,
                verbalizer: String? = nil, eosTokenIds: [Int]? = nil, producerId: ProducerId? = nil,
                computesInBF16: Bool = false) throws {
        self.computesInBF16 = computesInBF16
        text = try TextGenerator(model: model, tokenizer: tokenizer, prompt: prompt, verbalizer: verbalizer,
                                 eosTokenIds: eosTokenIds,
                                 producerId: producerId ?? (prompt == nil ? .textGeneration : .peftPromptTuning))
    }

    /// A service for an opened target (its prompt, its generation config's EOS ids, its producer).
    public convenience init(target: GenerationTarget, tokenizer: any TextTokenizer) throws {
        let eos = target.generationConfig.eosTokenIds
        try self.init(model: target.model, tokenizer: tokenizer, prompt: target.prompt, eosTokenIds: eos.isEmpty ? nil : eos,
                      producerId: target.producerId)
    }

    /// caikit `run()` for one text.
    public func run(_ text: String, parameters: GenerationParameters = GenerationParameters()) throws -> GeneratedTextResult {
        try withCompute { try self.text.run(text, parameters: parameters) }
    }

    /// caikit `run()` for several texts, generated together in one left-padded batch (each result
    /// equals the one it gets alone).
    public func run(batch texts: [String], parameters: GenerationParameters = GenerationParameters()) throws -> [GeneratedTextResult] {
        try withCompute { try text.run(batch: texts, parameters: texts.map { _ in parameters }) }
    }

    /// caikit `run_stream_out()`: one message per new token as it is produced; returns the whole result.
    @discardableResult
    public func runStreamOut(_ text: String, parameters: GenerationParameters = GenerationParameters(),
                             isCancelled: () -> Bool = { false },
                             onMessage: (GeneratedTextStreamResult) throws -> Void) throws -> GeneratedTextResult {
        try withCompute {
            try self.text.generateStreaming(text, parameters: parameters, isCancelled: isCancelled, onMessage: onMessage)
        }
    }

    /// The decoded (verbalized, truncated) input a result starts with under `preserve_input_text`.
    public func decodedInput(_ text: String, parameters: GenerationParameters = GenerationParameters()) throws -> String {
        try self.text.decodedInput(text, parameters: parameters)
    }

    /// A soft prompt held in memory (e.g. while it is being trained) as generation takes it.
    /// - Parameters:
    ///   - kind: the model kind it is trained for.
    ///   - encoderRows: for a seq2seq prompt, its leading rows that go in front of the encoder input
    ///     (the ENCODER block: `num_virtual_tokens` when ENCODER is an output type, else 0).
    public static func prompt(_ values: Tensor, verbalizer: String, kind: ModelKind = .causalLM,
                              encoderRows: Int = 0) -> TunedPrompt {
        TunedPrompt(values: values.array, virtualTokens: values.shape[0], tokenDim: values.shape[1], verbalizer: verbalizer,
                    taskType: kind, encoderRows: kind == .seq2seqLM ? min(encoderRows, values.shape[0]) : 0)
    }
}
