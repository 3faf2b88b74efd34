// A minimal blocking HTTP/1.1 client for load tests on loopback: one POST per connection
// (`Connection: close`), the response read to its end, chunked bodies decoded, and the time the
// first Server-Sent Event arrived. Plain POSIX sockets, so 64 client threads need no event loop.

import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP exchange's outcome.
public struct LoopbackResponse: Sendable {
    /// HTTP status (0 when no status line arrived).
    public var status: Int
    /// The decoded body.
    public var body: String
    /// Seconds from sending to the first `event: message` (streams only).
    public var firstEvent: Double?
}

/// Errors of the loopback client: connecting, sending, reading or parsing.
public struct LoopbackError: Error, CustomStringConvertible {
    public var description: String
}

/// A blocking loopback HTTP/1.1 client.
public enum LoopbackClient {
    /// POSTs `body` (JSON) to `127.0.0.1:port` `path`.
    /// - Parameter timeout: seconds a read may wait.
    /// - Throws: ``LoopbackError`` when the exchange fails.
    public static func post(port: Int, path: String, body: String, timeout: Int = 300) throws -> LoopbackResponse {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LoopbackError(description: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else { throw LoopbackError(description: "connect to 127.0.0.1:\(port) failed: errno \(errno)") }
        let payload = Array(body.utf8)
        let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(payload.count)\r\nConnection: close\r\n\r\n"
        let start = monotonicSeconds()
        try sendAll(fd, Array(head.utf8) + payload)
        var raw: [UInt8] = []
        var firstEvent: Double?
        let marker = Array("event: message".utf8)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            guard n > 0 else { throw LoopbackError(description: "recv failed: errno \(errno)") }
            raw.append(contentsOf: buffer[0..<n])
            if firstEvent == nil, contains(raw, marker) { firstEvent = monotonicSeconds() - start }
        }
        return try parse(raw, firstEvent: firstEvent)
    }

    private static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw LoopbackError(description: "send failed: errno \(errno)") }
            sent += n
        }
    }

    private static func contains(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count >= b.count else { return false }
        return (0...(a.count - b.count)).contains { i in a[i..<(i + b.count)].elementsEqual(b) }
    }

    /// Status line, headers, body (de-chunked when `Transfer-Encoding: chunked`).
    static func parse(_ raw: [UInt8], firstEvent: Double?) throws -> LoopbackResponse {
        let sep = Array("\r\n\r\n".utf8)
        guard let end = (0..<max(0, raw.count - 3)).first(where: { raw[$0..<($0 + 4)].elementsEqual(sep) }) else {
            throw LoopbackError(description: "no complete response head in \(raw.count) bytes")
        }
        let head = String(decoding: raw[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let parts = head.first?.split(separator: " ") ?? []
        guard parts.count >= 2, let status = Int(parts[1]) else { throw LoopbackError(description: "bad status line \(head.first ?? "")") }
        var body = Array(raw[(end + 4)...])
        let chunked = head.dropFirst().contains { $0.lowercased().hasPrefix("transfer-encoding:") && $0.lowercased().contains("chunked") }
        if chunked { body = try dechunk(body) }
        return LoopbackResponse(status: status, body: String(decoding: body, as: UTF8.self), firstEvent: firstEvent)
    }

    static func dechunk(_ b: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = [], i = 0
        while i < b.count {
            guard let lineEnd = (i..<max(i, b.count - 1)).first(where: { b[$0] == 13 && b[$0 + 1] == 10 }) else { break }
            let sizeText = String(decoding: b[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw LoopbackError(description: "bad chunk size \(sizeText)")
            }
            if size == 0 { break }
            let start = lineEnd + 2
            guard start + size <= b.count else { throw LoopbackError(description: "truncated chunk") }
            out.append(contentsOf: b[start..<(start + size)])
            i = start + size + 2
        }
        return out
    }
}

/// Seconds on a monotonic clock.
func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// A value behind a lock, shareable with escaping closures and threads.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func with<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
