// TLS and mTLS on both servers with a CA this test makes (openssl CLI): the HTTP server answers
// curl over HTTPS, the gRPC server a client that trusts the CA; with mTLS, a client without a
// certificate from the CA is refused by both and one with it is served.

import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle
@testable import SPGRPC
@testable import SPServer
import Testing

/// A throwaway CA, a server certificate for 127.0.0.1/localhost and a client certificate.
struct TestCA {
    let dir: String
    var ca: String { dir + "/ca.pem" }
    var serverKey: String { dir + "/server.key" }
    var serverCert: String { dir + "/server.pem" }
    var clientKey: String { dir + "/client.key" }
    var clientCert: String { dir + "/client.pem" }

    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    static func run(_ tool: String, _ args: [String], in dir: String) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    init() throws {
        dir = NSTemporaryDirectory() + "sptls-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n".write(toFile: dir + "/server.ext", atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: dir + "/client.ext", atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=softprompt test CA"],
            ["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
             "-days", "2", "-extfile", "server.ext"],
            ["req"] + ec + ["-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=softprompt test client"],
            ["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.pem",
             "-days", "2", "-extfile", "client.ext"],
        ]
        for s in steps {
            let (code, out) = try Self.run("openssl", s, in: dir)
            guard code == 0 else { throw Failed(description: "openssl \(s.joined(separator: " ")): \(out)") }
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }

    /// curl's exit status and body for `GET https://127.0.0.1:port/health`, run on its own thread:
    /// waiting for it on the cooperative pool could starve the server's own tasks.
    func curl(port: Int, clientCert: Bool) async throws -> (Int32, String) {
        var args = ["-sS", "--max-time", "120", "--cacert", ca, "https://127.0.0.1:\(port)/health"]
        if clientCert { args += ["--cert", self.clientCert, "--key", clientKey] }
        let dir = self.dir, arguments = args
        return try await withCheckedThrowingContinuation { c in
            Thread { c.resume(with: Result { try Self.run("curl", arguments, in: dir) }) }.start()
        }
    }
}

@Suite(.timeLimit(.minutes(6))) struct TLSTests {
    /// Runs both servers with `tls` and hands `test` their ports.
    static func withServers(_ f: ServerFixture, _ tls: ServerConfig.TLSFiles,
                            _ test: @escaping @Sendable (_ http: Int, _ grpc: Int, _ api: InferenceAPI) async throws -> Void) async throws {
        let api = InferenceAPI(config: f.config { $0.tls = tls })
        let httpPort = PortBox(), grpcPort = PortBox()
        let app = try HTTPServer.application(api, logger: Logger(label: "test")) { await httpPort.set($0) }
        let grpc = try GRPCServerService(api: api, port: 0, logger: Logger(label: "test")) { await grpcPort.set($0) }
        let group = ServiceGroup(configuration: .init(services: [app, grpc], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let (h, g) = (try await httpPort.wait(), try await grpcPort.wait())
            do { try await test(h, g, api) } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// One generation over gRPC. `refused` bounds a call that should fail at the handshake (a
    /// deadline, so a broken refusal cannot hang the suite); calls that should succeed have none, as
    /// the whole suite's parallel numeric tests can keep the pool busy for minutes.
    static func generate(port: Int, _ security: HTTP2ClientTransport.Posix.TransportSecurity, refused: Bool = false) async throws -> String {
        var options = CallOptions.defaults
        if refused { options.timeout = .seconds(120) }
        return try await withGRPCClient(transport: try .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: security)) {
            [options] client in
            try await Nlp.Client(wrapping: client).textGenerationTaskPredict(generation("w1") { $0.maxNewTokens = 2 }, metadata: model("alpha"),
                                                                             options: options).generatedText
        }
    }

    @Test func tlsOnBothServers() async throws {
        let f = try ServerFixture(), ca = try TestCA()
        defer { f.remove(); ca.remove() }
        let tls = ServerConfig.TLSFiles(serverKey: ca.serverKey, serverCert: ca.serverCert)
        try tls.check()
        try await Self.withServers(f, tls) { http, grpc, _ in
            let (code, body) = try await ca.curl(port: http, clientCert: false)
            #expect(code == 0 && body == "OK", "HTTPS with the test CA: \(body)")
            let text = try await Self.generate(port: grpc, .tls { $0.trustRoots = .certificates([.file(path: ca.ca, format: .pem)]) })
            #expect(!text.isEmpty)
            await #expect(throws: (any Error).self, "a client that does not trust the CA") {
                _ = try await Self.generate(port: grpc, .tls { $0.trustRoots = .certificates([.file(path: ca.serverCert, format: .pem)]); $0.serverCertificateVerification = .fullVerification }, refused: true)
            }
            await #expect(throws: (any Error).self, "plaintext to a TLS port") { _ = try await Self.generate(port: grpc, .plaintext, refused: true) }
        }
    }

    @Test func mutualTLSRefusesClientsWithoutACertificate() async throws {
        let f = try ServerFixture(), ca = try TestCA()
        defer { f.remove(); ca.remove() }
        let tls = ServerConfig.TLSFiles(serverKey: ca.serverKey, serverCert: ca.serverCert, clientCA: ca.ca)
        try tls.check()
        try await Self.withServers(f, tls) { http, grpc, _ in
            let without = try await ca.curl(port: http, clientCert: false)
            #expect(without.0 != 0 && without.1 != "OK", "HTTP without a client certificate: \(without)")
            let with = try await ca.curl(port: http, clientCert: true)
            #expect(with.0 == 0 && with.1 == "OK", "HTTP with the client certificate: \(with)")
            let trust: TLSConfig.TrustRootsSource = .certificates([.file(path: ca.ca, format: .pem)])
            await #expect(throws: (any Error).self, "gRPC without a client certificate") {
                _ = try await Self.generate(port: grpc, .tls { $0.trustRoots = trust }, refused: true)
            }
            let text = try await Self.generate(port: grpc, .mTLS(certificateChain: [.file(path: ca.clientCert, format: .pem)],
                                                                  privateKey: .file(path: ca.clientKey, format: .pem)) { $0.trustRoots = trust })
            #expect(!text.isEmpty)
        }
    }

    @Test func unreadableFilesAreRefusedNamingTheKey() throws {
        let ca = try TestCA()
        defer { ca.remove() }
        #expect { try ServerConfig.TLSFiles(serverKey: ca.dir + "/absent.key", serverCert: ca.serverCert).check() } throws: {
            ($0 as? ServerConfig.Invalid)?.key == "runtime.tls.server.key"
        }
        #expect { try ServerConfig.TLSFiles(serverKey: ca.serverKey, serverCert: ca.serverKey).check() } throws: {
            ($0 as? ServerConfig.Invalid)?.key == "runtime.tls.server.cert"
        }
        #expect { try ServerConfig.TLSFiles(serverKey: ca.serverKey, serverCert: ca.serverCert, clientCA: ca.dir + "/server.ext").check() } throws: {
            ($0 as? ServerConfig.Invalid)?.key == "runtime.tls.client.cert"
        }
    }
}
