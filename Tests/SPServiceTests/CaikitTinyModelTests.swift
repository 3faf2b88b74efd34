// caikit-nlp's own tiny test models (caikit-nlp==0.5.15 sdist, tests/fixtures/tiny_models/, fetched
// by scripts/fetch_caikit_fixtures.sh): they ship only pytorch_model.bin. The BLOOM one loads,
// generates transformers' greedy ids with the same log probabilities, trains and saves a prompt that
// generates again; the T5 one loads as tensors. Goldens: scripts/reference/caikit_tiny_goldens.py
// (Tests/SPGenerationTests/Fixtures/caikit_tiny.json).

import Foundation
import SPFormats
import SPGeneration
import SPModels
@testable import SPService
import SPTokenizers
import SPTuning
import Testing

enum CaikitTiny {
    static var root: String? {
        let env = ProcessInfo.processInfo.environment
        let cache = env["SOFTPROMPT_CACHE"] ?? (NSHomeDirectory() + "/.cache/softprompt")
        let p = cache + "/caikit-tiny"
        return FileManager.default.fileExists(atPath: p + "/BloomForCausalLM/pytorch_model.bin") ? p : nil
    }
    static let missing = "caikit-nlp tiny models not cached: run scripts/fetch_caikit_fixtures.sh"

    static func golden() throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SPGenerationTests/Fixtures/caikit_tiny.json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
    }

    /// Sum of a tensor's elements in float64.
    static func checksum(_ source: TensorSource, _ name: String) throws -> Double {
        try source.tensor(name).array.reduce(0) { $0 + Double($1) }
    }
}

@Suite(.enabled(if: CaikitTiny.root != nil, Comment(rawValue: CaikitTiny.missing)), .serialized)
struct CaikitTinyModelTests {
    @Test func bloomGeneratesTransformersGreedyIdsAndLogprobs() throws {
        let dir = CaikitTiny.root! + "/BloomForCausalLM"
        let bloom = try #require(try CaikitTiny.golden()["bloom"] as? [String: Any])
        let source = try Checkpoint.open(directory: dir)
        #expect(source is TorchCheckpoint)
        #expect(source.tensorNames.count == bloom["tensor_count"] as? Int)
        for (name, want) in try #require(bloom["checksums"] as? [String: Double]) {
            #expect(abs(try CaikitTiny.checksum(source, name) - want) < 1e-4, "\(name)")
        }
        let base = try BaseModel.load(.directory(dir), dtype: .float32)
        let service = try GenerationService(model: base.model, tokenizer: base.text)
        var p = GenerationParameters()
        (p.maxNewTokens, p.returnTokens, p.tokenLogprobs, p.inputTokens, p.preserveInputText) = (8, true, true, true, false)
        for case let g as [String: Any] in try #require(bloom["greedy"] as? [Any]) {
            let text = g["text"] as! String
            let promptIds = g["prompt_ids"] as! [Int], newIds = g["new_ids"] as! [Int]
            #expect(try base.tokenizer.encodeIds(text) == promptIds, "\(text)")
            let gen = try service.tokens.generate([TokenRequest(inputIds: promptIds.map(Int32.init), parameters: p)],
                                                  eos: [2], pad: 3)[0]
            #expect(gen.ids.map(Int.init) == newIds, "\(text): \(gen.ids) vs transformers \(newIds)")
            let r = try service.run(text, parameters: p)
            #expect(r.generatedText == g["new_text"] as? String)
            let lps = (r.tokens ?? []).compactMap(\.logprob)
            let wantLps = g["new_logprobs"] as! [Double]
            #expect(lps.count == wantLps.count)
            for (a, b) in zip(lps, wantLps) { #expect(abs(a - b) < 2e-4, "\(text): new-token logprob \(a) vs \(b)") }
            let inLps = (r.inputTokens ?? []).dropFirst().compactMap(\.logprob)
            let wantIn = g["input_logprobs"] as! [Double]
            #expect(inLps.count == wantIn.count)
            for (a, b) in zip(inLps, wantIn) { #expect(abs(a - b) < 2e-4, "\(text): input logprob \(a) vs \(b)") }
        }
    }

    @Test func bloomTrainsSavesAndGeneratesWithItsPrompt() throws {
        let dir = CaikitTiny.root! + "/BloomForCausalLM"
        let out = NSTemporaryDirectory() + "caikit-tiny-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: out) }
        var params = TuningParameters(baseModel: dir, tuningConfig: TuningConfig(numVirtualTokens: 3))
        (params.numEpochs, params.batchSize, params.accumulateSteps, params.learningRate) = (2, 2, 1, 0.3)
        params.trainStream = .inline((0..<4).map { TrainRecord(input: "caikit \($0)", output: "yes") })
        let job = PromptTuningJob(parameters: params, output: URL(fileURLWithPath: out + "/prompt"))
        let outcome = try job.run()
        #expect(!outcome.cancelled && outcome.epochs.count == 2)
        let losses = outcome.epochs.map(\.trainLoss)
        #expect(losses.allSatisfy(\.isFinite) && losses[1] < losses[0], "loss \(losses) should fall")
        let target = try GenerationTarget.open(model: out + "/prompt", baseModel: nil, baseModelsDir: nil)
        #expect(target.prompt?.virtualTokens == 3)
        let service = try GenerationService(target: target, tokenizer: TokenizerAdapter(tokenizer: try loadTokenizer(target.location)))
        var p = GenerationParameters()
        (p.maxNewTokens, p.minNewTokens) = (4, 4)
        #expect(try service.run("caikit 1", parameters: p).generatedTokens == 4)
    }

    @Test func t5LoadsAsTensors() throws {
        let dir = CaikitTiny.root! + "/T5ForConditionalGeneration"
        let t5 = try #require(try CaikitTiny.golden()["t5"] as? [String: Any])
        let source = try Checkpoint.open(directory: dir)
        let shapes = try #require(t5["tensors"] as? [String: [Int]])
        #expect(Set(source.tensorNames) == Set(shapes.keys))
        for (name, shape) in shapes { #expect(try source.shape(of: name) == shape, "\(name)") }
        for (name, want) in try #require(t5["checksums"] as? [String: Double]) {
            #expect(abs(try CaikitTiny.checksum(source, name) - want) < 1e-4, "\(name)")
        }
    }
}
