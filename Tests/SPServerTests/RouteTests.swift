// Every route through the router, in process: caikit's JSON shapes, its status mapping, lazy
// loading with one base model shared by two prompts.

import Foundation
import Hummingbird
import HummingbirdTesting
import SPGeneration
import SPJSON
@testable import SPServer
import Testing

@Suite(.timeLimit(.minutes(2))) struct RouteTests {
    static let gen = "/api/v1/task/text-generation"
    static let stream = "/api/v1/task/server-streaming-text-generation"

    @Test func textGenerationMatchesTheServiceAndCaikitsShape() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withServer(f.config()) { client, api in
            let r = try await client.post(Self.gen, #"{"model_id": "alpha", "inputs": "w1 w2 w3", "parameters": {"max_new_tokens": 5}}"#)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "application/json")
            #expect(r.text.hasPrefix(#"{"generated_text": ""#), "json.dumps layout and caikit's field order: \(r.text)")
            let model = try #require(await api.catalog.loadedModel("alpha"))
            var p = GenerationParameters()
            p.maxNewTokens = 5
            let direct = try model.service.run("w1 w2 w3", parameters: p)
            #expect(r.text == direct.caikitJSON.dumps(), "the server answers what run() returns")
            let o = r.object
            #expect(o["input_token_count"] as? Int == 3)
            #expect((o["producer_id"] as? [String: Any])?["name"] as? String == "Peft generation")
            #expect(o.keys.contains("seed") && o["seed"] is NSNull, "absent optionals are null, as caikit writes them")
            // A second prompt on the same base model shares its one copy.
            let r2 = try await client.post(Self.gen, #"{"model_id": "beta", "inputs": "w4"}"#)
            #expect(r2.status == .ok)
            let beta = try #require(await api.catalog.loadedModel("beta"))
            #expect(beta.base.model === model.base.model, "one base model copy for every prompt on it")
            #expect(await api.catalog.store.count == 1)
        }
    }

    @Test func streamingSendsOneEventPerTokenThenTheFinishReason() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withServer(f.config()) { client, _ in
            let body = #"{"model_id": "alpha", "inputs": "w1 w2 w3", "parameters": {"max_new_tokens": 4, "min_new_tokens": 4, "preserve_input_text": false}}"#
            let unary = try await client.post(Self.gen, body)
            let r = try await client.post(Self.stream, body)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType]?.hasPrefix("text/event-stream") == true)
            #expect(r.text.hasPrefix("event: message\r\ndata: {\"generated_text\": "))
            let events = r.events
            #expect(events.count == 4 && events.allSatisfy { $0.event == "message" })
            let text = events.map { $0.data["generated_text"] as? String ?? "?" }.joined()
            #expect(text == unary.object["generated_text"] as? String)
            let last = try #require(events.last?.data["details"] as? [String: Any])
            #expect(last["finish_reason"] as? String == "MAX_TOKENS" && last["generated_tokens"] as? Int == 4)
            #expect((events.first?.data["details"] as? [String: Any])?["finish_reason"] as? String == "NOT_FINISHED")
        }
    }

    @Test func streamingErrorsAreErrorEventsAfterTheSchemaCheck() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withServer(f.config()) { client, _ in
            for (body, code) in [(#"{"model_id": "nope", "inputs": "w1"}"#, 404), (#"{"inputs": "w1"}"#, 400),
                                 (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": -1}}"#, 400)] {
                let r = try await client.post(Self.stream, body)
                #expect(r.status == .ok, "caikit answers these inside the stream")
                let e = try #require(r.events.first)
                #expect(e.event == "error" && e.data["code"] as? Int == code, "\(body): \(r.text)")
                #expect(e.data["details"] is String && (e.data["id"] as? String)?.count == 32)
            }
            let bad = try await client.post(Self.stream, #"{"model_id": "alpha", "inputs": 3}"#)
            #expect(bad.status.code == 422 && bad.object["code"] as? Int == 422)
        }
    }

    @Test func tokenizationCountsTokens() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withServer(f.config()) { client, _ in
            let r = try await client.post("/api/v1/task/tokenization", #"{"model_id": "alpha", "inputs": "w1 w2 w3 w4"}"#)
            #expect(r.status == .ok)
            #expect(r.text == #"{"results": null, "token_count": 4}"#)
            let extra = try await client.post("/api/v1/task/tokenization", #"{"model_id": "alpha", "inputs": "w1", "parameters": {}}"#)
            #expect(extra.status.code == 422, "tokenization takes no parameters")
        }
    }

    @Test func healthVersionAndModels() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withServer(f.config()) { client, _ in
            let h = try await client.get("/health")
            #expect(h.status == .ok && h.text == "OK")
            let v = try await client.get("/info/version")
            #expect(v.object["runtime_version"] as? String == InferenceAPI.runtimeVersion && v.object["python_packages"] is [String: Any])
            let before = try #require(try await client.get("/info/models").object["models"] as? [[String: Any]])
            #expect(before.map { $0["name"] as? String } == ["alpha", "beta", "orphan"], "prompt directories only, sorted")
            #expect(before.allSatisfy { $0["loaded"] as? Bool == false && $0["model_path"] is NSNull })
            _ = try await client.post(Self.gen, #"{"model_id": "beta", "inputs": "w1"}"#)
            let after = try #require(try await client.get("/info/models?model_ids=beta").object["models"] as? [[String: Any]])
            #expect(after.count == 1 && after[0]["loaded"] as? Bool == true && (after[0]["size"] as? Int ?? 0) > 0)
            #expect(after[0]["module_id"] as? String == "6655831b-960a-4dc5-8df4-867026e2cd41")
            #expect(try await client.get("/info/models?model_ids=nope").status.code == 404)
            #expect(try await client.get("/info/models?model_ids=..%2Fbase").status.code == 400)
            #expect(try await client.get("/no/such/route").status.code == 404)
        }
    }
}
