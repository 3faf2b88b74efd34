import ArgumentParser
import Foundation
import SPGeneration
import SPService
import SPTensor
import SPTuning

/// `softprompt demo`: the whole job on real data — tune a prompt for SmolLM2-135M on tweet sentiment,
/// report held-out accuracy before and after, save the prompt and generate with it.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tune a soft prompt for SmolLM2-135M on tweet sentiment and generate with it (the README's main job).")

    static var cache: String {
        ProcessInfo.processInfo.environment["SOFTPROMPT_CACHE"] ?? (NSHomeDirectory() + "/.cache/softprompt")
    }
    @Option(help: "The SmolLM2 GGUF (scripts/fetch_smollm2.sh).") var gguf = Demo.cache + "/SmolLM2-135M-Instruct.Q4_1.gguf"
    @Option(help: "Directory with tweets_train.jsonl / tweets_test.jsonl (scripts/fetch_datasets.sh).")
    var data = Demo.cache + "/sentiment"
    @Option(help: "Where the tuned prompt is saved.") var output = "demo-prompt"
    @Option(name: .customLong("train-examples")) var trainExamples = 256
    @Option(name: .customLong("test-examples")) var testExamples = 200
    @Option(name: .customLong("num-epochs")) var numEpochs = 2
    @Option(name: [.customLong("learning-rate"), .customLong("lr")]) var learningRate = 0.03
    @Option(name: .customLong("num-virtual-tokens")) var numVirtualTokens = 20
    @Option(help: "Threads (default: all cores).") var threads: Int?

    static let verbalizer = "Tweet: {{input}}\nIs the sentiment of this tweet positive or negative?\nAnswer: "
    static let initText = "Classify the sentiment of the tweet as positive or negative."

    func run() throws {
        try ResourceLimits.checkThreads(threads)
        try Runtime.configure(threads: threads)
        for (path, script) in [(gguf, "scripts/fetch_smollm2.sh"), (data + "/tweets_train.jsonl", "scripts/fetch_datasets.sh")]
        where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(path) is missing: run \(script) first (scripts/demo.sh does)")
        }
        let t0 = Clock.now()
        say("loading \(gguf)")
        let train = Array(try TrainingDataReader.readFile(URL(fileURLWithPath: data + "/tweets_train.jsonl")).prefix(trainExamples))
        let test = Array(try TrainingDataReader.readFile(URL(fileURLWithPath: data + "/tweets_test.jsonl")).prefix(testExamples))
        var p = TuningParameters(baseModel: gguf, tuningConfig: TuningConfig(
            numVirtualTokens: numVirtualTokens, promptTuningInitMethod: .text, promptTuningInitText: Self.initText))
        p.verbalizer = Self.verbalizer
        p.numEpochs = numEpochs
        p.learningRate = learningRate
        p.batchSize = 8
        p.accumulateSteps = 1
        p.maxSourceLength = 128
        p.maxTargetLength = 4
        p.silenceProgressBars = false
        var job = PromptTuningJob(parameters: p, output: URL(fileURLWithPath: output))
        // The demo replaces only its own earlier prompt directory (the job's output policy), never
        // other files, and never writes into the data it reads.
        job.overwrite = true
        job.otherInputs = [URL(fileURLWithPath: data)]
        let prepared = try job.prepare(train: train, validation: nil)
        let bm = try job.loadBase(prepared)
        say("data: \(train.count) training and \(test.count) held-out tweets (vaderSentiment, labels positive/negative)")
        say("hyper-parameters: \(numVirtualTokens) virtual tokens, TEXT init \"\(Self.initText)\", lr \(learningRate), "
            + "batch 8, accumulate 1, \(numEpochs) epochs, AdamW wd 0.01, linear decay")
        let eval = Evaluator(base: bm, verbalizer: Self.verbalizer, records: test)
        let none = try eval.accuracy(prompt: nil)
        say("held-out accuracy, untuned model (no prompt):       \(pct(none))")
        let initial = try job.initialPrompt(prepared, base: bm)
        let before = try eval.accuracy(prompt: initial)
        say("held-out accuracy, TEXT-initialised prompt:         \(pct(before))")
        let tTrain = Clock.now()
        let bar = ProgressBar()
        let outcome = try job.train(prepared, base: bm, initialPrompt: initial) { event in
            if case .note(let m) = event { say("note: \(m)") }
            bar.show(event)
        }
        let trainSeconds = Clock.now() - tTrain
        let after = try eval.accuracy(prompt: outcome.prompt)
        say("held-out accuracy, tuned prompt:                    \(pct(after))   (training took \(Int(trainSeconds)) s)")
        say("saved the prompt to \(output)/ (config.yml, decoder.pt, training_logs.jsonl, \(bm.name)/adapter_*)")
        let tuned = try eval.service(prompt: outcome.prompt)
        for r in test.prefix(4) {
            let answer = try tuned.run(r.input, parameters: Evaluator.greedy(maxNewTokens: 4)).generatedText
            say("  \"\(r.input.prefix(70))\" → \(answer.debugDescription) (label \(r.output))")
        }
        say("same held-out score from the command line: softprompt eval --model \(output) --test-data \(data)/tweets_test.jsonl "
            + "--limit \(testExamples) --answer first-word --max-new-tokens 3 --batch-size 8")
        say("total \(Int(Clock.now() - t0)) s")
        say("loss curve: \(URL(fileURLWithPath: output).appendingPathComponent(TrainingCurve.fileName).path)")
    }

    func pct(_ a: (correct: Int, total: Int)) -> String {
        String(format: "%5.1f%%  (%d/%d)", 100 * Double(a.correct) / Double(max(1, a.total)), a.correct, a.total)
    }

    func say(_ s: String) { FileHandle.standardOutput.write(Data((s + "\n").utf8)) }
}

/// Generation-based accuracy: the greedy answer's first word (case-insensitive) equals the label.
struct Evaluator {
    let base: BaseModel
    let verbalizer: String
    let records: [TrainRecord]

    /// caikit `run()` parameters of the evaluation: greedy, only the new text.
    static func greedy(maxNewTokens: Int) -> GenerationParameters {
        var p = GenerationParameters()
        p.maxNewTokens = maxNewTokens
        p.preserveInputText = false
        return p
    }

    /// The generation service for `prompt` (nil: the base model alone), with the tuning verbalizer.
    func service(prompt: Tensor?) throws -> GenerationService {
        try GenerationService(model: base.model, tokenizer: base.text,
                              prompt: prompt.map { GenerationService.prompt($0, verbalizer: verbalizer) },
                              verbalizer: verbalizer)
    }

    /// `softprompt eval --answer first-word --max-new-tokens 3 --batch-size 8` on the records.
    func accuracy(prompt: Tensor?, batchSize: Int = 8) throws -> (correct: Int, total: Int) {
        let evaluation = try PromptEvaluation(service: service(prompt: prompt), parameters: Self.greedy(maxNewTokens: 3),
                                              batchSize: batchSize, extraction: .firstWord)
        let scored = try evaluation.generate(records)
        return (scored.filter { $0.answer == AnswerExtraction.firstWord.label($0.target) }.count, records.count)
    }
}
