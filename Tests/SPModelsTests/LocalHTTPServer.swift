// A minimal HTTP/1.1 file server on 127.0.0.1 for the download tests: serves
// GET /<repo>/resolve/<rev>/<file> from a directory, 404 otherwise. Bounded: it stops after `maxRequests`.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class LocalHTTPServer: @unchecked Sendable {
    let port: UInt16
    private let fd: Int32
    private let root: String
    private let repo: String
    private(set) var requests: [String] = []
    private let lock = NSLock()

    init(serving root: String, as repo: String, maxRequests: Int = 64) throws {
        self.root = root
        self.repo = repo
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let s = fd
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) == 0 && getsockname(s, $0, &len) == 0 }
        }
        guard ok, listen(s, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        port = UInt16(bigEndian: addr.sin_port)
        let t = Thread { [self] in self.serve(maxRequests) }
        t.start()
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    func served() -> [String] { lock.lock(); defer { lock.unlock() }; return requests }

    private func serve(_ limit: Int) {
        for _ in 0..<limit {
            let c = accept(fd, nil, nil)
            if c < 0 { return }
            var buf = [UInt8](repeating: 0, count: 8192)
            let n = read(c, &buf, buf.count)
            let head = String(decoding: buf.prefix(max(0, n)), as: UTF8.self)
            let path = head.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
            lock.lock(); requests.append(path); lock.unlock()
            let prefix = "/\(repo)/resolve/main/"
            var body = Data(), status = "404 Not Found"
            if path.hasPrefix(prefix), let d = FileManager.default.contents(atPath: root + "/" + path.dropFirst(prefix.count)) {
                body = d
                status = "200 OK"
            }
            var header = "HTTP/1.1 \(status)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
            if status.hasPrefix("200") { header += "X-Repo-Commit: 0123abcd\r\n" }
            header += "\r\n"
            let all = Data(header.utf8) + body
            all.withUnsafeBytes { p in
                var off = 0
                while off < all.count {
                    let w = write(c, p.baseAddress! + off, all.count - off)
                    if w <= 0 { break }
                    off += w
                }
            }
            close(c)
        }
    }

    deinit { close(fd) }
}
