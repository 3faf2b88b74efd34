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

    /// ``body(name:epochs:stream:extra:)`` as a MULTITASK_PROMPT_TUNING request: `num_tasks` 2,
    /// `num_ranks` 2, records named "pos"/"neg" (or with the `task_id`s `tasks`), TEXT init unless
    /// `initConfig` replaces it.
    static func multitaskBody(name: String = "mpt", epochs: Int = 2, tasks: [Int]? = nil, numTasks: Int = 2,
                              initConfig: String = #""prompt_tuning_init_method": "TEXT", "prompt_tuning_init_text": "w1 w2""#) -> Data {
        let data = (0..<6).map { i in
            let task = tasks.map { #""task_id": \#($0[i])"# } ?? #""task": "\#(i % 2 == 0 ? "pos" : "neg")""#
            return #"{"input": "w\#(i) w\#(i + 2) w\#(i + 5)", "output": "w\#(10 + i % 3)", \#(task)}"#
        }
        let plain = String(decoding: body(name: name, epochs: epochs, stream: #"{"data_stream": {"data": [\#(data.joined(separator: ", "))]}}"#),
                           as: UTF8.self)
        return Data(plain
            .replacingOccurrences(of: #""base_model": "tiny","#, with: #""base_model": "tiny", "tuning_type": "MULTITASK_PROMPT_TUNING","#)
            .replacingOccurrences(of: #""prompt_tuning_init_method": "TEXT", "prompt_tuning_init_text": "w1 w2""#, with: initConfig)
            .replacingOccurrences(of: #""num_virtual_tokens": 3,"#, with: #""num_virtual_tokens": 3, "num_tasks": \#(numTasks), "num_ranks": 2,"#)
            .utf8)
    }
}
