// `softprompt train` → `generate` on the tiny T5 fixture (ENCODER, DECODER, ENCODER+DECODER prompts),
// and the seq2seq-specific bad inputs, each refused with the field named and nothing written.

import Foundation
import Testing

extension CLI {
    /// The tiny T5 fixture (vocab 67: `<pad>` 0, `</s>` 1, `<unk>` 2, w3…w66) with a word-level
    /// tokenizer.json whose post-processor appends `</s>`, as T5's does.
    static func tinyT5WithTokenizer() throws -> String {
        try tinySeq2SeqWithTokenizer("t5", specials: ["<pad>", "</s>", "<unk>"])
    }

    /// The tiny BART fixture (vocab 67, 32 learned positions: `<s>` 0, `<pad>` 1, `</s>` 2, `<unk>` 3,
    /// w4…w66) with the same kind of tokenizer.
    static func tinyBARTWithTokenizer() throws -> String {
        try tinySeq2SeqWithTokenizer("bart", specials: ["<s>", "<pad>", "</s>", "<unk>"])
    }

    /// A copy of `Fixtures/seq2seq/<name>` (vocab 67) with a word-level tokenizer: `specials` take
    /// ids 0…, then `w<id>` up to 66; the post-processor appends `</s>`.
    static func tinySeq2SeqWithTokenizer(_ name: String, specials: [String]) throws -> String {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SPModelsTests/Fixtures/seq2seq/\(name)")
        let dir = try tempDir() + "/tiny-\(name)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for f in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: fixtures.appendingPathComponent(f).path, toPath: dir + "/" + f)
        }
        let eos = specials.firstIndex(of: "</s>")!
        let vocab = specials.enumerated().map { "\"\($1)\": \($0)" } + (specials.count..<67).map { "\"w\($0)\": \($0)" }
        func added(_ id: Int, _ s: String) -> String {
            "{\"id\": \(id), \"content\": \"\(s)\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}"
        }
        let tok = """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [\(specials.enumerated().map { added($0, $1) }.joined(separator: ", "))],
             "normalizer": null, "pre_tokenizer": {"type": "WhitespaceSplit"},
             "post_processor": {"type": "TemplateProcessing",
               "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
               "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
               "special_tokens": {"</s>": {"id": "</s>", "ids": [\(eos)], "tokens": ["</s>"]}}},
             "decoder": null,
             "model": {"type": "WordLevel", "vocab": {\(vocab.joined(separator: ", "))}, "unk_token": "<unk>"}}
            """
        try tok.write(toFile: dir + "/tokenizer.json", atomically: true, encoding: .utf8)
        try "{\"eos_token\": \"</s>\", \"pad_token\": \"<pad>\", \"unk_token\": \"<unk>\"}"
            .write(toFile: dir + "/tokenizer_config.json", atomically: true, encoding: .utf8)
        return dir
    }
}

@Suite(.serialized) struct Seq2SeqCLITests {
    static let model = try! CLI.tinyT5WithTokenizer()

    func data() throws -> String {
        let p = try CLI.tempDir() + "/train.jsonl"
        let lines = (0..<6).map { i in "{\"input\": \"w\(10 + i) w\(11 + i) w\(12 + i)\", \"output\": \"w\(30 + i % 2) w40\"}" }
        try lines.joined(separator: "\n").write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func train(_ extra: [String]) throws -> String {
        let out = try CLI.tempDir() + "/prompt"
        let r = try CLI.run(["train", "--base-model", Self.model, "--train-data", try data(), "--output", out,
                             "--num-virtual-tokens", "3", "--num-epochs", "2", "--batch-size", "2",
                             "--accumulate-steps", "1", "--lr", "0.05", "--silence-progress-bars"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        return out
    }

    func generate(_ prompt: String, _ args: [String]) throws -> [[String: Any]] {
        let r = try CLI.run(["generate", "--model", prompt, "--json", "--text", "w10 w11 w12"] + args)
        #expect(r.status == 0, "\(r.stderr)")
        return try r.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func adapterConfig(_ out: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: out + "/tiny-t5/adapter_config.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func encoderPromptTrainsSavesAndGenerates() throws {
        let out = try train([])
        let fm = FileManager.default
        #expect(fm.fileExists(atPath: out + "/encoder.pt") && !fm.fileExists(atPath: out + "/decoder.pt"))
        let yml = try String(contentsOfFile: out + "/config.yml", encoding: .utf8)
        for key in ["task_type: SEQ_2_SEQ_LM", "ENCODER: encoder.pt", "DECODER: ''"] {
            #expect(yml.contains(key), "config.yml lacks \(key): \(yml)")
        }
        let adapter = try adapterConfig(out)
        #expect(adapter["task_type"] as? String == "SEQ_2_SEQ_LM")
        #expect(adapter["num_transformer_submodules"] as? Int == 1)
        #expect(adapter["num_layers"] as? Int == 2 && adapter["token_dim"] as? Int == 24)
        let r = try #require(try generate(out, ["--max-new-tokens", "4", "--no-preserve-input-text"]).first)
        let n = try #require(r["generated_tokens"] as? Int)
        #expect(n >= 1 && n <= 4)
        let reason = r["finish_reason"] as? String
        #expect(reason == "MAX_TOKENS" || reason == "EOS_TOKEN", "\(r)")
        // The PEFT adapter directory generates the same text as the caikit directory.
        let peft = try #require(try generate(out + "/tiny-t5", ["--max-new-tokens", "4", "--no-preserve-input-text",
                                                               "--base-model", Self.model]).first)
        #expect(peft["generated_text"] as? String == r["generated_text"] as? String)
        // min_new_tokens holds EOS back; sampling with a seed is repeatable; streaming works.
        let long = try #require(try generate(out, ["--max-new-tokens", "6", "--min-new-tokens", "6"]).first)
        #expect(long["generated_tokens"] as? Int == 6)
        let sampling = ["--max-new-tokens", "5", "--decoding-method", "SAMPLING", "--seed", "7", "--top-k", "5"]
        let s1 = try generate(out, sampling), s2 = try generate(out, sampling)
        #expect(s1.first?["generated_text"] as? String == s2.first?["generated_text"] as? String)
        let stream = try generate(out, ["--max-new-tokens", "3", "--stream"])
        #expect(stream.count >= 2, "a stream has one message per token: \(stream)")
        // Token details and stop sequences as for causal LMs; input-token scores are refused clearly.
        let detailed = try #require(try generate(out, ["--max-new-tokens", "4", "--min-new-tokens", "4", "--tokens", "--logprobs"]).first)
        let tokens = try #require(detailed["tokens"] as? [[String: Any]])
        #expect(tokens.count == 4 && tokens.allSatisfy { ($0["logprob"] as? Double ?? 1) <= 0 })
        let firstText = try #require(tokens.first?["text"] as? String)
        let stopped = try #require(try generate(out, ["--max-new-tokens", "4", "--min-new-tokens", "4", "--stop-sequence", firstText]).first)
        #expect(stopped["finish_reason"] as? String == "STOP_SEQUENCE" && stopped["generated_tokens"] as? Int == 1)
        let scored = try CLI.run(["generate", "--model", out, "--json", "--text", "w10", "--input-tokens", "--logprobs"])
        #expect(scored.status != 0 && scored.stderr.contains("encoder-decoder"), "\(scored.stderr)")
    }

    @Test func decoderAndBothPromptsSaveTheirOwnHalves() throws {
        let both = try train(["--output-model-types", "ENCODER", "DECODER"])
        let fm = FileManager.default
        #expect(fm.fileExists(atPath: both + "/encoder.pt") && fm.fileExists(atPath: both + "/decoder.pt"))
        let enc = try Data(contentsOf: URL(fileURLWithPath: both + "/encoder.pt"))
        let dec = try Data(contentsOf: URL(fileURLWithPath: both + "/decoder.pt"))
        #expect(enc != dec, "each file holds its own half (caikit writes the encoder half twice)")
        #expect(try adapterConfig(both)["num_transformer_submodules"] as? Int == 2)
        let r = try #require(try generate(both, ["--max-new-tokens", "3"]).first)
        #expect((r["generated_tokens"] as? Int ?? 0) >= 1)
        // Gradient checkpointing recomputes the activations bit for bit: the same trained halves.
        let seeded = try train(["--output-model-types", "ENCODER", "DECODER", "--seed", "3"])
        let replayed = try train(["--output-model-types", "ENCODER", "DECODER", "--seed", "3", "--checkpointing"])
        for file in ["/encoder.pt", "/decoder.pt"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: seeded + file))
            let b = try Data(contentsOf: URL(fileURLWithPath: replayed + file))
            #expect(a == b, "\(file) differs with --checkpointing")
        }

        let dOnly = try train(["--output-model-types", "decoder"])
        #expect(fm.fileExists(atPath: dOnly + "/decoder.pt") && !fm.fileExists(atPath: dOnly + "/encoder.pt"))
        #expect(!fm.fileExists(atPath: dOnly + "/tiny-t5/adapter_config.json"), "PEFT cannot express a DECODER-only seq2seq prompt")
        let d = try #require(try generate(dOnly, ["--max-new-tokens", "3"]).first)
        #expect((d["generated_tokens"] as? Int ?? 0) >= 1)
    }

    func expectRejected(_ args: [String], mentions words: [String], sourceLine: Int = #line) throws {
        let out = try CLI.tempDir() + "/never"
        let r = try CLI.run(["train", "--output", out, "--silence-progress-bars", "--num-virtual-tokens", "3",
                             "--train-data", try data()] + args)
        #expect(r.status != 0, "line \(sourceLine): exit 0 for bad input")
        for w in words { #expect(r.stderr.contains(w), "line \(sourceLine): stderr lacks '\(w)': \(r.stderr)") }
        #expect(!FileManager.default.fileExists(atPath: out), "line \(sourceLine): output written despite the error")
    }

    @Test func badOutputModelTypesAndTuningTypesAreRefused() throws {
        let gpt2 = try CLI.tinyModelWithTokenizer()
        try expectRejected(["--base-model", gpt2, "--output-model-types", "ENCODER"],
                           mentions: ["tuning_config.output_model_types", "ENCODER"])
        try expectRejected(["--base-model", Self.model, "--output-model-types", "MIDDLE"],
                           mentions: ["tuning_config.output_model_types", "MIDDLE"])
        try expectRejected(["--base-model", Self.model, "--output-model-types", "ENCODER", "ENCODER"],
                           mentions: ["tuning_config.output_model_types"])
        try expectRejected(["--base-model", Self.model, "--tuning-type", "PREFIX_TUNING"], mentions: ["tuning_type"])
        let cfg = try CLI.tempDir() + "/empty.yml"
        try "base_model: \(Self.model)\ntuning_config: {num_virtual_tokens: 3, output_model_types: []}\n"
            .write(toFile: cfg, atomically: true, encoding: .utf8)
        try expectRejected(["--config", cfg], mentions: ["output_model_types", "[]"])
    }

    @Test func whatSeq2SeqCannotDoIsRefusedBeforeAnyWork() throws {
        // q8_0 weights: not implemented for encoder-decoder models.
        let q8 = try CLI.run(["generate", "--model", Self.model, "--text", "w10 w11", "--dtype", "q8_0"])
        #expect(q8.status != 0 && q8.stderr.contains("q8_0") && q8.stderr.contains("--dtype"), "\(q8.stderr)")
        #expect(q8.stdout.isEmpty, "nothing generated: \(q8.stdout)")
        // Input-token scores: refused before the encoder runs, naming the field.
        let scored = try CLI.run(["generate", "--model", Self.model, "--json", "--text", "w10", "--input-tokens", "--ranks"])
        #expect(scored.status != 0 && scored.stderr.contains("input_tokens") && scored.stdout.isEmpty, "\(scored.stderr)")
        // BART's 32 learned positions bound the encoder input and the decoder output before any work.
        let bart = try CLI.tinyBARTWithTokenizer()
        let long = (0..<40).map { "w\(4 + $0 % 60)" }.joined(separator: " ")
        let tooLong = try CLI.run(["generate", "--model", bart, "--json", "--text", long, "--max-new-tokens", "2"])
        #expect(tooLong.status != 0 && tooLong.stderr.contains("max_position_embeddings")
                && tooLong.stderr.contains("truncate_input_tokens") && tooLong.stdout.isEmpty, "\(tooLong.stderr)")
        let truncated = try CLI.run(["generate", "--model", bart, "--json", "--text", long, "--max-new-tokens", "2",
                                     "--truncate-input-tokens", "20"])
        #expect(truncated.status == 0, "truncated to fit: \(truncated.stderr)")
        let tooMany = try CLI.run(["generate", "--model", bart, "--json", "--text", "w10 w11", "--max-new-tokens", "40"])
        #expect(tooMany.status != 0 && tooMany.stderr.contains("max_new_tokens")
                && tooMany.stderr.contains("max_position_embeddings") && tooMany.stdout.isEmpty, "\(tooMany.stderr)")
        // Training: the longest source plus the prompt rows must fit the encoder's positions.
        let data = try CLI.tempDir() + "/long.jsonl"
        try "{\"input\": \"\(long)\", \"output\": \"w10\"}\n".write(toFile: data, atomically: true, encoding: .utf8)
        let out = try CLI.tempDir() + "/never"
        let train = try CLI.run(["train", "--base-model", bart, "--train-data", data, "--output", out,
                                 "--num-virtual-tokens", "3", "--silence-progress-bars"])
        #expect(train.status != 0 && train.stderr.contains("max_source_length")
                && train.stderr.contains("max_position_embeddings"), "\(train.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "output written despite the error")
    }
}
