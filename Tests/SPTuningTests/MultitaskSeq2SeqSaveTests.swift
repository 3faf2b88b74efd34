// Seq2seq multitask prompts on disk: ENCODER+DECODER saves encoder.pt / decoder.pt as the two halves
// of task 0's effective prompt and PEFT's MPT adapter with num_transformer_submodules 2; DECODER only
// (which PEFT cannot express) saves decoder.pt and P, U, V in softprompt_multitask.safetensors. Every
// task reads back by id or name from either.

import Foundation
import SPFormats
import Testing
@testable import SPPrompt
import SPTensor
@testable import SPTuning

@Suite struct MultitaskSeq2SeqSaveTests {
    static let (nvt, dim, k, r) = (2, 4, 3, 2)

    static func tensors(rows: Int) throws -> PromptTensors {
        let p = (0..<(rows * dim)).map { Float($0) * 0.125 - 1 }
        let u = (0..<(k * rows * r)).map { Float(($0 * 7) % 5) - 2 }
        let v = (0..<(k * r * dim)).map { Float(($0 * 3) % 7) * 0.5 - 1.5 }
        return try PromptTensors(shared: p, rows: rows, tokenDim: dim, multitask: MultitaskFactors(numTasks: k, numRanks: r, cols: u, rows: v))
    }

    static func save(_ t: PromptTensors, types: [PromptOutputModelType], adapter: Bool, to dir: URL) throws {
        let config = CaikitPromptConfig(
            baseModelConfig: .object(["model_type": .string("t5")]), baseModelName: "tiny-t5", eosToken: "</s>",
            hasBaseModel: true, verbalizer: "{{input}}", tuningType: .multitaskPromptTuning, taskType: "SEQ_2_SEQ_LM",
            trainedTorchDType: .float32, outputModelTypes: types)
        var peft = PEFTAdapterConfig(
            baseModelNameOrPath: "models/tiny-t5", tuningType: .multitaskPromptTuning, taskType: "SEQ_2_SEQ_LM", numVirtualTokens: nvt,
            tokenDim: dim, numTransformerSubmodules: types.count, numAttentionHeads: 2, numLayers: 2, promptTuningInit: .random,
            promptTuningInitText: nil, tokenizerNameOrPath: "models/tiny-t5")
        peft.numTasks = k
        peft.numRanks = r
        try SavedPrompt.save(.multitask(t, numVirtualTokens: nvt, config: config, adapterConfig: adapter ? peft : nil,
                                        trainingLog: [], taskNames: ["a", "b", "c"]), to: dir)
    }

    @Test func encoderAndDecoderSavesBothHalvesAndPEFTsTwoSubmoduleAdapter() throws {
        let tmp = try TempDir()
        defer { tmp.cleanup() }
        let dir = tmp.url.appendingPathComponent("mpt")
        let t = try Self.tensors(rows: 2 * Self.nvt)
        try Self.save(t, types: [.encoder, .decoder], adapter: true, to: dir)
        let saved = try SavedPrompt.load(from: dir)
        let task0 = t.effectivePrompt(task: 0), half = Self.nvt * Self.dim
        #expect(saved.encoder?.values == Array(task0[0..<half]) && saved.decoder?.values == Array(task0[half...]))
        #expect(saved.encoder?.shape == [Self.nvt, Self.dim] && saved.adapterConfig?.numTransformerSubmodules == 2)
        let adapter = dir.appendingPathComponent("tiny-t5").path
        for task in 0..<Self.k {
            let caikit = try TunedPrompt.load(directory: dir.path, task: .id(task))
            #expect(caikit.values == t.effectivePrompt(task: task) && caikit.encoderRows == Self.nvt, "caikit dir, task \(task)")
            let peft = try TunedPrompt.load(directory: adapter, task: .id(task))
            #expect(peft.values == t.effectivePrompt(task: task) && peft.encoderRows == Self.nvt, "adapter, task \(task)")
        }
        #expect(try PromptTask.name("c").resolvedId(inPromptAt: dir.path) == 2)
        #expect(try MultitaskInit.readSource(dir.path).tensors == t)
    }

    @Test func decoderOnlyKeepsItsTensorsWithoutAnAdapter() throws {
        let tmp = try TempDir()
        defer { tmp.cleanup() }
        let dir = tmp.url.appendingPathComponent("mpt")
        let t = try Self.tensors(rows: Self.nvt)
        try Self.save(t, types: [.decoder], adapter: false, to: dir)
        let fm = FileManager.default
        #expect(!fm.fileExists(atPath: dir.appendingPathComponent("tiny-t5").path), "PEFT cannot express a DECODER-only seq2seq prompt")
        #expect(!fm.fileExists(atPath: dir.appendingPathComponent("encoder.pt").path))
        let saved = try SavedPrompt.load(from: dir)
        #expect(saved.decoder?.values == t.effectivePrompt(task: 0) && saved.taskNames == ["a", "b", "c"])
        for task in 0..<Self.k {
            let p = try TunedPrompt.load(directory: dir.path, task: .id(task))
            #expect(p.values == t.effectivePrompt(task: task) && p.encoderRows == 0, "task \(task)")
        }
        #expect(try TunedPrompt.load(directory: dir.path, task: .name("b")).values == t.effectivePrompt(task: 1))
        #expect(throws: PromptError.self) { try TunedPrompt.load(directory: dir.path, task: .id(3)) }
        let source = try MultitaskInit.readSource(dir.path)
        #expect(source.tensors == t && source.file == dir.path + "/" + PromptReader.multitaskTensorsFile)
    }
}
