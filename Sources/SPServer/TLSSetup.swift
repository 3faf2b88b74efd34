// TLS and mTLS for both servers from caikit's config names (`runtime.tls.server.key`,
// `runtime.tls.server.cert`, `runtime.tls.client.cert`): the server presents the key and
// certificate chain; with a client CA it asks every client for a certificate chaining to it and
// refuses connections without one.

import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL

extension ServerConfig {
    /// caikit `runtime.tls`: PEM file paths, used by the HTTP and the gRPC server alike.
    public struct TLSFiles: Sendable, Equatable {
        /// `runtime.tls.server.key`: the server's private key.
        public var serverKey: String
        /// `runtime.tls.server.cert`: the server's certificate chain, leaf first.
        public var serverCert: String
        /// `runtime.tls.client.cert`: the CA client certificates must chain to (mTLS); nil: no
        /// client certificate is asked for.
        public var clientCA: String?

        public init(serverKey: String, serverCert: String, clientCA: String? = nil) {
            self.serverKey = serverKey
            self.serverCert = serverCert
            self.clientCA = clientCA
        }

        /// Each file is readable PEM, checked before any port is bound.
        /// - Throws: ``ServerConfig/Invalid`` naming the key and the file.
        public func check() throws {
            var files = [("runtime.tls.server.key", serverKey), ("runtime.tls.server.cert", serverCert)]
            if let clientCA { files.append(("runtime.tls.client.cert", clientCA)) }
            for (key, path) in files {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw Invalid(key: key, reason: "cannot read \(path)")
                }
                guard String(decoding: data, as: UTF8.self).contains("-----BEGIN ") else {
                    throw Invalid(key: key, reason: "\(path) is not a PEM file")
                }
            }
            do {
                _ = try NIOSSLPrivateKey(file: serverKey, format: .pem)
            } catch {
                throw Invalid(key: "runtime.tls.server.key", reason: "\(serverKey): not a PEM private key (\(error))")
            }
            for (key, path) in [("runtime.tls.server.cert", serverCert)] + (clientCA.map { [("runtime.tls.client.cert", $0)] } ?? []) {
                do {
                    guard try !NIOSSLCertificate.fromPEMFile(path).isEmpty else { throw Invalid(key: key, reason: "\(path) holds no certificate") }
                } catch let e as Invalid {
                    throw e
                } catch {
                    throw Invalid(key: key, reason: "\(path): not a PEM certificate (\(error))")
                }
            }
        }
    }
}

extension HTTPServer {
    /// HTTP/1.1, over TLS when `tls` is set (mTLS when it names a client CA).
    /// - Throws: what NIOSSL throws for unreadable files (``ServerConfig/TLSFiles/check()`` first).
    static func serverBuilder(_ tls: ServerConfig.TLSFiles?) throws -> HTTPServerBuilder {
        // Every connection gets an InboundCloseWatcher (a unary request whose client leaves is cancelled).
        let http1 = HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: [CloseWatcherInstaller()]))
        guard let tls else { return http1 }
        var c = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(tls.serverCert).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.serverKey, format: .pem)))
        if let ca = tls.clientCA {
            c.certificateVerification = .noHostnameVerification
            c.trustRoots = .file(ca)
        }
        return try .tls(http1, tlsConfiguration: c)
    }
}
