// `softprompt train` of a multitask prompt on the tiny T5 with the prompt on the decoder and on
// encoder and decoder, then `generate --task` / `eval --task` from what it saved.

import Foundation
import Testing

@Suite(.serialized) struct MultitaskSeq2SeqCLITests {
    func data() throws -> String {
        let p = try CLI.tempDir() + "/train.jsonl"
        let lines = (0..<6).map { i in
            #"{"input": "w\#(10 + i) w\#(11 + i)", "output": "w\#(30 + i % 2) w40", "task": "\#(i % 3 == 0 ? "x" : "y")"}"#
        }
        try lines.joined(separator: "\n").write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func generate(_ prompt: String, _ task: [String]) throws -> String {
        let r = try CLI.run(["generate", "--model", prompt, "--json", "--text", "w10 w11", "--max-new-tokens", "3",
                             "--no-preserve-input-text"] + task)
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.split(separator: "\n")[0].utf8)) as? [String: Any])
        return try #require(obj["generated_text"] as? String)
    }

    @Test(arguments: [["ENCODER", "DECODER"], ["DECODER"]])
    func multitaskPromptReachingTheDecoderTrainsSavesAndGenerates(_ types: [String]) throws {
        let model = Seq2SeqCLITests.model
        let train = try data(), out = try CLI.tempDir() + "/mpt"
        let r = try CLI.run(["train", "--base-model", model, "--train-data", train, "--output", out,
                             "--tuning-type", "MULTITASK_PROMPT_TUNING", "--num-tasks", "2", "--num-ranks", "2",
                             "--num-virtual-tokens", "3", "--num-epochs", "2", "--batch-size", "3", "--lr", "0.3",
                             "--output-model-types"] + types + ["--silence-progress-bars"])
        #expect(r.status == 0, "\(r.stderr)")
        let fm = FileManager.default
        #expect(fm.fileExists(atPath: out + "/decoder.pt"))
        #expect(fm.fileExists(atPath: out + "/encoder.pt") == types.contains("ENCODER"))
        let adapter = out + "/tiny-t5"
        if types.count == 2 {
            let cfg = try #require(try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: adapter + "/adapter_config.json"))) as? [String: Any])
            #expect(cfg["num_transformer_submodules"] as? Int == 2 && cfg["num_tasks"] as? Int == 2
                    && cfg["peft_type"] as? String == "MULTITASK_PROMPT_TUNING", "\(cfg)")
        } else {
            #expect(!fm.fileExists(atPath: adapter), "PEFT cannot express a DECODER-only seq2seq prompt")
            #expect(fm.fileExists(atPath: out + "/softprompt_multitask.safetensors"))
        }
        let y = try generate(out, ["--task", "y"])
        #expect(try generate(out, ["--task-id", "1"]) == y)
        if types.count == 2 {
            #expect(try generate(adapter, ["--task", "y", "--base-model", model]) == y, "the PEFT adapter generates the same")
        }
        let bad = try CLI.run(["generate", "--model", out, "--text", "w10", "--task", "z"])
        #expect(bad.status != 0 && bad.stderr.contains("unknown task name z"), "\(bad.stderr)")
        let e = try CLI.run(["eval", "--model", out, "--test-data", train, "--task", "y", "--json", "--max-new-tokens", "2"])
        #expect(e.status == 0, "\(e.stderr)")
    }
}
