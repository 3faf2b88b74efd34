// Runs the built `softprompt` binary (it sits next to the test bundle) and captures its output.

import Foundation
import SPTestSupport
import Testing

struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

enum CLI {
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("softprompt")
    }

    static func run(_ args: [String], env: [String: String] = [:], cwd: String? = nil) throws -> CLIResult {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), r = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLIResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                         stderr: String(decoding: r, as: UTF8.self))
    }

    static func tempDir() throws -> String {
        let d = NSTemporaryDirectory() + "softprompt-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// The tiny GPT-2 fixture with a word-level tokenizer.json written next to it (tokens w0…w328,
    /// `<eos>` = 329), so the whole train → save path runs without downloads.
    static func tinyModelWithTokenizer() throws -> String {
        let fixtures = FixtureRoot(target: "SPModelsTests")
        let dir = try tempDir() + "/tiny-gpt2"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for f in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: fixtures.file("gpt2/" + f).path, toPath: dir + "/" + f)
        }
        var vocab: [String] = (0..<329).map { "\"w\($0)\": \($0)" }
        vocab.append("\"<eos>\": 329")
        vocab.append("\"<unk>\": 330")
        let tok = """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [{"id": 329, "content": "<eos>", "single_word": false, "lstrip": false, "rstrip": false,
                               "normalized": false, "special": true}],
             "normalizer": null, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null, "decoder": null,
             "model": {"type": "WordLevel", "vocab": {\(vocab.joined(separator: ", "))}, "unk_token": "<unk>"}}
            """
        try tok.write(toFile: dir + "/tokenizer.json", atomically: true, encoding: .utf8)
        try "{\"eos_token\": \"<eos>\", \"pad_token\": \"<eos>\"}".write(toFile: dir + "/tokenizer_config.json",
                                                                         atomically: true, encoding: .utf8)
        return dir
    }
}
