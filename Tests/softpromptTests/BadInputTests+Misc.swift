// Issue 12 items 5 and 6: Ctrl-C before the first save says nothing was written; NaN prompts are
// refused; generate documents the verbalizer and has --no-verbalizer; plain base-model results
// name caikit's TextGeneration producer; the same seed saves byte-identical prompt files.

import Foundation
import Testing

@Suite(.serialized) struct BadInputMiscTests {
    static let model = BadInputOutputTests.model

    @Test func ctrlCBeforeTheFirstSaveSaysNothingWasWritten() throws {
        let d = try CLI.tempDir()
        try (0..<4000).map { "{\"input\": \"w\($0 % 300) w\(($0 + 1) % 300)\", \"output\": \"w\(10 + $0 % 2)\"}" }
            .joined(separator: "\n").write(toFile: d + "/train.jsonl", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["train", "--base-model", Self.model, "--train-data", d + "/train.jsonl", "--output", d + "/out",
                       "--num-virtual-tokens", "2", "--num-epochs", "1", "--batch-size", "1", "--accumulate-steps", "1"]
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        // The progress bar's first line means training (and the Ctrl-C handler) has started.
        var seen = Data()
        while p.isRunning && !String(decoding: seen, as: UTF8.self).contains("epoch 1 [") {
            seen += err.fileHandleForReading.availableData
        }
        kill(p.processIdentifier, SIGINT)
        seen += err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: seen, as: UTF8.self)
        #expect(p.terminationStatus == 130, "\(text)")
        #expect(text.contains("nothing was written"), "\(text)")
        #expect(!text.contains("kept the prompt"), "\(text)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: d) == ["train.jsonl"])
    }

    @Test func nanPromptsAreRefusedAtLoad() throws {
        let d = try CLI.tempDir()
        let src = URL(fileURLWithPath: llamaFixture).appendingPathComponent("peft_adapter").path
        try FileManager.default.copyItem(atPath: src, toPath: d + "/nan")
        let f = d + "/nan/adapter_model.safetensors"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: f))
        let n = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        bytes.replaceSubrange((8 + n)..<(12 + n), with: withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { Data($0) })
        try bytes.write(to: URL(fileURLWithPath: f))
        try expectRefused(["generate", "--model", d + "/nan", "--base-model", llamaFixture, "--ids", "1,2"],
                          mentions: ["nan", "not a finite number"], root: d)
    }

    @Test func generateHelpDocumentsTheVerbalizer() throws {
        let r = try CLI.run(["generate", "--help"])
        #expect(r.stdout.contains("verbalizer") && r.stdout.contains("--no-verbalizer"), "\(r.stdout)")
        let d = try CLI.tempDir()
        try expectRefused(["generate", "--model", Self.model, "--text", "w1", "--no-verbalizer"],
                          mentions: ["--no-verbalizer", "base model"], root: d)
        try expectRefused(["generate", "--model", llamaFixture, "--ids", "1", "--no-verbalizer"],
                          mentions: ["--no-verbalizer", "--ids"], root: d)
    }

    @Test func noVerbalizerSendsTheTextAsIs() throws {
        let d = try CLI.tempDir()
        try BadInputOutputTests.good.joined(separator: "\n").write(toFile: d + "/t.jsonl", atomically: true, encoding: .utf8)
        let t = try CLI.run(["train", "--base-model", Self.model, "--train-data", d + "/t.jsonl", "--output", d + "/p",
                             "--num-virtual-tokens", "2", "--num-epochs", "0", "--verbalizer", "in: {{input}} out:",
                             "--silence-progress-bars"])
        #expect(t.status == 0, "\(t.stderr)")
        func count(_ extra: [String]) throws -> String {
            let r = try CLI.run(["generate", "--model", d + "/p", "--base-model", Self.model, "--text", "w1",
                                 "--max-new-tokens", "1", "--json"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.components(separatedBy: "\"input_token_count\":").dropFirst().first?.prefix(while: \.isNumber)
                .description ?? r.stdout
        }
        #expect(try count([]) == "3", "in: w1 out: is three tokens")
        #expect(try count(["--no-verbalizer"]) == "1")
    }

    @Test func baseModelResultsAreNotPeftGeneration() throws {
        let r = try CLI.run(["generate", "--model", Self.model, "--text", "w1", "--max-new-tokens", "1", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"name\":\"Text Generation\"") && !r.stdout.contains("Peft generation"), "\(r.stdout)")
    }

    @Test func theSameSeedSavesTheSameBytes() throws {
        let d = try CLI.tempDir()
        try BadInputOutputTests.good.joined(separator: "\n").write(toFile: d + "/t.jsonl", atomically: true, encoding: .utf8)
        var files: [Data] = []
        for out in ["a", "b"] {
            let r = try CLI.run(["train", "--base-model", Self.model, "--train-data", d + "/t.jsonl", "--output", d + "/" + out,
                                 "--num-virtual-tokens", "2", "--num-epochs", "2", "--batch-size", "2", "--accumulate-steps", "1",
                                 "--seed", "7", "--silence-progress-bars", "--threads", "1"])
            #expect(r.status == 0, "\(r.stderr)")
            files.append(try Data(contentsOf: URL(fileURLWithPath: d + "/" + out + "/decoder.pt")))
            files.append(try Data(contentsOf: URL(fileURLWithPath: d + "/" + out + "/tiny-gpt2/adapter_model.safetensors")))
        }
        #expect(files[0] == files[2], "decoder.pt differs between two runs with the same seed")
        #expect(files[1] == files[3], "adapter_model.safetensors differs between two runs with the same seed")
    }
}
