// Multitask prompts on disk: the PEFT MPT adapter (three tensors, num_tasks / num_ranks in
// adapter_config.json), caikit's export of task 0's effective prompt, task names, and reading a task
// back by id or name through the one prompt reader; init from a source prompt (PEFT's three
// methods) and the source path rule.

import Foundation
import SPFormats
import Testing
@testable import SPPrompt
import SPTensor
@testable import SPTuning

@Suite struct MultitaskSaveLoadTests {
    static let (nvt, dim, k, r) = (3, 4, 3, 2)

    static func tensors() throws -> PromptTensors {
        let p = (0..<(nvt * dim)).map { Float($0) * 0.25 - 1 }
        let u = (0..<(k * nvt * r)).map { Float(($0 * 7) % 5) - 2 }
        let v = (0..<(k * r * dim)).map { Float(($0 * 3) % 7) * 0.5 - 1.5 }
        return try PromptTensors(shared: p, rows: nvt, tokenDim: dim, multitask: MultitaskFactors(numTasks: k, numRanks: r, cols: u, rows: v))
    }

    static func save(_ t: PromptTensors, to dir: URL, names: [String] = ["sst2", "mnli", "nyt"]) throws {
        let config = CaikitPromptConfig(
            baseModelConfig: .object(["model_type": .string("gpt2")]), baseModelName: "tiny-gpt2", eosToken: "<|endoftext|>",
            hasBaseModel: true, verbalizer: "{{input}}", tuningType: .multitaskPromptTuning, taskType: "CAUSAL_LM",
            trainedTorchDType: .float32, outputModelTypes: [.decoder])
        var peft = PEFTAdapterConfig(
            baseModelNameOrPath: "models/tiny-gpt2", tuningType: .multitaskPromptTuning, taskType: "CAUSAL_LM", numVirtualTokens: nvt,
            tokenDim: dim, numTransformerSubmodules: 1, numAttentionHeads: 2, numLayers: 2, promptTuningInit: .text,
            promptTuningInitText: "hi", tokenizerNameOrPath: "models/tiny-gpt2")
        peft.numTasks = k
        peft.numRanks = r
        try SavedPrompt.save(.multitask(t, numVirtualTokens: nvt, config: config, adapterConfig: peft, trainingLog: [], taskNames: names), to: dir)
    }

    @Test func savesPEFTsThreeTensorsAndLoadsEachTask() throws {
        let tmp = try TempDir()
        defer { tmp.cleanup() }
        let dir = tmp.url.appendingPathComponent("mpt")
        let t = try Self.tensors()
        try Self.save(t, to: dir)
        let adapter = dir.appendingPathComponent("tiny-gpt2")
        let st = try readSafetensors(Data(contentsOf: adapter.appendingPathComponent("adapter_model.safetensors")))
        #expect(st.tensors.map(\.name).sorted() == ["prefix_task_cols", "prefix_task_rows", "prompt_embeddings"])
        let json = try String(contentsOf: adapter.appendingPathComponent("adapter_config.json"), encoding: .utf8)
        #expect(json.contains(#""num_tasks": 3"#) && json.contains(#""num_ranks": 2"#) && json.contains(#""peft_type": "MULTITASK_PROMPT_TUNING""#))
        // caikit's export: decoder.pt is task 0's effective prompt.
        let saved = try SavedPrompt.load(from: dir)
        #expect(saved.decoder?.values == t.effectivePrompt(task: 0) && saved.taskNames == ["sst2", "mnli", "nyt"])
        #expect(saved.adapterConfig?.numTasks == 3 && saved.adapterConfig?.numRanks == 2)
        for task in 0..<Self.k {
            #expect(try TunedPrompt.load(directory: dir.path, task: .id(task)).values == t.effectivePrompt(task: task), "caikit dir, task \(task)")
            #expect(try TunedPrompt.load(directory: adapter.path, task: .id(task)).values == t.effectivePrompt(task: task), "adapter, task \(task)")
        }
        #expect(try TunedPrompt.load(directory: dir.path, task: .name("nyt")).values == t.effectivePrompt(task: 2))
        #expect(try TunedPrompt.load(directory: adapter.path, task: .name("mnli")).values == t.effectivePrompt(task: 1))
        #expect(try TunedPrompt.load(directory: adapter.path + "/adapter_model.safetensors", task: .id(1)).values == t.effectivePrompt(task: 1))
        // The source reader sees all three tensors, from the directory or the file.
        let source = try MultitaskInit.readSource(dir.path)
        #expect(source.tensors == t && source.taskNames == ["sst2", "mnli", "nyt"])
        #expect(source.file == adapter.path + "/adapter_model.safetensors")
    }

    @Test func badTasksAreRefusedNamingTheRange() throws {
        let tmp = try TempDir()
        defer { tmp.cleanup() }
        let dir = tmp.url.appendingPathComponent("mpt")
        try Self.save(try Self.tensors(), to: dir)
        func reason(_ task: PromptTask) -> String {
            do { _ = try TunedPrompt.load(directory: dir.path, task: task); return "" } catch { return "\(error)" }
        }
        #expect(reason(.id(3)).contains("task id 3 is out of range") && reason(.id(3)).contains("0…2"))
        #expect(reason(.id(-1)).contains("out of range"))
        #expect(reason(.name("imdb")).contains("unknown task name imdb") && reason(.name("imdb")).contains("sst2, mnli, nyt"))
        // A plain prompt has only task 0.
        let plain = tmp.url.appendingPathComponent("pt")
        try SavedPrompt.save(SavedPromptTests.artifacts(), to: plain)
        #expect(throws: PromptError.self) { try TunedPrompt.load(directory: plain.path, task: .id(1)) }
        #expect(try TunedPrompt.load(directory: plain.path, task: .id(0)).values == SavedPromptTests.artifacts().servedPrompt)
    }

    @Test func initFromSourceFollowsPEFT() throws {
        let src = try Self.tensors()
        let shared = Tensor(shape: [Self.nvt, Self.dim], values: [Float](repeating: 9, count: Self.nvt * Self.dim))
        let random = try MultitaskInit.make(.text, shared: shared, numTasks: 2, numRanks: 2, seed: 1)
        #expect(random.shared == shared.array && random.multitask!.cols.count == 2 * Self.nvt * 2)
        let std = (random.multitask!.cols + random.multitask!.rows).map { $0 * $0 }.reduce(0, +)
            / Float(random.multitask!.cols.count + random.multitask!.rows.count)
        #expect(std > 0.0001 && std < 0.0016, "U, V ~ N(0, 0.02²): mean square \(std)")
        #expect(try MultitaskInit.make(.text, shared: shared, numTasks: 2, numRanks: 2, seed: 1) == random, "seeded")

        let only = try MultitaskInit.make(.onlySourceShared, shared: shared, numTasks: 2, numRanks: 3, seed: 1, source: src)
        #expect(only.shared == src.shared && only.multitask!.numRanks == 3)
        let avg = try MultitaskInit.make(.averageSourceTasks, shared: shared, numTasks: 1, numRanks: 2, seed: 1, source: src)
        let m = src.multitask!, n = Self.nvt * Self.r
        #expect(avg.multitask!.cols == (0..<n).map { (m.cols[$0] + m.cols[n + $0] + m.cols[2 * n + $0]) / 3 })
        let exact = try MultitaskInit.make(.exactSourceTask, shared: shared, numTasks: 1, numRanks: 2, seed: 1, source: src, initTask: 2)
        #expect(exact.multitask!.cols == Array(m.cols[(2 * n)..<(3 * n)]) && exact.shared == src.shared)

        expectTuningError(["num_tasks", "num_tasks 1"]) { _ = try MultitaskInit.make(.averageSourceTasks, shared: shared, numTasks: 2, numRanks: 2, seed: 1, source: src) }
        expectTuningError(["num_ranks 2"]) { _ = try MultitaskInit.make(.exactSourceTask, shared: shared, numTasks: 1, numRanks: 1, seed: 1, source: src) }
        expectTuningError(["prompt_tuning_init_task", "0…2"]) { _ = try MultitaskInit.make(.exactSourceTask, shared: shared, numTasks: 1, numRanks: 2, seed: 1, source: src, initTask: 3) }
        expectTuningError(["num_tasks", "at least 1"]) { _ = try MultitaskInit.make(.random, shared: shared, numTasks: 0, numRanks: 1, seed: 1) }
        let wide = Tensor(shape: [Self.nvt, Self.dim + 1], values: [Float](repeating: 0, count: Self.nvt * (Self.dim + 1)))
        expectTuningError(["num_virtual_tokens", "[3, 4]"]) { _ = try MultitaskInit.make(.onlySourceShared, shared: wide, numTasks: 1, numRanks: 1, seed: 1, source: src) }
        expectTuningError(["prompt_tuning_init_source_model"]) { _ = try MultitaskInit.make(.onlySourceShared, shared: shared, numTasks: 1, numRanks: 1, seed: 1) }
    }

    @Test func sourcePathStaysUnderTheBase() throws {
        let tmp = try TempDir()
        defer { tmp.cleanup() }
        let base = tmp.url.appendingPathComponent("base")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: base.appendingPathComponent("src.safetensors"))
        try Data("x".utf8).write(to: tmp.url.appendingPathComponent("outside.safetensors"))
        #expect(try TuningParameters.sourcePromptPath(method: .onlySourceShared, source: "src.safetensors", base: base.path, environment: [:])!.hasSuffix("/base/src.safetensors"))
        expectTuningError(["escapes source_prompt_base"]) { _ = try TuningParameters.sourcePromptPath(method: .onlySourceShared, source: "../outside.safetensors", base: base.path, environment: [:]) }
        expectTuningError(["not found"]) { _ = try TuningParameters.sourcePromptPath(method: .onlySourceShared, source: "nope.safetensors", base: base.path, environment: [:]) }
        // SOURCE_PROMPT_BASE overrides the config key.
        #expect(try TuningParameters.sourcePromptPath(method: .averageSourceTasks, source: "src.safetensors", base: "/nonexistent",
                                                         environment: ["SOURCE_PROMPT_BASE": base.path])!
            .hasSuffix("/base/src.safetensors"))
    }
}
