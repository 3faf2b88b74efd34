// Over a real loopback socket: the application bound to 127.0.0.1 on a free port, then SIGTERM-
// style graceful shutdown through swift-service-lifecycle with a request in flight.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceLifecycle
@testable import SPServer
import Testing

@Suite(.timeLimit(.minutes(2))) struct LiveServerTests {
    @Test func servesOverLoopback() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        let api = InferenceAPI(config: f.config())
        let app = try HTTPServer.application(api, logger: Logger(label: "test"))
        try await app.test(.live) { client in
            #expect(client.port != nil && client.port != 0)
            let h = try await client.get("/health")
            #expect(h.status == .ok && h.text == "OK")
            let r = try await client.post("/api/v1/task/text-generation", #"{"model_id": "alpha", "inputs": "w1 w2", "parameters": {"max_new_tokens": 3}}"#)
            #expect(r.status == .ok && r.object["generated_tokens"] as? Int ?? 0 >= 1, "\(r.text)")
            let s = try await client.post("/api/v1/task/server-streaming-text-generation", #"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": 2, "min_new_tokens": 2}}"#)
            #expect(s.status == .ok && s.events.count == 2)
            let bad = try await client.post("/api/v1/task/text-generation", "{nope")
            #expect(bad.status.code == 422)
            #expect(try await client.get("/health").status == .ok, "still serving")
        }
    }

    /// Graceful shutdown (what SIGTERM triggers) lets an in-flight generation finish and answer.
    @Test func gracefulShutdownFinishesInFlightRequests() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        let api = InferenceAPI(config: f.config { $0.maxConcurrentRequests = 1 })
        let port = PortBox()
        let app = try HTTPServer.application(api, logger: Logger(label: "test")) { await port.set($0) }
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let p = try await port.wait()
            // Hold the only slot so the request is in flight when shutdown starts.
            try await api.gate.enter()
            let request = Task { try await rawPost(port: p, path: "/api/v1/task/text-generation",
                                                   body: #"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": 2}}"#) }
            while await api.gate.load.waiting == 0 { try await Task.sleep(for: .milliseconds(10)) }
            await group.triggerGracefulShutdown()
            try await Task.sleep(for: .milliseconds(100))
            await api.gate.leave()
            let (status, body) = try await request.value
            #expect(status == 200, "in-flight request answered during shutdown: \(body)")
            try await tasks.waitForAll()
        }
    }
}

/// The bound port, once the server runs.
actor PortBox {
    private var port: Int?
    func set(_ p: Int) { port = p }
    func wait() async throws -> Int {
        for _ in 0..<1000 {
            if let port { return port }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw CancellationError()
    }
}

/// One HTTP/1.1 POST over a plain socket (URLSession's Linux timeouts are not needed here).
func rawPost(port: Int, path: String, body: String) async throws -> (Int, String) {
    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
    request.httpMethod = "POST"
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    request.httpBody = Data(body.utf8)
    request.timeoutInterval = 60
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}
