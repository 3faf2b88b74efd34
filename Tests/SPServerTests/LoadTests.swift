// Bounded load over loopback (the small version of `softprompt bench serve`): concurrent clients,
// unary and streaming, each answer equal to the request's answer alone, steps shared.

import Foundation
import SPGeneration
@testable import SPServer
import Testing

@Suite(.timeLimit(.minutes(3))) struct ServeLoadTests {
    @Test func concurrentClientsGetTheirAloneAnswers() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        let api = InferenceAPI(config: f.config { $0.maxConcurrentRequests = 4; $0.maxQueuedRequests = 8 })
        var requests: [LoadRequest] = []
        for (i, (id, text)) in [("alpha", "w1 w2"), ("beta", "w5"), ("alpha", "w7 w8 w9 w10"), ("beta", "w3 w3")].enumerated() {
            let service = try await api.catalog.model(id).service
            var p = GenerationParameters()
            (p.maxNewTokens, p.preserveInputText) = (4 + i, false)
            var json = #"{"max_new_tokens": \#(4 + i), "preserve_input_text": false"#
            if i % 2 == 1 {
                p.decodingMethod = .sampling
                p.seed = UInt64(40 + i)
                json += #", "decoding_method": "SAMPLING", "seed": \#(40 + i)"#
            }
            let r = try await api.batcher.run(service, text, parameters: p)
            requests.append(LoadRequest(modelId: id, inputs: text, parameters: json + "}", expectedText: r.generatedText,
                                        expectedTokens: r.generatedTokens))
        }
        let all = requests
        let report = try await LoopbackServer.with(api) { port in
            await ServeLoad.run(port: port, requests: all, clients: 6, duration: 1.5)
        }
        #expect(report.requests >= 6 && report.errors == 0 && report.mismatches == 0, "\(report.samples)")
        #expect(!report.firstTokens.isEmpty && report.tokens > 0 && report.tokensPerSecond > 0)
        let stats = try #require(api.batcher.statistics(for: try await api.catalog.model("alpha").service))
        #expect(stats.widest > 1, "no step was shared: \(stats)")
        #expect(await api.gate.load.running == 0)
    }
}
