// The model seam: what prompt tuning and generation need from a frozen language model, whatever its
// engine. The decoder-only engine (`Causal/`) conforms; an encoder-decoder engine (`Seq2Seq/`)
// conforms the same way. Calls through the seam are per batch or per decoding step, never per element.

import SPTensor

/// The kind of base model, which fixes the PEFT task type (and, in SPTuning, the allowed output
/// model types).
public enum ModelKind: String, Sendable, CaseIterable {
    /// A decoder-only LM (caikit `HFAutoCausalLM`, transformers `AutoModelForCausalLM`).
    case causalLM
    /// An encoder-decoder LM (caikit `HFAutoSeq2SeqLM`, transformers `AutoModelForSeq2SeqLM`).
    case seq2seqLM

    /// PEFT `task_type`: `CAUSAL_LM` or `SEQ_2_SEQ_LM`.
    public var taskType: String { self == .causalLM ? "CAUSAL_LM" : "SEQ_2_SEQ_LM" }

    /// The kind of a PEFT `task_type`, nil for any other task.
    public init?(taskType: String) {
        switch taskType {
        case "CAUSAL_LM": self = .causalLM
        case "SEQ_2_SEQ_LM": self = .seq2seqLM
        default: return nil
        }
    }
}

/// A frozen language model as prompt tuning and generation see it.
///
/// The soft prompt is `[P, inputWidth]` rows put in front of the token embeddings (of the encoder,
/// for an encoder-decoder model). Training asks the model for a ``PromptStep`` (loss and prompt
/// gradient of one micro-batch); generation asks for a ``DecodingSession`` (a KV-cached sequence of
/// forward calls). `ModelLoader` and `ModelRegistry` return models as `any LanguageModel`.
public protocol LanguageModel: AnyObject, Sendable {
    /// Decoder-only or encoder-decoder.
    var kind: ModelKind { get }
    /// Shape and options (hidden width, layers, heads, vocabulary, …).
    var spec: ModelSpec { get }
    /// The input embedding table `[V, E]` (PEFT's `word_embeddings`); prompt rows have its width.
    var tokenEmbedding: Weight { get }
    /// Width of the inputs (`E`, the token-embedding width): the soft prompt's `token_dim`.
    var inputWidth: Int { get }
    /// Number of logits per position (the LM head's vocabulary).
    var vocabularySize: Int { get }
    /// Positions the model can embed (learned absolute positions), nil when unbounded (RoPE, ALiBi).
    var positionLimit: Int? { get }
    /// The context length of a model whose positions are not learned but which was built for a
    /// fixed length (RoPE's `max_position_embeddings`, GGUF `context_length`): generation and
    /// training refuse longer sequences rather than size caches and activations beyond it. Nil when
    /// the model extends past any length by design (ALiBi, dynamic-NTK RoPE) or has learned
    /// positions (see ``positionLimit``).
    var contextLimit: Int? { get }
    /// True when left padding would change a row's tokens (a sliding window, dynamic NTK RoPE), so
    /// generation runs rows of different lengths as separate batches.
    var paddingChangesResults: Bool { get }

    /// A prompt-tuning step with its own reusable buffers (`checkpointing`: recompute activations
    /// in the backward).
    func makePromptStep(checkpointing: Bool) -> any PromptStep
    /// A decoding session for `batch` rows of at most `capacity` positions (prompt, input and new
    /// tokens together).
    func makeDecodingSession(batch: Int, capacity: Int) -> any DecodingSession
}

/// One prompt-tuning micro-batch as the trainer hands it to the model: right-padded token rows
/// `[batch, length]` (the prompt is not in them).
public struct PromptBatchInput {
    /// Rows `B`.
    public var batch: Int
    /// Columns `L`.
    public var length: Int
    /// `input_ids[B, L]`.
    public var inputIds: [Int]
    /// `attention_mask[B, L]`.
    public var attentionMask: [Int]
    /// `labels[B, L]` (-100 where no loss), aligned with `input_ids` (the model shifts them); for an
    /// encoder-decoder model `labels[B, targetLength]`, the decoder targets (caikit's seq2seq layout).
    public var labels: [Int]
    /// Columns of `labels`: `length` for a decoder-only model, the decoder's length for a seq2seq one.
    public var targetLength: Int

    /// Creates a micro-batch (`targetLength` nil: `length`).
    public init(batch: Int, length: Int, inputIds: [Int], attentionMask: [Int], labels: [Int], targetLength: Int? = nil) {
        self.batch = batch
        self.length = length
        self.inputIds = inputIds
        self.attentionMask = attentionMask
        self.labels = labels
        self.targetLength = targetLength ?? length
    }
}

/// What one prompt-tuning micro-batch gave.
public struct PromptStepResult: Sendable {
    /// Mean loss over the counted target tokens (unscaled; NaN when none).
    public var loss: Float
    /// Counted target tokens.
    public var tokens: Int
    /// Examples whose every target token is the greedy (argmax) prediction.
    public var exactMatches: Int

    /// Creates a result.
    public init(loss: Float, tokens: Int, exactMatches: Int) {
        self.loss = loss
        self.tokens = tokens
        self.exactMatches = exactMatches
    }
}

/// The forward (and backward) of prompt tuning for one model, with buffers reused across calls.
public protocol PromptStep: AnyObject {
    /// Loss of `input` with `prompt` `[P, inputWidth]` in front of every row, as PEFT's prompt
    /// tuning forward does (mask 1 and label -100 at the virtual positions).
    ///
    /// - Parameters:
    ///   - accumulate: when given, receives `+= scale · Σ_b dLoss/d(prompt)` (`[P, inputWidth]`).
    /// - Throws: `ModelError.invalidInput` for a token id outside the vocabulary.
    func run(prompt: Tensor, input: PromptBatchInput, accumulate: UnsafeMutablePointer<Float>?,
             scale: Float) throws -> PromptStepResult
}

/// A sequence of forward calls over growing rows, each call appending `tokens` positions per row
/// (the prefill: prompt, padding and input; then one new token per row).
public protocol DecodingSession: AnyObject {
    /// Runs `tokens` new positions per row (`embeds` `[B, tokens, inputWidth]`, `mask` `[B, tokens]`,
    /// 0 for left padding) and writes each row's last logits into `logits` `[B, vocabularySize]`.
    ///
    /// - Parameters:
    ///   - positions: more `(b·tokens + t)` rows of this call whose logits are wanted (e.g. every
    ///     input position at the prefill); `onLogits` gets each index into `positions` and that
    ///     row's logits, in order (the buffer is reused after the call).
    func decode(embeds: UnsafePointer<Float>, mask: UnsafePointer<Int32>, tokens: Int,
                logits: UnsafeMutablePointer<Float>, positions: [Int],
                onLogits: (Int, UnsafePointer<Float>) -> Void) throws
}

extension LanguageModel {
    /// This model's decoder-only engine, for callers that need it (benchmarks, engine tests).
    /// - Throws: ``ModelError/invalidInput(_:)`` when the model is not decoder-only.
    public func decoderModel() throws -> DecoderModel {
        guard let m = self as? DecoderModel else {
            throw ModelError.invalidInput("\(spec.modelType) is a \(kind.taskType) model, not a decoder-only one")
        }
        return m
    }
}
