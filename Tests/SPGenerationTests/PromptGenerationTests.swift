// Greedy generation with a soft prompt against transformers + PEFT `generate` on every tiny
// architecture (Tests/SPModelsTests/Fixtures/<name>/golden.json `generation.peft.new_ids`), batches
// with left padding against one row at a time, seeded sampling, and prompt directories.

import Foundation
import SPFormats
import SPModels
import SPPrompt
import SPTestSupport
@testable import SPGeneration
import Testing

@Suite struct PromptGenerationTests {
    static let names = Fixtures.modelNames

    @Test func fixturesArePresent() throws {
        let names = try Fixtures.index()
        #expect(names.count == Fixtures.modelCount, "Tests/SPModelsTests/Fixtures/index.json lists \(names.count) models")
    }

    /// `generation`: the greedy ids transformers (no prompt) and PEFT (prompt) produced.
    struct Golden {
        let inputIds: [Int32], maxNew: Int, eos: Int32, plain: [Int32], peft: [Int32], adapter: String
        init(_ name: String) throws {
            let g = try Fixtures.golden(name)["generation"] as! [String: Any]
            let peft = g["peft"] as! [String: Any]
            inputIds = ints(g["input_ids"])
            maxNew = g["max_new_tokens"] as! Int
            eos = Int32(g["eos_token_id"] as! Int)
            plain = ints(g["new_ids"])
            self.peft = ints(peft["new_ids"])
            guard plain.count == maxNew, self.peft.count == maxNew else {
                throw FixtureError.malformed(path: "Tests/SPModelsTests/Fixtures/\(name)/golden.json",
                                             reason: "generation has \(plain.count) / \(self.peft.count) new ids, max_new_tokens \(maxNew)")
            }
            adapter = Fixtures.models.appendingPathComponent(name).appendingPathComponent(peft["adapter_dir"] as! String).path
        }
    }

    func greedy(_ n: Int) -> GenerationParameters {
        var p = GenerationParameters()
        p.maxNewTokens = n
        return p
    }

    @Test(arguments: names)
    func peftGreedyIdsMatchTransformers(_ name: String) throws {
        let g = try Golden(name)
        let prompt = try TunedPrompt.load(directory: g.adapter)
        #expect(prompt.format == .peft && prompt.virtualTokens == 3)
        let gen = try TokenGenerator(model: try Fixtures.model(name), prompt: prompt)
        let out = try gen.generate([TokenRequest(inputIds: g.inputIds, parameters: greedy(g.maxNew))], eos: [g.eos], pad: g.eos)
        #expect(out[0].ids == g.peft, "\(name): \(out[0].ids) vs PEFT \(g.peft)")
        #expect(out[0].finishReason == .maxTokens)
        let plain = try TokenGenerator(model: try Fixtures.model(name))
            .generate([TokenRequest(inputIds: g.inputIds, parameters: greedy(g.maxNew))], eos: [g.eos], pad: g.eos)
        #expect(plain[0].ids == g.plain, "\(name) without prompt: \(plain[0].ids) vs transformers \(g.plain)")
    }

    /// Three prompts of different lengths in one left-padded batch give, row by row, the ids each
    /// gives alone (greedy with the soft prompt, and seeded sampling).
    @Test(arguments: names)
    func leftPaddedBatchEqualsOneAtATime(_ name: String) throws {
        let g = try Golden(name)
        let gen = try TokenGenerator(model: try Fixtures.model(name), prompt: try TunedPrompt.load(directory: g.adapter))
        let inputs: [[Int32]] = [g.inputIds, Array(g.inputIds.prefix(1)) + [7, 9, 11, 13, 2], [g.inputIds[2]]]
        var sampled = GenerationParameters()
        sampled.decodingMethod = .sampling
        sampled.maxNewTokens = 6
        sampled.seed = 1234
        sampled.topK = 30
        for params in [greedy(8), sampled] {
            let batch = try gen.generate(inputs.map { TokenRequest(inputIds: $0, parameters: params) }, eos: [g.eos], pad: g.eos)
            for (i, ids) in inputs.enumerated() {
                let alone = try gen.generate([TokenRequest(inputIds: ids, parameters: params)], eos: [g.eos], pad: g.eos)
                #expect(batch[i].ids == alone[0].ids, "\(name) row \(i) (\(params.decodingMethod)): \(batch[i].ids) vs \(alone[0].ids)")
            }
        }
    }

    @Test func rowsFinishIndependently() throws {
        let g = try Golden("gpt2")
        let gen = try TokenGenerator(model: try Fixtures.model("gpt2"), prompt: try TunedPrompt.load(directory: g.adapter))
        let out = try gen.generate([TokenRequest(inputIds: g.inputIds, parameters: greedy(2)),
                                    TokenRequest(inputIds: g.inputIds, parameters: greedy(8))], eos: [g.eos], pad: g.eos)
        #expect(out[0].ids == Array(g.peft.prefix(2)) && out[1].ids == g.peft)
    }

    @Test func seededSamplingIsReproducible() throws {
        let g = try Golden("llama")
        let gen = try TokenGenerator(model: try Fixtures.model("llama"), prompt: try TunedPrompt.load(directory: g.adapter))
        var p = GenerationParameters()
        p.decodingMethod = .sampling
        p.maxNewTokens = 12
        p.temperature = 1.5
        func run(_ seed: UInt64?) throws -> TokenOutcome {
            var q = p
            q.seed = seed
            return try gen.generate([TokenRequest(inputIds: g.inputIds, parameters: q)], eos: [g.eos], pad: g.eos)[0]
        }
        let a = try run(99), b = try run(99), c = try run(100)
        #expect(a.ids == b.ids && a.seed == 99)
        #expect(a.ids != c.ids, "different seeds gave the same 12 tokens")
        let fresh = try run(nil)
        #expect(fresh.seed != nil)
        #expect(try run(fresh.seed).ids == fresh.ids, "the reported seed reproduces the text")
    }

    /// The same prompt as a caikit directory (config.yml + decoder.pt written by torch's format)
    /// generates what the PEFT adapter does.
    /// An adapter written by PEFT (`save_pretrained`) loads with exactly the values PEFT holds
    /// (golden.json `prompt_embeddings`, dumped by scripts/reference/model_goldens.py).
    @Test(arguments: names)
    func peftAdapterLoadsIdenticalValues(_ name: String) throws {
        let g = try Golden(name)
        let p = try TunedPrompt.load(directory: g.adapter)
        let want = (try Fixtures.golden(name)["prompt_embeddings"] as! [String: Any])["data"] as! [NSNumber]
        #expect(p.format == .peft && p.values == want.map { Float($0.doubleValue) })
    }

    @Test func caikitDirectoryMatchesPEFTAdapter() throws {
        let g = try Golden("qwen2")
        let peft = try TunedPrompt.load(directory: g.adapter)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spgen-caikit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try TorchPT.write(values: peft.values, shape: [peft.virtualTokens, peft.tokenDim], dtype: .float32,
                          to: dir.appendingPathComponent("decoder.pt"))
        try """
            base_model_name: qwen2-tiny
            DECODER: decoder.pt
            ENCODER: ''
            eos_token: <|endoftext|>
            task_type: CAUSAL_LM
            tuning_type: PROMPT_TUNING
            verbalizer: 'Input: {{input}} Output:'
            """.write(to: dir.appendingPathComponent("config.yml"), atomically: true, encoding: .utf8)
        let caikit = try TunedPrompt.load(directory: dir.path)
        #expect(caikit.format == .caikit && caikit.values == peft.values)
        #expect(caikit.verbalizer == "Input: {{input}} Output:" && caikit.baseModel == "qwen2-tiny" && caikit.eosToken == "<|endoftext|>")
        let gen = try TokenGenerator(model: try Fixtures.model("qwen2"), prompt: caikit)
        #expect(try gen.generate([TokenRequest(inputIds: g.inputIds, parameters: greedy(g.maxNew))], eos: [g.eos], pad: g.eos)[0].ids == g.peft)
    }

    /// A multitask adapter's prompt for task 0 is P ∘ (U₀·V₀).
    @Test func multitaskAdapterUsesTaskZero() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spgen-mpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let p: [Float] = [1, 2, 3, 4, 5, 6]             // [2, 3]
        let u: [Float] = [2, 3, 9, 9]                    // [K=2, T=2, r=1]
        let v: [Float] = [1, 10, 100, 7, 7, 7]           // [K=2, r=1, D=3]
        let bytes = try SafetensorsWriter.serialize([
            SafetensorsEntry(name: "prompt_embeddings", shape: [2, 3], values: p),
            SafetensorsEntry(name: "prefix_task_cols", shape: [2, 2, 1], values: u),
            SafetensorsEntry(name: "prefix_task_rows", shape: [2, 1, 3], values: v)])
        try Data(bytes).write(to: dir.appendingPathComponent("adapter_model.safetensors"))
        try #"{"peft_type": "MULTITASK_PROMPT_TUNING", "task_type": "CAUSAL_LM", "num_virtual_tokens": 2, "token_dim": 3, "num_transformer_submodules": 1, "num_tasks": 2, "num_ranks": 1}"#
            .write(to: dir.appendingPathComponent("adapter_config.json"), atomically: true, encoding: .utf8)
        let prompt = try TunedPrompt.load(directory: dir.path)
        let want: [Float] = [2, 40, 600, 12, 150, 1800]  // row t: P[t] · U₀[t] · V₀
        #expect(prompt.values == want)
    }

    @Test func badDirectoriesThrowNamingTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spgen-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: PromptError.self) { try TunedPrompt.load(directory: dir.path) }
        try #"{"peft_type": "LORA", "num_virtual_tokens": 2, "token_dim": 3}"#
            .write(to: dir.appendingPathComponent("adapter_config.json"), atomically: true, encoding: .utf8)
        do {
            _ = try TunedPrompt.load(directory: dir.path)
            Issue.record("LORA accepted")
        } catch let PromptError.badPromptDirectory(path, reason, _) {
            #expect(path.hasSuffix("adapter_config.json") && reason.contains("LORA"))
        }
        try #"{"peft_type": "PROMPT_TUNING", "num_virtual_tokens": 2, "token_dim": 3}"#
            .write(to: dir.appendingPathComponent("adapter_config.json"), atomically: true, encoding: .utf8)
        do {
            _ = try TunedPrompt.load(directory: dir.path)
            Issue.record("missing safetensors accepted")
        } catch let PromptError.badPromptDirectory(path, _, _) {
            #expect(path.hasSuffix("adapter_model.safetensors"))
        }
        // A prompt of the wrong width for the model.
        let wrong = TunedPrompt(values: [Float](repeating: 0, count: 10), virtualTokens: 2, tokenDim: 5)
        #expect(throws: GenerationError.self) { try TokenGenerator(model: try Fixtures.model("gpt2"), prompt: wrong) }
    }

    @Test func learnedPositionLimitIsChecked() throws {
        let model = try Fixtures.model("gpt2")
        let gen = try TokenGenerator(model: model)
        let limit = try #require(gen.positionLimit)
        var p = GenerationParameters()
        p.maxNewTokens = limit
        #expect(throws: GenerationError.self) {
            try gen.generate([TokenRequest(inputIds: [1, 2], parameters: p)], eos: [], pad: 0)
        }
        #expect(throws: GenerationError.self) {
            try gen.generate([TokenRequest(inputIds: [Int32(model.tokenEmbedding.outFeatures)])], eos: [], pad: 0)
        }
    }
}
