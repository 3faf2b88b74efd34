// A random T5 v1.0-shaped checkpoint (ReLU FFN, tied head, shared relative bias) for benchmarks.

import SPFormats
import SPJSON

extension SyntheticCheckpoint {
    /// Seeded tensors under transformers' T5 names and the matching config.json (`layers` per stack,
    /// `d_kv` = hidden / heads, 32 relative-attention buckets, pad 0, eos 1, decoder start 0).
    public static func t5(layers: Int, hidden c: Int, ffn: Int, heads: Int, vocab: Int,
                          seed: UInt64 = 1) throws -> (SyntheticCheckpoint, JSONConfig) {
        let inner = c, buckets = 32
        var tensors: [(String, [Int])] = [("shared.weight", [vocab, c])]
        for (stack, decoder) in [("encoder", false), ("decoder", true)] {
            for l in 0..<layers {
                let p = "\(stack).block.\(l).layer."
                for m in ["q", "k", "v"] { tensors.append((p + "0.SelfAttention.\(m).weight", [inner, c])) }
                tensors.append((p + "0.SelfAttention.o.weight", [c, inner]))
                if l == 0 { tensors.append((p + "0.SelfAttention.relative_attention_bias.weight", [buckets, heads])) }
                tensors.append((p + "0.layer_norm.weight", [c]))
                if decoder {
                    for m in ["q", "k", "v"] { tensors.append((p + "1.EncDecAttention.\(m).weight", [inner, c])) }
                    tensors.append((p + "1.EncDecAttention.o.weight", [c, inner]))
                    tensors.append((p + "1.layer_norm.weight", [c]))
                }
                let f = decoder ? 2 : 1
                tensors.append((p + "\(f).DenseReluDense.wi.weight", [ffn, c]))
                tensors.append((p + "\(f).DenseReluDense.wo.weight", [c, ffn]))
                tensors.append((p + "\(f).layer_norm.weight", [c]))
            }
            tensors.append(("\(stack).final_layer_norm.weight", [c]))
        }
        let config = try JSONConfig(json: """
            {"model_type": "t5", "d_model": \(c), "d_kv": \(c / max(1, heads)), "d_ff": \(ffn), "num_heads": \(heads),
             "vocab_size": \(vocab), "num_layers": \(layers), "num_decoder_layers": \(layers),
             "relative_attention_num_buckets": \(buckets), "feed_forward_proj": "relu", "tie_word_embeddings": true,
             "pad_token_id": 0, "decoder_start_token_id": 0, "eos_token_id": 1}
            """, file: "synthetic t5 config.json")
        return (SyntheticCheckpoint(tensors, seed: seed), config)
    }
}
