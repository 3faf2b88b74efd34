// Clients that go away mid-generation, over real loopback sockets: an HTTP client that closes its
// connection during a unary text-generation request, and a gRPC client that cancels a
// server-streaming RPC. Either way the row leaves the shared batch within a few tokens (steps are
// slowed to 50 ms by a scheduler hook so that "a few tokens" can be counted), and keep-alive
// connections still carry several requests.

import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRPCCore
import Logging
import ServiceLifecycle
@testable import SPGRPC
@testable import SPServer
@testable import SPService
import Synchronization
import Testing

/// A blocking loopback TCP connection (POSIX sockets), so a test can close it mid-request.
final class RawConnection {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var timeout = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard fd >= 0, r == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    func post(_ path: String, _ body: String) {
        let text = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    }

    /// One response (status line, headers, Content-Length body) as text; "" on timeout or close.
    func response() -> String {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let text = String(bytes: data, encoding: .utf8), let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count - text.utf8.distance(from: text.startIndex, to: end.upperBound) >= length { return text }
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return String(decoding: data, as: UTF8.self) }
            data += chunk[0..<n]
        }
    }

    func close() { _ = Glibc.close(fd) }
}

/// A counter shared with a task.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

/// Polls `condition` every 10 ms for up to `seconds`.
func eventually(_ seconds: Double = 60, _ condition: () async throws -> Bool) async throws -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}

@Suite(.timeLimit(.minutes(5)), .serialized) struct DisconnectTests {
    static let long = #"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": 50, "min_new_tokens": 50}}"#

    /// The batch scheduler of prompt `alpha`'s base model, its steps slowed to 50 ms.
    static func slowScheduler(_ api: InferenceAPI) async throws -> BatchScheduler {
        let served = try await api.catalog.model("alpha")
        let scheduler = try #require(api.batcher.scheduler(for: served.service))
        scheduler.onStep { _ in Thread.sleep(forTimeInterval: 0.05) }
        return scheduler
    }

    @Test func httpClientClosingAUnaryRequestFreesItsRow() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        let api = InferenceAPI(config: f.config())
        let port = PortBox()
        let app = try HTTPServer.application(api, logger: Logger(label: "test")) { await port.set($0) }
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let p = try await port.wait()
            let scheduler = try await Self.slowScheduler(api)
            defer { scheduler.onStep(nil) }
            // Keep-alive: two generations on one connection.
            let kept = try RawConnection(port: p)
            for _ in 0..<2 {
                kept.post(HTTPServer.textGenerationRoute, #"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": 2}}"#)
                let r = kept.response()
                #expect(r.hasPrefix("HTTP/1.1 200") && r.contains("generated_text"), "\(r)")
            }
            kept.close()
            // A long generation whose client closes its socket after a few tokens.
            let gone = try RawConnection(port: p)
            gone.post(HTTPServer.textGenerationRoute, Self.long)
            let start = scheduler.statistics.steps
            #expect(try await eventually { scheduler.statistics.rows == 1 && scheduler.statistics.steps >= start + 3 })
            let atClose = scheduler.statistics
            gone.close()
            #expect(try await eventually { scheduler.statistics.rows == 0 }, "the row left the batch")
            let after = scheduler.statistics
            #expect(after.cancelled == atClose.cancelled + 1, "\(after)")
            #expect(after.steps - atClose.steps <= 4, "left within a few tokens: \(atClose.steps) → \(after.steps)")
            let (status, body) = try await rawPost(port: p, path: HTTPServer.textGenerationRoute,
                                                   body: #"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": 1}}"#)
            #expect(status == 200, "still serving: \(body)")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func grpcClientCancellingAStreamFreesItsRow() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withGRPCServer(f.config()) { client, api in
            let scheduler = try await Self.slowScheduler(api)
            defer { scheduler.onStep(nil) }
            let nlp = Nlp.Client(wrapping: client)
            var s = Caikit_Runtime_Nlp_ServerStreamingTextGenerationTaskRequest()
            s.text = "w1"
            s.maxNewTokens = 50
            s.minNewTokens = 50
            let received = Counter()
            let call = Task {
                try await nlp.serverStreamingTextGenerationTaskPredict(s, metadata: model("alpha")) { response in
                    for try await _ in response.messages { received.value.add(1, ordering: .relaxed) }
                }
            }
            #expect(try await eventually { received.value.load(ordering: .relaxed) >= 3 })
            let atCancel = scheduler.statistics
            call.cancel()
            _ = await call.result
            #expect(try await eventually { scheduler.statistics.rows == 0 }, "the row left the batch")
            let after = scheduler.statistics
            #expect(after.cancelled == atCancel.cancelled + 1, "\(after)")
            #expect(after.steps - atCancel.steps <= 4, "left within a few tokens: \(atCancel.steps) → \(after.steps)")
            #expect(received.value.load(ordering: .relaxed) < 45)
        }
    }
}
