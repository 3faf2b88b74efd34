// A live gRPC server on a free loopback port over ServerFixture's models, and a client for it.

import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
@testable import SPGRPC
@testable import SPServer

typealias Nlp = Caikit_Runtime_Nlp_NlpService
typealias GRPCTestClient = GRPCClient<HTTP2ClientTransport.Posix>

/// Runs `test` with a client connected to a gRPC server for `config`; the server stops after.
func withGRPCServer(_ config: ServerConfig,
                    _ test: @escaping @Sendable (GRPCTestClient, InferenceAPI) async throws -> Void) async throws {
    let api = InferenceAPI(config: config)
    let port = PortBox()
    let service = try GRPCServerService(api: api, port: 0, logger: Logger(label: "test")) { await port.set($0) }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await service.run() }
        let p = try await port.wait()
        try await withGRPCClient(transport: try .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: p), transportSecurity: .plaintext)) { client in
            try await test(client, api)
        }
        group.cancelAll()
    }
}

/// `mm-model-id` metadata.
func model(_ id: String) -> Metadata { [NlpServiceHandler.modelIdKey: "\(id)"] }

/// A text-generation request.
func generation(_ text: String, _ edit: (inout Caikit_Runtime_Nlp_TextGenerationTaskRequest) -> Void = { _ in })
    -> Caikit_Runtime_Nlp_TextGenerationTaskRequest {
    var r = Caikit_Runtime_Nlp_TextGenerationTaskRequest()
    r.text = text
    edit(&r)
    return r
}

/// The RPC's error code, or nil when it succeeded.
func rpcCode(_ body: () async throws -> Void) async -> RPCError.Code? {
    do {
        try await body()
        return nil
    } catch let e as RPCError {
        return e.code
    } catch {
        return .unknown
    }
}
