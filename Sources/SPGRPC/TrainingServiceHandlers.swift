// caikit's gRPC training services over the TrainingAPI the HTTP routes use:
// `caikit.runtime.Nlp.NlpTrainingService/TextGenerationTaskPeftPromptTuningTrain` (the request
// becomes caikit's JSON body and goes through the same validation and job engine) and
// `caikit.runtime.training.TrainingManagement` (GetTrainingStatus, CancelTraining). The service's
// other RPC, TextGenerationTaskTextGenerationTrain (caikit-nlp's fine-tuning module), is not
// registered: grpc-swift answers it UNIMPLEMENTED.

import Foundation
import GRPCCore
import GRPCProtobuf
import Logging
import SPJobs
import SPServer
import SwiftProtobuf

/// `caikit.runtime.Nlp.NlpTrainingService`: prompt-tuning submissions.
public struct NlpTrainingServiceHandler: RegistrableRPCService {
    let training: TrainingAPI
    let logger: Logger?

    public init(training: TrainingAPI, logger: Logger? = nil) {
        self.training = training
        self.logger = logger
    }

    public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: M.descriptor, deserializer: ProtobufDeserializer<M.Input>(), serializer: ProtobufSerializer<M.Output>()
        ) { request, context in
            let single = try await ServerRequest(stream: request)
            return StreamingServerResponse(single: await train(single.message, context))
        }
    }

    /// Queues the job (config's `softprompt.training.deploy` decides deployment, as caikit's
    /// proto has no such field): `TrainingJob{training_id, model_name}`, or INVALID_ARGUMENT
    /// naming the field with nothing queued.
    func train(_ request: M.Input, _ context: ServerContext) async -> ServerResponse<CaikitDataModel_Runtime_TrainingJob> {
        let start = ContinuousClock.now
        do {
            let body = Data(request.caikitJSON().dumps(ensureASCII: false).utf8)
            let job = try await training.submit(body, deploy: nil)
            var out = CaikitDataModel_Runtime_TrainingJob()
            out.trainingID = job.id
            out.modelName = job.modelName
            rpcLog(logger, "TextGenerationTaskPeftPromptTuningTrain", context, nil, start)
            return ServerResponse(message: out)
        } catch {
            let e = CaikitError.from(error)
            rpcLog(logger, "TextGenerationTaskPeftPromptTuningTrain", context, e, start)
            return ServerResponse(error: e.rpcError)
        }
    }

    typealias M = Caikit_Runtime_Nlp_NlpTrainingService.Method.TextGenerationTaskPeftPromptTuningTrain
}

/// `caikit.runtime.training.TrainingManagement`: status and cancel by `training_id`.
public struct TrainingManagementHandler: RegistrableRPCService {
    let training: TrainingAPI
    let logger: Logger?

    public init(training: TrainingAPI, logger: Logger? = nil) {
        self.training = training
        self.logger = logger
    }

    typealias M = Caikit_Runtime_Training_TrainingManagement.Method

    public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: M.GetTrainingStatus.descriptor, deserializer: ProtobufDeserializer<M.GetTrainingStatus.Input>(),
            serializer: ProtobufSerializer<M.GetTrainingStatus.Output>()
        ) { request, context in
            let single = try await ServerRequest(stream: request)
            return StreamingServerResponse(single: await answer("GetTrainingStatus", context, timestamps: true) {
                try await training.record(single.message.trainingID)
            })
        }
        router.registerHandler(
            forMethod: M.CancelTraining.descriptor, deserializer: ProtobufDeserializer<M.CancelTraining.Input>(),
            serializer: ProtobufSerializer<M.CancelTraining.Output>()
        ) { request, context in
            let single = try await ServerRequest(stream: request)
            return StreamingServerResponse(single: await answer("CancelTraining", context, timestamps: false) {
                try await training.cancelJob(single.message.trainingID)
            })
        }
    }

    /// caikit's `TrainingStatusResponse`; NOT_FOUND for an unknown id. CancelTraining carries no
    /// timestamps, as caikit's `cancel_training` builds its response from id, state and reasons only.
    func answer(_ rpc: String, _ context: ServerContext, timestamps: Bool,
                _ call: () async throws -> JobRecord) async -> ServerResponse<CaikitDataModel_Runtime_TrainingStatusResponse> {
        let start = ContinuousClock.now
        do {
            let r = try await call()
            rpcLog(logger, rpc, context, nil, start)
            return ServerResponse(message: Self.statusResponse(r, timestamps: timestamps))
        } catch {
            let e = CaikitError.from(error)
            rpcLog(logger, rpc, context, e, start)
            return ServerResponse(error: e.rpcError)
        }
    }

    /// The record as caikit's message: the state's enum number, timestamps to the microsecond
    /// (`completion_timestamp` only once terminal), the reasons.
    static func statusResponse(_ r: JobRecord, timestamps: Bool) -> CaikitDataModel_Runtime_TrainingStatusResponse {
        var out = CaikitDataModel_Runtime_TrainingStatusResponse()
        out.trainingID = r.id
        out.state = CaikitDataModel_Common_JobStatus(rawValue: r.state.number) ?? .placeholderUnset
        out.reasons = r.reasons
        if timestamps {
            out.submissionTimestamp = timestamp(r.submitted)
            if let c = r.completed { out.completionTimestamp = timestamp(c) }
        }
        return out
    }

    static func timestamp(_ d: Date) -> Google_Protobuf_Timestamp {
        let (seconds, nanos) = TrainingAPI.timestampParts(d)
        return Google_Protobuf_Timestamp(seconds: seconds, nanos: nanos)
    }
}

/// One log line per RPC, as the inference handlers write it.
func rpcLog(_ logger: Logger?, _ rpc: String, _ context: ServerContext, _ error: CaikitError?, _ start: ContinuousClock.Instant) {
    guard let logger else { return }
    let ms = (ContinuousClock.now - start) / .milliseconds(1)
    logger.info("rpc", metadata: ["method": "\(rpc)", "code": "\(error.map { "\($0.grpcCode)" } ?? "ok")",
                                  "peer": "\(context.remotePeer)", "ms": "\(Int(ms))"])
}
