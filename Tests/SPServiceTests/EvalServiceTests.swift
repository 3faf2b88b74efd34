// Evaluation, loss curves and prompt reports on the tiny GPT-2 fixture: a training run writes
// training_summary.json and training_curve.svg after every epoch; evaluation scores batched
// generations; a prompt directory is described without loading a model.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import SPEval
import SPJSON
import SPGeneration
@testable import SPService
import SPTokenizers
import SPTuning
import Testing

@Suite struct TrainingCurveTests {
    let records = (0..<4).map { TrainRecord(input: "w\($0) w\($0 + 1)", output: "w\(10 + $0 % 2)") }

    func trained(_ root: String, _ model: String, name: String, lr: Double) throws -> String {
        var p = TuningParameters(baseModel: model, tuningConfig: TuningConfig(numVirtualTokens: 2))
        (p.numEpochs, p.batchSize, p.accumulateSteps, p.learningRate) = (3, 2, 1, lr)
        let out = root + "/" + name
        let job = PromptTuningJob(parameters: p, output: URL(fileURLWithPath: out))
        let prepared = try job.prepare(train: records, validation: Array(records.prefix(2)))
        let base = try job.loadBase(prepared)
        _ = try job.train(prepared, base: base, initialPrompt: try job.initialPrompt(prepared, base: base))
        return out
    }

    @Test func everyRunWritesItsCurveAndSummary() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = try trained(root, model, name: "run-a", lr: 0.05)
        let summary = try #require(try TrainingSummary.read(contentsOf: URL(fileURLWithPath: out + "/" + TrainingSummary.fileName)))
        #expect(summary.epochs.map(\.epoch) == [0, 1, 2])
        #expect(summary.epochs.allSatisfy { $0.validationLoss != nil && $0.validationAccuracy != nil && $0.trainLoss.isFinite })
        #expect(summary.hyperParameters.first { $0.0 == "learning_rate" }?.1 == "0.05")
        let svg = try String(contentsOfFile: out + "/" + TrainingCurve.fileName, encoding: .utf8)
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "training_curve.svg is not well-formed")
        for text in ["step (micro-batch)", "loss (cross-entropy, nats/token)", "validation loss (per epoch)",
                     "validation exact match (%)", "lr 0.05", "batch 2", "6 steps, 3 epochs"] {
            #expect(svg.contains(text), "the curve lacks \(text)")
        }
        #expect(svg.components(separatedBy: "<circle").count - 1 == 6, "3 validation losses + 3 accuracies")
        // Reading back gives the same run; a second run overlays on it.
        let run = try TrainingCurve.Run.load(directory: out)
        #expect(run.log.count == 6 && run.summary == summary && run.name == "run-a")
        let other = try TrainingCurve.Run.load(directory: try trained(root, model, name: "run-b", lr: 0.3))
        let overlay = TrainingCurve.overlay([run, other]).svg()
        #expect(XMLParser(data: Data(overlay.utf8)).parse())
        #expect(overlay.contains("run-a") && overlay.contains("run-b validation") && overlay.contains("Prompt tuning: 2 runs"))
        #expect(overlay.contains("all runs: base tiny · virtual tokens 2") && overlay.contains("run-b: lr 0.3<"))
        #expect(throws: ServiceError.self) { _ = try TrainingCurve.Run.load(directory: root) }
    }

    @Test func reportDescribesThePromptDirectory() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = try trained(root, model, name: "prompt", lr: 0.05)
        let r = try PromptReport(directory: out)
        #expect(r.layout == "caikit" && r.epochs == 3 && r.steps == 6)
        #expect(r.facts.contains { $0 == ("base model", "tiny") } && r.facts.contains { $0 == ("tuning type", "PROMPT_TUNING") })
        #expect(r.finalTrainLoss != nil && r.finalValidationLoss != nil)
        #expect(r.files.map(\.0).contains("training_curve.svg") && r.files.map(\.0).contains("tiny/adapter_model.safetensors"))
        #expect(r.loadableBy.map(\.0) == ["softprompt", "caikit-nlp", "TGIS", "PEFT"])
        #expect(r.text.contains("num_epochs") && r.text.contains("final training loss"))
        let json = try JSONValue.parse(json: Data(r.json.utf8), source: "show --json")
        guard case .object(let o) = json, case .int(3)? = o["epochs"], case .object(let facts)? = o["facts"] else {
            Issue.record("bad JSON: \(r.json)")
            return
        }
        #expect(facts["base_model"] == .string("tiny"))
        #expect(throws: ServiceError.self) { _ = try PromptReport(directory: root) }
    }
}

@Suite struct PromptEvaluationTests {
    @Test func scoresBatchedGenerationsLikeOneAtATime() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let target = try GenerationTarget.open(model: model, baseModel: nil, baseModelsDir: nil)
        let service = try GenerationService(target: target, tokenizer: TokenizerAdapter(tokenizer: try loadTokenizer(target.location)))
        var p = GenerationParameters()
        (p.maxNewTokens, p.preserveInputText) = (2, false)
        let inputs = (0..<5).map { "w\($0) w\($0 * 7 % 11)" }
        let alone = try inputs.map { try service.run($0, parameters: p).generatedText.trimmingCharacters(in: .whitespacesAndNewlines) }
        // Targets: the model's own answer for the first three records, something else for the last two.
        let records = inputs.enumerated().map { i, x in TrainRecord(input: x, output: i < 3 ? alone[i] : "w300") }
        let evaluation = try PromptEvaluation(service: service, parameters: p, batchSize: 2)
        var calls: [Int] = []
        let (scored, m) = try evaluation.evaluate(records) { done, total in
            #expect(total == 5)
            calls.append(done)
        }
        #expect(calls == [2, 4, 5])
        #expect(scored.map(\.prediction) == alone, "a batch generates what each record gets alone")
        #expect(m.count == 5 && m.accuracy == 0.6 && m.exactMatch == 0.6)
        #expect(m.matthewsCorrelation == (try ClassificationMetrics.matthewsCorrelation(predictions: alone, references: records.map(\.output))))
        #expect(m.rouge == (try Rouge.compute(predictions: alone, references: records.map(\.output))))
        #expect(throws: ServiceError.self) { _ = try evaluation.evaluate([]) }
        #expect(throws: ServiceError.self) { _ = try PromptEvaluation(service: service, parameters: p, batchSize: 0) }
    }

    @Test func firstWordAnswersCompareLowerCasedLabels() {
        let e = AnswerExtraction.firstWord
        #expect(e.answer("  Positive! it is") == "positive" && e.answer("...") == "" && e.label("Negative") == "negative")
        #expect(AnswerExtraction.text.answer("Positive!") == "Positive!")
        let n = AnswerExtraction.number
        #expect(n.answer(" 1 ") == n.label("1.0") && n.answer("one") == "-1.0" && n.label("0") == "0.0")
    }

    @Test func numberAnswersNeedNumericTargets() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let target = try GenerationTarget.open(model: model, baseModel: nil, baseModelsDir: nil)
        let service = try GenerationService(target: target, tokenizer: TokenizerAdapter(tokenizer: try loadTokenizer(target.location)))
        let e = try PromptEvaluation(service: service, parameters: GenerationParameters(), extraction: .number)
        #expect { _ = try e.generate([TrainRecord(input: "w1", output: "1"), TrainRecord(input: "w2", output: "w3")]) } throws: {
            "\($0)".contains("record 1") && "\($0)".contains("not a number")
        }
    }
}
