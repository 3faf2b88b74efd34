// The pieces under the routes: Python-compatible JSON output, the strict request parser, the
// config file, the request gate.

import Foundation
@testable import SPServer
import Testing

@Suite(.timeLimit(.minutes(2))) struct FormatTests {
    @Test func writesJSONAsPythonsJsonDumps() {
        #expect(JSONValue.pythonFloat(1e-5) == "1e-05" && JSONValue.pythonFloat(1e16) == "1e+16")
        #expect(JSONValue.pythonFloat(0.1) == "0.1" && JSONValue.pythonFloat(2) == "2.0" && JSONValue.pythonFloat(1.5e300) == "1.5e+300")
        #expect(JSONValue.pythonFloat(-.infinity) == "-Infinity")
        let v = JSONValue.object([("a", .string("é😀\n\"")), ("b", .array([.int(1), .null, .bool(true)]))])
        #expect(v.serialized() == #"{"a": "\u00e9\ud83d\ude00\n\"", "b": [1, null, true]}"#)
        #expect(v.serialized(.compact) == "{\"a\":\"é😀\\n\\\"\",\"b\":[1,null,true]}")
    }

    @Test func parsesStrictlyAndBoundsNesting() throws {
        let v = try JSONParser.parse(Array(#" {"a": [1, -2.5e1, "x\u00e9\ud83d\ude00", true, null], "a": 18446744073709551615} "#.utf8))
        #expect(v == .object([("a", .uint(UInt64.max))]), "a repeated key: the last wins")
        #expect(try JSONParser.parse(Array(#"[1, -2.5e1, "\u00e9\ud83d\ude00"]"#.utf8)) == .array([.int(1), .double(-25), .string("é😀")]))
        for bad in ["{\"a\" 1}", "[1,]", "01", "\"\u{01}\"", "{\"a\": tru}", "1 2", "\"\\ud800\"", "[" + String(repeating: "[", count: 100)] {
            #expect(throws: JSONSyntaxError.self, "\(bad)") { try JSONParser.parse(Array(bad.utf8)) }
        }
    }

    @Test func readsCaikitConfigAndRefusesWhatIsNotImplemented() throws {
        let c = try ServerConfig.load(yaml: """
            runtime:
              library: caikit_nlp
              local_models_dir: /srv/models
              http: {port: 9000, host: 0.0.0.0}
              grpc: {enabled: false}
            base_models_dir: /srv/base
            softprompt: {max_new_tokens: 64, max_queued_requests: 2, max_body_bytes: 4096}
            """)
        #expect(c.localModelsDir == "/srv/models" && c.httpPort == 9000 && c.host == "0.0.0.0" && c.baseModelsDir == "/srv/base")
        #expect(c.maxNewTokens == 64 && c.maxQueuedRequests == 2 && c.maxBodyBytes == 4096)
        for (yaml, key) in [("runtime: {grpc: {enabled: true}}", "runtime.grpc.enabled"), ("runtime: {grpc: {port: 8085}}", "runtime.grpc.port"),
                            ("runtime: {tls: {server: {key: k}}}", "runtime.tls"), ("runtime: {http: {port: 70000}}", "runtime.http.port"),
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
