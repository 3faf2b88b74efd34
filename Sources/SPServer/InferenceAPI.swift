// caikit's inference API, independent of the HTTP framework: a request body in, a status and a
// caikit-shaped body out (or a stream of Server-Sent Events). `HTTPServer` binds it to routes.

import Foundation
import SPGeneration
import SPJSON
import SPPrompt
import SPService

/// The text-generation, tokenization and info endpoints of a caikit runtime serving caikit-nlp
/// prompts.
public struct InferenceAPI: Sendable {
    public let config: ServerConfig
    public let catalog: ModelCatalog
    public let gate: RequestGate
    /// Generation across requests: requests on one base model share decoding steps.
    public let batcher: GenerationBatcher

    /// A complete answer: HTTP status, content type, body.
    public struct Answer: Sendable, Equatable {
        public var status: Int
        public var contentType: String
        public var body: String
    }

    /// What the server reports as its runtime version (`GET /info/version`).
    public static let runtimeVersion = "softprompt (caikit-nlp 0.5.15 API)"

    public init(config: ServerConfig, catalog: ModelCatalog? = nil) {
        self.init(config: config,
                  catalog: catalog ?? ModelCatalog(localModelsDir: config.localModelsDir, baseModelsDir: config.baseModelsDir),
                  batcher: GenerationBatcher(maxRows: config.maxConcurrentRequests),
                  gate: RequestGate(maxRunning: config.maxConcurrentRequests, maxWaiting: config.maxQueuedRequests))
    }

    /// An API over existing parts (e.g. the same models and batches bound to another address).
    init(config: ServerConfig, catalog: ModelCatalog, batcher: GenerationBatcher, gate: RequestGate) {
        self.config = config
        self.catalog = catalog
        self.batcher = batcher
        self.gate = gate
    }

    /// How caikit's Python stack writes a body: `json.dumps` defaults (its handlers) or Starlette's
    /// compact `JSONResponse`.
    enum Style { case pythonDumps, compact }

    static func json(_ value: JSONValue, _ style: Style = .pythonDumps) -> Answer {
        Answer(status: 200, contentType: "application/json", body: style == .compact ? value.starletteJSON : value.dumps())
    }

    static func error(_ e: CaikitError) -> Answer {
        Answer(status: e.code, contentType: "application/json", body: e.body)
    }

    /// `POST /api/v1/task/text-generation`.
    public func textGeneration(_ body: [UInt8]) async -> Answer {
        do {
            return Self.json(try await generate(try TaskRequest.decode(body, hasParameters: true)).caikitJSON)
        } catch {
            return Self.error(.from(error))
        }
    }

    /// `TextGenerationTaskPredict` for any transport (HTTP route, gRPC): caikit's checks, a slot
    /// at the gate, then the generation.
    /// - Throws: ``CaikitError`` or the generation's typed errors (map them with ``CaikitError/from(_:)``).
    public func generate(_ request: TaskRequest) async throws -> GeneratedTextResult {
        let model = try await resolve(request)
        return try await gate.withSlot {
            try await offPool { try self.checkLimits(request, model) }
            return try await batcher.run(model.service, request.inputs, parameters: request.parameters)
        }
    }

    /// `POST /api/v1/task/tokenization`: caikit `TokenizationResults` (token count).
    public func tokenization(_ body: [UInt8]) async -> Answer {
        do {
            return Self.json(try await tokenize(try TaskRequest.decode(body, hasParameters: false)).caikitJSON)
        } catch {
            return Self.error(.from(error))
        }
    }

    /// `TokenizationTaskPredict` for any transport: the token count of `inputs` under the model's
    /// base tokenizer (special tokens included).
    public func tokenize(_ request: TaskRequest) async throws -> TokenizationResults {
        let model = try await resolve(request)
        let count = try await gate.withSlot {
            try await offPool { () throws -> Int in
                do {
                    return try model.base.text.encode(request.inputs, addSpecialTokens: true).count
                } catch {
                    throw GenerationError.tokenizer("cannot encode `inputs`: \(error)")
                }
            }
        }
        return TokenizationResults(tokenCount: count)
    }

    /// The model a request names, loaded, after caikit's checks in caikit's order: `model_id`
    /// present (400), model known (404), parameter values (400).
    func resolve(_ request: TaskRequest) async throws -> ServedModel {
        guard let id = request.modelId else { throw CaikitError.badRequest("Please provide model_id in payload") }
        let model = try await catalog.model(id)
        if let e = request.parameterError { throw e }
        try request.parameters.validate()
        let cap = config.maxNewTokens
        if request.parameters.maxNewTokens > cap {
            throw GenerationError.invalidParameter(
                field: "max_new_tokens", value: "\(request.parameters.maxNewTokens)",
                reason: "above this server's limit of \(cap) (softprompt.max_new_tokens in the server config)", code: nil)
        }
        return model
    }

    /// The input-length limit: the verbalized, truncated input must fit `maxInputTokens`.
    func checkLimits(_ request: TaskRequest, _ model: ServedModel) throws {
        let text = model.service.text
        let verbalized = try text.verbalizer.render(input: request.inputs)
        let p = request.parameters
        let ids = p.truncateInputTokens > 0
            ? try text.tokenizer.encode(verbalized, addSpecialTokens: true, truncatingTo: p.truncateInputTokens)
            : try text.tokenizer.encode(verbalized, addSpecialTokens: true)
        if ids.count > config.maxInputTokens {
            throw GenerationError.inputTooLong(
                tokens: ids.count, limit: config.maxInputTokens,
                hint: "shorten `inputs`, set parameters.truncate_input_tokens, or raise softprompt.max_input_tokens in the server config")
        }
    }

    /// `GET /info/version`: caikit `RuntimeInfoResponse`.
    public func version() -> Answer {
        Self.json(.object([("runtime_version", .string(Self.runtimeVersion)), ("python_packages", .object([]))]), .compact)
    }

    /// `GET /info/models[?model_ids=…]`: caikit `ModelInfoResponse` over the prompt directories
    /// under `local_models_dir` (loaded or not).
    public func models(ids requested: [String]) async -> Answer {
        do {
            let infos = try await modelInfos(ids: requested).map { m -> JSONValue in
                guard m.loaded else {
                    return .object([("model_path", .null), ("name", .string(m.name)), ("size", .null), ("metadata", .null),
                                    ("loaded", .bool(false)), ("module_id", .null), ("module_metadata", .null)])
                }
                return .object([
                    ("model_path", .string(m.path ?? "")), ("name", .string(m.name)), ("size", .int(m.size ?? 0)), ("metadata", .object([])),
                    ("loaded", .bool(true)), ("module_id", .string(CaikitModule.moduleID)),
                    ("module_metadata", .object([("name", .string(CaikitModule.name)), ("version", .string(CaikitModule.version))])),
                ])
            }
            return Self.json(.object([("models", .array(infos))]), .compact)
        } catch {
            return Self.error(.from(error))
        }
    }

    /// One entry of caikit's `ModelInfoResponse`.
    public struct ModelInfo: Sendable, Equatable {
        public var name: String
        public var loaded: Bool
        /// Set once loaded.
        public var path: String?
        public var size: Int?
    }

    /// caikit `GetModelsInfo` for any transport: every model id under `local_models_dir`, or the
    /// requested ones (each validated; 404 for one that is not there).
    public func modelInfos(ids requested: [String]) async throws -> [ModelInfo] {
        let available = catalog.availableIds()
        var ids = available
        if !requested.isEmpty {
            for id in requested {
                try ModelCatalog.validate(id: id)
                guard available.contains(id) else { throw CaikitError(code: 404, details: "Model \(id) is not loaded") }
            }
            ids = requested
        }
        var infos: [ModelInfo] = []
        for id in ids {
            if let m = await catalog.loadedModel(id) {
                infos.append(ModelInfo(name: id, loaded: true, path: m.path, size: m.size))
            } else {
                infos.append(ModelInfo(name: id, loaded: false))
            }
        }
        return infos
    }
}

/// Runs CPU-bound work on its own thread (8 MiB stack), off Swift's cooperative pool.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
        let thread = Thread { c.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
