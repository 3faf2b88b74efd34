// The service layer on the tiny GPT-2 fixture: one load per base model however many callers, and a
// prompt directory's base model found by the documented rules, in order.

import Foundation
import SPGeneration
import SPModels
import SPPrompt
@testable import SPService
import SPTokenizers
import SPTuning
import Testing

/// A copy of the tiny GPT-2 fixture (vocabulary 331) with a word-level tokenizer covering it: `w0`…`w328`,
/// `<eos>` (329, also the pad token) and `<unk>`, under a fresh temporary directory.
func tinyBaseModel() throws -> (root: String, model: String) {
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SPModelsTests/Fixtures/gpt2")
    let root = NSTemporaryDirectory() + "spservice-" + UUID().uuidString
    let dir = root + "/tiny"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for f in ["config.json", "model.safetensors"] {
        try FileManager.default.copyItem(atPath: fixture.appendingPathComponent(f).path, toPath: dir + "/" + f)
    }
    let words = ((0..<329).map { "w\($0)" } + ["<eos>", "<unk>"]).enumerated().map { "\"\($1)\": \($0)" }
    let eos = #"{"id": 329, "content": "<eos>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}"#
    let tokenizer = #"{"version": "1.0", "truncation": null, "padding": null, "normalizer": null, "post_processor": null, "#
        + #""decoder": null, "pre_tokenizer": {"type": "WhitespaceSplit"}, "added_tokens": ["# + eos + "], "
        + #""model": {"type": "WordLevel", "unk_token": "<unk>", "vocab": {"# + words.joined(separator: ", ") + "}}}"
    try tokenizer.write(toFile: dir + "/tokenizer.json", atomically: true, encoding: .utf8)
    try #"{"eos_token": "<eos>", "pad_token": "<eos>"}"#.write(toFile: dir + "/tokenizer_config.json", atomically: true,
                                                              encoding: .utf8)
    return (root, dir)
}

@Suite struct BaseModelStoreTests {
    @Test func loadsEachModelOnceForManyCallers() async throws {
        let (root, dir) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = BaseModelStore()
        async let a = store.model(dir, baseModelsDir: nil)
        async let b = store.model(dir, baseModelsDir: nil)
        let (x, y) = try await (a, b)
        #expect(x.model === y.model, "two callers got two copies")
        #expect(await store.count == 1)
        let half = try await store.model(at: .directory(dir), dtype: .bfloat16)
        #expect(half.model !== x.model && x.name == "tiny")
        #expect(await store.count == 2)
        await #expect(throws: ModelError.self) { _ = try await store.model(root + "/absent", baseModelsDir: nil) }
        #expect(await store.count == 2, "a failed load is not kept")
    }
}

@Suite struct BaseModelKindTests {
    /// Validation is against the base model's kind, read from config.json before any weight loads.
    @Test func kindComesFromIsEncoderDecoder() throws {
        let (root, dir) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(BaseModel.kind(of: dir, baseModelsDir: nil) == .causalLM)
        let t5 = root + "/t5"
        try FileManager.default.createDirectory(atPath: t5, withIntermediateDirectories: true)
        try #"{"model_type": "t5", "is_encoder_decoder": true}"#.write(toFile: t5 + "/config.json", atomically: true,
                                                                       encoding: .utf8)
        #expect(BaseModel.kind(of: "t5", baseModelsDir: root) == .seq2seqLM)
        #expect(BaseModel.kind(of: root + "/absent", baseModelsDir: nil) == .causalLM, "reported later, in caikit's order")
        try BaseModel.checkSupported(t5, baseModelsDir: nil)   // t5 is supported (encoder-decoder)
        let xlnet = root + "/xlnet"
        try FileManager.default.createDirectory(atPath: xlnet, withIntermediateDirectories: true)
        try #"{"model_type": "xlnet"}"#.write(toFile: xlnet + "/config.json", atomically: true, encoding: .utf8)
        #expect(throws: ModelError.self) { try BaseModel.checkSupported(xlnet, baseModelsDir: nil) }
    }
}

@Suite struct PromptBaseResolutionTests {
    func prompt(base: String?, recorded: String?) -> TunedPrompt {
        TunedPrompt(values: [0, 0], virtualTokens: 1, tokenDim: 2, format: .caikit, baseModel: base, baseModelPath: recorded)
    }

    @Test func recordedPathThenBaseModelsDirThenError() throws {
        let (root, dir) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let promptDir = root + "/elsewhere/prompt"
        let (l1, s1) = try GenerationTarget.resolveBase(of: prompt(base: "tiny", recorded: dir), directory: promptDir,
                                                        override: nil, baseModelsDir: nil)
        #expect(l1 == .directory(dir) && s1.contains("recorded"))
        let (l2, s2) = try GenerationTarget.resolveBase(of: prompt(base: "tiny", recorded: "/gone/tiny"), directory: promptDir,
                                                        override: nil, baseModelsDir: root)
        #expect(l2 == .directory(root + "/tiny") && s2 == "base_models_dir")
        let (l3, s3) = try GenerationTarget.resolveBase(of: prompt(base: "gone", recorded: "/gone/tiny"), directory: promptDir,
                                                        override: dir, baseModelsDir: nil)
        #expect(l3 == .directory(dir) && s3 == "--base-model")
        #expect {
            try GenerationTarget.resolveBase(of: prompt(base: "nowhere", recorded: "/gone/tiny"), directory: promptDir,
                                             override: nil, baseModelsDir: root)
        } throws: { e in
            let m = "\(e)"
            return m.contains("/gone/tiny") && m.contains("nowhere") && m.contains("--base-model")
        }
        #expect(throws: ServiceError.self) {
            try GenerationTarget.resolveBase(of: prompt(base: nil, recorded: nil), directory: promptDir, override: nil,
                                             baseModelsDir: nil)
        }
    }
}

/// Collects a job's events (the callback escapes into the training loop).
final class EventLog {
    var kinds: [String] = []
    var onStep: () -> Void = {}

    func record(_ e: PromptTuningJob.Event) {
        switch e {
        case .microStep: kinds.append("step"); onStep()
        case .epochEnded: kinds.append("epoch")
        case .warning: kinds.append("warning")
        case .loading: kinds.append("loading")
        case .note: kinds.append("note")
        }
    }
}

@Suite struct PromptTuningJobTests {
    func job(_ root: String, _ model: String, _ out: String) -> PromptTuningJob {
        var p = TuningParameters(baseModel: model, tuningConfig: TuningConfig(numVirtualTokens: 2))
        (p.numEpochs, p.batchSize, p.accumulateSteps, p.learningRate) = (2, 2, 1, 0.05)
        return PromptTuningJob(parameters: p, output: URL(fileURLWithPath: root + "/" + out))
    }

    let records = (0..<4).map { TrainRecord(input: "w\($0) w\($0 + 1)", output: "w\(10 + $0 % 2)") }

    @Test func reportsEachStepAndEpochAndSavesAfterEveryEpoch() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let j = job(root, model, "prompt")
        let prepared = try j.prepare(train: records, validation: nil)
        let base = try j.loadBase(prepared)
        let log = EventLog()
        let outcome = try j.train(prepared, base: base, initialPrompt: try j.initialPrompt(prepared, base: base),
                                  onEvent: log.record)
        #expect(!outcome.cancelled && outcome.epochs.count == 2 && outcome.prompt.shape == [2, base.model.inputWidth])
        #expect(log.kinds == ["step", "step", "epoch", "step", "step", "epoch"])
        let yml = try String(contentsOfFile: root + "/prompt/config.yml", encoding: .utf8)
        #expect(yml.contains("softprompt_base_model_path: \(model)") && yml.contains("base_model_name: tiny"))
    }

    @Test func cancellationStopsBeforeTheNextBatchAndSavesNothingHalfway() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var j = job(root, model, "cancelled")
        j.parameters.trainStream = .inline(records)
        let flag = CancellationFlag()
        let log = EventLog()
        log.onStep = { flag.cancel() }
        let outcome = try j.run(cancel: flag, onEvent: log.record)
        #expect(outcome.cancelled && outcome.epochs.isEmpty)
        #expect(log.kinds == ["loading", "step"])
        #expect(!FileManager.default.fileExists(atPath: root + "/cancelled"), "no epoch finished, so nothing is saved")
        #expect(!outcome.saved)
        #expect(!FileManager.default.fileExists(atPath: root + "/.cancelled.lock"), "the lock is released")
    }

    /// Issue 12 in the library: a server gets the output policy too, before any model loads.
    @Test func outputPolicyIsCheckedBeforeTheModelLoads() throws {
        let root = NSTemporaryDirectory() + "spservice-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/photos", withIntermediateDirectories: true)
        try "jpeg".write(toFile: root + "/photos/a.jpg", atomically: true, encoding: .utf8)
        var j = job(root, root + "/no-such-model", "photos")
        j.overwrite = true
        #expect { _ = try j.prepare(train: records, validation: nil) } throws: { e in
            "\(e)".contains("output") && "\(e)".contains("did not write")
        }
        #expect(try String(contentsOfFile: root + "/photos/a.jpg", encoding: .utf8) == "jpeg")
        j = job(root, root + "/no-such-model", "data-dir")
        j.otherInputs = [URL(fileURLWithPath: root + "/data-dir/train.jsonl")]
        #expect { _ = try j.prepare(train: records, validation: nil) } throws: { e in "\(e)".contains("which this run reads") }
    }

    @Test func anEarlierPromptIsReplacedOnlyWithOverwrite() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var j = job(root, model, "prompt")
        j.parameters.numEpochs = 1
        j.parameters.trainStream = .inline(records)
        #expect(try j.run().saved)
        #expect { _ = try j.prepare() } throws: { e in "\(e)".contains("--overwrite") }
        j.overwrite = true
        #expect(try j.run().epochs.count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["prompt", "tiny"])
    }

    @Test func multitaskIsRefusedBeforeLoading() throws {
        var j = job("/nonexistent", "/nonexistent/model", "never")
        j.parameters.tuningType = .multitaskPromptTuning
        j.parameters.tuningConfig.numTasks = 0
        #expect { _ = try j.prepare(train: records, validation: nil) } throws: { e in
            "\(e)".contains("num_tasks") && "\(e)".contains("at least 1")
        }
    }
}

@Suite struct GenerationServiceTests {
    @Test func runAndRunStreamOutAgree() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let target = try GenerationTarget.open(model: model, baseModel: nil, baseModelsDir: nil)
        #expect(target.prompt == nil && target.baseModelSource == "model")
        let service = try GenerationService(target: target, tokenizer: TokenizerAdapter(tokenizer: try loadTokenizer(target.location)))
        var p = GenerationParameters()
        (p.maxNewTokens, p.minNewTokens, p.preserveInputText) = (4, 4, false)
        let whole = try service.run("w1 w2 w3", parameters: p)
        var pieces: [String] = []
        let streamed = try service.runStreamOut("w1 w2 w3", parameters: p) { pieces.append($0.generatedText) }
        #expect(whole.generatedTokens == 4 && !whole.generatedText.isEmpty)
        #expect(streamed.generatedText == whole.generatedText && pieces.joined() == whole.generatedText)
        #expect(try service.run(batch: ["w1 w2 w3", "w4"], parameters: p)[0] == whole)
        #expect(whole.producerId == .textGeneration, "a plain base model is caikit's TextGeneration, not PEFT")
    }

    @Test func noVerbalizerNeedsAPromptDirectory() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect { _ = try GenerationTarget.open(model: model, baseModel: nil, baseModelsDir: nil, applyVerbalizer: false) }
            throws: { e in "\(e)".contains("base model") && "\(e)".contains("verbalizer") }
    }
}
