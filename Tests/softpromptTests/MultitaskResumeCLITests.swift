// `softprompt train --state-file F --resume` with a multitask prompt, across processes: a run
// killed (SIGKILL) after its first saved epoch and resumed by a new process ends with the adapter
// (P, U and V) of an uninterrupted run, byte for byte.

import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(5))) struct MultitaskResumeCLITests {
    @Test func aKilledMultitaskRunResumesToTheSameAdapterBytes() throws {
        let model = TrainCLITests.model
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = dir + "/train.jsonl"
        // 80 records of two named tasks: 40 micro-batches per epoch, so the kill lands mid-run.
        try (0..<80).map { i in
            #"{"input": "w\#(i % 50) w\#(i % 7 + 1)", "output": "w\#(10 + i % 3)", "task": "\#(i % 2 == 0 ? "a" : "b")"}"#
        }.joined(separator: "\n").write(toFile: data, atomically: true, encoding: .utf8)
        func args(_ out: String) -> [String] {
            ["train", "--base-model", model, "--train-data", data, "--output", dir + "/" + out, "--num-virtual-tokens", "3",
             "--tuning-type", "MULTITASK_PROMPT_TUNING", "--num-tasks", "2", "--num-ranks", "2", "--num-epochs", "6",
             "--batch-size", "2", "--accumulate-steps", "2", "--learning-rate", "0.05", "--seed", "7",
             "--state-file", dir + "/" + out + ".state", "--threads", "1", "--silence-progress-bars"]
        }
        let whole = try CLI.run(args("whole"))
        #expect(whole.status == 0, "\(whole.stderr)")

        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = args("killed")
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: dir + "/killed.state") && Date() < deadline && p.isRunning {
            Thread.sleep(forTimeInterval: 0.005)
        }
        let stillRunning = p.isRunning
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(stillRunning, "the run ended before it could be killed (make the data larger)")
        #expect(FileManager.default.fileExists(atPath: dir + "/killed.state"), "no epoch was saved within 120 s")

        let resumed = try CLI.run(args("killed") + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming after epoch"), "\(resumed.stderr)")
        let a = try Data(contentsOf: URL(fileURLWithPath: dir + "/whole/tiny-gpt2/adapter_model.safetensors"))
        let b = try Data(contentsOf: URL(fileURLWithPath: dir + "/killed/tiny-gpt2/adapter_model.safetensors"))
        #expect(a.count > 3 * 4 * 64 && a == b, "the resumed adapter's P, U, V equal the uninterrupted run's bytes")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(leftovers == ["killed", "killed.state", "train.jsonl", "whole", "whole.state"], "\(leftovers)")
    }
}
