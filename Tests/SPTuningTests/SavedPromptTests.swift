// Saved prompt directories: caikit layout + PEFT adapter, atomic assembly, load.
//
// Set SOFTPROMPT_SAVED_PROMPT_OUT=/some/dir to also keep a sample directory there for
// `scripts/reference/check_saved_prompt.py` (torch.load / PeftConfig.from_pretrained on our files).

import Foundation
import Testing
@testable import SPPrompt
import SPTensor
@testable import SPTuning

@Suite struct SavedPromptTests {
    static let nvt = 4, dim = 6

    static func artifacts(dtype: TorchDType = .float32, adapter: Bool = true) -> PromptArtifacts {
        let prompt = (0..<(nvt * dim)).map { Float($0) * 0.37 - 3.1 }
        let config = CaikitPromptConfig(
            baseModelConfig: .object(["model_type": .string("gpt2"), "n_embd": .int(dim), "_name_or_path": .string("x")]),
            baseModelName: "tiny-gpt2", eosToken: "<|endoftext|>", hasBaseModel: adapter, verbalizer: "Tweet text : {{input}} Label : ",
            tuningType: .promptTuning, taskType: "CAUSAL_LM", trainedTorchDType: dtype, outputModelTypes: [.decoder])
        let peft = PEFTAdapterConfig(
            baseModelNameOrPath: "models/tiny-gpt2", tuningType: .promptTuning, taskType: "CAUSAL_LM", numVirtualTokens: nvt,
            tokenDim: dim, numTransformerSubmodules: 1, numAttentionHeads: 2, numLayers: 2, promptTuningInit: .random,
            tokenizerNameOrPath: "models/tiny-gpt2")
        let log = (0..<3).map { TrainingLogEntry(epoch: $0 / 2, step: $0, loss: 2.5 - Float($0) * 0.25) }
        return .promptTuning(prompt: prompt, numVirtualTokens: nvt, tokenDim: dim, config: config,
                             adapterConfig: adapter ? peft : nil, trainingLog: log)
    }

    @Test func savesCaikitLayoutPlusAdapterAndLoadsBack() throws {
        let tmp = try TempDir()
        defer { tmp.cleanup() }
        let dir = tmp.url.appendingPathComponent("twitter-pt")
        let a = Self.artifacts()
        try SavedPrompt.save(a, to: dir)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(files == ["config.yml", "decoder.pt", "tiny-gpt2", "training_logs.jsonl"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("tiny-gpt2").path).sorted()
            == ["adapter_config.json", "adapter_model.safetensors"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path) == ["twitter-pt"])  // no temp leftovers

        let loaded = try SavedPrompt.load(from: dir)
        #expect(loaded.config.hasBaseModel && loaded.config.fullModelPath == "tiny-gpt2" && loaded.config.tokenizerPath == "tiny-gpt2")
        #expect(loaded.decoder?.values == a.servedPrompt && loaded.decoder?.shape == [Self.nvt, Self.dim])
        #expect(loaded.encoder == nil)
        #expect(loaded.adapterConfig == a.adapterConfig)
        #expect(loaded.trainingLog == a.trainingLog)
        let st = try readSafetensors(Data(contentsOf: dir.appendingPathComponent("tiny-gpt2/adapter_model.safetensors")))
        #expect(st.tensors.map(\.name) == ["prompt_embeddings"] && st.tensors[0].values == a.servedPrompt)

        if let keep = ProcessInfo.processInfo.environment["SOFTPROMPT_SAVED_PROMPT_OUT"] {
            try SavedPrompt.save(a, to: URL(fileURLWithPath: keep), overwrite: true)
        }
    }

    @Test func storesTheTrainedDTypeAndOmitsTheAdapterWithoutBaseModel() throws {
        let tmp = try TempDir()
        defer { tmp.cleanup() }
        let dir = tmp.url.appendingPathComponent("p")
        let a = Self.artifacts(dtype: .float16, adapter: false)
        try SavedPrompt.save(a, to: dir)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["config.yml", "decoder.pt", "training_logs.jsonl"])
        let loaded = try SavedPrompt.load(from: dir)
        #expect(!loaded.config.hasBaseModel && loaded.config.fullModelPath == nil && loaded.adapterConfig == nil)
        var rounded = a.servedPrompt
        Convert.roundTrip(&rounded, rounded.count, through: .float16)
        #expect(loaded.decoder?.dtype == .float16 && loaded.decoder?.values == rounded)
        #expect(loaded.config.trainedTorchDType == .float16)
    }

    @Test func seq2seqEncoderAndDecoderGetTheirOwnBlocks() throws {
        let tmp = try TempDir()
        defer { tmp.cleanup() }
        var a = Self.artifacts(adapter: false)
        a.config.outputModelTypes = [.encoder, .decoder]
        a.config.encoderFile = "encoder.pt"
        a.servedPrompt = (0..<(2 * Self.nvt * Self.dim)).map(Float.init)
        let dir = tmp.url.appendingPathComponent("s2s")
        try SavedPrompt.save(a, to: dir)
        let loaded = try SavedPrompt.load(from: dir)
        let n = Self.nvt * Self.dim
        #expect(loaded.encoder?.values == Array(a.servedPrompt[0..<n]))
        #expect(loaded.decoder?.values == Array(a.servedPrompt[n..<(2 * n)]))
    }

    @Test func directoryWritesAreAtomic() throws {
        let tmp = try TempDir()
        defer { tmp.cleanup() }
        let dir = tmp.url.appendingPathComponent("p")
        try SavedPrompt.save(Self.artifacts(), to: dir)
        let before = try Data(contentsOf: dir.appendingPathComponent("config.yml"))
        expectTuningError(["already exists"]) { try SavedPrompt.save(Self.artifacts(), to: dir) }

        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try SavedPrompt.save(Self.artifacts(), to: dir, overwrite: true) { _ in throw Boom() }
        }
        // The failed save left the old directory intact and no temporary directory behind.
        #expect(try Data(contentsOf: dir.appendingPathComponent("config.yml")) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path) == ["p"])

        var b = Self.artifacts()
        b.config.verbalizer = "{{input}} v2"
        try SavedPrompt.save(b, to: dir, overwrite: true) { sub in
            try Data("{}".utf8).write(to: sub.appendingPathComponent("tokenizer.json"))
        }
        #expect(try SavedPrompt.load(from: dir).config.verbalizer == "{{input}} v2")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("tiny-gpt2/tokenizer.json").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path) == ["p"])
    }

    @Test func badShapesAndMissingFilesAreNamed() throws {
        let tmp = try TempDir()
        defer { tmp.cleanup() }
        var a = Self.artifacts()
        a.servedPrompt.removeLast()
        expectTuningError(["prompt", "num_virtual_tokens (4)"]) { try SavedPrompt.save(a, to: tmp.url.appendingPathComponent("x")) }
        expectTuningError(["config.yml", "not a saved prompt"]) { _ = try SavedPrompt.load(from: tmp.url) }
        let dir = tmp.url.appendingPathComponent("p")
        try SavedPrompt.save(Self.artifacts(), to: dir)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("decoder.pt"))
        expectTuningError(["decoder.pt"]) { _ = try SavedPrompt.load(from: dir) }
    }
}
