// A models directory for server tests: the tiny GPT-2 fixture (vocabulary 331) as base model
// `tiny` with a word-level tokenizer (`w0`…`w328`, `<eos>` = 329 also padding, `<unk>`), and
// prompt directories under `models/` made from the fixture's PEFT adapter (3 virtual tokens).

import Foundation
import Hummingbird
import HummingbirdTesting
@testable import SPServer

struct ServerFixture {
    let root: String
    var modelsDir: String { root + "/models" }
    var baseDir: String { root + "/base" }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SPModelsTests/Fixtures/gpt2")

    /// The repository root (for the committed api/ files).
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Base model `tiny`; prompts `alpha` and `beta` on it; `orphan`, whose base model is nowhere.
    init() throws {
        root = NSTemporaryDirectory() + "spserver-" + UUID().uuidString
        let fm = FileManager.default
        let tiny = baseDir + "/tiny"
        try fm.createDirectory(atPath: tiny, withIntermediateDirectories: true)
        for f in ["config.json", "model.safetensors"] {
            try fm.copyItem(atPath: Self.fixtures.appendingPathComponent(f).path, toPath: tiny + "/" + f)
        }
        let words = ((0..<329).map { "w\($0)" } + ["<eos>", "<unk>"]).enumerated().map { "\"\($1)\": \($0)" }
        let eos = #"{"id": 329, "content": "<eos>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}"#
        let tokenizer = #"{"version": "1.0", "truncation": null, "padding": null, "normalizer": null, "post_processor": null, "#
            + #""decoder": null, "pre_tokenizer": {"type": "WhitespaceSplit"}, "added_tokens": ["# + eos + "], "
            + #""model": {"type": "WordLevel", "unk_token": "<unk>", "vocab": {"# + words.joined(separator: ", ") + "}}}"
        try tokenizer.write(toFile: tiny + "/tokenizer.json", atomically: true, encoding: .utf8)
        try #"{"eos_token": "<eos>", "pad_token": "<eos>"}"#.write(toFile: tiny + "/tokenizer_config.json", atomically: true,
                                                                  encoding: .utf8)
        try addPrompt("alpha", base: "tiny")
        try addPrompt("beta", base: "tiny")
        try addPrompt("orphan", base: "absent-base")
        try fm.createDirectory(atPath: modelsDir + "/not-a-prompt", withIntermediateDirectories: true)
    }

    func addPrompt(_ id: String, base: String) throws {
        let dir = modelsDir + "/" + id, fm = FileManager.default
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let adapter = Self.fixtures.appendingPathComponent("peft_adapter")
        try fm.copyItem(atPath: adapter.appendingPathComponent("adapter_model.safetensors").path, toPath: dir + "/adapter_model.safetensors")
        let config = try String(contentsOf: adapter.appendingPathComponent("adapter_config.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"Tests/SPModelsTests/Fixtures/gpt2\"", with: "\"\(base)\"")
        try config.write(toFile: dir + "/adapter_config.json", atomically: true, encoding: .utf8)
    }

    func config(_ edit: (inout ServerConfig) -> Void = { _ in }) -> ServerConfig {
        var c = ServerConfig()
        c.localModelsDir = modelsDir
        c.baseModelsDir = baseDir
        c.httpPort = 0
        c.maxQueuedRequests = 4
        edit(&c)
        return c
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

extension TestClientProtocol {
    /// POSTs `json` (as application/json unless `contentType` says otherwise).
    func post(_ uri: String, _ json: String, contentType: String = "application/json") async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: [.contentType: contentType], body: ByteBuffer(string: json))
    }

    func get(_ uri: String) async throws -> TestResponse { try await execute(uri: uri, method: .get) }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    /// The body as a Foundation object (for field checks).
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }
    /// The `data:` payloads of a Server-Sent Events body with their event names.
    var events: [(event: String, data: [String: Any])] {
        text.components(separatedBy: "\r\n\r\n").compactMap { block in
            let lines = block.components(separatedBy: "\r\n")
            guard let e = lines.first(where: { $0.hasPrefix("event: ") }), let d = lines.first(where: { $0.hasPrefix("data: ") }),
                  let obj = try? JSONSerialization.jsonObject(with: Data(d.dropFirst(6).utf8)) as? [String: Any] else { return nil }
            return (String(e.dropFirst(7)), obj)
        }
    }
}

/// Runs `test` against the router of a server on `fixture` (in process, no socket).
func withServer(_ config: ServerConfig, _ test: @escaping @Sendable (any TestClientProtocol, InferenceAPI) async throws -> Void)
    async throws {
    let api = InferenceAPI(config: config)
    let app = Application(router: HTTPServer.router(api))
    try await app.test(.router) { client in try await test(client, api) }
}
