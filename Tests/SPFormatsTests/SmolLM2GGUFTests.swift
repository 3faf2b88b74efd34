// The real model: every tensor of SmolLM2-135M-Instruct Q4_1 (GGUF) dequantizes to the same float32
// bytes as the `gguf` Python package (hashes from scripts/reference/smollm2_gguf_reference.py).
// Skipped when the model file is absent (run scripts/fetch_smollm2.sh, or set SOFTPROMPT_SMOLLM2_GGUF);
// with CI=true its absence is a failure.

import Foundation
import SPJSON
import SPTestSupport
import Testing
@testable import SPFormats
@testable import SPTensor

@Suite(.requires(.smolLM2))
struct SmolLM2GGUFTests {
    let reference: JSONValue
    let file: GGUFFile

    init() throws {
        reference = try fixtureJSON("smollm2_q4_1.json")
        file = try GGUFFile(path: ExternalFile.smolLM2.require().path)
    }

    @Test func headerAndMetadata() throws {
        let r: JSONValue = reference["file"], md = file.metadata, want: JSONValue = reference["metadata"]
        #expect(file.map.size == r["size"].int)
        #expect(file.version == r["version"].int && file.header.alignment == r["alignment"].int)
        #expect(file.header.dataOffset == r["data_offset"].int && file.tensors.count == r["tensor_count"].int)
        #expect(try md.architecture() == "llama" && want["general.architecture"].string == "llama")
        #expect(try md.string("general.name") == want["general.name"].string)
        for key in ["general.file_type", "llama.block_count", "llama.context_length", "llama.embedding_length",
                    "llama.feed_forward_length", "llama.attention.head_count", "llama.attention.head_count_kv",
                    "llama.vocab_size", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"] {
            #expect(try md.int(key) == want[key].int, "\(key)")
        }
        #expect(try md.archInt("block_count") == 30 && md.archInt("embedding_length") == 576)
        #expect(try md.float("llama.rope.freq_base") == want["llama.rope.freq_base"].double)
        #expect(try md.archFloat("attention.layer_norm_rms_epsilon") == want["llama.attention.layer_norm_rms_epsilon"].double)
        #expect(try md.string("tokenizer.ggml.model") == want["tokenizer.ggml.model"].string)
        #expect(try md.bool("tokenizer.ggml.add_bos_token") == (want["tokenizer.ggml.add_bos_token"] == .bool(true)))
        let tokens = try md.strings("tokenizer.ggml.tokens")
        #expect(tokens.count == want["tokens.count"].int)
        #expect(Array(tokens.prefix(5)) == want["tokens.first"].array.map(\.string))
        #expect(tokens.last == want["tokens.last"].string)
        let merges = try md.strings("tokenizer.ggml.merges")
        #expect(merges.count == want["merges.count"].int && merges.first == want["merges.first"].string)
        #expect(Array(try md.ints("tokenizer.ggml.token_type").prefix(3)) == want["token_type.first"].ints)
        #expect(SHA256.hex(Array(try md.string("tokenizer.chat_template").utf8)) == want["chat_template.sha256"].string)
        #expect(md.count == want["kv_count"].int)
    }

    @Test("all 272 tensors dequantize to the reference's bytes")
    func everyTensorMatchesReference() throws {
        let tensors = reference["tensors"].array
        #expect(tensors.count == 272 && file.tensors.count == 272)
        var mismatches: [String] = []
        var seconds = 0.0
        for (info, want) in zip(file.tensors, tensors) {
            #expect(info.name == want["name"].string && info.type.name == want["type"].string)
            #expect(info.shape == want["shape"].ints, "\(info.name) shape")
            let out = Tensor(shape: info.shape)
            let t0 = DispatchTime.now().uptimeNanoseconds
            try file.dequantize(info, into: out.data)
            seconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            let hash = SHA256.hex(UnsafeRawPointer(out.data), count: out.count * 4)
            if hash != want["sha256"].string { mismatches.append(info.name) }
            var sum = 0.0
            for i in 0..<out.count { sum += Double(out.data[i]) }
            #expect(abs(sum - want["sum"].double) <= 1e-6 * max(1, abs(want["sum"].double)), "\(info.name) sum")
        }
        #expect(mismatches.isEmpty, "hash differs for \(mismatches.count) tensors: \(mismatches.prefix(5))")
        let py = reference["timing"]["gguf_python_dequantize_all_ms"].double
        print("SmolLM2 Q4_1: dequantized \(file.tensors.count) tensors in \(String(format: "%.1f", seconds * 1000)) ms"
              + " (gguf Python package: \(py) ms)")
    }

    @Test func weightsAndTorchOrder() throws {
        let emb = try file.info("token_embd.weight")
        #expect(emb.ne == [576, 49152] && emb.shape == [49152, 576])
        let w = try file.weight("blk.0.attn_k.weight")  // ne = [576, 192]: nn.Linear(576 → 192)
        #expect(w.outFeatures == 192 && w.inFeatures == 576 && w.dtype == .float32)
        let t = try file.tensor("blk.0.attn_k.weight")
        #expect(w.row(5) == Array(t.array[(5 * 576)..<(6 * 576)]))
        let norm = try file.tensor("blk.0.attn_norm.weight")
        #expect(norm.shape == [576])
        expectFormatError("shapeMismatch") { _ = try file.weight("blk.0.attn_norm.weight") }
    }
}
