// Issue 12 items 4 and 7: valid inputs accepted (CRLF JSON lines, a data directory), and bad ones
// reported by what is wrong with them — never Foundation's raw error text — before the model loads.

import Foundation
import Testing

@Suite(.serialized) struct BadInputDataTests {
    static let model = BadInputOutputTests.model
    static let good = BadInputOutputTests.good

    func train(_ data: String, output: String, _ extra: [String] = []) -> [String] {
        ["train", "--base-model", Self.model, "--train-data", data, "--output", output, "--num-virtual-tokens", "2",
         "--num-epochs", "1", "--batch-size", "2", "--accumulate-steps", "1", "--silence-progress-bars"] + extra
    }

    @Test func crlfJSONLinesAndDataDirectoriesAreAccepted() throws {
        let d = try CLI.tempDir()
        try FileManager.default.createDirectory(atPath: d + "/data", withIntermediateDirectories: true)
        try Self.good.joined(separator: "\r\n").write(toFile: d + "/data/crlf.jsonl", atomically: true, encoding: .utf8)
        let r = try CLI.run(train(d + "/data/crlf.jsonl", output: d + "/p1"))
        #expect(r.status == 0, "\(r.stderr)")
        let dir = try CLI.run(train(d + "/data", output: d + "/p2"))
        #expect(dir.status == 0, "\(dir.stderr)")
    }

    @Test func deepJSONSaysHowDeep() throws {
        let d = try CLI.tempDir()
        let deep = "[" + String(repeating: "[", count: 400) + String(repeating: "]", count: 400) + "]"
        try deep.write(toFile: d + "/deep.json", atomically: true, encoding: .utf8)
        try expectRefused(train(d + "/deep.json", output: d + "/out"), mentions: ["deep.json", "nesting deeper than 256"],
                          root: d)
    }

    @Test func negativeNumbersReachValidation() throws {
        let d = try CLI.tempDir()
        try Self.good.joined(separator: "\n").write(toFile: d + "/t.jsonl", atomically: true, encoding: .utf8)
        try expectRefused(train(d + "/t.jsonl", output: d + "/out", ["--num-epochs", "-1"]), mentions: ["num_epochs", "-1"],
                          root: d)
        try expectRefused(train(d + "/t.jsonl", output: d + "/out", ["--batch-size", "-3"]), mentions: ["batch_size", "-3"],
                          root: d)
    }

    @Test func baseModelsThatAreNotModelsSayWhy() throws {
        let d = try CLI.tempDir()
        try Self.good.joined(separator: "\n").write(toFile: d + "/t.jsonl", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: d + "/empty", withIntermediateDirectories: true)
        var args = train(d + "/t.jsonl", output: d + "/out")
        args[2] = d + "/empty"
        try expectRefused(args, mentions: ["empty", "directory without config.json"], root: d)
        args[2] = d + "/t.jsonl"
        try expectRefused(args, mentions: ["t.jsonl", "not a .gguf model"], root: d)
    }

    @Test func idsOutOfVocabulary() throws {
        let d = try CLI.tempDir()
        try expectRefused(["generate", "--model", llamaFixture, "--ids", "1,99999999999"], mentions: ["99999999999", "out of vocabulary"],
                          root: d)
        try expectRefused(["generate", "--model", llamaFixture, "--ids", "1,-5"], mentions: ["-5", "out of vocabulary"], root: d)
    }

    @Test func specialFilesAsDataOrConfig() throws {
        let d = try CLI.tempDir()
        try expectRefused(train("/dev/zero", output: d + "/out"), mentions: ["/dev/zero", "device"], root: d)
        #expect(mkfifo(d + "/fifo.jsonl", 0o644) == 0)
        try expectRefused(train(d + "/fifo.jsonl", output: d + "/out"), mentions: ["fifo.jsonl", "FIFO"], root: d)
        try FileManager.default.createSymbolicLink(atPath: d + "/loop.jsonl", withDestinationPath: d + "/loop.jsonl")
        try expectRefused(train(d + "/loop.jsonl", output: d + "/out"), mentions: ["loop.jsonl", "symlink loop"], root: d)
        try expectRefused(train(d + "/missing.jsonl", output: d + "/out"), mentions: ["missing.jsonl", "no such file"], root: d)
        try FileManager.default.createDirectory(atPath: d + "/cfg.yml", withIntermediateDirectories: true)
        try expectRefused(["train", "--config", d + "/cfg.yml", "--output", d + "/out"], mentions: ["cfg.yml", "is a directory"],
                          root: d)
        try expectRefused(["train", "--config", "/dev/zero", "--output", d + "/out"], mentions: ["/dev/zero", "device"], root: d)
        #expect(mkfifo(d + "/model.gguf", 0o644) == 0)
        try expectRefused(["generate", "--model", d + "/model.gguf", "--ids", "1"], mentions: ["model.gguf", "not a regular file"],
                          root: d)
    }

    @Test func specialFilesInAPromptDirectory() throws {
        let d = try CLI.tempDir()
        try FileManager.default.createDirectory(atPath: d + "/p", withIntermediateDirectories: true)
        #expect(mkfifo(d + "/p/config.yml", 0o644) == 0)
        try expectRefused(["generate", "--model", d + "/p", "--base-model", Self.model, "--text", "w1"],
                          mentions: ["config.yml", "FIFO"], root: d)
        try FileManager.default.removeItem(atPath: d + "/p/config.yml")
        try "module_id: 6655831b-960a-4dc5-8df4-867026e2cd41\nDECODER: decoder.pt\nbase_model_name: x\n"
            .write(toFile: d + "/p/config.yml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: d + "/p/decoder.pt", withDestinationPath: "/dev/zero")
        try expectRefused(["generate", "--model", d + "/p", "--base-model", Self.model, "--text", "w1"],
                          mentions: ["decoder.pt", "device"], root: d)
    }

    @Test func dataIsCheckedBeforeTheModelLoads() throws {
        let d = try CLI.tempDir()
        try "".write(toFile: d + "/empty.jsonl", atomically: true, encoding: .utf8)
        // The base model does not exist: the data error must come first.
        var args = train(d + "/empty.jsonl", output: d + "/out")
        args[2] = d + "/no-such-model"
        try expectRefused(args, mentions: ["train_stream"], root: d)
        try expectRefused(train(d + "/empty.jsonl", output: d + "/out"), mentions: ["train_stream"], root: d)
    }
}
