// The service layer on the tiny GPT-2 fixture: one load per base model however many callers, and a
// prompt directory's base model found by the documented rules, in order.

import Foundation
import SPGeneration
import SPModels
@testable import SPService
import Testing

/// A copy of the tiny GPT-2 fixture with a two-word tokenizer, under a fresh temporary directory.
func tinyBaseModel() throws -> (root: String, model: String) {
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SPModelsTests/Fixtures/gpt2")
    let root = NSTemporaryDirectory() + "spservice-" + UUID().uuidString
    let dir = root + "/tiny"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for f in ["config.json", "model.safetensors"] {
        try FileManager.default.copyItem(atPath: fixture.appendingPathComponent(f).path, toPath: dir + "/" + f)
    }
    let tokenizer = #"""
        {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": null,
         "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null, "decoder": null,
         "model": {"type": "WordLevel", "vocab": {"a": 0, "<unk>": 1}, "unk_token": "<unk>"}}
        """#
    try tokenizer.write(toFile: dir + "/tokenizer.json", atomically: true, encoding: .utf8)
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
