// caikit.runtime.Nlp.NlpService over the InferenceAPI the HTTP routes use. Only the three RPCs a
// PeftPromptTuning model serves are registered; the service's other RPCs (embeddings, rerank,
// classification, …: other caikit-nlp modules) are answered UNIMPLEMENTED by grpc-swift's router.
// The model id comes from the `mm-model-id` metadata, as in caikit.

import GRPCCore
import GRPCProtobuf
import Logging
import SPGeneration
import SPServer

/// The inference RPCs of `caikit.runtime.Nlp.NlpService`.
public struct NlpServiceHandler: RegistrableRPCService {
    let api: InferenceAPI
    let logger: Logger?

    public init(api: InferenceAPI, logger: Logger? = nil) {
        self.api = api
        self.logger = logger
    }

    /// caikit's metadata key for the model id.
    public static let modelIdKey = "mm-model-id"

    public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        typealias M = Caikit_Runtime_Nlp_NlpService.Method
        router.registerHandler(
            forMethod: M.TextGenerationTaskPredict.descriptor,
            deserializer: ProtobufDeserializer<M.TextGenerationTaskPredict.Input>(),
            serializer: ProtobufSerializer<M.TextGenerationTaskPredict.Output>()
        ) { request, context in
            let single = try await ServerRequest(stream: request)
            return StreamingServerResponse(single: await textGeneration(single, context))
        }
        router.registerHandler(
            forMethod: M.ServerStreamingTextGenerationTaskPredict.descriptor,
            deserializer: ProtobufDeserializer<M.ServerStreamingTextGenerationTaskPredict.Input>(),
            serializer: ProtobufSerializer<M.ServerStreamingTextGenerationTaskPredict.Output>()
        ) { request, context in
            await streamingTextGeneration(try await ServerRequest(stream: request), context)
        }
        router.registerHandler(
            forMethod: M.TokenizationTaskPredict.descriptor,
            deserializer: ProtobufDeserializer<M.TokenizationTaskPredict.Input>(),
            serializer: ProtobufSerializer<M.TokenizationTaskPredict.Output>()
        ) { request, context in
            let single = try await ServerRequest(stream: request)
            return StreamingServerResponse(single: await tokenization(single, context))
        }
    }

    /// The `mm-model-id` value (nil when absent or empty: caikit answers INVALID_ARGUMENT).
    static func modelId(_ metadata: Metadata) -> String? {
        metadata[stringValues: modelIdKey].first { !$0.isEmpty }
    }

    func log(_ rpc: String, _ context: ServerContext, _ error: CaikitError?, _ start: ContinuousClock.Instant) {
        guard let logger else { return }
        let ms = (ContinuousClock.now - start) / .milliseconds(1)
        logger.info("rpc", metadata: ["method": "\(rpc)", "code": "\(error.map { "\($0.grpcCode)" } ?? "ok")",
                                      "peer": "\(context.remotePeer)", "ms": "\(Int(ms))"])
    }

    /// A missing `mm-model-id`: caikit's message, INVALID_ARGUMENT.
    static let missingModelId = CaikitError.badRequest("Please provide model_id in payload (gRPC metadata `mm-model-id`)")

    func textGeneration(_ request: ServerRequest<Caikit_Runtime_Nlp_TextGenerationTaskRequest>, _ context: ServerContext)
        async -> ServerResponse<CaikitDataModel_Nlp_GeneratedTextResult> {
        let start = ContinuousClock.now
        do {
            guard let id = Self.modelId(request.metadata) else { throw Self.missingModelId }
            let result = try await api.generate(try request.message.taskRequest(modelId: id))
            log("TextGenerationTaskPredict", context, nil, start)
            return ServerResponse(message: CaikitDataModel_Nlp_GeneratedTextResult(result))
        } catch {
            let e = CaikitError.from(error)
            log("TextGenerationTaskPredict", context, e, start)
            return ServerResponse(error: e.rpcError)
        }
    }

    func tokenization(_ request: ServerRequest<Caikit_Runtime_Nlp_TokenizationTaskRequest>, _ context: ServerContext)
        async -> ServerResponse<CaikitDataModel_Nlp_TokenizationResults> {
        let start = ContinuousClock.now
        do {
            guard let id = Self.modelId(request.metadata) else { throw Self.missingModelId }
            let result = try await api.tokenize(TaskRequest(modelId: id, inputs: request.message.text))
            var out = CaikitDataModel_Nlp_TokenizationResults()
            out.tokenCount = Int64(result.tokenCount)
            log("TokenizationTaskPredict", context, nil, start)
            return ServerResponse(message: out)
        } catch {
            let e = CaikitError.from(error)
            log("TokenizationTaskPredict", context, e, start)
            return ServerResponse(error: e.rpcError)
        }
    }

    /// Checks what can fail before the first message (model id, parameters, a full wait line) so
    /// those come back as a status with no messages; errors during generation end the stream with
    /// their status. A client that cancels stops the generation after the current token.
    func streamingTextGeneration(_ request: ServerRequest<Caikit_Runtime_Nlp_ServerStreamingTextGenerationTaskRequest>,
                                 _ context: ServerContext) async -> StreamingServerResponse<CaikitDataModel_Nlp_GeneratedTextStreamResult> {
        let rpc = "ServerStreamingTextGenerationTaskPredict", start = ContinuousClock.now
        let task: TaskRequest
        do {
            guard let id = Self.modelId(request.metadata) else { throw Self.missingModelId }
            task = try request.message.taskRequest(modelId: id)
            if let busy = await api.busyError() { throw busy }
        } catch {
            let e = CaikitError.from(error)
            log(rpc, context, e, start)
            return StreamingServerResponse(error: e.rpcError)
        }
        return StreamingServerResponse { writer in
            do {
                try await api.stream(task) { message in
                    try Task.checkCancellation()
                    try await writer.write(CaikitDataModel_Nlp_GeneratedTextStreamResult(message))
                }
            } catch is CancellationError {
                log(rpc, context, CaikitError(code: 499, details: "cancelled by the client"), start)
                throw RPCError(code: .cancelled, message: "cancelled by the client")
            } catch {
                let e = CaikitError.from(error)
                log(rpc, context, e, start)
                throw e.rpcError
            }
            log(rpc, context, nil, start)
            return [:]
        }
    }
}
