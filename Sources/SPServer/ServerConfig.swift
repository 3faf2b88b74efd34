// `softprompt serve` settings: caikit's runtime config names where caikit has them
// (`runtime.local_models_dir`, `runtime.http.port`, caikit-nlp's top-level `base_models_dir`),
// ours under `softprompt:` for the limits caikit does not have. Flags override the file.

import Foundation
import Yams

/// The server's settings.
public struct ServerConfig: Sendable, Equatable {
    /// caikit `runtime.local_models_dir`: one prompt directory per model id.
    public var localModelsDir = "models"
    /// caikit-nlp `base_models_dir`: base models by name (nil: paths and the HF cache only).
    public var baseModelsDir: String?
    /// Address to bind (`runtime.http.host`, ours; caikit binds every interface, we bind loopback).
    public var host = "127.0.0.1"
    /// caikit `runtime.http.port`.
    public var httpPort = 8080
    /// caikit `runtime.grpc.enabled`: serve gRPC beside HTTP (SPGRPC).
    public var grpcEnabled = true
    /// caikit `runtime.grpc.port` (bound on ``host`` too).
    public var grpcPort = 8085
    /// Largest request body in bytes (`softprompt.max_body_bytes`); bigger ones get 413.
    public var maxBodyBytes = 1 << 20
    /// Largest `max_new_tokens` a request may ask for (`softprompt.max_new_tokens`); above: 400.
    public var maxNewTokens = 1024
    /// Most input tokens (after the verbalizer and truncation) a request may bring
    /// (`softprompt.max_input_tokens`); above: 400.
    public var maxInputTokens = 2048
    /// Generations run at once (`softprompt.max_concurrent_requests`): the rows one base model's
    /// continuous batch decodes together.
    public var maxConcurrentRequests = 8
    /// Requests allowed to wait for a slot (`softprompt.max_queued_requests`); beyond that: 429.
    public var maxQueuedRequests = 16
    /// caikit `runtime.tls`: TLS (and mTLS with a client CA) for both servers; nil: plaintext.
    public var tls: TLSFiles?
    /// Training jobs (`runtime.training.output_dir`, `softprompt.training.*`; ServerConfig+Training.swift).
    public var training = TrainingSettings()

    public init() {}

    /// Errors in a config file or flag: the key, what is wrong, what to do.
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public var key: String
        public var reason: String
        public var description: String { "config `\(key)`: \(reason)" }
    }

    /// Reads a caikit-style YAML config over the defaults.
    ///
    /// ```yaml
    /// runtime:
    ///   local_models_dir: models
    ///   http: {port: 8080, host: 127.0.0.1}
    ///   grpc: {port: 8085, enabled: true}
    /// base_models_dir: /models/base
    /// softprompt: {max_new_tokens: 512, max_queued_requests: 8}
    /// ```
    /// TLS: `runtime.tls: {server: {key, cert}, client: {cert}}` (caikit's names; empty = unset).
    /// Keys this server does not implement are refused, not ignored.
    /// - Throws: ``Invalid`` naming the key.
    public static func load(yaml text: String) throws -> ServerConfig {
        var c = ServerConfig()
        let node: Any?
        do { node = try Yams.load(yaml: text) } catch { throw Invalid(key: "(file)", reason: "not YAML: \(error)") }
        guard let node else { return c }
        guard let root = node as? [String: Any] else { throw Invalid(key: "(file)", reason: "the top level must be a mapping") }
        for (k, v) in root {
            switch k {
            case "runtime": try c.readRuntime(v)
            case "base_models_dir": c.baseModelsDir = try string(v, k).flatMap { $0.isEmpty ? nil : $0 }
            case "source_prompt_base": c.training.sourcePromptBase = try string(v, k).flatMap { $0.isEmpty ? nil : $0 }
            case "softprompt": try c.readLimits(v)
            default:
                throw Invalid(key: k, reason: "not supported by softprompt serve (supported: runtime, base_models_dir, source_prompt_base, softprompt)")
            }
        }
        return c
    }

    mutating func readRuntime(_ v: Any) throws {
        for (k, x) in try mapping(v, "runtime") {
            let key = "runtime." + k
            switch k {
            case "local_models_dir": localModelsDir = try Self.string(x, key) ?? localModelsDir
            case "library":
                guard try Self.string(x, key) == "caikit_nlp" else { throw Invalid(key: key, reason: "only caikit_nlp is served") }
            case "http":
                for (h, y) in try mapping(x, key) {
                    switch h {
                    case "port": httpPort = try Self.int(y, key + ".port", 1...65535)
                    case "host": host = try Self.string(y, key + ".host") ?? host
                    case "enabled":
                        guard y as? Bool == true else { throw Invalid(key: key + ".enabled", reason: "HTTP is the only server; it cannot be disabled") }
                    case "tls": throw Invalid(key: key + ".tls", reason: "TLS is configured once for both servers: use runtime.tls (server.key, server.cert, client.cert)")
                    case "server_shutdown_grace_period_seconds":
                        throw Invalid(key: key + "." + h, reason: "not implemented yet (softprompt serve has a fixed shutdown grace)")
                    default: throw Invalid(key: key + "." + h, reason: "unknown key (supported: port, host, enabled)")
                    }
                }
            case "grpc":
                for (g, y) in try mapping(x, key) {
                    switch g {
                    case "port": grpcPort = try Self.int(y, key + ".port", 1...65535)
                    case "enabled":
                        guard let b = y as? Bool else { throw Invalid(key: key + ".enabled", reason: "must be true or false") }
                        grpcEnabled = b
                    case "tls": throw Invalid(key: key + ".tls", reason: "TLS is configured once for both servers: use runtime.tls (server.key, server.cert, client.cert)")
                    case "server_shutdown_grace_period_seconds", "options", "max_connection_age":
                        throw Invalid(key: key + "." + g, reason: "not implemented yet (softprompt serve has a fixed shutdown grace and default options)")
                    default: throw Invalid(key: key + "." + g, reason: "unknown key (supported: port, enabled)")
                    }
                }
            case "training": try readTrainingRuntime(x)
            case "tls": tls = try readTLS(x)
            default:
                throw Invalid(key: key, reason: "unknown key (supported: local_models_dir, library, http, grpc, tls, training)")
            }
        }
    }

    /// `runtime.tls`: `server.key` + `server.cert` turn TLS on, `client.cert` (a CA) adds mTLS.
    func readTLS(_ v: Any) throws -> TLSFiles? {
        var serverKey: String?, serverCert: String?, clientCA: String?
        for (side, y) in try mapping(v, "runtime.tls") {
            let sideKey = "runtime.tls." + side
            switch side {
            case "server":
                for (f, z) in try mapping(y, sideKey) {
                    switch f {
                    case "key": serverKey = try Self.string(z, sideKey + ".key").flatMap { $0.isEmpty ? nil : $0 }
                    case "cert": serverCert = try Self.string(z, sideKey + ".cert").flatMap { $0.isEmpty ? nil : $0 }
                    default: throw Invalid(key: sideKey + "." + f, reason: "unknown key (supported: key, cert)")
                    }
                }
            case "client":
                for (f, z) in try mapping(y, sideKey) {
                    guard f == "cert" else { throw Invalid(key: sideKey + "." + f, reason: "unknown key (supported: cert, the CA client certificates must chain to)") }
                    clientCA = try Self.string(z, sideKey + ".cert").flatMap { $0.isEmpty ? nil : $0 }
                }
            default: throw Invalid(key: sideKey, reason: "unknown key (supported: server, client)")
            }
        }
        switch (serverKey, serverCert) {
        case (nil, nil):
            if clientCA != nil {
                throw Invalid(key: "runtime.tls.client.cert", reason: "mTLS needs the server's own runtime.tls.server.key and runtime.tls.server.cert")
            }
            return nil
        case (let k?, let c?): return TLSFiles(serverKey: k, serverCert: c, clientCA: clientCA)
        case (nil, _): throw Invalid(key: "runtime.tls.server.key", reason: "missing: TLS needs both runtime.tls.server.key and runtime.tls.server.cert")
        case (_, nil): throw Invalid(key: "runtime.tls.server.cert", reason: "missing: TLS needs both runtime.tls.server.key and runtime.tls.server.cert")
        }
    }

    mutating func readLimits(_ v: Any) throws {
        for (k, x) in try mapping(v, "softprompt") {
            let key = "softprompt." + k
            switch k {
            case "max_body_bytes": maxBodyBytes = try Self.int(x, key, 64...(1 << 30))
            case "max_new_tokens": maxNewTokens = try Self.int(x, key, 1...1_000_000)
            case "max_input_tokens": maxInputTokens = try Self.int(x, key, 1...10_000_000)
            case "max_concurrent_requests": maxConcurrentRequests = try Self.int(x, key, 1...1024)
            case "max_queued_requests": maxQueuedRequests = try Self.int(x, key, 0...100_000)
            case "training": try readTraining(x)
            default:
                throw Invalid(key: key, reason: "unknown key (supported: max_body_bytes, max_new_tokens, max_input_tokens, max_concurrent_requests, max_queued_requests, training)")
            }
        }
    }

    func mapping(_ v: Any, _ key: String) throws -> [String: Any] {
        guard let m = v as? [String: Any] else { throw Invalid(key: key, reason: "must be a mapping") }
        return m
    }

    static func string(_ v: Any, _ key: String) throws -> String? {
        if v is NSNull { return nil }
        guard let s = v as? String else { throw Invalid(key: key, reason: "must be a string") }
        return s
    }

    /// An integer in `range` (YAML ints only).
    public static func int(_ v: Any, _ key: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let i = v as? Int else { throw Invalid(key: key, reason: "must be an integer") }
        guard range.contains(i) else { throw Invalid(key: key, reason: "\(i) is outside \(range.lowerBound)...\(range.upperBound)") }
        return i
    }
}
