import ArgumentParser
import Foundation
import SPJSON
import SPEval
import SPGeneration
import SPPrompt
import SPService
import SPTensor
import SPTokenizers
import SPTuning

/// `softprompt eval`: caikit-nlp's examples/evaluate_model.py — generate for a test set and score it.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a tuned prompt (or a base model) on a test set: accuracy, Matthews correlation, exact match, ROUGE.",
        discussion: """
            --model and its base model are found as for generate. Inputs are rendered with the prompt's \
            verbalizer (--verbalizer overrides it; a base model alone uses {{input}}) and generated in \
            batches with caikit run() parameters (greedy, only the new text unless --preserve-input-text). \
            The prediction is the generated text without surrounding whitespace. accuracy and \
            matthews_correlation compare answers with labels: with --answer text the prediction with the \
            target, with --answer first-word its first word with the target, both lower-cased (as the demo \
            scores labels), with --answer number both read as numbers, a prediction that is not one \
            counting as -1.0 (caikit-nlp's examples/evaluate_model.py; targets must be numbers). A multitask \
            prompt is scored with task 0's prompt unless --task-id or --task picks another. exact_match and rouge1/rouge2/rougeL/rougeLsum compare the prediction with the \
            target (HF evaluate / rouge_score, no stemmer; rouge is the mean F-measure over records).
            """)

    @Option(help: "Prompt directory or base model.") var model: String
    @Option(name: .customLong("test-data"), help: "Test records: .json, .jsonl, .csv or a directory of them (training data formats).")
    var testData: String
    @Option(help: "Base model for a prompt directory (overrides the directory's).") var baseModel: String?
    @Option(help: "Directory holding base models by name (caikit's base_models_dir).") var baseModelsDir: String?
    @Option(help: "Verbalizer template (default: the prompt's).") var verbalizer: String?
    @Option(help: "Score only the first N records.") var limit: Int?
    @Option(help: "Records generated together in one left-padded batch.") var batchSize = 8
    @Option(help: "How a prediction becomes an answer for accuracy/MCC: text, first-word or number.") var answer = "text"
    @Option(help: "Write input, target, prediction per record to this new file (.csv, else JSON lines).") var predictions: String?
    @Flag(help: "Print the metrics as one JSON object.") var json = false
    @Option(help: "Weights storage: f32, bf16, f16, q8_0 or native (GGUF blocks kept).") var dtype = "f32"
    @Option(help: "Threads for OpenBLAS and our pool (default: all cores).") var threads: Int?
    @Option(name: .customLong("task-id"), parsing: .unconditional, help: "A multitask prompt's task id (default 0), as for generate.")
    var taskId: Int?
    @Option(name: .customLong("task"), help: "A multitask prompt's task by the name it was trained with, as for generate.")
    var taskName: String?
    @OptionGroup var generation: GenerationArguments

    /// The task picked by --task-id / --task, nil for none.
    var task: PromptTask? { taskId.map(PromptTask.id) ?? taskName.map(PromptTask.name) }

    /// Checks the picked task against the prompt at --model before anything loads; errors name the flag.
    func checkTask() throws {
        guard let task else { return }
        let flag = taskId != nil ? "--task-id \(taskId!)" : "--task \(taskName!)"
        guard TunedPrompt.isPromptDirectory(model) else {
            throw ValidationError("\(flag): \(model) is not a prompt directory (a base model has no tasks); --task-id / --task pick a multitask prompt's task")
        }
        do { _ = try task.resolvedId(inPromptAt: model) } catch let PromptError.badPromptDirectory(_, reason, hint) {
            throw ValidationError("\(flag): \(reason) (hint: \(hint))")
        }
    }

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be ≥ 1, got \(batchSize)") }
        if let limit, limit < 1 { throw ValidationError("--limit must be ≥ 1, got \(limit)") }
        if AnswerExtraction(rawValue: answer) == nil { throw ValidationError("--answer must be text, first-word or number, got \(answer)") }
        for (on, flag) in [(generation.tokens, "--tokens"), (generation.inputTokens, "--input-tokens"),
                           (generation.logprobs, "--logprobs"), (generation.ranks, "--ranks")] where on {
            throw ValidationError("\(flag) reports tokens; eval scores texts only: drop it")
        }
        if let predictions, FileManager.default.fileExists(atPath: predictions) {
            throw ValidationError("--predictions \(predictions) exists; eval never overwrites a file: remove it or pick another name")
        }
        _ = try WeightStorage(dtype)
        _ = try generation.parameters()
        if taskId != nil && taskName != nil { throw ValidationError("--task-id and --task both pick the task; give one") }
    }

    func run() throws {
        try Runtime.configure(threads: threads)
        var parameters = try generation.parameters()
        if generation.preserveInputText == nil { parameters.preserveInputText = false }
        var records = try TrainingDataReader.read(.file(testData), field: "test_data")
        if let limit { records = Array(records.prefix(limit)) }
        let storage = try WeightStorage(dtype)
        try checkTask()
        let target = try GenerationTarget.open(model: model, baseModel: baseModel, baseModelsDir: baseModelsDir,
                                               dtype: storage.dtype, quantization: storage.quantization, task: task)
        if target.prompt != nil {
            FileHandle.standardError.write(Data("base model: \(target.location.path) (from \(target.baseModelSource))\n".utf8))
        }
        let tokenizer = TokenizerAdapter(tokenizer: try loadTokenizer(target.location))
        let eos = target.generationConfig.eosTokenIds
        let service = try GenerationService(model: target.model, tokenizer: tokenizer, prompt: target.prompt,
                                            verbalizer: verbalizer, eosTokenIds: eos.isEmpty ? nil : eos)
        let extraction = AnswerExtraction(rawValue: answer)!
        let evaluation = try PromptEvaluation(service: service, parameters: parameters, batchSize: batchSize, extraction: extraction)
        Interrupt.install()
        let bar = CountProgress(label: "eval")
        let t0 = Date()
        let (scored, metrics) = try evaluation.evaluate(records, cancel: Interrupt.flag) { bar.show($0, of: $1) }
        let seconds = Date().timeIntervalSince(t0)
        if scored.count < records.count {
            FileHandle.standardError.write(Data("interrupted: scored the first \(scored.count) of \(records.count) records\n".utf8))
        }
        if let predictions { try PredictionsFile.write(scored, to: predictions) }
        let info = EvalInfo(model: model, testData: testData, verbalizer: service.text.verbalizer.template, answer: answer,
                            seconds: seconds, predictions: predictions)
        print(json ? info.json(metrics) : info.table(metrics), terminator: "")
        if scored.count < records.count { throw ExitCode(130) }
    }
}

/// The context printed with the metrics.
struct EvalInfo {
    let model: String, testData: String, verbalizer: String, answer: String, seconds: Double, predictions: String?

    func table(_ m: EvaluationMetrics) -> String {
        let hits = Int((m.accuracy * Double(m.count)).rounded())
        let rows: [(String, String)] = [
            ("accuracy", String(format: "%.4f", m.accuracy) + "  (\(hits)/\(m.count), answers: \(answer))"),
            ("matthews_correlation", String(format: "%.4f", m.matthewsCorrelation)),
            ("exact_match", String(format: "%.4f", m.exactMatch)),
            ("rouge1", String(format: "%.4f", m.rouge.rouge1)), ("rouge2", String(format: "%.4f", m.rouge.rouge2)),
            ("rougeL", String(format: "%.4f", m.rouge.rougeL)), ("rougeLsum", String(format: "%.4f", m.rouge.rougeLsum)),
        ]
        var out = "model \(model), test data \(testData) (\(m.count) records, \(String(format: "%.1f", seconds)) s)\n"
        out += "verbalizer \(verbalizer.debugDescription)\n\n"
        out += "metric                 value\n" + "---------------------  ------\n"
        out += rows.map { $0.0.padding(toLength: 21, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n") + "\n"
        if let predictions { out += "\npredictions written to \(predictions)\n" }
        return out
    }

    func json(_ m: EvaluationMetrics) -> String {
        JSONValue.object([
            ("model", .string(model)), ("test_data", .string(testData)), ("verbalizer", .string(verbalizer)),
            ("answer", .string(answer)), ("count", .int(m.count)), ("accuracy", .double(m.accuracy)),
            ("matthews_correlation", .double(m.matthewsCorrelation)), ("exact_match", .double(m.exactMatch)),
            ("rouge", .object([("rouge1", .double(m.rouge.rouge1)), ("rouge2", .double(m.rouge.rouge2)),
                               ("rougeL", .double(m.rouge.rougeL)), ("rougeLsum", .double(m.rouge.rougeLsum))])),
            ("seconds", .double(seconds)), ("predictions", predictions.map { JSONValue.string($0) } ?? .null),
        ]).dumps() + "\n"
    }
}

/// The predictions file: CSV (header input,target,prediction) for `.csv`, else JSON lines.
enum PredictionsFile {
    static func write(_ rows: [EvaluatedRecord], to path: String) throws {
        let text: String
        if path.lowercased().hasSuffix(".csv") {
            func q(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            text = "input,target,prediction\n" + rows.map { [q($0.input), q($0.target), q($0.prediction)].joined(separator: ",") + "\n" }.joined()
        } else {
            text = rows.map {
                JSONValue.object([("input", .string($0.input)), ("target", .string($0.target)), ("prediction", .string($0.prediction))])
                    .dumps() + "\n"
            }.joined()
        }
        try NewFile.write(Data(text.utf8), to: path, option: "--predictions")
    }
}

/// "label [████····] 40/200  ETA 00:31" on stderr, redrawn in place on a terminal.
final class CountProgress {
    let label: String
    private let start = Date()
    private var last = 0.0
    private let isTTY = isatty(2) != 0

    init(label: String) { self.label = label }

    func show(_ done: Int, of total: Int) {
        let now = Date().timeIntervalSince1970
        guard done == total || now - last > 0.25 else { return }
        last = now
        let elapsed = Date().timeIntervalSince(start), width = 24
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : .infinity
        let filled = done * width / max(1, total)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = "\(label) [\(bar)] \(done)/\(total)  \(clock(elapsed)) elapsed  ETA \(clock(eta))"
        let end = done == total ? "\n" : (isTTY ? "" : "\n")
        FileHandle.standardError.write(Data(((isTTY ? "\r\u{1B}[K" : "") + line + end).utf8))
    }

    private func clock(_ s: Double) -> String {
        guard s.isFinite else { return "--:--" }
        let t = Int(s.rounded())
        return String(format: "%02d:%02d", t / 60, t % 60)
    }
}
