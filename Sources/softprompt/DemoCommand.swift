import ArgumentParser
import Foundation
import SPModels
import SPTensor
import SPTokenizers
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
        // The demo replaces only its own earlier prompt directory (see OutputPath), never other files.
        let out = try OutputPath.check(output, inputs: [URL(fileURLWithPath: gguf), URL(fileURLWithPath: data)], overwrite: true)
        let lock = try OutputLock(out)
        defer { lock.release() }
        for m in try AtomicFile.recoverDirectory(at: out) { say("note: \(m)") }
        let t0 = Clock.now()
        say("loading \(gguf)")
        let bm = try BaseModel.load(gguf, baseModelsDir: nil, dtype: .float32)
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
        let resolved = try p.validate(trainCount: train.count, modelKind: .causalLM)
        say("data: \(train.count) training and \(test.count) held-out tweets (vaderSentiment, labels positive/negative)")
        say("hyper-parameters: \(numVirtualTokens) virtual tokens, TEXT init \"\(Self.initText)\", lr \(learningRate), "
            + "batch 8, accumulate 1, \(numEpochs) epochs, AdamW wd 0.01, linear decay")
        let eval = Evaluator(base: bm, verbalizer: resolved.verbalizer, records: test)
        let none = try eval.accuracy(prompt: nil)
        say("held-out accuracy, untuned model (no prompt):       \(pct(none))")
        let initial = try PromptInit.make(.text, text: Self.initText, numVirtualTokens: numVirtualTokens,
                                          model: bm.model, tokenizer: bm.text, seed: p.seed)
        let before = try eval.accuracy(prompt: initial)
        say("held-out accuracy, TEXT-initialised prompt:         \(pct(before))")
        let run = try TuningRun(model: bm.model, parameters: p, resolved: resolved, tokenizer: bm.text, train: train)
        let tTrain = Clock.now()
        let outcome = try run.run(initialPrompt: initial, observer: ProgressBar()) { _, trainer, log in
            try SavedPrompt.saveTrained(prompt: trainer.prompt, model: bm.model, parameters: p, resolved: resolved,
                                        baseModelPath: gguf, baseModelConfig: bm.configJSON, eosToken: bm.tokenizer.eosToken,
                                        log: log, to: out)
        }
        let trainSeconds = Clock.now() - tTrain
        let after = try eval.accuracy(prompt: outcome.prompt)
        say("held-out accuracy, tuned prompt:                    \(pct(after))   (training took \(Int(trainSeconds)) s)")
        say("saved the prompt to \(output)/ (config.yml, decoder.pt, training_logs.jsonl, \(bm.name)/adapter_*)")
        for r in test.prefix(4) {
            let answer = try eval.generate(prompt: outcome.prompt, input: r.input, maxNewTokens: 4)
            say("  \"\(r.input.prefix(70))\" → \(answer.debugDescription) (label \(r.output))")
        }
        say("total \(Int(Clock.now() - t0)) s")
    }

    func pct(_ a: (correct: Int, total: Int)) -> String {
        String(format: "%5.1f%%  (%d/%d)", 100 * Double(a.correct) / Double(max(1, a.total)), a.correct, a.total)
    }

    func say(_ s: String) { FileHandle.standardOutput.write(Data((s + "\n").utf8)) }
}

/// Generation-based accuracy: the greedy answer's first word (case-insensitive) equals the label.
struct Evaluator {
    let base: BaseModel
    let verbalizer: Verbalizer
    let records: [TrainRecord]

    func accuracy(prompt: Tensor?, batchSize: Int = 8) throws -> (correct: Int, total: Int) {
        var ok = 0
        for start in stride(from: 0, to: records.count, by: batchSize) {
            let rows = Array(records[start..<min(start + batchSize, records.count)])
            let answers = try generate(prompt: prompt, inputs: rows.map(\.input), maxNewTokens: 3)
            for (r, answer) in zip(rows, answers) {
                let word = answer.lowercased().split(whereSeparator: { !$0.isLetter }).first.map(String.init) ?? ""
                if word == r.output.lowercased() { ok += 1 }
            }
        }
        return (ok, records.count)
    }

    func generate(prompt: Tensor?, input: String, maxNewTokens: Int) throws -> String {
        try generate(prompt: prompt, inputs: [input], maxNewTokens: maxNewTokens)[0]
    }

    /// Batched greedy decoding. Rows are `[prompt | left padding | tokens]` (PEFT puts the prompt
    /// before the pads) and positions come from the mask's cumsum, so every row's answer is the one
    /// it would get alone.
    func generate(prompt: Tensor?, inputs: [String], maxNewTokens: Int) throws -> [String] {
        let m = base.model, e = m.inputWidth, b = inputs.count, v = prompt?.shape[0] ?? 0
        let ids = try inputs.map { try base.tokenizer.encode(try verbalizer.render(input: $0)).ids }
        let longest = ids.map(\.count).max() ?? 0, t = v + longest
        var x = [Float](repeating: 0, count: b * t * e)
        var mask = [Int32](repeating: 0, count: b * t)
        for (r, row) in ids.enumerated() {
            let pad = longest - row.count
            for j in 0..<t { mask[r * t + j] = (j < v || j >= v + pad) ? 1 : 0 }
            if let prompt { for i in 0..<(v * e) { x[r * t * e + i] = prompt.data[i] } }
            x.withUnsafeMutableBufferPointer { xb in
                for (j, id) in row.enumerated() { m.tokenEmbedding.rows(id, id + 1, into: xb.baseAddress! + (r * t + v + pad + j) * e) }
            }
        }
        let cache = KVCache(model: m, batch: b, capacity: t + maxNewTokens)
        let ws = InferenceWorkspace()
        var logits = [Float](repeating: 0, count: b * m.head.vocab)
        var out = [[Int]](repeating: [], count: b), done = [Bool](repeating: false, count: b)
        let eos = base.tokenizer.eosTokenId ?? -1
        var tokens = t
        for _ in 0..<maxNewTokens {
            try m.decode(embeds: x, mask: mask, tokens: tokens, cache: cache, rule: .cumsumMask(padValue: 1),
                         logits: &logits, workspace: ws)
            x = [Float](repeating: 0, count: b * e)
            for r in 0..<b {
                let row = logits[(r * m.head.vocab)..<((r + 1) * m.head.vocab)]
                let next = row.indices.max { row[$0] < row[$1] }! - r * m.head.vocab
                if next == eos { done[r] = true }
                if !done[r] { out[r].append(next) }
                x.withUnsafeMutableBufferPointer { m.tokenEmbedding.rows(next, next + 1, into: $0.baseAddress! + r * e) }
            }
            if done.allSatisfy({ $0 }) { break }
            mask = [Int32](repeating: 1, count: b)
            tokens = 1
        }
        return try out.map { try base.tokenizer.decode($0, skipSpecialTokens: true) }
    }
}
