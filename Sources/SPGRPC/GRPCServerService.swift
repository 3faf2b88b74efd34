// The gRPC server of `softprompt serve` as a swift-service-lifecycle service, so it runs in the
// same ServiceGroup as the HTTP application and stops with it: on SIGTERM/SIGINT it stops
// accepting RPCs and returns once the in-flight ones have finished.

import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import SPServer
import ServiceLifecycle

/// caikit's gRPC runtime (NlpService, InfoService, server reflection v1alpha and v1) over an
/// ``InferenceAPI``, plus NlpTrainingService, TrainingManagement and ModelManagement over a ``TrainingAPI`` when
/// training is on, bound to the API config's `host` and `grpcPort`.
public struct GRPCServerService: Service {
    let server: GRPCServer<HTTP2ServerTransport.Posix>
    let transport: HTTP2ServerTransport.Posix
    let logger: Logger
    let onRunning: @Sendable (Int) async -> Void

    /// - Parameters:
    ///   - api: the same API object the HTTP routes use.
    ///   - training: the HTTP server's training API (nil: no training services).
    ///   - port: overrides `api.config.grpcPort` (0: any free port).
    ///   - onRunning: called with the bound port once the server listens.
    public init(api: InferenceAPI, training: TrainingAPI? = nil, port: Int? = nil, logger: Logger,
                onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws {
        let resolver = try GRPCRuntime.reflectionResolver(training: training != nil)
        transport = HTTP2ServerTransport.Posix(
            address: GRPCRuntime.address(host: api.config.host, port: port ?? api.config.grpcPort),
            transportSecurity: GRPCRuntime.security(api.config.tls),
            config: .defaults { $0.rpc.maxRequestPayloadSize = GRPCRuntime.maxRequestBytes(api.config, training: training != nil) })
        server = GRPCServer(transport: transport, services: GRPCRuntime.services(api, training: training, resolver: resolver, logger: logger))
        self.logger = logger
        self.onRunning = onRunning
    }

    /// Serves until graceful shutdown (SIGTERM/SIGINT through the ServiceGroup).
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await server.serve() }
                group.addTask {
                    let address = try await transport.listeningAddress
                    let port = address.ipv4?.port ?? address.ipv6?.port ?? 0
                    logger.info("grpc listening", metadata: ["address": "\(address)"])
                    await onRunning(port)
                }
            }
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}

/// The pieces of the gRPC runtime.
public enum GRPCRuntime {
    /// Services registered on the server (the training ones when `training` is given).
    public static func services(_ api: InferenceAPI, training: TrainingAPI? = nil, resolver: ReflectionResolver,
                                logger: Logger?) -> [any RegistrableRPCService] {
        var all: [any RegistrableRPCService] = [
            NlpServiceHandler(api: api, logger: logger), InfoServiceHandler(api: api),
            ReflectionV1Alpha(resolver: resolver), ReflectionV1(resolver: resolver),
        ]
        if let training {
            all += [NlpTrainingServiceHandler(training: training, logger: logger) as any RegistrableRPCService,
                    TrainingManagementHandler(training: training, logger: logger),
                    ModelManagementHandler(training: training, logger: logger)]
        }
        return all
    }

    /// Fully-qualified names of the services ``services(_:training:resolver:logger:)`` registers
    /// without training.
    public static let serviceNames = [
        "caikit.runtime.Nlp.NlpService", "caikit.runtime.info.InfoService",
        "grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection",
    ]

    /// The largest request message: grpc-swift's 4 MiB, raised to `softprompt.training.max_body_bytes`
    /// when training is on (one limit per server: the inference RPCs get the same).
    public static func maxRequestBytes(_ config: ServerConfig, training: Bool) -> Int {
        training ? max(4 << 20, config.training.maxBodyBytes) : 4 << 20
    }

    /// The services added when training is on, as reflection lists them (ModelManagement is served
    /// too, but caikit's dumped protos have no descriptor for it).
    public static let trainingServiceNames = ["caikit.runtime.Nlp.NlpTrainingService", "caikit.runtime.training.TrainingManagement"]

    /// The reflection resolver over the committed descriptors, listing the services served.
    public static func reflectionResolver(training: Bool = false) throws -> ReflectionResolver {
        ReflectionResolver(index: try CaikitDescriptors.index(), services: serviceNames + (training ? trainingServiceNames : []))
    }

    /// Plaintext, TLS, or mTLS (client certificates must chain to `clientCA`) from caikit's
    /// `runtime.tls` files.
    static func security(_ tls: ServerConfig.TLSFiles?) -> HTTP2ServerTransport.Posix.TransportSecurity {
        guard let tls else { return .plaintext }
        let chain: [TLSConfig.CertificateSource] = [.file(path: tls.serverCert, format: .pem)]
        let key: TLSConfig.PrivateKeySource = .file(path: tls.serverKey, format: .pem)
        guard let ca = tls.clientCA else { return .tls(certificateChain: chain, privateKey: key) }
        return .mTLS(certificateChain: chain, privateKey: key) { $0.trustRoots = .certificates([.file(path: ca, format: .pem)]) }
    }

    /// `host` as a socket address: IPv6 when it holds a colon, else IPv4 (names such as
    /// `localhost` resolve through the IPv4 path).
    static func address(host: String, port: Int) -> GRPCNIOTransportCore.SocketAddress {
        host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host == "localhost" ? "127.0.0.1" : host, port: port)
    }
}
