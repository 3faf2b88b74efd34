// Resolving and loading base models like caikit-nlp: names, base_models_dir, the HF cache, downloads,
// strict loading errors, storage dtypes, gradient checkpointing and buffer reuse.

import Foundation
import SPFormats
import SPJSON
import SPModels
import SPTensor
import Testing

@Suite struct LoaderTests {
    let gpt2 = ModelFixture.root.appendingPathComponent("gpt2").path

    func tempDir() throws -> String {
        let d = NSTemporaryDirectory() + "softprompt-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test func namesAreValidatedLikeCaikit() {
        for bad in ["path/../../important", "a b", "model;rm", "", "x..y"] {
            #expect(throws: ModelError.self) { try ModelLoader.resolve(bad, environment: [:]) }
        }
        #expect(throws: Never.self) { try ModelLoader.validateName("ORG/Model-1.5_b") }
    }

    @Test func resolvesPathsBaseModelsDirAndHFCache() throws {
        #expect(try ModelLoader.resolve(gpt2, environment: [:]) == .directory(gpt2))
        let base = ModelFixture.root.path
        #expect(try ModelLoader.resolve("gpt2", baseModelsDir: base, environment: [:]) == .directory(base + "/gpt2"))
        // HF cache layout with refs/main
        let hub = try tempDir()
        let snap = hub + "/models--acme--tiny/snapshots/abc123"
        try FileManager.default.createDirectory(atPath: snap, withIntermediateDirectories: true)
        for f in ["config.json", "model.safetensors"] {
            try FileManager.default.createSymbolicLink(atPath: snap + "/" + f, withDestinationPath: gpt2 + "/" + f)
        }
        try FileManager.default.createDirectory(atPath: hub + "/models--acme--tiny/refs", withIntermediateDirectories: true)
        try "abc123\n".write(toFile: hub + "/models--acme--tiny/refs/main", atomically: true, encoding: .utf8)
        #expect(try ModelLoader.resolve("acme/tiny", environment: ["HF_HUB_CACHE": hub]) == .directory(snap))
        #expect(try ModelLoader.resolve("acme/tiny", environment: ["HF_HOME": hub.replacingOccurrences(of: "/hub", with: ""),
                                                                   "HF_HUB_CACHE": hub]) == .directory(snap))
        let m = try ModelLoader.load(try ModelLoader.resolve("acme/tiny", environment: ["HF_HUB_CACHE": hub]))
        #expect(m.spec.modelType == "gpt2")
        #expect(throws: ModelError.self) { try ModelLoader.resolve("acme/absent", environment: ["HF_HUB_CACHE": hub]) }
    }

    @Test func downloadsWhenAllowed() throws {
        let server = try LocalHTTPServer(serving: gpt2, as: "acme/remote")
        let hub = try tempDir()
        let env = ["HF_HUB_CACHE": hub, "HF_ENDPOINT": server.endpoint]
        #expect(throws: ModelError.self) { try ModelLoader.resolve("acme/remote", environment: env) }
        var allowed = env
        allowed["ALLOW_DOWNLOADS"] = "true"
        let loc = try ModelLoader.resolve("acme/remote", environment: allowed)
        #expect(loc == .directory(hub + "/models--acme--remote/snapshots/0123abcd"))
        #expect(server.served().contains("/acme/remote/resolve/main/model.safetensors"))
        // Same weights as the fixture, and the cache is then found offline.
        let a = try ModelLoader.load(loc), b = try ModelLoader.load(directory: gpt2)
        #expect(a.tokenEmbedding.row(5) == b.tokenEmbedding.row(5))
        #expect(try ModelLoader.resolve("acme/remote", environment: env) == loc)
    }

    @Test func strictLoadingNamesTheTensor() throws {
        let config = try JSONConfig(contentsOf: gpt2 + "/config.json")
        let file = try SafetensorsFile(path: gpt2 + "/model.safetensors")
        // unexpected key
        let extra = Renamed(file, extra: ("transformer.h.0.attn.extra", [3]))
        #expect { try ModelRegistry.build(config: config, source: extra) } throws: { e in
            "\(e)".contains("transformer.h.0.attn.extra")
        }
        // missing key
        let missing = Renamed(file, drop: "transformer.ln_f.bias")
        #expect { try ModelRegistry.build(config: config, source: missing) } throws: { e in
            "\(e)".contains("missing tensor 'transformer.ln_f.bias'")
        }
        // wrong shape (config says more layers' width than the file)
        let wide = try JSONConfig(json: String(decoding: try Data(contentsOf: URL(fileURLWithPath: gpt2 + "/config.json")), as: UTF8.self)
            .replacingOccurrences(of: "\"n_embd\": 48", with: "\"n_embd\": 64"), file: "config.json")
        #expect { try ModelRegistry.build(config: wide, source: file) } throws: { e in "\(e)".contains("has shape") }
        // unsupported model type lists the supported ones
        let xlnet = try JSONConfig(json: "{\"model_type\": \"xlnet\"}", file: "config.json")
        #expect { try ModelRegistry.build(config: xlnet, source: file) } throws: { e in
            "\(e)".contains("'xlnet' is not supported") && "\(e)".contains("gpt2, gpt_bigcode, gpt_neox")
                && "\(e)".contains("t5")
        }
        // an encoder-decoder type loads through Seq2SeqRegistry (here: its config is incomplete)
        let t5 = try JSONConfig(json: "{\"model_type\": \"t5\"}", file: "config.json")
        #expect { try ModelRegistry.build(config: t5, source: file) } throws: { e in "\(e)".contains("d_model") }
    }

    @Test(arguments: [DType.bfloat16, .float16])
    func halfPrecisionWeights(_ dtype: DType) throws {
        let f = try ModelFixture("llama")
        let m = try f.load(dtype: dtype)
        #expect(m.tokenEmbedding.dtype == dtype)
        let c = try f.cases()[0]
        let x = try floats(c["inputs_embeds"])
        let (loss, _) = try m.lossAndGradient(embeds: x.data, mask: ints(c["attention_mask"]), labels: ints(c["labels"]),
                                              batch: x.shape[0], tokens: x.shape[1], dEmbeds: nil, workspace: TrainingWorkspace())
        // Rounding the weights to 8 (bf16) or 11 (f16) mantissa bits moves the loss only slightly.
        #expect(abs(Double(loss) - number(c["loss"])) < (dtype == .bfloat16 ? 0.05 : 0.005) * number(c["loss"]))
    }

    @Test(arguments: ["gpt2", "llama", "gpt_neox", "opt_post_ln"])
    func checkpointingGivesTheSameGradient(_ name: String) throws {
        let f = try ModelFixture(name)
        let m = try f.load()
        let c = try f.cases()[1]
        let x = try floats(c["inputs_embeds"])
        let (b, t) = (x.shape[0], x.shape[1])
        var d1 = [Float](repeating: 0, count: x.data.count), d2 = d1
        let plain = TrainingWorkspace(), ckpt = TrainingWorkspace(checkpointing: true)
        let l1 = try m.lossAndGradient(embeds: x.data, mask: ints(c["attention_mask"]), labels: ints(c["labels"]), batch: b,
                                       tokens: t, dEmbeds: &d1, workspace: plain)
        let l2 = try m.lossAndGradient(embeds: x.data, mask: ints(c["attention_mask"]), labels: ints(c["labels"]), batch: b,
                                       tokens: t, dEmbeds: &d2, workspace: ckpt)
        #expect(l1.loss == l2.loss)
        #expect(d1 == d2)
    }

    @Test func buffersAreReusedAcrossSteps() throws {
        let f = try ModelFixture("gpt2")
        let m = try f.load()
        let c = try f.cases()[0]
        let x = try floats(c["inputs_embeds"])
        let ws = TrainingWorkspace()
        var d = [Float](repeating: 0, count: x.data.count)
        func step() throws {
            _ = try m.lossAndGradient(embeds: x.data, mask: ints(c["attention_mask"]), labels: ints(c["labels"]),
                                      batch: x.shape[0], tokens: x.shape[1], dEmbeds: &d, workspace: ws)
        }
        try step()
        let before = ws.bufferAddresses
        try step()
        #expect(ws.bufferAddresses == before, "activation buffers were reallocated")
    }
}

/// A TensorSource that hides or adds a tensor, for the strict-loading tests.
final class Renamed: TensorSource, @unchecked Sendable {
    let base: TensorSource
    let drop: String?
    let extra: (String, [Int])?
    init(_ base: TensorSource, drop: String? = nil, extra: (String, [Int])? = nil) {
        self.base = base; self.drop = drop; self.extra = extra
    }
    var tensorNames: [String] { base.tensorNames.filter { $0 != drop } + (extra.map { [$0.0] } ?? []) }
    func shape(of name: String) throws -> [Int] { name == extra?.0 ? extra!.1 : try base.shape(of: name) }
    func tensor(_ name: String) throws -> Tensor { name == extra?.0 ? Tensor(shape: extra!.1) : try base.tensor(name) }
    func weight(_ name: String, transposed: Bool) throws -> Weight { try base.weight(name, transposed: transposed) }
}
