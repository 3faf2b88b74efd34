// The pieces under the routes: Python-compatible JSON output, the strict request parser, the
// config file, the request gate.

import Foundation
import SPJSON
@testable import SPServer
import Testing

@Suite(.timeLimit(.minutes(2))) struct FormatTests {
    @Test func writesJSONAsPythonsJsonDumps() {
        #expect(JSONValue.pythonRepr(1e-5) == "1e-05" && JSONValue.pythonRepr(1e16) == "1e+16")
        #expect(JSONValue.pythonRepr(0.1) == "0.1" && JSONValue.pythonRepr(2) == "2.0" && JSONValue.pythonRepr(1.5e300) == "1.5e+300")
        #expect(JSONValue.pythonRepr(-.infinity) == "-Infinity")
        let v = JSONValue.object([("a", .string("é😀\n\"")), ("b", .array([.int(1), .null, .bool(true)]))])
        #expect(v.dumps() == #"{"a": "\u00e9\ud83d\ude00\n\"", "b": [1, null, true]}"#)
        #expect(v.starletteJSON == "{\"a\":\"é😀\\n\\\"\",\"b\":[1,null,true]}")
    }

    @Test func parsesRequestsStrictly() throws {
        let body = Array(#" {"model_id": "m", "inputs": "x\u00e9\ud83d\ude00", "inputs": "y", "parameters": {"seed": 18446744073709551615}} "#.utf8)
        let r = try TaskRequest.decode(body, hasParameters: true)
        #expect(r.inputs == "y", "a repeated key: the last wins")
        #expect(r.parameters.seed != nil && r.parameters.seed! > UInt64(Int64.max), "a uint64 seed above Int64.max")
        for bad in ["{\"a\" 1}", "[1,]", "01", "\"\u{01}\"", "{\"a\": tru}", "1 2", "[" + String(repeating: "[", count: 300)] {
            #expect(throws: CaikitError.self, "\(bad)") { try TaskRequest.decode(Array(bad.utf8), hasParameters: true) }
        }
    }

    @Test func readsCaikitConfigAndRefusesWhatIsNotImplemented() throws {
        let c = try ServerConfig.load(yaml: """
            runtime:
              library: caikit_nlp
              local_models_dir: /srv/models
              http: {port: 9000, host: 0.0.0.0}
              grpc: {enabled: false, port: 9001}
            base_models_dir: /srv/base
            source_prompt_base: /srv/source-prompts
            softprompt: {max_new_tokens: 64, max_queued_requests: 2, max_body_bytes: 4096}
            """)
        #expect(c.localModelsDir == "/srv/models" && c.httpPort == 9000 && c.host == "0.0.0.0" && c.baseModelsDir == "/srv/base")
        #expect(c.training.sourcePromptBase == "/srv/source-prompts")
        #expect(try ServerConfig.load(yaml: "source_prompt_base: ''").training.sourcePromptBase == nil, "caikit's empty default")
        #expect(!c.grpcEnabled && c.grpcPort == 9001 && c.tls == nil)
        let tls = try ServerConfig.load(yaml: "runtime: {tls: {server: {key: k.pem, cert: c.pem}, client: {cert: ca.pem}}}").tls
        #expect(tls == ServerConfig.TLSFiles(serverKey: "k.pem", serverCert: "c.pem", clientCA: "ca.pem"))
        #expect(try ServerConfig.load(yaml: "runtime: {tls: {server: {key: '', cert: ''}, client: {cert: ''}}}").tls == nil,
                "caikit's empty defaults mean no TLS")
        #expect(try ServerConfig.load(yaml: "runtime: {grpc: {port: 8095}}").grpcPort == 8095)
        #expect(c.maxNewTokens == 64 && c.maxQueuedRequests == 2 && c.maxBodyBytes == 4096)
        for (yaml, key) in [("runtime: {grpc: {enabled: 1}}", "runtime.grpc.enabled"), ("runtime: {grpc: {port: 0}}", "runtime.grpc.port"),
                            ("runtime: {grpc: {tls: {}}}", "runtime.grpc.tls"), ("runtime: {grpc: {hosts: x}}", "runtime.grpc.hosts"),
                            ("runtime: {tls: {server: {key: k}}}", "runtime.tls.server.cert"),
                            ("runtime: {tls: {client: {cert: ca}}}", "runtime.tls.client.cert"), ("runtime: {tls: {server: {pem: x}}}", "runtime.tls.server.pem"),
                            ("runtime: {http: {tls: {}}}", "runtime.http.tls"), ("runtime: {http: {port: 70000}}", "runtime.http.port"),
                            ("runtime: {lazy_load_local_models: true}", "runtime.lazy_load_local_models"),
                            ("softprompt: {max_new_tokens: x}", "softprompt.max_new_tokens"), ("colour: red", "colour")] {
            #expect { try ServerConfig.load(yaml: yaml) } throws: { ($0 as? ServerConfig.Invalid)?.key == key }
        }
    }

    @Test func gateAdmitsWaitsAndRefuses() async throws {
        let gate = RequestGate(maxRunning: 1, maxWaiting: 1)
        try await gate.enter()
        let waiter = Task { try await gate.enter() }
        while await gate.load.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
        await #expect { try await gate.enter() } throws: { ($0 as? CaikitError)?.code == 429 }
        await gate.leave()
        try await waiter.value
        #expect(await gate.load == (1, 0), "the slot went to the waiter")
        await gate.leave()
        #expect(await gate.load == (0, 0))
    }
}
