// `softprompt eval`, `plot` and `show` end to end on a prompt trained on the tiny GPT-2.

import Foundation
import Testing

@Suite(.serialized) struct EvalCLITests {
    static let model = try! CLI.tinyModelWithTokenizer()

    /// Trains a 2-epoch prompt with validation data into a new directory.
    func train(lr: String = "0.05") throws -> (dir: String, data: String) {
        let root = try CLI.tempDir()
        let data = root + "/data.jsonl"
        try (0..<6).map { "{\"input\": \"w\($0) w\($0 + 1) w\($0 + 2)\", \"output\": \"w\(10 + $0 % 2)\"}" }
            .joined(separator: "\n").write(toFile: data, atomically: true, encoding: .utf8)
        let r = try CLI.run(["train", "--base-model", Self.model, "--train-data", data, "--validation-data", data,
                             "--output", root + "/prompt", "--num-virtual-tokens", "2", "--num-epochs", "2",
                             "--batch-size", "2", "--accumulate-steps", "1", "--lr", lr, "--verbalizer", "{{input}} w5",
                             "--silence-progress-bars"])
        #expect(r.status == 0, "\(r.stderr)")
        return (root + "/prompt", data)
    }

    @Test func evalPrintsMetricsJSONAndPredictions() throws {
        let (dir, data) = try train()
        #expect(FileManager.default.fileExists(atPath: dir + "/training_curve.svg"))
        let preds = try CLI.tempDir() + "/predictions.jsonl"
        let r = try CLI.run(["eval", "--model", dir, "--test-data", data, "--json", "--predictions", preds,
                             "--max-new-tokens", "2", "--batch-size", "4"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["count"] as? Int == 6 && obj["verbalizer"] as? String == "{{input}} w5")
        for key in ["accuracy", "matthews_correlation", "exact_match"] { #expect(obj[key] is Double, "no \(key)") }
        let rouge = try #require(obj["rouge"] as? [String: Double])
        #expect(Set(rouge.keys) == ["rouge1", "rouge2", "rougeL", "rougeLsum"])
        #expect(r.stderr.contains("eval [") && r.stderr.contains("6/6") && r.stderr.contains("ETA"))
        let lines = try String(contentsOfFile: preds, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String])
        #expect(first["input"] == "w0 w1 w2" && first["target"] == "w10" && first["prediction"] != nil)
        // The table, the same accuracy; the predictions file is never overwritten.
        let table = try CLI.run(["eval", "--model", dir, "--test-data", data, "--max-new-tokens", "2", "--answer", "first-word"])
        #expect(table.status == 0 && table.stdout.contains("matthews_correlation") && table.stdout.contains("rougeLsum"))
        #expect(try CLI.run(["eval", "--model", dir, "--test-data", data, "--answer", "number"]).stderr.contains("not a number"))
        let again = try CLI.run(["eval", "--model", dir, "--test-data", data, "--predictions", preds])
        #expect(again.status != 0 && again.stderr.contains("exists"))
        let bad = try CLI.run(["eval", "--model", dir, "--test-data", data, "--logprobs"])
        #expect(bad.status != 0 && bad.stderr.contains("--logprobs"))
        let answer = try CLI.run(["eval", "--model", dir, "--test-data", data, "--answer", "label"])
        #expect(answer.status != 0 && answer.stderr.contains("first-word or number"))
    }

    @Test func plotOverlaysRunsAndShowDescribesOne() throws {
        let a = try train(), b = try train(lr: "0.3")
        let svg = try CLI.tempDir() + "/curves.svg"
        let r = try CLI.run(["plot", a.dir, b.dir, "--output", svg])
        #expect(r.status == 0, "\(r.stderr)")
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(text.hasPrefix("<?xml") && text.contains("Prompt tuning: 2 runs") && text.contains("lr 0.3"))
        let again = try CLI.run(["plot", a.dir, "--output", svg])
        #expect(again.status != 0 && again.stderr.contains("exists"))
        let show = try CLI.run(["show", a.dir])
        #expect(show.status == 0 && show.stdout.contains("base model") && show.stdout.contains("training_curve.svg")
                && show.stdout.contains("caikit-nlp"))
        let json = try CLI.run(["show", a.dir, "--json"])
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(obj["epochs"] as? Int == 2 && obj["final_validation_loss"] is Double)
        let notPrompt = try CLI.run(["show", try CLI.tempDir()])
        #expect(notPrompt.status != 0 && notPrompt.stderr.contains("config.yml"))
    }

    /// `eval --task NAME` / `--task-id N` score a multitask prompt with that task's prompt: the
    /// same predictions as `generate` with the same task; an unknown task is refused naming the flag.
    @Test func evalScoresAChosenTaskOfAMultitaskPrompt() throws {
        let root = try CLI.tempDir()
        let data = root + "/data.jsonl"
        try (0..<8).map { #"{"input": "w\#($0) w\#($0 + 1)", "output": "w\#(10 + $0 % 2)", "task": "\#($0 % 2 == 0 ? "even" : "odd")"}"# }
            .joined(separator: "\n").write(toFile: data, atomically: true, encoding: .utf8)
        let r = try CLI.run(["train", "--base-model", Self.model, "--train-data", data, "--output", root + "/mpt",
                             "--tuning-type", "MULTITASK_PROMPT_TUNING", "--num-tasks", "2", "--num-ranks", "2",
                             "--num-virtual-tokens", "2", "--num-epochs", "2", "--batch-size", "2", "--lr", "0.3",
                             "--silence-progress-bars"])
        #expect(r.status == 0, "\(r.stderr)")
        let dir = root + "/mpt"
        func predictions(_ task: [String]) throws -> [String] {
            let out = try CLI.tempDir() + "/p.jsonl"
            let e = try CLI.run(["eval", "--model", dir, "--test-data", data, "--json", "--max-new-tokens", "3",
                                 "--predictions", out, "--batch-size", "1"] + task)
            #expect(e.status == 0, "\(e.stderr)")
            return try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map {
                (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: String])["prediction"]!
            }
        }
        let odd = try predictions(["--task", "odd"])
        #expect(odd.count == 8)
        #expect(try predictions(["--task-id", "1"]) == odd, "--task odd is task 1")
        #expect(try predictions([]) == predictions(["--task", "even"]), "task 0 by default")
        let g = try CLI.run(["generate", "--model", dir, "--task", "odd", "--json", "--text", "w0 w1", "--max-new-tokens", "3",
                             "--no-preserve-input-text"])
        #expect(g.status == 0, "\(g.stderr)")
        let gen = try #require(try JSONSerialization.jsonObject(with: Data(g.stdout.split(separator: "\n")[0].utf8)) as? [String: Any])
        #expect((gen["generated_text"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines) == odd[0],
                "eval --task odd predicts what generate --task odd generates: \(gen)")
        let unknown = try CLI.run(["eval", "--model", dir, "--test-data", data, "--task", "prime"])
        #expect(unknown.status != 0 && unknown.stderr.contains("--task prime") && unknown.stderr.contains("even, odd"), "\(unknown.stderr)")
        let range = try CLI.run(["eval", "--model", dir, "--test-data", data, "--task-id", "2"])
        #expect(range.status != 0 && range.stderr.contains("--task-id 2") && range.stderr.contains("out of range"), "\(range.stderr)")
        let both = try CLI.run(["eval", "--model", dir, "--test-data", data, "--task-id", "0", "--task", "odd"])
        #expect(both.status != 0 && both.stderr.contains("give one"))
        let base = try CLI.run(["eval", "--model", Self.model, "--test-data", data, "--task-id", "0"])
        #expect(base.status != 0 && base.stderr.contains("--task-id 0") && base.stderr.contains("not a prompt directory"), "\(base.stderr)")
    }
}
