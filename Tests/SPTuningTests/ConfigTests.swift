// TuningParameters / TuningConfig: caikit names and defaults, JSON and YAML decoding, strict keys.

import Foundation
import SPJSON
import Testing
@testable import SPPrompt
import Yams
@testable import SPTuning

@Suite struct ConfigTests {
    @Test func defaultsAreCaikits() {
        let p = TuningParameters(baseModel: "bigscience/bloom-560m", tuningConfig: TuningConfig(numVirtualTokens: 8))
        #expect(p.numEpochs == 20)
        #expect(p.learningRate == 0.3)
        #expect(p.accumulateSteps == 32)
        #expect(p.verbalizer == "{{input}}")
        #expect(p.batchSize == 8)
        #expect(p.maxSourceLength == 256)
        #expect(p.maxTargetLength == 128)
        #expect(p.seed == 73)
        #expect(p.device == "__DETECT__")
        #expect(p.tuningType == .promptTuning)
        #expect(p.silenceProgressBars)
        #expect(p.torchDType == nil)
        #expect(p.padding == .dynamic)
        #expect(p.tuningConfig.initMethod == .random)
    }

    /// The HTTP train request of spec §3.3, verbatim.
    @Test func decodesCaikitHTTPTrainRequest() throws {
        let body = """
        {"model_name": "twitter-pt",
         "parameters": {
           "base_model": "bloom-560m",
           "train_stream": {"data_stream": {"data": [{"input": "@foo what a cute dog!", "output": "no complaint"}]}},
           "tuning_config": {"num_virtual_tokens": 8, "prompt_tuning_init_method": "TEXT",
                             "prompt_tuning_init_text": "Classify if the tweet is a complaint or not:",
                             "output_model_types": ["DECODER"]},
           "tuning_type": "PROMPT_TUNING", "num_epochs": 20, "learning_rate": 0.3,
           "verbalizer": "Tweet text : {{input}} Label : ", "batch_size": 8,
           "max_source_length": 256, "max_target_length": 128, "accumulate_steps": 32,
           "torch_dtype": "bfloat16", "seed": 73}}
        """
        let p = try TuningParameters(json: JSONValue.parse(json: Data(body.utf8), source: "request"), source: "request")
        #expect(p.modelName == "twitter-pt")
        #expect(p.baseModel == "bloom-560m")
        #expect(p.trainStream == .inline([TrainRecord(input: "@foo what a cute dog!", output: "no complaint")]))
        #expect(p.tuningConfig == TuningConfig(numVirtualTokens: 8, promptTuningInitMethod: .text,
                                               promptTuningInitText: "Classify if the tweet is a complaint or not:",
                                               outputModelTypes: [.decoder]))
        #expect(p.torchDType == .bfloat16)
        #expect(p.verbalizer == "Tweet text : {{input}} Label : ")
    }

    @Test func decodesYAMLWithAliasAndSources() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let url = try dir.file("train.yaml", """
        base_model: models/SmolLM2-135M
        lr: 0.05
        num_epochs: 3
        accumulate_steps: 1
        torch_dtype: torch.float16
        device: cpu
        padding: max_length
        silence_progress_bars: false
        train_stream: {filename: train.jsonl}
        val_stream:
          directory: {dirname: val, extension: csv}
        tuning_config:
          num_virtual_tokens: 4
          prompt_tuning_init_method: SAMPLE_VOCAB
        """)
        let p = try TuningParameters.load(contentsOf: url)
        #expect(p.learningRate == 0.05)
        #expect(p.numEpochs == 3)
        #expect(p.accumulateSteps == 1)
        #expect(p.torchDType == .float16)
        #expect(p.padding == .maxLength)
        #expect(!p.silenceProgressBars)
        #expect(p.trainStream == .file("train.jsonl"))
        #expect(p.valStream == .directory("val", extension: "csv"))
        #expect(p.tuningConfig.initMethod == .sampleVocab)
    }

    @Test func decodableThroughJSONDecoderAndYAMLDecoder() throws {
        let yaml = "base_model: gpt2\nnum_epochs: 2\nlearning_rate: 0.5\nseed: 9\ntuning_config:\n  num_virtual_tokens: 3\n"
        let y = try YAMLDecoder().decode(TuningParameters.self, from: yaml)
        let j = try JSONDecoder().decode(TuningParameters.self, from: Data(
            #"{"base_model": "gpt2", "num_epochs": 2, "learning_rate": 0.5, "seed": 9, "tuning_config": {"num_virtual_tokens": 3}}"#.utf8))
        #expect(y == j)
        #expect(y.numEpochs == 2 && y.learningRate == 0.5 && y.seed == 9 && y.tuningConfig.numVirtualTokens == 3)
        expectTuningError(["unknown key `epochs`"]) {
            _ = try JSONDecoder().decode(TuningParameters.self, from: Data(#"{"base_model": "m", "epochs": 1, "tuning_config": {}}"#.utf8))
        }
    }

    @Test func dataStreamShapes() throws {
        func source(_ json: String) throws -> DataStreamSource {
            try DataStreamSource(reading: JSONValue.parse(json: Data(json.utf8), source: "t"), path: "train_stream", source: "t")
        }
        #expect(try source(#""a.csv""#) == .file("a.csv"))
        #expect(try source(#"{"file": {"filename": "a.json"}}"#) == .file("a.json"))
        #expect(try source(#"{"list_of_files": {"files": ["a.json", "b.csv"]}}"#) == .files(["a.json", "b.csv"]))
        #expect(try source(#"{"data_stream": {"files": ["x"]}}"#) == .files(["x"]))
        #expect(try source(#"{"dirname": "d"}"#) == .directory("d", extension: nil))
        #expect(try source(#"{"jsondata": {"data": [{"text": "t", "labels": ["a", "b"]}]}}"#)
            == .inline([TrainRecord(input: "t", output: "a,b")]))
        expectTuningError(["S3"]) { _ = try source(#"{"s3files": {"files": []}}"#) }
        expectTuningError(["unknown key `train_stream.filenam`"]) { _ = try source(#"{"filenam": "x"}"#) }
    }

    @Test func unknownKeysAreRejectedWithTheirName() throws {
        func parse(_ yaml: String) throws -> TuningParameters {
            try TuningParameters(json: JSONValue.parse(yaml: yaml, source: "cfg.yaml"), source: "cfg.yaml")
        }
        expectTuningError(["unknown key `num_epoch`", "cfg.yaml", "num_epochs"]) {
            _ = try parse("base_model: m\nnum_epoch: 3\ntuning_config: {num_virtual_tokens: 8}")
        }
        expectTuningError(["unknown key `tuning_config.num_virtual_token`"]) {
            _ = try parse("base_model: m\ntuning_config: {num_virtual_token: 8}")
        }
        expectTuningError(["`batch_size` must be an integer", "string"]) {
            _ = try parse("base_model: m\nbatch_size: eight\ntuning_config: {num_virtual_tokens: 8}")
        }
        expectTuningError(["learning_rate", "give only one"]) {
            _ = try parse("base_model: m\nlr: 0.1\nlearning_rate: 0.2\ntuning_config: {num_virtual_tokens: 8}")
        }
        expectTuningError(["missing `base_model`"]) { _ = try parse("tuning_config: {num_virtual_tokens: 8}") }
        expectTuningError(["missing `tuning_config`"]) { _ = try parse("base_model: m") }
        expectTuningError(["tuning type not supported", "LORA"]) {
            _ = try parse("base_model: m\ntuning_type: LORA\ntuning_config: {num_virtual_tokens: 8}")
        }
        expectTuningError(["prompt_tuning_init_method", "BANANA", "RANDOM"]) {
            _ = try parse("base_model: m\ntuning_config: {num_virtual_tokens: 8, prompt_tuning_init_method: BANANA}")
        }
        expectTuningError(["output_model_types", "MIDDLE"]) {
            _ = try parse("base_model: m\ntuning_config: {num_virtual_tokens: 8, output_model_types: [MIDDLE]}")
        }
        expectTuningError(["torch_dtype", "float64", "float32, bfloat16, float16"]) {
            _ = try parse("base_model: m\ntorch_dtype: float64\ntuning_config: {num_virtual_tokens: 8}")
        }
        expectTuningError(["not valid YAML"]) { _ = try parse("base_model: [unclosed") }
    }

    @Test func nonFiniteLearningRateDecodesThenFailsValidation() throws {
        let p = try TuningParameters(json: JSONValue.parse(yaml: "base_model: m\nlearning_rate: .nan\ntuning_config: {num_virtual_tokens: 8}",
                                                          source: "c"), source: "c")
        #expect(p.learningRate.isNaN)
        expectTuningError(["learning_rate", "finite"]) { _ = try p.validate(trainCount: 1, modelKind: .causalLM) }
    }

    @Test func torchDTypeNames() throws {
        #expect(try TorchDType(torchName: nil) == .float32)
        #expect(try TorchDType(torchName: "") == .float32)
        #expect(try TorchDType(torchName: "half") == .float16)
        #expect(try TorchDType(torchName: "float") == .float32)
        #expect(try TorchDType(torchName: "torch.bfloat16") == .bfloat16)
        #expect(TorchDType.bfloat16.effectiveOnCPU == .float32)
        #expect(TorchDType.float16.effectiveOnCPU == .float16)
        expectTuningError(["Unrecognized data type"]) { _ = try TorchDType(torchName: "fp16") }
    }
}
