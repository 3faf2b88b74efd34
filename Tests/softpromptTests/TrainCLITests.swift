// `softprompt train` end to end on the tiny GPT-2, and every bad input rejected with a clear message
// and a non-zero exit before anything is written.

import Foundation
import Testing

@Suite(.serialized) struct TrainCLITests {
    static let model = try! CLI.tinyModelWithTokenizer()

    func data(_ lines: [String], ext: String = "jsonl") throws -> String {
        let p = try CLI.tempDir() + "/train." + ext
        try lines.joined(separator: "\n").write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    var good: [String] {
        (0..<6).map { i in "{\"input\": \"w\(i) w\(i + 1) w\(i + 2)\", \"output\": \"w\(10 + i % 2)\"}" }
    }

    @Test func trainsSavesAndReloadsBothLayouts() throws {
        let out = try CLI.tempDir() + "/prompt"
        let r = try CLI.run(["train", "--base-model", Self.model, "--train-data", try data(good), "--output", out,
                             "--num-virtual-tokens", "4", "--init-method", "TEXT", "--init-text", "w1 w2",
                             "--num-epochs", "2", "--batch-size", "2", "--accumulate-steps", "1", "--lr", "0.05",
                             "--verbalizer", "in: {{input}} out:", "--silence-progress-bars"])
        #expect(r.status == 0, "\(r.stderr)")
        let fm = FileManager.default
        for f in ["config.yml", "decoder.pt", "training_logs.jsonl", "tiny-gpt2/adapter_config.json",
                  "tiny-gpt2/adapter_model.safetensors"] {
            #expect(fm.fileExists(atPath: out + "/" + f), "missing \(f)")
        }
        let log = try String(contentsOfFile: out + "/training_logs.jsonl", encoding: .utf8)
        #expect(log.split(separator: "\n").count == 6, "one line per micro-batch: 3 batches × 2 epochs")
        let yml = try String(contentsOfFile: out + "/config.yml", encoding: .utf8)
        for key in ["module_id: 6655831b-960a-4dc5-8df4-867026e2cd41", "tuning_type: PROMPT_TUNING",
                    "task_type: CAUSAL_LM", "DECODER: decoder.pt", "verbalizer:", "base_model_name: tiny-gpt2"] {
            #expect(yml.contains(key), "config.yml lacks \(key)")
        }
    }

    func expectRejected(_ args: [String], mentions words: [String], sourceLine: Int = #line) throws {
        let out = try CLI.tempDir() + "/never"
        let r = try CLI.run(["train", "--output", out, "--silence-progress-bars"] + args)
        #expect(r.status != 0, "line \(sourceLine): exit 0 for bad input")
        for w in words { #expect(r.stderr.contains(w), "line \(sourceLine): stderr lacks '\(w)': \(r.stderr)") }
        #expect(!FileManager.default.fileExists(atPath: out), "line \(sourceLine): output written despite the error")
    }

    @Test func badInputIsRejectedBeforeAnyOutput() throws {
        let m = Self.model
        let base = ["--base-model", m, "--num-virtual-tokens", "4"]
        try expectRejected(base + ["--train-data", try data([])], mentions: ["train_stream"])
        try expectRejected(base + ["--train-data", try data(["{\"input\": \"w1\"}"])], mentions: ["output", "record"])
        try expectRejected(base + ["--train-data", try data(good), "--verbalizer", "no placeholder"], mentions: ["verbalizer"])
        try expectRejected(base + ["--train-data", try data(good), "--verbalizer", "{{nope}}"], mentions: ["nope"])
        try expectRejected(base + ["--train-data", try data(good), "--init-method", "TEXT"], mentions: ["prompt_tuning_init_text"])
        try expectRejected(["--base-model", m, "--num-virtual-tokens", "0", "--train-data", try data(good)],
                           mentions: ["num_virtual_tokens"])
        try expectRejected(base + ["--train-data", try data(good), "--lr=-1"], mentions: ["learning_rate"])
        try expectRejected(base + ["--train-data", try data(good), "--lr", "nan"], mentions: ["learning_rate"])
        try expectRejected(base + ["--train-data", try data(good), "--batch-size", "0"], mentions: ["batch_size"])
        try expectRejected(["--base-model", "models/../../etc", "--num-virtual-tokens", "4", "--train-data", try data(good)],
                           mentions: ["base_model"])
        try expectRejected(base + ["--train-data", try data(good), "--device", "cuda"], mentions: ["cuda", "cpu"])
        try expectRejected(base + ["--train-data", try data(good), "--tuning-type", "MULTITASK_PROMPT_TUNING", "--num-tasks", "0"],
                           mentions: ["num_tasks", "at least 1"])
        try expectRejected(base + ["--train-data", try data(good), "--num-tasks", "2"], mentions: ["num_tasks", "MULTITASK_PROMPT_TUNING"])
        // Multitask data: a task id out of range, more task names than tasks, an EXACT_SOURCE_TASK
        // source that escapes --source-prompt-base; each refused before anything is written.
        let mpt = base + ["--tuning-type", "MULTITASK_PROMPT_TUNING", "--num-tasks", "2"]
        try expectRejected(mpt + ["--train-data", try data([#"{"input": "w1", "output": "w2", "task_id": 2}"#])],
                           mentions: ["train_stream[0].task_id", "num_tasks - 1 (1)"])
        try expectRejected(mpt + ["--train-data", try data(["a", "b", "c"].map { #"{"input": "w1", "output": "w2", "task": "\#($0)"}"# })],
                           mentions: ["train_stream[2].task", "more task names than num_tasks (2)"])
        try expectRejected(mpt + ["--train-data", try data(good), "--init-method", "ONLY_SOURCE_SHARED",
                                  "--source-prompt-base", try CLI.tempDir(), "--init-source-model", "../../etc/passwd"],
                           mentions: ["escapes source_prompt_base"])
        try expectRejected(base + ["--train-data", try data(good), "--init-method", "AVERAGE_SOURCE"],
                           mentions: ["AVERAGE_SOURCE_TASKS", "MULTITASK_PROMPT_TUNING", "silently"])
        try expectRejected(base + ["--train-data", try data(good), "--training-data-limit", "3"], mentions: ["6", "3"])
        let latin1 = try CLI.tempDir() + "/latin1.jsonl"
        try Data([0x7B, 0x22, 0x69, 0x6E, 0x70, 0x75, 0x74, 0x22, 0x3A, 0x22, 0xE9, 0x22, 0x7D]).write(to: URL(fileURLWithPath: latin1))
        try expectRejected(base + ["--train-data", latin1], mentions: ["UTF-8", "latin1.jsonl"])
        let xlnet = try CLI.tempDir() + "/xlnet"
        try FileManager.default.createDirectory(atPath: xlnet, withIntermediateDirectories: true)
        try "{\"model_type\": \"xlnet\"}".write(toFile: xlnet + "/config.json", atomically: true, encoding: .utf8)
        try expectRejected(["--base-model", xlnet, "--num-virtual-tokens", "4", "--train-data", try data(good)],
                           mentions: ["xlnet", "not supported", "llama", "t5"])
    }
}

@Suite struct InterruptCLITests {
    /// Ctrl-C stops after the current micro-batch, exits 130, and the prompt saved after the last
    /// whole epoch stays in place.
    @Test func ctrlCKeepsTheLastSavedPrompt() throws {
        let model = TrainCLITests.model
        let data = try CLI.tempDir() + "/train.jsonl"
        try (0..<8).map { "{\"input\": \"w\($0) w\($0 + 1)\", \"output\": \"w\(10 + $0 % 2)\"}" }
            .joined(separator: "\n").write(toFile: data, atomically: true, encoding: .utf8)
        let out = try CLI.tempDir() + "/prompt"
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["train", "--base-model", model, "--train-data", data, "--output", out, "--num-virtual-tokens", "2",
                       "--num-epochs", "100000", "--batch-size", "2", "--accumulate-steps", "1", "--silence-progress-bars"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: out + "/config.yml") && Date() < deadline && p.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(FileManager.default.fileExists(atPath: out + "/config.yml"), "no epoch was saved within 60 s")
        kill(p.processIdentifier, SIGINT)
        let stop = Date().addingTimeInterval(30)
        while p.isRunning && Date() < stop { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            Issue.record("training did not stop within 30 s of SIGINT")
        }
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
        for f in ["config.yml", "decoder.pt", "training_logs.jsonl", "tiny-gpt2/adapter_model.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + f), "\(f) missing after Ctrl-C")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (out as NSString).deletingLastPathComponent)
        #expect(leftovers == ["prompt"], "temporary directories left behind: \(leftovers)")
    }
}
