// caikit's `caikit.runtime.models.ModelManagement` (caikit/runtime/names.py
// MODEL_MANAGEMENT_SERVICE_SPEC): DeployModel(DeployModelRequest) → ModelInfo and
// UndeployModel(UndeployModelRequest) → UndeployModelRequest, over the same TrainingAPI calls as
// `POST`/`DELETE /management/models`. The dumped protos (api/protos) hold the messages but not this
// service (caikit adds it only with model management on), so its method descriptors are written
// here and server reflection does not list it; a client with the messages' types calls it by name.

import Foundation
import GRPCCore
import GRPCProtobuf
import Logging
import SPPrompt
import SPServer

/// `caikit.runtime.models.ModelManagement`: deploy a prompt from its file bytes, undeploy it.
public struct ModelManagementHandler: RegistrableRPCService {
    let training: TrainingAPI
    let logger: Logger?

    public init(training: TrainingAPI, logger: Logger? = nil) {
        self.training = training
        self.logger = logger
    }

    /// The service's fully-qualified name.
    public static let serviceName = "caikit.runtime.models.ModelManagement"
    /// DeployModel's descriptor.
    public static let deployModel = MethodDescriptor(fullyQualifiedService: serviceName, method: "DeployModel", type: .unary)
    /// UndeployModel's descriptor.
    public static let undeployModel = MethodDescriptor(fullyQualifiedService: serviceName, method: "UndeployModel", type: .unary)

    public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: Self.deployModel, deserializer: ProtobufDeserializer<CaikitDataModel_Runtime_DeployModelRequest>(),
            serializer: ProtobufSerializer<CaikitDataModel_Common_Runtime_ModelInfo>()
        ) { request, context in
            let single = try await ServerRequest(stream: request)
            return StreamingServerResponse(single: await deploy(single.message, context))
        }
        router.registerHandler(
            forMethod: Self.undeployModel, deserializer: ProtobufDeserializer<CaikitDataModel_Runtime_UndeployModelRequest>(),
            serializer: ProtobufSerializer<CaikitDataModel_Runtime_UndeployModelRequest>()
        ) { request, context in
            let single = try await ServerRequest(stream: request)
            return StreamingServerResponse(single: await undeploy(single.message, context))
        }
    }

    /// Writes and loads the prompt; caikit's `ModelInfo` of it. INVALID_ARGUMENT naming the field,
    /// ALREADY_EXISTS for an id in use.
    func deploy(_ request: CaikitDataModel_Runtime_DeployModelRequest, _ context: ServerContext)
        async -> ServerResponse<CaikitDataModel_Common_Runtime_ModelInfo> {
        let start = ContinuousClock.now
        do {
            let m = try await training.deployModel(id: request.modelID, files: request.modelFiles.map { ($0.filename, $0.data) })
            var info = CaikitDataModel_Common_Runtime_ModelInfo()
            info.modelPath = m.path
            info.name = m.name
            info.size = Int64(m.size)
            info.loaded = true
            info.moduleID = CaikitModule.moduleID
            info.moduleMetadata = ["name": CaikitModule.name, "version": CaikitModule.version]
            rpcLog(logger, "DeployModel", context, nil, start)
            return ServerResponse(message: info)
        } catch {
            let e = CaikitError.from(error)
            rpcLog(logger, "DeployModel", context, e, start)
            return ServerResponse(error: e.rpcError)
        }
    }

    /// Unloads and removes a prompt the runtime deployed; NOT_FOUND for an unknown id,
    /// INVALID_ARGUMENT for a directory the runtime did not deploy (never deleted).
    func undeploy(_ request: CaikitDataModel_Runtime_UndeployModelRequest, _ context: ServerContext)
        async -> ServerResponse<CaikitDataModel_Runtime_UndeployModelRequest> {
        let start = ContinuousClock.now
        do {
            try await training.undeployModel(request.modelID)
            var out = CaikitDataModel_Runtime_UndeployModelRequest()
            out.modelID = request.modelID
            rpcLog(logger, "UndeployModel", context, nil, start)
            return ServerResponse(message: out)
        } catch {
            let e = CaikitError.from(error)
            rpcLog(logger, "UndeployModel", context, e, start)
            return ServerResponse(error: e.rpcError)
        }
    }
}
