// A prompt directory finds its base model: train with a relative --base-model, then generate with
// only --model from another directory; and with the recorded path gone, through --base-models-dir.

import Foundation
import Testing

@Suite(.serialized) struct PromptBaseCLITests {
    @Test func promptDirectoryFindsItsBaseModelFromAnywhere() throws {
        let model = try CLI.tinyModelWithTokenizer()   // <tmp>/tiny-gpt2
        let modelDir = (model as NSString).deletingLastPathComponent
        let data = try CLI.tempDir() + "/train.jsonl"
        try (0..<4).map { "{\"input\": \"w\($0) w\($0 + 1)\", \"output\": \"w\(10 + $0 % 2)\"}" }
            .joined(separator: "\n").write(toFile: data, atomically: true, encoding: .utf8)
        let out = try CLI.tempDir() + "/prompt"
        let train = try CLI.run(["train", "--base-model", "tiny-gpt2", "--train-data", data, "--output", out,
                                 "--num-virtual-tokens", "2", "--num-epochs", "1", "--batch-size", "2",
                                 "--silence-progress-bars"], cwd: modelDir)
        #expect(train.status == 0, "\(train.stderr)")
        let yml = try String(contentsOfFile: out + "/config.yml", encoding: .utf8)
        #expect(yml.contains("base_model_name: tiny-gpt2"), "caikit's key keeps the name only")
        #expect(yml.contains("softprompt_base_model_path: \(model)"), "the full path is recorded: \(yml)")

        let elsewhere = try CLI.tempDir()
        let args = ["generate", "--model", out, "--text", "w1 w2", "--max-new-tokens", "2"]
        let gen = try CLI.run(args, cwd: elsewhere)
        #expect(gen.status == 0, "\(gen.stderr)")
        #expect(gen.stderr.contains("base model: \(model)") && gen.stderr.contains("recorded"), "\(gen.stderr)")
        #expect(!gen.stdout.isEmpty)

        // The recorded path is gone: base_models_dir holds the model under its name.
        let shelf = try CLI.tempDir()
        try FileManager.default.moveItem(atPath: model, toPath: shelf + "/tiny-gpt2")
        let missing = try CLI.run(args, cwd: elsewhere)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains(model) && missing.stderr.contains("--base-models-dir"), "\(missing.stderr)")
        let found = try CLI.run(args + ["--base-models-dir", shelf], cwd: elsewhere)
        #expect(found.status == 0, "\(found.stderr)")
        #expect(found.stderr.contains("base model: \(shelf)/tiny-gpt2 (from base_models_dir)"), "\(found.stderr)")
        #expect(found.stdout == gen.stdout, "same base model, same prompt, same text")
    }
}
