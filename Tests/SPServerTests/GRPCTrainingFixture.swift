// gRPC training servers for tests: in process (grpc-swift's in-process transport) and over a real
// loopback socket (port 0), both with the HTTP server's TrainingAPI; and caikit train requests.

import Foundation
import GRPCCore
import GRPCInProcessTransport
import GRPCNIOTransportHTTP2
import Logging
@testable import SPGRPC
@testable import SPServer
import Testing

typealias TrainService = Caikit_Runtime_Nlp_NlpTrainingService
typealias Management = Caikit_Runtime_Training_TrainingManagement
typealias TrainRequest = Caikit_Runtime_Nlp_TextGenerationTaskPeftPromptTuningTrainRequest
typealias TrainStream = Caikit_Runtime_Nlp_DataStreamSourceGenerationTrainRecord

/// Runs `test` against every gRPC service (training on) over the in-process transport.
func withInProcessTraining(_ config: ServerConfig,
                           _ test: @escaping @Sendable (GRPCClient<InProcessTransport.Client>, TrainingAPI) async throws -> Void) async throws {
    let api = InferenceAPI(config: config)
    let training = try #require(try TrainingAPI.start(config, catalog: api.catalog))
    let transport = InProcessTransport()
    let services = GRPCRuntime.services(api, training: training, resolver: try GRPCRuntime.reflectionResolver(training: true), logger: nil)
    let server = GRPCServer(transport: transport.server, services: services)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.serve() }
        try await withGRPCClient(transport: transport.client) { client in try await test(client, training) }
        server.beginGracefulShutdown()
    }
}

/// Runs `test` with a client connected over loopback to `softprompt serve`'s gRPC service with training.
func withLoopbackTraining(_ config: ServerConfig,
                          _ test: @escaping @Sendable (GRPCTestClient, TrainingAPI) async throws -> Void) async throws {
    let api = InferenceAPI(config: config)
    let training = try #require(try TrainingAPI.start(config, catalog: api.catalog))
    let port = PortBox()
    let service = try GRPCServerService(api: api, training: training, port: 0, logger: Logger(label: "test")) { await port.set($0) }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await service.run() }
        let p = try await port.wait()
        try await withGRPCClient(transport: try .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: p), transportSecurity: .plaintext)) { client in
            try await test(client, training)
        }
        group.cancelAll()
    }
}

/// caikit's README train request on the tiny base model, as the proto (inline `jsondata` unless
/// `stream` is given); the same parameters as ``ServerFixture/trainBody(name:epochs:stream:extra:)``.
func trainRequest(name: String = "grpc-pt", epochs: Int64 = 2, stream: TrainStream? = nil,
                  _ edit: (inout TrainRequest) -> Void = { _ in }) -> TrainRequest {
    var r = TrainRequest()
    r.modelName = name
    var p = Caikit_Runtime_Nlp_TextGenerationTaskPeftPromptTuningTrainParameters()
    p.baseModel = "tiny"
    p.trainStream = stream ?? inlineStream()
    var tc = CaikitDataModel_CaikitNlp_TuningConfig()
    tc.numVirtualTokens = 3
    tc.promptTuningInitMethod = "TEXT"
    tc.promptTuningInitText = "w1 w2"
    p.tuningConfig = tc
    p.numEpochs = epochs
    p.learningRate = 0.05
    p.verbalizer = "{{input}}"
    p.batchSize = 2
    p.maxSourceLength = 32
    p.maxTargetLength = 8
    p.accumulateSteps = 1
    p.torchDtype = "float32"
    r.parameters = p
    edit(&r)
    return r
}

/// The six README-style records inline.
func inlineStream() -> TrainStream {
    var j = Caikit_Runtime_Nlp_DataStreamSourceGenerationTrainRecordJsonData()
    j.data = (0..<6).map { i in
        var rec = CaikitDataModel_CaikitNlp_GenerationTrainRecord()
        rec.input = "w\(i) w\(i + 2)"
        rec.output = "w\(10 + i % 3)"
        return rec
    }
    var s = TrainStream()
    s.jsondata = j
    return s
}

/// A data stream set by `edit`.
func streamOf(_ edit: (inout TrainStream) -> Void) -> TrainStream {
    var s = TrainStream()
    edit(&s)
    return s
}

/// The records of ``inlineStream()`` as JSON lines (for the file forms).
let trainJSONL = (0..<6).map { #"{"input": "w\#($0) w\#($0 + 2)", "output": "w\#(10 + $0 % 3)"}"# }.joined(separator: "\n") + "\n"

/// The training id's status by gRPC until it is terminal.
func waitForGRPCTraining<T: ClientTransport>(_ client: GRPCClient<T>, _ id: String) async throws
    -> CaikitDataModel_Runtime_TrainingStatusResponse {
    var ask = CaikitDataModel_Runtime_TrainingInfoRequest()
    ask.trainingID = id
    for _ in 0..<3000 {
        let s = try await Management.Client(wrapping: client).getTrainingStatus(ask)
        if [.completed, .canceled, .errored].contains(s.state) { return s }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw CancellationError()
}

/// The RPC's error (code and message), or nil when it succeeded.
func rpcFailure(_ body: () async throws -> Void) async -> (code: RPCError.Code, message: String)? {
    do {
        try await body()
        return nil
    } catch let e as RPCError {
        return (e.code, e.message)
    } catch {
        return (.unknown, "\(error)")
    }
}
