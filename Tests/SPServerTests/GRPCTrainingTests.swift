// caikit's gRPC training services: the proto request maps onto the HTTP route's JSON body field by
// field; in process, every data-stream form trains and bad requests are INVALID_ARGUMENT naming the
// field with nothing queued; over a real loopback socket, a job trains to COMPLETED and is served
// by TextGenerationTaskPredict, and a canceled one answers CANCELED and leaves no output.

import Foundation
import GRPCCore
import GRPCInProcessTransport
import GRPCProtobuf
@testable import SPGRPC
@testable import SPServer
import SPJSON
import SwiftProtobuf
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct GRPCTrainingTests {
    /// Every parameter, the tuning config and each data-stream form become caikit's JSON names.
    @Test func everyFieldMapsToTheHTTPBody() throws {
        var r = trainRequest(name: "all") {
            $0.parameters.device = "cpu"
            $0.parameters.tuningType = "PROMPT_TUNING"
            $0.parameters.silenceProgressBars = false
            $0.parameters.seed = 5
            $0.parameters.tuningConfig.promptTuningInitSourceModel = "src"
            $0.parameters.tuningConfig.outputModelTypes = ["DECODER"]
        }
        var file = TrainStream()
        file.file.filename = "a.jsonl"
        r.parameters.valStream = file
        let json = r.caikitJSON()
        let p = try #require(json["parameters"])
        #expect(json["model_name"] == .string("all"))
        guard case .object(let fields) = p else { Issue.record("parameters is not an object"); return }
        #expect(fields.keys == ["base_model", "train_stream", "tuning_config", "val_stream", "device", "tuning_type", "num_epochs",
                                   "learning_rate", "verbalizer", "batch_size", "max_source_length", "max_target_length",
                                   "accumulate_steps", "torch_dtype", "silence_progress_bars", "seed"])
        #expect(p["tuning_config"]?.dumps() == #"{"num_virtual_tokens": 3, "prompt_tuning_init_text": "w1 w2", "prompt_tuning_init_method": "TEXT", "prompt_tuning_init_source_model": "src", "output_model_types": ["DECODER"]}"#)
        guard case .array(let records)? = p["train_stream"]?["jsondata"]?["data"] else { Issue.record("no jsondata"); return }
        #expect(records.count == 6 && records[0].dumps() == #"{"input": "w0 w2", "output": "w10"}"#)
        #expect(p["val_stream"]?.dumps() == #"{"file": {"filename": "a.jsonl"}}"#)
        #expect(p["num_epochs"] == .int(2) && p["learning_rate"] == .double(0.05) && p["seed"] == .int(5)
                && p["silence_progress_bars"] == .bool(false))
        var files = TrainStream(), dir = TrainStream(), s3 = TrainStream()
        files.listOfFiles.files = ["a.jsonl", "b.csv"]
        dir.directory.dirname = "d"
        dir.directory.extension = "jsonl"
        s3.s3Files.files = ["x"]
        #expect(files.caikitJSON().dumps() == #"{"list_of_files": {"files": ["a.jsonl", "b.csv"]}}"#)
        #expect(dir.caikitJSON().dumps() == #"{"directory": {"dirname": "d", "extension": "jsonl"}}"#)
        #expect(s3.caikitJSON().dumps() == #"{"s3files": {}}"#)
        #expect(TrainStream().caikitJSON().dumps() == "{}")
        // Unset optionals and proto3 defaults are left out (caikit's defaults apply).
        let bare = TrainRequest().caikitJSON()
        #expect(bare.dumps() == #"{"model_name": ""}"#)
    }

    @Test func everyDataStreamFormTrainsInProcess() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        let config = try f.trainingConfig(deploy: false)
        try FileManager.default.createDirectory(atPath: f.root + "/data/dir", withIntermediateDirectories: true)
        try trainJSONL.write(toFile: f.root + "/data/train.jsonl", atomically: true, encoding: .utf8)
        try trainJSONL.write(toFile: f.root + "/data/dir/part.jsonl", atomically: true, encoding: .utf8)
        try "ignored".write(toFile: f.root + "/data/dir/notes.txt", atomically: true, encoding: .utf8)
        let file = streamOf { $0.file.filename = "train.jsonl" }
        let files = streamOf { $0.listOfFiles.files = ["train.jsonl", "dir/part.jsonl"] }
        let dir = streamOf {
            $0.directory.dirname = "dir"
            $0.directory.extension = "jsonl"
        }
        try await withInProcessTraining(config) { client, training in
            let forms: [(String, TrainStream, Int)] = [("inline", inlineStream(), 6), ("file", file, 6), ("files", files, 12), ("dir", dir, 6)]
            for (name, stream, records) in forms {
                let job = try await TrainService.Client(wrapping: client).textGenerationTaskPeftPromptTuningTrain(
                    trainRequest(name: name, epochs: 1, stream: stream))
                #expect(job.modelName == name && UUID(uuidString: job.trainingID) != nil)
                let s = try await waitForGRPCTraining(client, job.trainingID)
                #expect(s.state == .completed, "\(name): \(s.reasons)")
                let r = try training.engine.status(job.trainingID)
                #expect(r.progress.steps == records / 2, "\(name): batch_size 2 over \(records) records")
                #expect(FileManager.default.fileExists(atPath: f.root + "/out/\(job.trainingID)/\(name)/config.yml"))
                // The stored request is caikit's JSON body (what a restart resumes from).
                let stored = try JSONValue.parse(json: Data(r.request.utf8), source: "stored")
                #expect(stored == trainRequest(name: name, epochs: 1, stream: stream).caikitJSON())
            }
        }
    }

    @Test func badRequestsAreInvalidArgumentAndQueueNothing() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try "secret".write(toFile: f.root + "/secret.jsonl", atomically: true, encoding: .utf8)
        let bad: [(TrainRequest, String)] = [
            (trainRequest { $0.parameters.baseModel = "no-such-base" }, "no-such-base"),
            (trainRequest { $0.parameters.baseModel = "" }, "base_model"),
            (trainRequest(name: "../../etc"), "model_name"),
            (trainRequest(stream: streamOf { $0.file.filename = "../secret.jsonl" }), "outside"),
            (trainRequest(stream: streamOf { $0.listOfFiles.files = ["/etc/passwd"] }), "outside"),
            (trainRequest(stream: streamOf { $0.directory.dirname = ".." }), "outside"),
            (trainRequest(stream: streamOf { $0.file.filename = "missing.jsonl" }), "does not exist"),
            (trainRequest(stream: streamOf { $0.s3Files.files = ["k"] }), "S3"),
            (trainRequest(stream: TrainStream()), "train_stream"),
            (trainRequest { $0.outputPath.path = "s3://bucket/out" }, "S3 output path not supported"),
            (trainRequest(epochs: -3), "num_epochs"),
            (trainRequest { $0.parameters.batchSize = 0 }, "batch_size"),
            (trainRequest { $0.parameters.learningRate = -1 }, "learning_rate"),
            (trainRequest { $0.parameters.tuningType = "LORA" }, "tuning_type"),
            (trainRequest {
                $0.parameters.tuningType = "MULTITASK_PROMPT_TUNING"
                $0.parameters.tuningConfig.promptTuningInitMethod = "ONLY_SOURCE_SHARED"
                $0.parameters.tuningConfig.promptTuningInitSourceModel = "../secret.jsonl"
            }, "escapes source_prompt_base"),
            (trainRequest {
                $0.parameters.tuningType = "MULTITASK_PROMPT_TUNING"
                $0.parameters.tuningConfig.promptTuningInitMethod = "AVERAGE_SOURCE_TASKS"
                $0.parameters.tuningConfig.promptTuningInitSourceModel = "absent"
            }, "source prompt file not found"),
            (trainRequest { $0.parameters.torchDtype = "int3" }, "torch_dtype"),
            (trainRequest { $0.parameters.tuningConfig.numVirtualTokens = 0 }, "num_virtual_tokens"),
            (trainRequest { $0.clearParameters() }, "parameters"),
        ]
        try await withInProcessTraining(try f.trainingConfig()) { (client, training) async throws in
            let train = TrainService.Client(wrapping: client)
            for (request, word) in bad {
                let failure = await rpcFailure { _ = try await train.textGenerationTaskPeftPromptTuningTrain(request) }
                #expect(failure?.code == .invalidArgument, "\(word): \(String(describing: failure))")
                #expect(failure?.message.contains(word) == true, "\(word): \(failure?.message ?? "accepted")")
            }
            #expect(try training.engine.list().isEmpty, "nothing queued")
            var unknown = CaikitDataModel_Runtime_TrainingInfoRequest()
            unknown.trainingID = "nope"
            let manage = Management.Client(wrapping: client)
            let status = await rpcFailure { _ = try await manage.getTrainingStatus(unknown) }
            #expect(status?.code == .notFound && status?.message.contains("Unknown training_id: nope") == true)
            #expect(await rpcFailure { _ = try await manage.cancelTraining(unknown) }?.code == .notFound)
            // The other training RPC (caikit-nlp's fine-tuning module) is not served.
            let other = await rpcFailure {
                _ = try await train.textGenerationTaskTextGenerationTrain(Caikit_Runtime_Nlp_TextGenerationTaskTextGenerationTrainRequest())
            }
            #expect(other?.code == .unimplemented)
        }
    }

    /// Over a real socket: train → COMPLETED with caikit's timestamps → deployed and served by gRPC
    /// generation; reflection lists the training services.
    @Test func loopbackTrainCompletesAndIsServed() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withLoopbackTraining(try f.trainingConfig()) { client, training in
            var list = Grpc_Reflection_V1alpha_ServerReflectionRequest()
            list.listServices = ""
            let names = try await GRPCReflectionTests.ask(client, [list])[0].listServicesResponse.service.map(\.name)
            #expect(names == (GRPCRuntime.serviceNames + GRPCRuntime.trainingServiceNames).sorted())

            let before = Date()
            let job = try await TrainService.Client(wrapping: client).textGenerationTaskPeftPromptTuningTrain(trainRequest())
            #expect(job.modelName == "grpc-pt")
            let s = try await waitForGRPCTraining(client, job.trainingID)
            #expect(s.state == .completed && s.reasons.isEmpty && s.trainingID == job.trainingID, "\(s.reasons)")
            #expect(s.hasSubmissionTimestamp && s.hasCompletionTimestamp)
            let submitted = s.submissionTimestamp.date, completed = s.completionTimestamp.date
            #expect(submitted >= before.addingTimeInterval(-1) && submitted <= completed && completed <= Date())
            #expect(s.submissionTimestamp.nanos % 1000 == 0, "caikit's timestamps hold whole microseconds")
            let r = try training.engine.status(job.trainingID)
            #expect(abs(submitted.timeIntervalSince(r.submitted)) < 2e-6 && abs(completed.timeIntervalSince(r.completed!)) < 2e-6)

            let g = try await Nlp.Client(wrapping: client).textGenerationTaskPredict(
                generation("w1 w3") { $0.maxNewTokens = 2 }, metadata: model("grpc-pt"))
            #expect(g.generatedTokens >= 1)
        }
    }

    /// Over a real socket: CancelTraining of a running job answers CANCELED; nothing is left.
    @Test func loopbackCancelAnswersCanceledAndLeavesNothing() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withLoopbackTraining(try f.trainingConfig()) { client, training in
            let job = try await TrainService.Client(wrapping: client).textGenerationTaskPeftPromptTuningTrain(
                trainRequest(name: "long", epochs: 500))
            var ask = CaikitDataModel_Runtime_TrainingInfoRequest()
            ask.trainingID = job.trainingID
            let manage = Management.Client(wrapping: client)
            while try await manage.getTrainingStatus(ask).state != .running { try await Task.sleep(for: .milliseconds(10)) }
            let c = try await manage.cancelTraining(ask)
            #expect(c.state == .canceled && c.trainingID == job.trainingID && c.reasons == ["canceled by request"])
            #expect(!c.hasSubmissionTimestamp && !c.hasCompletionTimestamp, "caikit's cancel answer carries no timestamps")
            let s = try await manage.getTrainingStatus(ask)
            #expect(s.state == .canceled && s.hasCompletionTimestamp)
            #expect(try training.engine.status(job.trainingID).progress.step < 500 * 3)
            #expect(try await manage.cancelTraining(ask).state == .canceled, "a second cancel changes nothing")
            #expect(!FileManager.default.fileExists(atPath: f.root + "/out/\(job.trainingID)"))
            #expect(!FileManager.default.fileExists(atPath: f.root + "/work/jobs/\(job.trainingID)"))
            #expect(!FileManager.default.fileExists(atPath: f.modelsDir + "/long"))
        }
    }

    /// caikit's ModelManagement in process: deploy a prompt from its bytes, serve it, undeploy it;
    /// an id in use, a bad file name, a user's directory and an unknown id are refused.
    @Test func modelManagementDeploysAndUndeploys() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        @Sendable func call<Req: SwiftProtobuf.Message & Sendable, Res: SwiftProtobuf.Message & Sendable>(
            _ client: GRPCClient<InProcessTransport.Client>, _ method: MethodDescriptor, _ request: Req, _: Res.Type) async throws -> Res {
            try await client.unary(request: ClientRequest(message: request), descriptor: method, serializer: ProtobufSerializer<Req>(),
                                   deserializer: ProtobufDeserializer<Res>(), options: .defaults) { try $0.message }
        }
        @Sendable func deployRequest(_ id: String, _ names: [String]) -> CaikitDataModel_Runtime_DeployModelRequest {
            var r = CaikitDataModel_Runtime_DeployModelRequest()
            r.modelID = id
            r.modelFiles = names.map { name in
                var file = CaikitDataModel_Common_File()
                file.filename = name
                file.data = (try? Data(contentsOf: URL(fileURLWithPath: f.modelsDir + "/alpha/" + name))) ?? Data()
                return file
            }
            return r
        }
        @Sendable func undeployRequest(_ id: String) -> CaikitDataModel_Runtime_UndeployModelRequest {
            var r = CaikitDataModel_Runtime_UndeployModelRequest()
            r.modelID = id
            return r
        }
        typealias H = ModelManagementHandler
        typealias Info = CaikitDataModel_Common_Runtime_ModelInfo
        typealias Undeploy = CaikitDataModel_Runtime_UndeployModelRequest
        let files = ["adapter_config.json", "adapter_model.safetensors"]
        try await withInProcessTraining(try f.trainingConfig()) { client, _ in
            let info = try await call(client, H.deployModel, deployRequest("gamma", files), Info.self)
            #expect(info.name == "gamma" && info.loaded && info.size > 0 && info.modelPath.hasSuffix("/gamma"))
            let g = try await Nlp.Client(wrapping: client).textGenerationTaskPredict(
                generation("w1") { $0.maxNewTokens = 1 }, metadata: model("gamma"))
            #expect(g.generatedTokens == 1)
            let again = await rpcFailure { _ = try await call(client, H.deployModel, deployRequest("gamma", files), Info.self) }
            #expect(again?.code == .alreadyExists)
            let evil = await rpcFailure { _ = try await call(client, H.deployModel, deployRequest("delta", ["../x"]), Info.self) }
            #expect(evil?.code == .invalidArgument && evil?.message.contains("model_files[0].filename") == true)
            let empty = await rpcFailure { _ = try await call(client, H.deployModel, deployRequest("delta", []), Info.self) }
            #expect(empty?.code == .invalidArgument && !FileManager.default.fileExists(atPath: f.modelsDir + "/delta"))
            let out = try await call(client, H.undeployModel, undeployRequest("gamma"), Undeploy.self)
            #expect(out.modelID == "gamma" && !FileManager.default.fileExists(atPath: f.modelsDir + "/gamma"))
            let user = await rpcFailure { _ = try await call(client, H.undeployModel, undeployRequest("alpha"), Undeploy.self) }
            #expect(user?.code == .invalidArgument && FileManager.default.fileExists(atPath: f.modelsDir + "/alpha"), "a user's model stays")
            #expect(await rpcFailure { _ = try await call(client, H.undeployModel, undeployRequest("gamma"), Undeploy.self) }?.code == .notFound)
        }
    }

    /// With training on, the server takes messages up to the training body limit (64 MiB by
    /// default) rather than grpc-swift's 4 MiB: a 5 MB request reaches validation.
    @Test func largeTrainRequestsReachValidation() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        let config = try f.trainingConfig()
        #expect(GRPCRuntime.maxRequestBytes(config, training: true) == 64 << 20)
        #expect(GRPCRuntime.maxRequestBytes(config, training: false) == 4 << 20)
        try await withLoopbackTraining(config) { client, training in
            var big = inlineStream()
            big.jsondata.data[0].input = String(repeating: "w1 ", count: 1_700_000)
            let request = trainRequest(epochs: -1, stream: big)
            let bytes: [UInt8] = try request.serializedBytes()
            #expect(bytes.count > 5_000_000)
            let failure = await rpcFailure { _ = try await TrainService.Client(wrapping: client).textGenerationTaskPeftPromptTuningTrain(request) }
            #expect(failure?.code == .invalidArgument && failure?.message.contains("num_epochs") == true, "\(String(describing: failure))")
            #expect(try training.engine.list().isEmpty)
        }
    }

    @Test func timestampsAreWrittenAsProtobufJSON() {
        #expect(TrainingAPI.timestamp(Date(timeIntervalSince1970: 1_700_000_000)) == "2023-11-14T22:13:20Z")
        #expect(TrainingAPI.timestamp(Date(timeIntervalSince1970: 1_700_000_000.25)) == "2023-11-14T22:13:20.250Z")
        #expect(TrainingAPI.timestamp(Date(timeIntervalSince1970: 1_700_000_000.123456)) == "2023-11-14T22:13:20.123456Z")
        let parts = TrainingAPI.timestampParts(Date(timeIntervalSince1970: 1_700_000_000.123456))
        #expect(parts.seconds == 1_700_000_000 && parts.nanos == 123_456_000)
    }
}
