// Byte-level formats against their Python writers: json.dumps (python_json_goldens.py), safetensors
// and adapter_config.json (prompt_format_goldens.py), and the training log line.

import Foundation
import SPJSON
@testable import SPPrompt
import SPTensor
import Testing
@testable import SPTuning

/// A minimal safetensors reader for checking our writer against the library's files.
func readSafetensors(_ data: Data) throws -> (tensors: [SafetensorsTensor], metadata: [(String, String)]) {
    let b = [UInt8](data)
    let n = Int(b[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    let header = try JSONValue.parse(json: Data(b[8..<(8 + n)]), source: "safetensors header")
    guard case .object(let o) = header else { return ([], []) }
    var tensors: [SafetensorsTensor] = []
    var metadata: [(String, String)] = []
    for (name, v) in o {
        if name == "__metadata__" {
            if case .object(let m) = v { metadata = m.map { ($0.key, $0.value.stringValue ?? "") } }
            continue
        }
        let dtype: DType = ["F32": .float32, "F16": .float16, "BF16": .bfloat16][v["dtype"]!.stringValue!]!
        let off = v["data_offsets"]!.ints
        let raw = Array(b[(8 + n + off[0])..<(8 + n + off[1])])
        let values: [Float] = stride(from: 0, to: raw.count, by: dtype.size).map { i in
            switch dtype {
            case .float32: return Float(bitPattern: raw[i..<(i + 4)].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            case .float16: return Float(Float16(bitPattern: UInt16(raw[i]) | UInt16(raw[i + 1]) << 8))
            case .bfloat16: return Float(bitPattern: (UInt32(raw[i]) | UInt32(raw[i + 1]) << 8) << 16)
            }
        }
        tensors.append(SafetensorsTensor(name: name, dtype: dtype, shape: v["shape"]!.ints, values: values))
    }
    return (tensors, metadata)
}

@Suite struct FormatTests {
    @Test func floatReprAndStringEscapesMatchCPython() throws {
        let fx = try fixtureJSON("python_json.json")
        #expect(fx["floats"]!.arrayValue.count == 223 && fx["strings"]!.arrayValue.count == 8,
                "python_json.json declares 223 floats and 8 strings")
        for f in fx["floats"]!.arrayValue {
            let d = Double(bitPattern: UInt64(f["bits"]!.stringValue!)!)
            #expect(JSONValue.pythonRepr(d) == f["repr"]!.stringValue!, "bits \(f["bits"]!.stringValue!)")
        }
        for s in fx["strings"]!.arrayValue {
            let text = String(decoding: s["utf8"]!.ints.map(UInt8.init), as: UTF8.self)
            #expect(JSONValue.string(text).dumps() == s["dumps"]!.stringValue!)
        }
        let structure = JSONValue.object([
            ("b", .array([.int(1), .double(2.5), .null, .bool(true), .bool(false), .string("x")])),
            ("a", .object([("z", .array([])), ("y", .object([]))])), ("name", .string("é")),
        ])
        #expect(structure.dumps() == fx["structure_compact"]!.stringValue!)
        #expect(structure.dumps(indent: 2, sortKeys: true) == fx["structure_indent2_sorted"]!.stringValue!)
    }

    @Test func trainingLogLineMatchesCaikitsJSONDump() throws {
        let fx = try fixtureJSON("python_json.json")
        let value = Double(bitPattern: UInt64(fx["log_value_bits"]!.stringValue!)!)
        let e = TrainingLogEntry(epoch: 3, step: 41, value: value, timestamp: "2025-02-18T09:41:07.123456")
        #expect(e.jsonLine == fx["log_line"]!.stringValue!)
        #expect(TrainingLogEntry(epoch: 0, step: 0, loss: Float(1.2345678)).value == value)

        let dir = try TempDir()
        defer { dir.cleanup() }
        let url = dir.url.appendingPathComponent("training_logs.jsonl")
        let entries = [e, TrainingLogEntry(epoch: 3, step: 42, value: .nan, timestamp: "t"),
                       TrainingLogEntry(epoch: 4, step: 43, value: 2, timestamp: "u")]
        try TrainingLog.write(entries, to: url)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.hasSuffix("\n") && text.split(separator: "\n").count == 3)
        #expect(text.contains("\"value\": NaN"))
        let back = try TrainingLog.read(contentsOf: url)
        #expect(back.count == 3 && back[0] == e && back[1].value.isNaN && back[2].value == 2)
        expectTuningError(["bad.jsonl", "line 2"]) {
            _ = try TrainingLog.read(contentsOf: dir.file("bad.jsonl", e.jsonLine + "\n{\"name\": \"loss\"}\n"))
        }
    }

    @Test func pythonDateTimeText() {
        let d = Date(timeIntervalSince1970: 1_739_871_667.123456)
        let iso = PythonDateTime.isoformat(d)
        let c = Calendar.current.dateComponents([.year, .month, .day, .hour, .minute, .second], from: d)
        let expect = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.123456", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
        #expect(iso == expect)
        #expect(!PythonDateTime.isoformat(Date(timeIntervalSince1970: 1_739_871_667), separator: " ").contains("."))
        #expect(PythonDateTime.isoformat(d, separator: " ").contains(" "))
    }

    @Test func safetensorsBytesMatchTheLibrary() throws {
        for file in ["peft/causal_pt_random/adapter_model.safetensors", "peft/causal_pt_text/adapter_model.safetensors",
                     "peft/seq2seq_pt_random/adapter_model.safetensors", "peft/causal_mpt_random/adapter_model.safetensors",
                     "peft/bf16/prompt_bf16.safetensors"] {
            let reference = try Data(contentsOf: fixtureURL(file))
            let (tensors, metadata) = try readSafetensors(reference)
            #expect(metadata.count == 1 && metadata[0] == ("format", "pt"), "\(file)")
            // Shuffle the input order: the writer must impose the library's order itself.
            let ours = try SafetensorsWriter.encode(tensors.reversed())
            #expect(ours == reference, "\(file): \(ours.count) vs \(reference.count) bytes")
        }
        let mpt = try readSafetensors(Data(contentsOf: fixtureURL("peft/causal_mpt_random/adapter_model.safetensors"))).tensors
        #expect(Set(mpt.map(\.name)) == ["prompt_embeddings", "prefix_task_cols", "prefix_task_rows"])
    }

    @Test func safetensorsOrdersByDTypeThenName() throws {
        let t = [SafetensorsTensor(name: "zeta", dtype: .bfloat16, shape: [2], values: [1, 2]),
                 SafetensorsTensor(name: "alpha", dtype: .float32, shape: [3], values: [1, 2, 3]),
                 SafetensorsTensor(name: "mid", dtype: .float16, shape: [1], values: [1]),
                 SafetensorsTensor(name: "beta", dtype: .float32, shape: [2], values: [1, 2])]
        let d = [UInt8](try SafetensorsWriter.encode(t))
        let n = Int(d[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        // The header the library writes for the same dict (printed by safetensors 0.8 save()).
        let want = #"{"__metadata__":{"format":"pt"},"alpha":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"beta":{"dtype":"F32","shape":[2],"data_offsets":[12,20]},"zeta":{"dtype":"BF16","shape":[2],"data_offsets":[20,24]},"mid":{"dtype":"F16","shape":[1],"data_offsets":[24,26]}}"#
        #expect(String(decoding: d[8..<(8 + n)], as: UTF8.self).trimmingCharacters(in: .whitespaces) == want)
        #expect((8 + n) % 8 == 0)
    }

    @Test func adapterConfigIsByteIdenticalToPEFT() throws {
        let cases: [(String, PEFTAdapterConfig)] = [
            ("causal_pt_random", PEFTAdapterConfig(
                baseModelNameOrPath: "models/tiny-gpt2", tuningType: .promptTuning, taskType: "CAUSAL_LM", numVirtualTokens: 4,
                tokenDim: 16, numTransformerSubmodules: 1, numAttentionHeads: 2, numLayers: 2, promptTuningInit: .random,
                tokenizerNameOrPath: "models/tiny-gpt2")),
            ("causal_pt_text", PEFTAdapterConfig(
                baseModelNameOrPath: "models/tiny-gpt2", tuningType: .promptTuning, taskType: "CAUSAL_LM", numVirtualTokens: 3,
                tokenDim: 16, numTransformerSubmodules: 1, numAttentionHeads: 2, numLayers: 2, promptTuningInit: .text,
                promptTuningInitText: "classify the tweet", tokenizerNameOrPath: "models/tiny-gpt2")),
            ("seq2seq_pt_random", PEFTAdapterConfig(
                baseModelNameOrPath: "google/flan-t5-small", tuningType: .promptTuning, taskType: "SEQ_2_SEQ_LM",
                numVirtualTokens: 5, tokenDim: 8, numTransformerSubmodules: 1, numAttentionHeads: 2, numLayers: 1,
                promptTuningInit: .random, tokenizerNameOrPath: "google/flan-t5-small")),
            ("causal_mpt_random", PEFTAdapterConfig(
                baseModelNameOrPath: "models/tiny-gpt2", tuningType: .multitaskPromptTuning, taskType: "CAUSAL_LM",
                numVirtualTokens: 4, tokenDim: 16, numTransformerSubmodules: 1, numAttentionHeads: 2, numLayers: 2,
                promptTuningInit: .random, tokenizerNameOrPath: "models/tiny-gpt2")),
        ]
        for (name, ours) in cases {
            let url = try fixtureURL("peft/\(name)/adapter_config.json")
            #expect(ours.jsonText == (try String(contentsOf: url, encoding: .utf8)), "\(name)")
            #expect(try PEFTAdapterConfig(contentsOf: url) == ours, "\(name) read back")
        }
    }

    @Test func caikitConfigRoundTripsTrickyStrings() throws {
        var c = CaikitPromptConfig(
            baseModelConfig: .object(["_name_or_path": .string("/x"), "model_type": .string("gpt2"), "n_embd": .int(16),
                                      "layer_norm_epsilon": .double(1e-5), "architectures": .array([.string("GPT2LMHeadModel")]),
                                      "bos_token_id": .null, "tie_word_embeddings": .bool(true)]),
            baseModelName: "tiny-gpt2", eosToken: "</s>", hasBaseModel: false, verbalizer: "{{input}}: yes? no\n# not a comment",
            tuningType: .promptTuning, taskType: "CAUSAL_LM", trainedTorchDType: .float16, outputModelTypes: [.decoder])
        #expect(c.baseModelConfig["_name_or_path"] == nil)
        #expect(c.outputModelTypesJSON == #"["DECODER"]"#)
        #expect(c.decoderFile == "decoder.pt" && c.encoderFile == "")
        #expect(c.trackingID == c.trackingID.lowercased() && c.trackingID.count == 36)
        for tricky in ["true", "123", "null", "", " lead", "a: b", "[x]", "é", "~", "0x1F", "1e3", "'q'"] {
            c.eosToken = tricky
            let back = try CaikitPromptConfig(yaml: c.yamlText(), source: "config.yml")
            #expect(back == c, "eos_token \(tricky)")
        }
        let text = try c.yamlText()
        #expect(text.contains("module_id: 6655831b-960a-4dc5-8df4-867026e2cd41"))
        #expect(text.contains("output_model_types: '[\"DECODER\"]'"))
        expectTuningError(["module_id", "not caikit-nlp PeftPromptTuning"]) {
            _ = try CaikitPromptConfig(yaml: text.replacingOccurrences(of: "6655831b", with: "00000000"), source: "config.yml")
        }
    }
}
