// Server reflection over the committed descriptors (what caikit-nlp-client and grpcurl use), and
// graceful shutdown of the gRPC server with an RPC in flight.

import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle
import SwiftProtobuf
@testable import SPGRPC
@testable import SPServer
import Testing

@Suite(.timeLimit(.minutes(3))) struct GRPCReflectionTests {
    typealias Alpha = Grpc_Reflection_V1alpha_ServerReflection
    typealias V1 = Grpc_Reflection_V1_ServerReflection

    /// One reflection exchange on a v1alpha stream.
    static func ask(_ client: GRPCTestClient, _ requests: [Grpc_Reflection_V1alpha_ServerReflectionRequest]) async throws
        -> [Grpc_Reflection_V1alpha_ServerReflectionResponse] {
        try await Alpha.Client(wrapping: client).serverReflectionInfo(requestProducer: { writer in
            for r in requests { try await writer.write(r) }
        }) { response in
            var out: [Grpc_Reflection_V1alpha_ServerReflectionResponse] = []
            for try await m in response.messages { out.append(m) }
            return out
        }
    }

    @Test func answersWhatCaikitNlpClientAsks() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withGRPCServer(f.config()) { client, _ in
            var list = Grpc_Reflection_V1alpha_ServerReflectionRequest()
            list.listServices = ""
            var symbol = Grpc_Reflection_V1alpha_ServerReflectionRequest()
            symbol.fileContainingSymbol = "caikit.runtime.Nlp.TextGenerationTaskRequest"
            var unknown = Grpc_Reflection_V1alpha_ServerReflectionRequest()
            unknown.fileContainingSymbol = "caikit.runtime.Nlp.NoSuchThing"
            var file = Grpc_Reflection_V1alpha_ServerReflectionRequest()
            file.fileByFilename = "infoservice.proto"
            let answers = try await Self.ask(client, [list, symbol, unknown, file])
            #expect(answers.count == 4)
            let names = answers[0].listServicesResponse.service.map(\.name)
            #expect(names == GRPCRuntime.serviceNames.sorted())
            let files = try answers[1].fileDescriptorResponse.fileDescriptorProto.map { try Google_Protobuf_FileDescriptorProto(serializedBytes: $0) }
            #expect(files.first?.name == "caikit.runtime.Nlp.textgenerationtaskrequest.proto")
            #expect(files.first?.messageType.first?.field.count == 20, "every run() parameter plus text")
            #expect(files.contains { $0.name == "caikit_data_model.caikit_nlp.exponentialdecaylengthpenalty.proto" }, "imports travel along")
            #expect(answers[1].originalRequest == symbol)
            #expect(answers[2].errorResponse.errorCode == Int32(RPCError.Code.notFound.rawValue))
            let info = try answers[3].fileDescriptorResponse.fileDescriptorProto.map { try Google_Protobuf_FileDescriptorProto(serializedBytes: $0) }
            #expect(info.first?.service.first?.name == "InfoService")
            let sent = Set(info.map(\.name))
            #expect(info.allSatisfy { Set($0.dependency).isSubset(of: sent) }, "every import of every file sent travels along")
            #expect(sent.contains("caikit_data_model.common.runtime.modelinfo.proto") && sent.contains("google/protobuf/struct.proto"))

            // v1: the same answers under the stable package name.
            var v1Request = Grpc_Reflection_V1_ServerReflectionRequest()
            v1Request.fileContainingSymbol = "caikit.runtime.Nlp.NlpService.ServerStreamingTextGenerationTaskPredict"
            let v1 = v1Request
            let v1Answer = try await V1.Client(wrapping: client).serverReflectionInfo(requestProducer: { try await $0.write(v1) }) { r in
                var out: [Grpc_Reflection_V1_ServerReflectionResponse] = []
                for try await m in r.messages { out.append(m) }
                return out
            }
            let v1Files = try v1Answer.first?.fileDescriptorResponse.fileDescriptorProto.map { try Google_Protobuf_FileDescriptorProto(serializedBytes: $0) }
            #expect(v1Files?.first?.name == "nlpservice.proto")
        }
    }

    @Test func indexCoversEveryDumpedProto() throws {
        let index = try CaikitDescriptors.index()
        let dumped = try FileManager.default.contentsOfDirectory(atPath: ServerFixture.repoRoot + "/api/protos")
        #expect(dumped.count >= 100)
        for name in dumped where name.hasSuffix(".proto") { #expect(index.contains(file: name), "\(name)") }
        #expect(index.file(containingSymbol: ".caikit_data_model.nlp.GeneratedTextResult") == "caikit_data_model.nlp.generatedtextresult.proto")
        #expect(index.file(containingSymbol: "caikit.runtime.Nlp.NlpTrainingService") == "nlptrainingservice.proto")
        #expect(index.extensionNumbers(of: "caikit.runtime.Nlp.TextGenerationTaskRequest") == [])
        #expect(index.extensionNumbers(of: "no.Such") == nil)
    }

    /// SIGTERM's path: the ServiceGroup's graceful shutdown lets an RPC in flight finish.
    @Test func gracefulShutdownFinishesInFlightRPC() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        // One slot, held by the test, so that the RPC is still waiting when shutdown begins.
        let api = InferenceAPI(config: f.config { $0.maxConcurrentRequests = 1 })
        let port = PortBox()
        let service = try GRPCServerService(api: api, port: 0, logger: Logger(label: "test")) { await port.set($0) }
        let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let p = try await port.wait()
            try await api.gate.enter()
            let rpc = Task {
                try await withGRPCClient(transport: try .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: p), transportSecurity: .plaintext)) {
                    try await Nlp.Client(wrapping: $0).textGenerationTaskPredict(generation("w1") { $0.maxNewTokens = 2 }, metadata: model("alpha"))
                }
            }
            while await api.gate.load.waiting == 0 { try await Task.sleep(for: .milliseconds(10)) }
            await group.triggerGracefulShutdown()
            try await Task.sleep(for: .milliseconds(100))
            await api.gate.leave()
            let answer = try await rpc.value
            #expect(answer.generatedTokens >= 1, "the in-flight RPC was answered during shutdown")
            try await tasks.waitForAll()
        }
    }
}
