// Issue 12 item 3: sizes from outside are errors naming the limit, never traps — num_virtual_tokens
// that overflow or do not fit, --threads, --max-new-tokens and inputs beyond the context, damaged
// GGUF dimensions, a YAML alias bomb.

import Foundation
import Testing

@Suite(.serialized) struct BadInputSizeTests {
    static let model = BadInputOutputTests.model

    func workspace() throws -> String {
        let d = try CLI.tempDir()
        try BadInputOutputTests.good.joined(separator: "\n").write(toFile: d + "/train.jsonl", atomically: true, encoding: .utf8)
        return d
    }

    func train(_ d: String, _ extra: [String]) -> [String] {
        ["train", "--base-model", Self.model, "--train-data", d + "/train.jsonl", "--output", d + "/out",
         "--num-epochs", "1", "--batch-size", "2", "--silence-progress-bars"] + extra
    }

    @Test func hugeNumVirtualTokensIsRefused() throws {
        let d = try workspace()
        try expectRefused(train(d, ["--num-virtual-tokens", "4611686018427387904"]), mentions: ["num_virtual_tokens", "at most"],
                          root: d)
        try expectRefused(train(d, ["--num-virtual-tokens", "100000"]), mentions: ["num_virtual_tokens", "positions"], root: d)
        try expectRefused(train(d, ["--num-virtual-tokens", "4", "--max-source-length", "4611686018427387904"]),
                          mentions: ["max_source_length"], root: d)
    }

    @Test func trainingExamplesBeyondTheContextAreRefused() throws {
        let d = try workspace()
        let long = (0..<100).map { "w\($0)" }.joined(separator: " ")
        try "{\"input\": \"\(long)\", \"output\": \"w1\"}".write(toFile: d + "/long.jsonl", atomically: true, encoding: .utf8)
        var args = train(d, ["--num-virtual-tokens", "2"])
        args[args.firstIndex(of: d + "/train.jsonl")!] = d + "/long.jsonl"
        try expectRefused(args, mentions: ["positions", "64"], root: d)
    }

    @Test func threadCountsAreBounded() throws {
        let d = try workspace()
        try expectRefused(train(d, ["--num-virtual-tokens", "2", "--threads", "100000"]), mentions: ["threads", "1…"], root: d)
        try expectRefused(train(d, ["--num-virtual-tokens", "2", "--threads", "0"]), mentions: ["threads"], root: d)
        try expectRefused(["generate", "--model", Self.model, "--text", "w1", "--threads", "100000"],
                          mentions: ["threads"], root: d)
    }

    @Test func maxNewTokensAndInputsBeyondTheContextAreRefused() throws {
        let d = try workspace()
        try expectRefused(["generate", "--model", llamaFixture, "--ids", "1,2,3", "--max-new-tokens", "1000000000"],
                          mentions: ["positions", "64"], root: d)
        let long = (0..<70).map { String($0 % 50 + 1) }.joined(separator: ",")
        try expectRefused(["generate", "--model", llamaFixture, "--ids", long, "--max-new-tokens", "1"],
                          mentions: ["positions", "64"], root: d)
        try expectRefused(["generate", "--model", Self.model, "--text", "w1", "--max-new-tokens", "1000000000"],
                          mentions: ["positions"], root: d)
    }

    @Test func damagedGGUFDimensionsAreErrors() throws {
        let d = try workspace()
        try Data(llamaGGUF(hidden: 0, heads: 2)).write(to: URL(fileURLWithPath: d + "/zero-width.gguf"))
        try expectRefused(["generate", "--model", d + "/zero-width.gguf", "--ids", "1"], mentions: ["hidden_size", "0"], root: d)
        try Data(llamaGGUF(hidden: 8, heads: 0)).write(to: URL(fileURLWithPath: d + "/zero-heads.gguf"))
        try expectRefused(["generate", "--model", d + "/zero-heads.gguf", "--ids", "1"], mentions: ["num_attention_heads", "0"],
                          root: d)
        // The fuzzer's find: a zero-element tensor whose data would start past the end of the file.
        try Data(llamaGGUF(hidden: 0, heads: 2, pad: false)).write(to: URL(fileURLWithPath: d + "/cut.gguf"))
        try expectRefused(["generate", "--model", d + "/cut.gguf", "--ids", "1"], mentions: ["cut.gguf", "token_embd.weight"],
                          root: d)
    }

    @Test func aYAMLAliasBombIsRefusedQuickly() throws {
        let d = try workspace()
        var yaml = "base_model: x\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
        let names = "abcdefghijkl".map(String.init)
        for i in 1..<names.count {
            yaml += "\(names[i]): &\(names[i]) [" + Array(repeating: "*\(names[i - 1])", count: 10).joined(separator: ", ") + "]\n"
        }
        try yaml.write(toFile: d + "/bomb.yml", atomically: true, encoding: .utf8)
        let start = Date()
        try expectRefused(["train", "--config", d + "/bomb.yml", "--output", d + "/out"], mentions: ["bomb.yml", "expands to more than"],
                          root: d)
        #expect(Date().timeIntervalSince(start) < 30)
    }
}
