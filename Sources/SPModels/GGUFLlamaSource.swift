// A llama.cpp GGUF file seen as an HF Llama checkpoint: tensor names mapped to transformers' names,
// the Q/K row permutation of llama.cpp's converter undone, and a config.json made from metadata.

import SPFormats
import SPJSON
import SPTensor

/// Serves a `general.architecture = llama` GGUF file under HF `LlamaForCausalLM` tensor names.
public final class GGUFLlamaSource: TensorSource, @unchecked Sendable {
    public let file: GGUFFile
    /// The equivalent HF config.
    public let config: JSONConfig
    /// ``config`` as JSON text (what caikit stores as `base_model_config`).
    public let configJSON: String
    private let hfToGGUF: [String: String]
    private let heads: Int, kvHeads: Int
    /// True when quantized tensors are served in their own block format (``SPFormats/GGUFFile/blockWeight(_:)``)
    /// rather than dequantized to float32.
    public let keepsBlocks: Bool

    /// Wraps `file`; `keepBlocks` serves quantized weights as ggml blocks (`--dtype native`).
    public init(_ file: GGUFFile, path: String, keepBlocks: Bool = false) throws {
        self.file = file
        self.keepsBlocks = keepBlocks
        let m = file.metadata
        let arch = try m.architecture()
        guard arch == "llama" else {
            throw ModelError.invalidConfig("GGUF architecture '\(arch)' is not supported (only llama)", file: path)
        }
        heads = try m.archInt("attention.head_count")
        kvHeads = try m.intIfPresent("llama.attention.head_count_kv") ?? heads
        let hidden = try m.archInt("embedding_length")
        let vocab = try file.shape(of: "token_embd.weight")[0]
        let tied = !file.tensorNames.contains("output.weight")
        var json = "{\"model_type\": \"llama\", \"hidden_size\": \(hidden), "
        json += "\"num_hidden_layers\": \(try m.archInt("block_count")), "
        json += "\"num_attention_heads\": \(heads), \"num_key_value_heads\": \(kvHeads), "
        json += "\"intermediate_size\": \(try m.archInt("feed_forward_length")), "
        json += "\"max_position_embeddings\": \(try m.archInt("context_length")), "
        json += "\"rms_norm_eps\": \(try m.archFloat("attention.layer_norm_rms_epsilon")), "
        json += "\"rope_theta\": \(try m.floatIfPresent("llama.rope.freq_base") ?? 10_000), "
        if let hd = try m.intIfPresent("llama.attention.key_length") { json += "\"head_dim\": \(hd), " }
        json += "\"vocab_size\": \(vocab), \"tie_word_embeddings\": \(tied), \"hidden_act\": \"silu\"}"
        if try m.stringIfPresent("llama.rope.scaling.type").map({ $0 != "none" }) ?? false
            || file.tensorNames.contains("rope_freqs.weight") {
            throw ModelError.invalidConfig("GGUF rope scaling is not supported yet", file: path)
        }
        config = try JSONConfig(json: json, file: path + " (metadata)")
        configJSON = json
        var map: [String: String] = [
            "model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
        ]
        if !tied { map["lm_head.weight"] = "output.weight" }
        let perLayer = [
            ("input_layernorm.weight", "attn_norm.weight"), ("self_attn.q_proj.weight", "attn_q.weight"),
            ("self_attn.k_proj.weight", "attn_k.weight"), ("self_attn.v_proj.weight", "attn_v.weight"),
            ("self_attn.o_proj.weight", "attn_output.weight"), ("post_attention_layernorm.weight", "ffn_norm.weight"),
            ("mlp.gate_proj.weight", "ffn_gate.weight"), ("mlp.up_proj.weight", "ffn_up.weight"),
            ("mlp.down_proj.weight", "ffn_down.weight"),
        ]
        let present = Set(file.tensorNames)
        for l in 0..<(try m.archInt("block_count")) {
            for (hf, gg) in perLayer where present.contains("blk.\(l).\(gg)") {
                map["model.layers.\(l).\(hf)"] = "blk.\(l).\(gg)"
            }
        }
        let unmapped = present.subtracting(map.values)
        if !unmapped.isEmpty {
            throw ModelError.unexpectedTensors(unmapped.sorted(), file: path)
        }
        hfToGGUF = map
    }

    public var tensorNames: [String] { hfToGGUF.keys.sorted() }

    public func shape(of name: String) throws -> [Int] { try file.shape(of: ggufName(name)) }

    public func tensor(_ name: String) throws -> Tensor {
        let t = try file.tensor(ggufName(name))
        if name.hasSuffix("q_proj.weight") { return unpermute(t, heads: heads) }
        if name.hasSuffix("k_proj.weight") { return unpermute(t, heads: kvHeads) }
        return t
    }

    public func weight(_ name: String, transposed: Bool) throws -> Weight {
        if keepsBlocks, !transposed, let w = try file.blockWeight(ggufName(name)) {
            if name.hasSuffix("q_proj.weight") { return try unpermuteBlocks(w, heads: heads) }
            if name.hasSuffix("k_proj.weight") { return try unpermuteBlocks(w, heads: kvHeads) }
            return w
        }
        if name.hasSuffix("q_proj.weight") || name.hasSuffix("k_proj.weight") {
            return Weight(try tensor(name), transposed: transposed)
        }
        return try file.weight(ggufName(name), transposed: transposed)
    }

    private func ggufName(_ name: String) throws -> String {
        guard let g = hfToGGUF[name] else { throw ModelError.missingTensor(name, file: "GGUF") }
        return g
    }

    /// ``unpermute(_:heads:)`` on whole rows of blocks: an owned copy in the same block format.
    func unpermuteBlocks(_ w: Weight, heads: Int) throws -> Weight {
        guard case .blocks(let f, let p) = w.storage, heads > 0, w.outFeatures % (2 * heads) == 0 else {
            throw ModelError.invalidConfig("Q/K rows (\(w.outFeatures)) are not a whole number of heads (\(heads))",
                                           file: file.path)
        }
        let rowBytes = f.rowBytes(w.inFeatures), hd = w.outFeatures / heads, half = hd / 2
        let buf = ByteBuffer(count: w.outFeatures * rowBytes)
        for h in 0..<heads {
            for i in 0..<2 {
                for j in 0..<half {
                    let src = h * hd + j * 2 + i, dst = h * hd + i * half + j
                    (buf.data + dst * rowBytes).copyMemory(from: p + src * rowBytes, byteCount: rowBytes)
                }
            }
        }
        return Weight(outFeatures: w.outFeatures, inFeatures: w.inFeatures, storage: .blocks(f, UnsafeRawPointer(buf.data)),
                      owner: buf)
    }

    /// llama.cpp stores row (h, j, i) of Q/K where HF has (h, i, j), i ∈ {0, 1}, j < HD/2
    /// (`permute` in convert_hf_to_gguf.py); this restores the HF order.
    func unpermute(_ t: Tensor, heads: Int) -> Tensor {
        let rows = t.shape[0], cols = t.shape[1], hd = rows / heads, half = hd / 2
        let out = Tensor(shape: t.shape)
        for h in 0..<heads {
            for i in 0..<2 {
                for j in 0..<half {
                    let src = h * hd + j * 2 + i, dst = h * hd + i * half + j
                    (out.data + dst * cols).update(from: t.data + src * cols, count: cols)
                }
            }
        }
        return out
    }
}
