// A tiny causal LM (the GPT-2 fixture with a word-level tokenizer) and an engine over a fresh
// temporary directory.

import Foundation
import SPJobs

/// `root/tiny`: the tiny GPT-2 fixture (vocabulary 331) with tokens `w0`…`w328`, `<eos>`, `<unk>`.
func tinyModel(in root: String) throws -> String {
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SPModelsTests/Fixtures/gpt2")
    let dir = root + "/base/tiny"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for f in ["config.json", "model.safetensors"] {
        try FileManager.default.copyItem(atPath: fixture.appendingPathComponent(f).path, toPath: dir + "/" + f)
    }
    let words = ((0..<329).map { "w\($0)" } + ["<eos>", "<unk>"]).enumerated().map { "\"\($1)\": \($0)" }
    let eos = #"{"id": 329, "content": "<eos>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}"#
    let tokenizer = #"{"version": "1.0", "truncation": null, "padding": null, "normalizer": null, "post_processor": null, "#
        + #""decoder": null, "pre_tokenizer": {"type": "WhitespaceSplit"}, "added_tokens": ["# + eos + "], "
        + #""model": {"type": "WordLevel", "unk_token": "<unk>", "vocab": {"# + words.joined(separator: ", ") + "}}}"
    try tokenizer.write(toFile: dir + "/tokenizer.json", atomically: true, encoding: .utf8)
    try #"{"eos_token": "<eos>", "pad_token": "<eos>"}"#.write(toFile: dir + "/tokenizer_config.json", atomically: true,
                                                              encoding: .utf8)
    return dir
}

/// A temporary server layout: `work/`, `models/`, `data/`, `base/tiny`.
struct Sandbox {
    let root = NSTemporaryDirectory() + "spjobs-" + UUID().uuidString
    var config: JobEngineConfig {
        JobEngineConfig(workDirectory: URL(fileURLWithPath: root + "/work"), localModelsDir: root + "/models",
                        baseModelsDir: root + "/base", dataDirectory: URL(fileURLWithPath: root + "/data"))
    }

    init() throws {
        try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
        _ = try tinyModel(in: root)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    /// caikit's README train body on the tiny model, with inline data.
    static func body(name: String = "twitter-pt", epochs: Int = 2, stream: String? = nil, extra: String = "") -> Data {
        let data = (0..<6).map { #"{"input": "w\#($0) w\#($0 + 2) w\#($0 + 5)", "output": "w\#(10 + $0 % 3)"}"# }
        let s = stream ?? #"{"data_stream": {"data": [\#(data.joined(separator: ", "))]}}"#
        return Data("""
            {"model_name": "\(name)", \(extra)
             "parameters": {"base_model": "tiny", "train_stream": \(s),
               "tuning_config": {"num_virtual_tokens": 3, "prompt_tuning_init_method": "TEXT", "prompt_tuning_init_text": "w1 w2"},
               "num_epochs": \(epochs), "learning_rate": 0.05, "verbalizer": "{{input}}", "batch_size": 2,
               "max_source_length": 32, "max_target_length": 8, "accumulate_steps": 2, "torch_dtype": "float32", "seed": 11}}
            """.utf8)
    }
}
