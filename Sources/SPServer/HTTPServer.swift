// caikit's HTTP routes on Hummingbird 2, and the service that runs them until SIGTERM/SIGINT
// (swift-service-lifecycle: in-flight requests finish before the process exits).

import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// Builds the router and application of `softprompt serve`.
public enum HTTPServer {
    /// caikit's `runtime.http.route_prefix` and task routes.
    public static let textGenerationRoute = "/api/v1/task/text-generation"
    public static let streamingRoute = "/api/v1/task/server-streaming-text-generation"
    public static let tokenizationRoute = "/api/v1/task/tokenization"

    /// The routes: the three task routes, `/health`, `/info/version`, `/info/models`, `/openapi.json`,
    /// and with `training` the training and model-management routes (`HTTPServer+Training.swift`).
    public static func router(_ api: InferenceAPI, training: TrainingAPI? = nil, logger: Logger? = nil) -> Router<ServerRequestContext> {
        let router = Router(context: ServerRequestContext.self)
        router.add(middleware: AccessLog(logger: logger))
        router.post(RouterPath(textGenerationRoute)) { request, context in
            // A client that closes its connection mid-generation frees its batch row at the next token.
            try await respond(request, api) { body in await cancellingOnClose(context.channel) { await api.textGeneration(body) } }
        }
        router.post(RouterPath(tokenizationRoute)) { request, _ in
            try await respond(request, api) { await api.tokenization($0) }
        }
        router.post(RouterPath(streamingRoute)) { request, _ -> Response in
            let body: [UInt8]
            switch await readBody(request, api.config.maxBodyBytes) {
            case .failure(let e): return response(InferenceAPI.error(e))
            case .success(let b): body = b
            }
            switch await api.streamingTextGeneration(body) {
            case .answer(let a): return response(a)
            case .events(let run):
                var headers = HTTPFields()
                headers[.contentType] = "text/event-stream; charset=utf-8"
                headers[.cacheControl] = "no-store"
                return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                    try await run { text in try await writer.write(ByteBuffer(string: text)) }
                    try await writer.finish(nil)
                })
            }
        }
        router.get("/health") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: "OK")))
        }
        router.get("/info/version") { _, _ in response(api.version()) }
        let openAPI = ByteBuffer(bytes: openAPIDocument)
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: openAPI))
        }
        router.get("/info/models") { request, _ in
            await response(api.models(ids: request.uri.queryParameters.getAll("model_ids")))
        }
        if let training { addTrainingRoutes(router, training, maxBodyBytes: api.config.training.maxBodyBytes) }
        return router
    }

    /// The application bound to `config.host`/`config.httpPort` (port 0: any free port;
    /// `onRunning` gets the bound port), over TLS when `config.tls` is set.
    /// - Throws: what NIOSSL throws for unreadable TLS files.
    public static func application(_ api: InferenceAPI, training: TrainingAPI? = nil, logger: Logger,
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        throws -> some ApplicationProtocol {
        Application(
            router: router(api, training: training, logger: logger),
            server: try serverBuilder(api.config.tls),
            configuration: .init(address: .hostname(api.config.host, port: api.config.httpPort), serverName: "softprompt"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? api.config.httpPort) },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting connections and lets in-flight
    /// requests finish. `alongside` runs in the same service group and shuts down with it (the
    /// gRPC server, SPGRPC's `GRPCServerService`).
    public static func run(_ api: InferenceAPI, training: TrainingAPI? = nil, logger: Logger, alongside: [any Service] = [],
                           onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = try application(api, training: training, logger: logger, onRunning: onRunning)
        let group = ServiceGroup(configuration: .init(services: [app] + alongside, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
    }

    /// caikit-nlp 0.5.15's own `openapi.json` (committed as api/openapi.json, embedded by
    /// scripts/generate_grpc.sh): what caikit-nlp-client reads for the parameter list.
    public static let openAPIDocument: [UInt8] = Array(Data(base64Encoded: CaikitOpenAPI.base64) ?? Data())

    static func response(_ a: InferenceAPI.Answer) -> Response {
        Response(status: HTTPResponse.Status(code: a.status), headers: [.contentType: a.contentType],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: a.body)))
    }

    /// The body, or caikit's error for one that is too big (413) or not JSON by its content type (415).
    static func readBody(_ request: Request, _ limit: Int, setting: String = "softprompt.max_body_bytes") async -> Result<[UInt8], CaikitError> {
        let type = request.headers[.contentType] ?? ""
        let media = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard media == "application/json" else {
            return .failure(CaikitError(code: 415, details: "Unsupported media type: \(type.isEmpty ? "None" : type); send application/json"))
        }
        do {
            var buffer = try await request.body.collect(upTo: limit)
            return .success(buffer.readBytes(length: buffer.readableBytes) ?? [])
        } catch let e as any HTTPResponseError where e.status == .contentTooLarge {
            return .failure(CaikitError(code: 413, details: "request body larger than \(limit) bytes (\(setting) in the server config)"))
        } catch {
            return .failure(CaikitError(code: 400, details: "cannot read the request body: \(error)"))
        }
    }

    static func respond(_ request: Request, _ api: InferenceAPI, _ handle: ([UInt8]) async -> InferenceAPI.Answer) async throws -> Response {
        switch await readBody(request, api.config.maxBodyBytes) {
        case .failure(let e): return response(InferenceAPI.error(e))
        case .success(let body): return response(await handle(body))
        }
    }
}

/// One structured log line per request: method, path, status, milliseconds.
struct AccessLog<Context: RequestContext>: RouterMiddleware {
    let logger: Logger?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        if let logger {
            let ms = (ContinuousClock.now - start) / .milliseconds(1)
            logger.info("request", metadata: ["method": "\(request.method)", "path": "\(request.uri.path)",
                                               "status": "\(response.status.code)", "ms": "\(Int(ms))"])
        }
        return response
    }
}
