// Every gRPC RPC we serve, over a real loopback HTTP/2 connection: the same results as the HTTP
// routes (same InferenceAPI calls), streaming, caikit's status codes, InfoService.

import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import HummingbirdTesting
import SPGeneration
@testable import SPGRPC
@testable import SPServer
import Testing

@Suite(.timeLimit(.minutes(3))) struct GRPCServiceTests {
    @Test func unaryStreamingAndTokenizationMatchHTTP() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        let body = #"{"model_id": "alpha", "inputs": "w1 w2", "parameters": {"max_new_tokens": 4, "min_new_tokens": 4, "decoding_method": "SAMPLING", "seed": 7, "top_k": 5}}"#
        // The HTTP routes' answers (the same InferenceAPI entry points the routes call).
        let http = InferenceAPI(config: f.config())
        func field(_ a: InferenceAPI.Answer, _ key: String) -> Any? {
            ((try? JSONSerialization.jsonObject(with: Data(a.body.utf8))) as? [String: Any])?[key]
        }
        let text = try #require(field(await http.textGeneration(Array(body.utf8)), "generated_text") as? String)
        let tokens = try #require(field(await http.tokenization(Array(#"{"model_id": "alpha", "inputs": "w1 w2 w3"}"#.utf8)), "token_count") as? Int)
        try await withGRPCServer(f.config()) { client, _ in
            let nlp = Nlp.Client(wrapping: client)
            let request = generation("w1 w2") {
                $0.maxNewTokens = 4
                $0.minNewTokens = 4
                $0.decodingMethod = "SAMPLING"
                $0.seed = 7
                $0.topK = 5
            }
            let unary = try await nlp.textGenerationTaskPredict(request, metadata: model("alpha"))
            #expect(unary.generatedText == text, "gRPC and HTTP give the same text")
            #expect(unary.generatedTokens == 4 && unary.finishReason == .maxTokens && unary.seed == 7)
            #expect(unary.producerID.name == ProducerId.peftPromptTuning.name)

            var s = Caikit_Runtime_Nlp_ServerStreamingTextGenerationTaskRequest()
            s.text = "w1 w2"
            s.maxNewTokens = 4
            s.minNewTokens = 4
            s.decodingMethod = "SAMPLING"
            s.seed = 7
            s.topK = 5
            s.preserveInputText = false
            let messages = try await nlp.serverStreamingTextGenerationTaskPredict(s, metadata: model("alpha")) { response in
                var out: [CaikitDataModel_Nlp_GeneratedTextStreamResult] = []
                for try await m in response.messages { out.append(m) }
                return out
            }
            #expect(messages.count == 4, "one message per token")
            #expect(messages.last?.details.finishReason == .maxTokens && messages.last?.details.generatedTokens == 4)
            var plain = request
            plain.preserveInputText = false
            let unaryPlain = try await nlp.textGenerationTaskPredict(plain, metadata: model("alpha"))
            #expect(messages.map(\.generatedText).joined() == unaryPlain.generatedText)

            var t = Caikit_Runtime_Nlp_TokenizationTaskRequest()
            t.text = "w1 w2 w3"
            let count = try await nlp.tokenizationTaskPredict(t, metadata: model("alpha"))
            #expect(count.tokenCount == Int64(tokens) && tokens == 3)
        }
    }

    @Test func caikitStatusCodes() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withGRPCServer(f.config { $0.maxNewTokens = 8 }) { client, _ in
            let nlp = Nlp.Client(wrapping: client)
            let ok = generation("w1") { $0.maxNewTokens = 2 }
            #expect(await rpcCode { _ = try await nlp.textGenerationTaskPredict(ok) } == .invalidArgument, "no mm-model-id")
            #expect(await rpcCode { _ = try await nlp.textGenerationTaskPredict(ok, metadata: model("nope")) } == .notFound)
            #expect(await rpcCode { _ = try await nlp.textGenerationTaskPredict(ok, metadata: model("../alpha")) } == .invalidArgument)
            #expect(await rpcCode { _ = try await nlp.textGenerationTaskPredict(ok, metadata: model("orphan")) } == .notFound,
                    "a prompt whose base model is nowhere is unloadable")
            for bad in [generation("w1") { $0.maxNewTokens = 9 }, generation("w1") { $0.maxNewTokens = -1 },
                        generation("w1") { $0.decodingMethod = "BEAM" }, generation("w1") { $0.topP = 2 },
                        generation("w1") { $0.temperature = -1; $0.decodingMethod = "SAMPLING" }] {
                #expect(await rpcCode { _ = try await nlp.textGenerationTaskPredict(bad, metadata: model("alpha")) } == .invalidArgument,
                        "\(bad)")
            }
            var s = Caikit_Runtime_Nlp_ServerStreamingTextGenerationTaskRequest()
            s.text = "w1"
            s.maxNewTokens = 100
            #expect(await rpcCode {
                try await nlp.serverStreamingTextGenerationTaskPredict(s, metadata: model("alpha")) { r in for try await _ in r.messages {} }
            } == .invalidArgument, "max_new_tokens above the server's cap")
            s.maxNewTokens = 2
            #expect(await rpcCode {
                try await nlp.serverStreamingTextGenerationTaskPredict(s, metadata: model("nope")) { r in for try await _ in r.messages {} }
            } == .notFound)
            #expect(await rpcCode { _ = try await nlp.textGenerationTaskPredict(ok, metadata: model("alpha")) } == nil, "still serving")
            #expect(await rpcCode {
                _ = try await nlp.embeddingTaskPredict(Caikit_Runtime_Nlp_EmbeddingTaskRequest(), metadata: model("alpha"))
            } == .unimplemented, "an RPC of another caikit-nlp module")
        }
    }

    @Test func fullWaitLineIsResourceExhausted() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withGRPCServer(f.config { $0.maxConcurrentRequests = 1; $0.maxQueuedRequests = 0 }) { client, api in
            let nlp = Nlp.Client(wrapping: client)
            try await api.gate.enter()
            let req = generation("w1") { $0.maxNewTokens = 1 }
            #expect(await rpcCode { _ = try await nlp.textGenerationTaskPredict(req, metadata: model("alpha")) } == .resourceExhausted)
            var s = Caikit_Runtime_Nlp_ServerStreamingTextGenerationTaskRequest()
            s.text = "w1"
            #expect(await rpcCode {
                try await nlp.serverStreamingTextGenerationTaskPredict(s, metadata: model("alpha")) { r in for try await _ in r.messages {} }
            } == .resourceExhausted)
            await api.gate.leave()
            #expect(await rpcCode { _ = try await nlp.textGenerationTaskPredict(req, metadata: model("alpha")) } == nil)
        }
    }

    @Test func infoService() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withGRPCServer(f.config()) { client, _ in
            let info = Caikit_Runtime_Info_InfoService.Client(wrapping: client)
            let version = try await info.getRuntimeInfo(CaikitDataModel_Common_Runtime_RuntimeInfoRequest())
            #expect(version.runtimeVersion == InferenceAPI.runtimeVersion)
            let all = try await info.getModelsInfo(CaikitDataModel_Common_Runtime_ModelInfoRequest())
            #expect(Set(all.models.map(\.name)) == ["alpha", "beta", "orphan"] && all.models.allSatisfy { !$0.loaded })
            _ = try await Nlp.Client(wrapping: client).textGenerationTaskPredict(generation("w1") { $0.maxNewTokens = 1 }, metadata: model("beta"))
            var one = CaikitDataModel_Common_Runtime_ModelInfoRequest()
            one.modelIds = ["beta"]
            let beta = try await info.getModelsInfo(one)
            #expect(beta.models.count == 1 && beta.models[0].loaded && beta.models[0].size > 0 && !beta.models[0].moduleID.isEmpty)
            one.modelIds = ["nope"]
            #expect(await rpcCode { _ = try await info.getModelsInfo(one) } == .notFound)
        }
    }
}
