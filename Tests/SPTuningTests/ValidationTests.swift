// Validation in caikit's order, each check's error, and the training_data_limit lookup.

import Foundation
import SPJSON
import Testing
@testable import SPPrompt
@testable import SPTuning

@Suite struct ValidationTests {
    func params(_ edit: (inout TuningParameters) -> Void = { _ in }) -> TuningParameters {
        var p = TuningParameters(baseModel: "bigscience/bloom-560m", tuningConfig: TuningConfig(numVirtualTokens: 8))
        edit(&p)
        return p
    }

    @Test func resolvesDefaultsForCausalAndSeq2seq() throws {
        let r = try params().validate(trainCount: 2, modelKind: .causalLM)
        #expect(r.baseModelName == "bloom-560m")
        #expect(r.outputModelTypes == [.decoder])
        #expect(r.numTransformerSubmodules == 1)
        #expect(r.device == "cpu")
        #expect(r.trainedDType == .float32)
        #expect(r.initMethod == .random)
        let s = try params { $0.baseModel = "google/flan-t5-small" }.validate(trainCount: 2, modelKind: .seq2seqLM)
        #expect(s.outputModelTypes == [.encoder])
        #expect(s.modelKind.taskType == "SEQ_2_SEQ_LM")
    }

    @Test func bfloat16FallsBackToFloat32OnCPUWithWarning() throws {
        let r = try params { $0.torchDType = .bfloat16 }.validate(trainCount: 1, modelKind: .causalLM)
        #expect(r.trainedDType == .float32)
        #expect(r.warnings.first?.contains("NLP18555772W") == true)
        #expect(try params { $0.torchDType = .float16 }.validate(trainCount: 1, modelKind: .causalLM).trainedDType == .float16)
    }

    @Test func eachCheckHasANamedError() {
        let cases: [(TuningParameters, Int, [String])] = [
            (params(), 0, ["train_stream", "cannot be empty"]),
            (params { $0.baseModel = "path/../../important" }, 1, ["base_model", "invalid characters"]),
            (params { $0.baseModel = "model name" }, 1, ["base_model"]),
            (params { $0.baseModel = "" }, 1, ["base_model"]),
            (params { $0.tuningConfig.promptTuningInitMethod = .averageSourceTasks }, 1, ["MULTITASK_PROMPT_TUNING"]),
            (params { $0.tuningType = .multitaskPromptTuning; $0.tuningConfig.promptTuningInitMethod = .sampleVocab }, 1,
             ["SAMPLE_VOCAB", "PROMPT_TUNING only"]),
            (params { $0.tuningType = .multitaskPromptTuning; $0.tuningConfig.promptTuningInitMethod = .onlySourceShared }, 1,
             ["prompt_tuning_init_source_model"]),
            (params {
                $0.tuningType = .multitaskPromptTuning; $0.tuningConfig.promptTuningInitMethod = .onlySourceShared
                $0.tuningConfig.promptTuningInitSourceModel = "no-such-prompt.safetensors"
            }, 1, ["no-such-prompt.safetensors", "not found"]),
            (params { $0.tuningConfig.outputModelTypes = [.encoder] }, 1, ["output_model_types", "ENCODER", "DECODER"]),
            (params { $0.verbalizer = "no placeholders" }, 1, ["verbalizer", "no renderable placeholders"]),
            (params { $0.verbalizer = "{{ input }}" }, 1, ["no renderable placeholders"]),
            (params { $0.tuningConfig.numVirtualTokens = nil }, 1, ["num_virtual_tokens not provided"]),
            (params { $0.tuningConfig.numVirtualTokens = 0 }, 1, ["num_virtual_tokens", "positive"]),
            (params { $0.tuningConfig.numVirtualTokens = -3 }, 1, ["num_virtual_tokens"]),
            (params { $0.tuningConfig.promptTuningInitMethod = .text }, 1, ["prompt_tuning_init_text"]),
            (params { $0.tuningConfig.promptTuningInitMethod = .text; $0.tuningConfig.promptTuningInitText = "" }, 1,
             ["prompt_tuning_init_text"]),
            (params { $0.device = "cuda" }, 1, ["\"cuda\"", "not supported by this build", "cpu"]),
            (params { $0.learningRate = -0.1 }, 1, ["learning_rate", "-0.1"]),
            (params { $0.learningRate = .infinity }, 1, ["learning_rate", "finite"]),
            (params { $0.batchSize = 0 }, 1, ["batch_size", "≥ 1"]),
            (params { $0.accumulateSteps = 0 }, 1, ["accumulate_steps", "caikit's default is 32"]),
            (params { $0.numEpochs = -1 }, 1, ["num_epochs"]),
            (params { $0.maxSourceLength = 0 }, 1, ["max_source_length"]),
            (params { $0.maxTargetLength = 0 }, 1, ["max_target_length"]),
        ]
        for (p, n, words) in cases {
            expectTuningError(words) { _ = try p.validate(trainCount: n, modelKind: .causalLM) }
        }
        expectTuningError(["val_stream", "cannot be empty"]) {
            _ = try params().validate(trainCount: 1, valCount: 0, modelKind: .causalLM)
        }
        expectTuningError(["at most 2 distinct"]) {
            _ = try params { $0.tuningConfig.outputModelTypes = [.encoder, .encoder] }.validate(trainCount: 1, modelKind: .seq2seqLM)
        }
    }

    /// caikit checks in a fixed order; with several problems the earliest one is reported.
    @Test func firstProblemInCaikitOrderWins() {
        let bad = params {
            $0.baseModel = "../x"; $0.verbalizer = "none"; $0.tuningConfig.numVirtualTokens = 0; $0.batchSize = 0
        }
        expectTuningError(["train_stream"]) { _ = try bad.validate(trainCount: 0, modelKind: .causalLM) }
        expectTuningError(["base_model"]) { _ = try bad.validate(trainCount: 1, modelKind: .causalLM) }
        var b2 = bad
        b2.baseModel = "ok"
        expectTuningError(["verbalizer"]) { _ = try b2.validate(trainCount: 1, modelKind: .causalLM) }
        b2.verbalizer = "{{input}}"
        expectTuningError(["num_virtual_tokens"]) { _ = try b2.validate(trainCount: 1, modelKind: .causalLM) }
        b2.tuningConfig.numVirtualTokens = 4
        expectTuningError(["batch_size"]) { _ = try b2.validate(trainCount: 1, modelKind: .causalLM) }
    }

    @Test func sourcePromptIsResolvedAgainstTheBase() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        _ = try dir.file("src.safetensors", "x")
        let path = try TuningParameters.sourcePromptPath(method: .averageSourceTasks, source: "src.safetensors",
                                                         base: dir.url.path)
        #expect(path == dir.url.appendingPathComponent("src.safetensors").path)
        #expect(try TuningParameters.sourcePromptPath(method: .text, source: "src.safetensors", base: dir.url.path) == nil)
    }

    /// Multitask requests validate; their own fields are checked, and refused with PROMPT_TUNING
    /// (caikit would silently ignore them).
    @Test func multitaskFieldsAreChecked() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        _ = try dir.file("src.safetensors", "x")
        for method in [PromptTuningInitMethod.random, .text, .averageSourceTasks] {
            let p = params {
                $0.tuningType = .multitaskPromptTuning
                $0.tuningConfig.promptTuningInitMethod = method
                $0.tuningConfig.promptTuningInitText = "some text"
                $0.tuningConfig.promptTuningInitSourceModel = "src.safetensors"
                $0.tuningConfig.numTasks = 3
                $0.tuningConfig.numRanks = 2
            }
            #expect(try p.validate(trainCount: 1, modelKind: .causalLM, sourcePromptBase: dir.url.path).initMethod == method)
        }
        let mpt = params { $0.tuningType = .multitaskPromptTuning }
        let cases: [(TuningParameters, [String])] = [
            (params { $0 = mpt; $0.tuningConfig.numTasks = 0 }, ["num_tasks", "at least 1"]),
            (params { $0 = mpt; $0.tuningConfig.numRanks = 0 }, ["num_ranks"]),
            (params { $0 = mpt; $0.tuningConfig.promptTuningInitTask = .id(1) }, ["prompt_tuning_init_task", "EXACT_SOURCE_TASK"]),
            (params { $0.tuningConfig.numTasks = 2 }, ["num_tasks", "MULTITASK_PROMPT_TUNING"]),
            (params { $0.tuningConfig.numRanks = 2 }, ["num_ranks", "MULTITASK_PROMPT_TUNING"]),
        ]
        for (p, words) in cases {
            expectTuningError(words) { _ = try p.validate(trainCount: 1, modelKind: .causalLM) }
        }
        // Seq2seq multitask prompts go anywhere a plain one goes (PEFT's generic branch splits them).
        for types in [[PromptOutputModelType.decoder], [.encoder, .decoder]] {
            let r = try params { $0 = mpt; $0.tuningConfig.outputModelTypes = types }.validate(trainCount: 1, modelKind: .seq2seqLM)
            #expect(r.promptRows == 8 * types.count, "\(types): num_virtual_tokens × num_transformer_submodules rows")
        }
        #expect(PromptTuningInitMethod(caikitName: "AVERAGE_SOURCE") == .averageSourceTasks)
    }

    @Test func baseModelNames() throws {
        #expect(try TuningParameters.checkBaseModel("bigscience/bloom-560m") == "bloom-560m")
        #expect(try TuningParameters.checkBaseModel("/models/t5_small/") == "t5_small")
        #expect(try TuningParameters.checkBaseModel("gpt2") == "gpt2")
        expectTuningError(["base_model"]) { _ = try TuningParameters.checkBaseModel("a..b") }
        expectTuningError(["base_model"]) { _ = try TuningParameters.checkBaseModel("m:latest") }
    }

    /// The cases of caikit's test_peft_prompt_tuning.py training-data-limit tests (2 examples).
    @Test func trainingDataLimitLookupMatchesCaikitTests() throws {
        let id = CaikitModule.moduleID
        func check(_ yaml: String, passes: Bool) throws {
            let limits = try TrainingDataLimit(json: JSONValue.parse(yaml: yaml, source: "cfg"), source: "cfg")
            let p = params { $0.baseModel = "models/bloom-560m" }
            if passes {
                _ = try p.validate(trainCount: 2, modelKind: .causalLM, limits: limits)
            } else {
                expectTuningError(["Number of examples (2) exceeds", "(1)"]) {
                    _ = try p.validate(trainCount: 2, modelKind: .causalLM, limits: limits)
                }
            }
        }
        try check("\(id): {bloom-560m: 1}", passes: false)
        try check("\(id): {bloom-560m: 2}", passes: true)
        try check("\(id): {other-model: 1}", passes: true)
        try check("{}", passes: true)
        try check("\(id): {__default__: 1}", passes: false)
        try check("\(id): {__default__: 1, bloom-560m: 2}", passes: true)
        try check("__default__: 1", passes: false)
        try check("{__default__: 1, \(id): {bloom-560m: 2}}", passes: true)
        try check("__default__: -1", passes: true)
    }
}
