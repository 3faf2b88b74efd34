// An encoder-decoder LM (T5, mT5, UMT5, BART) assembled by an architecture file: an encoder stack and
// a decoder stack of ``Seq2SeqBlock``s, their input stages and final norms, and the LM head.

import SPTensor

/// Shape of an encoder-decoder model.
public struct Seq2SeqSpec: Sendable, Equatable {
    /// transformers' `model_type` (`t5`, `mt5`, `umt5`, `bart`).
    public var modelType: String
    /// d_model, the residual width (also the width of inputs_embeds).
    public var hidden: Int
    /// Vocabulary size (rows of the shared embedding).
    public var vocab: Int
    /// Layers of the encoder and of the decoder.
    public var encoderLayers: Int, decoderLayers: Int
    /// Attention heads and their width (T5 `d_kv`, BART d_model / heads).
    public var heads: Int, headDim: Int
    /// Feed-forward inner width.
    public var ffn: Int
    /// `pad_token_id` and `decoder_start_token_id` (``shiftRight(_:)``).
    public var padTokenId: Int32, decoderStartTokenId: Int32
    /// `eos_token_id` (nil when config.json has none).
    public var eosTokenId: Int32?
    /// Longest sequence of learned positions (BART); nil: no limit (relative positions).
    public var maxPositions: Int?
    /// mBART's `shift_tokens_right`: the decoder inputs start with each row's last non-pad label
    /// (the language id) instead of `decoder_start_token_id`.
    public var startsWithLastLabel = false

    /// A spec from its fields (architecture files fill it from config.json).
    public init(modelType: String, hidden: Int, vocab: Int, encoderLayers: Int, decoderLayers: Int, heads: Int,
                headDim: Int, ffn: Int, padTokenId: Int32, decoderStartTokenId: Int32, eosTokenId: Int32?,
                maxPositions: Int?) {
        self.modelType = modelType
        self.hidden = hidden
        self.vocab = vocab
        self.encoderLayers = encoderLayers
        self.decoderLayers = decoderLayers
        self.heads = heads
        self.headDim = headDim
        self.ffn = ffn
        self.padTokenId = padTokenId
        self.decoderStartTokenId = decoderStartTokenId
        self.eosTokenId = eosTokenId
        self.maxPositions = maxPositions
    }
}

/// T5's bucketed relative-position bias of one stack.
public struct RelativeBiasSpec: @unchecked Sendable {
    /// `relative_attention_bias` tables `[numBuckets, NH]`: one shared by every layer (T5, mT5: the
    /// table of layer 0) or one per layer (UMT5).
    public let tables: [Weight]
    /// `relative_attention_max_distance`.
    public let maxDistance: Int
    /// true in the encoder, false in the decoder.
    public let bidirectional: Bool

    /// A bias spec from its tables.
    public init(tables: [Weight], maxDistance: Int, bidirectional: Bool) {
        self.tables = tables
        self.maxDistance = maxDistance
        self.bidirectional = bidirectional
    }

    /// The table layer `l` uses.
    func table(layer l: Int) -> Int { tables.count == 1 ? 0 : l }
}

/// An encoder or a decoder: input stage, layers, final norm.
public struct Seq2SeqStack: @unchecked Sendable {
    /// The layers, in order.
    public let blocks: [Seq2SeqBlock]
    /// Learned absolute positions `[P + offset, C]` (BART `embed_positions`), read at
    /// `offset + position`; positions are `0..<T` in training and `past..<past + T` when decoding.
    public let learnedPositions: Weight?
    /// Added to every position before the table lookup (BART: 2).
    public let positionOffset: Int
    /// BART's `layernorm_embedding`.
    public let embeddingNorm: NormLayer?
    /// T5 `final_layer_norm`, mBART `layer_norm`; nil for BART.
    public let finalNorm: NormLayer?
    /// T5's relative-position bias of the self-attention (nil: none).
    public let relativeBias: RelativeBiasSpec?
    /// Causal self-attention (the decoder).
    public let causal: Bool

    /// A stack from its parts.
    public init(blocks: [Seq2SeqBlock], learnedPositions: Weight? = nil, positionOffset: Int = 0,
                embeddingNorm: NormLayer? = nil, finalNorm: NormLayer?, relativeBias: RelativeBiasSpec?, causal: Bool) {
        self.blocks = blocks
        self.learnedPositions = learnedPositions
        self.positionOffset = positionOffset
        self.embeddingNorm = embeddingNorm
        self.finalNorm = finalNorm
        self.relativeBias = relativeBias
        self.causal = causal
    }
}

/// A frozen encoder-decoder language model (`AutoModelForSeq2SeqLM`).
///
/// Training runs from the encoder's and the decoder's `inputs_embeds` (the token-embedding rows,
/// times ``embedScale``, with any soft prompt rows) and returns the gradient with respect to both;
/// no weight gradient is ever computed.
public final class Seq2SeqModel: @unchecked Sendable {
    /// Shape, special ids and options of both stacks (``spec`` is its ``ModelSpec`` view).
    public let seq2seqSpec: Seq2SeqSpec
    /// The shared token embedding `[V, C]` (`shared`).
    public let tokenEmbedding: Weight
    /// Multiplies token-embedding rows (BART `scale_embedding`: √d_model; else 1). `inputs_embeds`
    /// given to the model are used as they are, as in transformers.
    public let embedScale: Float
    /// The encoder (bidirectional) and the decoder (causal, with cross-attention) stacks.
    public let encoder: Seq2SeqStack
    public let decoder: Seq2SeqStack
    /// The LM head; T5's tied-head rescale d_model^-0.5 is its `logitScale`, BART's
    /// `final_logits_bias` its bias.
    public let head: LMHead

    /// A model from its parts (see `Architectures/T5.swift`, `BART.swift`).
    public init(spec: Seq2SeqSpec, tokenEmbedding: Weight, embedScale: Float, encoder: Seq2SeqStack,
                decoder: Seq2SeqStack, head: LMHead) {
        self.seq2seqSpec = spec
        self.tokenEmbedding = tokenEmbedding
        self.embedScale = embedScale
        self.encoder = encoder
        self.decoder = decoder
        self.head = head
    }

    /// `inputs_embeds` rows for token ids: `[ids.count, C]` = embedding rows × ``embedScale``.
    /// Ids outside the vocabulary throw.
    public func embed(_ ids: [Int32]) throws -> [Float] {
        var out = [Float](repeating: 0, count: ids.count * seq2seqSpec.hidden)
        try out.withUnsafeMutableBufferPointer { try embed(ids, into: $0.baseAddress!) }
        return out
    }

    /// ``embed(_:)`` into `out` `[ids.count, C]` (rows may be written to any row stride `stride` ≥ C).
    public func embed(_ ids: some Collection<Int32>, into out: UnsafeMutablePointer<Float>, stride: Int? = nil) throws {
        let c = seq2seqSpec.hidden, ld = stride ?? c
        for (i, id) in ids.enumerated() {
            guard id >= 0, Int(id) < seq2seqSpec.vocab else {
                throw ModelError.invalidInput("token id \(id) is outside the vocabulary (0..<\(seq2seqSpec.vocab))")
            }
            let dst = out + i * ld
            tokenEmbedding.rows(Int(id), Int(id) + 1, into: dst)
            if embedScale != 1 { for j in 0..<c { dst[j] *= embedScale } }
        }
    }

    /// transformers' `shift_tokens_right` / T5 `_shift_right`: `[B, T]` labels → decoder input ids
    /// (`decoder_start_token_id` first, labels shifted right by one, -100 replaced by `pad_token_id`).
    /// mBART (``Seq2SeqSpec/startsWithLastLabel``) starts each row with its label at index
    /// (number of non-pad labels − 1) instead, as its `shift_tokens_right` does.
    public func shiftRight(_ labels: [Int32], batch: Int) -> [Int32] {
        guard batch > 0 else { return labels.map { $0 == -100 ? seq2seqSpec.padTokenId : $0 } }
        let t = labels.count / batch
        var out = [Int32](repeating: seq2seqSpec.padTokenId, count: labels.count)
        for b in 0..<batch where t > 0 {
            let row = labels[(b * t)..<((b + 1) * t)].map { $0 == -100 ? seq2seqSpec.padTokenId : $0 }
            if seq2seqSpec.startsWithLastLabel {
                let real = row.filter { $0 != seq2seqSpec.padTokenId }.count
                out[b * t] = row[real > 0 ? real - 1 : t - 1]
            } else {
                out[b * t] = seq2seqSpec.decoderStartTokenId
            }
            for j in 1..<max(t, 1) {
                let v = labels[b * t + j - 1]
                out[b * t + j] = v == -100 ? seq2seqSpec.padTokenId : v
            }
        }
        return out
    }
}
