// The training routes in process (router) and over loopback: caikit's README train body trains the
// tiny model to COMPLETED, is deployed and answers text-generation; bad requests are 400s that queue
// nothing; status answers fast while a job trains; cancel ends in CANCELED with no output.

import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
@testable import SPServer
import Testing

extension ServerFixture {
    /// The fixture's config with training under `root/work`, outputs in `root/out`, data in `root/data`.
    func trainingConfig(deploy: Bool = true, _ edit: (inout ServerConfig) -> Void = { _ in }) throws -> ServerConfig {
        try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
        return config {
            $0.training.workDir = root + "/work"
            $0.training.outputDir = root + "/out"
            $0.training.dataDir = root + "/data"
            $0.training.deploy = deploy
            edit(&$0)
        }
    }

    /// caikit's README train request on the tiny base model (inline data).
    static func trainBody(name: String = "twitter-pt", epochs: Int = 2, stream: String? = nil, extra: String = "") -> String {
        let data = (0..<6).map { #"{"input": "w\#($0) w\#($0 + 2)", "output": "w\#(10 + $0 % 3)"}"# }
        let s = stream ?? #"{"data_stream": {"data": [\#(data.joined(separator: ", "))]}}"#
        return """
            {"model_name": "\(name)", \(extra)
             "parameters": {"base_model": "tiny", "train_stream": \(s),
               "tuning_config": {"num_virtual_tokens": 3, "prompt_tuning_init_method": "TEXT", "prompt_tuning_init_text": "w1 w2"},
               "num_epochs": \(epochs), "learning_rate": 0.05, "verbalizer": "{{input}}", "batch_size": 2,
               "max_source_length": 32, "max_target_length": 8, "accumulate_steps": 1, "torch_dtype": "float32"}}
            """
    }
}

/// Polls the status route until the job is in a terminal state.
func waitForTraining(_ client: any TestClientProtocol, _ id: String) async throws -> [String: Any] {
    for _ in 0..<3000 {
        let s = try await client.get("/management/trainings?training_id=\(id)").object
        if ["COMPLETED", "CANCELED", "ERRORED"].contains(s["state"] as? String ?? "") { return s }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw CancellationError()
}

@Suite(.serialized, .timeLimit(.minutes(3))) struct TrainingRouteTests {
    func withTraining(_ f: ServerFixture, _ config: ServerConfig,
                      _ test: @escaping @Sendable (any TestClientProtocol, TrainingAPI) async throws -> Void) async throws {
        let api = InferenceAPI(config: config)
        let training = try #require(try TrainingAPI.start(config, catalog: api.catalog))
        let app = Application(router: HTTPServer.router(api, training: training))
        try await app.test(.router) { client in try await test(client, training) }
    }

    @Test func readmeBodyTrainsDeploysAndServes() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withTraining(f, try f.trainingConfig()) { client, _ in
            let r = try await client.post(TrainingAPI.trainRoute, ServerFixture.trainBody())
            #expect(r.status == .ok, "\(r.text)")
            let id = try #require(r.object["training_id"] as? String)
            #expect(r.object["model_name"] as? String == "twitter-pt" && r.object.count == 2)
            let s = try await waitForTraining(client, id)
            #expect(s["state"] as? String == "COMPLETED", "\(s)")
            #expect(s["submission_timestamp"] is String && s["completion_timestamp"] is String && (s["reasons"] as? [Any])?.isEmpty == true)
            let p = try #require(s["progress"] as? [String: Any])
            #expect(p["epoch"] as? Int == 2 && p["step"] as? Int == 6 && p["total_steps"] as? Int == 6 && p["loss"] is Double)
            #expect(FileManager.default.fileExists(atPath: f.root + "/out/\(id)/twitter-pt/config.yml"))
            let g = try await client.post("/api/v1/task/text-generation",
                                          #"{"model_id": "twitter-pt", "inputs": "w1 w3", "parameters": {"max_new_tokens": 2}}"#)
            #expect(g.status == .ok && g.object["generated_tokens"] as? Int ?? 0 >= 1, "\(g.text)")
            // The progress stream of a finished job: one event, COMPLETED.
            let events = try await client.get(TrainingAPI.progressRoute + "?training_id=\(id)").events
            #expect(events.count == 1 && events[0].event == "progress" && events[0].data["state"] as? String == "COMPLETED")
            let list = try await client.get(TrainingAPI.trainingsRoute).object["trainings"] as? [[String: Any]]
            #expect(list?.count == 1)
        }
    }

    @Test func badRequestsAre400sAndQueueNothing() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try "secret".write(toFile: f.root + "/secret.jsonl", atomically: true, encoding: .utf8)
        try await withTraining(f, try f.trainingConfig()) { client, training in
            let body = ServerFixture.trainBody()
            let bad: [(String, String)] = [
                (body.replacingOccurrences(of: #""tiny""#, with: #""no-such-base""#), "no-such-base"),
                (ServerFixture.trainBody(name: "../../etc"), "model_name"),
                (ServerFixture.trainBody(stream: #"{"data_stream": {"filename": "../secret.jsonl"}}"#), "outside"),
                (ServerFixture.trainBody(stream: #"{"data_stream": {"files": ["/etc/passwd"]}}"#), "outside"),
                (ServerFixture.trainBody(stream: #"{"data_stream": {"filename": "missing.jsonl"}}"#), "does not exist"),
                (ServerFixture.trainBody(extra: #""output_path": {"path": "out"},"#), "S3 output path not supported"),
                (ServerFixture.trainBody(epochs: -3), "num_epochs"),
                (body.replacingOccurrences(of: #""learning_rate": 0.05"#, with: #""learning_rate": "fast""#), "learning_rate"),
                (body.replacingOccurrences(of: #""batch_size": 2"#, with: #""batch_size": 0"#), "batch_size"),
            ]
            for (b, word) in bad {
                let r = try await client.post(TrainingAPI.trainRoute, b)
                #expect(r.status == .badRequest, "\(r.text)")
                #expect(r.object["code"] as? Int == 400 && r.object["id"] is String)
                #expect((r.object["details"] as? String ?? "").contains(word), "\(r.text)")
            }
            #expect(try training.engine.list().isEmpty, "nothing queued")
            #expect(try await client.get("/management/trainings?training_id=nope").status == .notFound)
            #expect(try await client.execute(uri: "/management/trainings?training_id=nope", method: .delete).status == .notFound)
            #expect(try await client.execute(uri: "/management/trainings", method: .delete).status == .badRequest)
        }
    }

    /// Train and deploy bodies have their own limit (`softprompt.training.max_body_bytes`), apart
    /// from inference's: a 1.2 MB train body passes the 1 MiB inference limit (and is judged on its
    /// content), one over the training limit is a 413 naming the setting.
    @Test func trainingBodiesHaveTheirOwnLimit() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        let padding = String(repeating: " ", count: 1_200_000)
        let big = ServerFixture.trainBody(epochs: -3) + padding   // JSON whitespace: the body stays valid JSON
        try await withTraining(f, try f.trainingConfig { $0.training.maxBodyBytes = 2 << 20 }) { client, training in
            let r = try await client.post(TrainingAPI.trainRoute, big)
            #expect(r.status == .badRequest && (r.object["details"] as? String ?? "").contains("num_epochs"), "\(r.text.prefix(300))")
            let g = try await client.post("/api/v1/task/text-generation", #"{"model_id": "alpha", "inputs": "w1"}"# + padding)
            #expect(g.status.code == 413 && (g.object["details"] as? String ?? "").contains("softprompt.max_body_bytes"))
            #expect(try training.engine.list().isEmpty)
        }
        try await withTraining(f, try f.trainingConfig { $0.training.maxBodyBytes = 4096 }) { client, training in
            let r = try await client.post(TrainingAPI.trainRoute, ServerFixture.trainBody() + String(repeating: " ", count: 5000))
            #expect(r.status.code == 413 && (r.object["details"] as? String ?? "").contains("softprompt.training.max_body_bytes"), "\(r.text)")
            let d = try await client.post(TrainingAPI.modelsRoute, #"{"model_id": "x", "model_files": []}"# + String(repeating: " ", count: 5000))
            #expect(d.status.code == 413)
            #expect(try training.engine.list().isEmpty)
        }
        let c = try ServerConfig.load(yaml: "softprompt: {training: {max_body_bytes: 10485760}}")
        #expect(c.training.maxBodyBytes == 10 << 20 && ServerConfig().training.maxBodyBytes == 64 << 20)
        #expect { try ServerConfig.load(yaml: "softprompt: {training: {max_body_bytes: 10}}") } throws: {
            ($0 as? ServerConfig.Invalid)?.key == "softprompt.training.max_body_bytes"
        }
    }

    @Test func deployAndUndeployThroughManagement() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withTraining(f, try f.trainingConfig()) { client, _ in
            let files = try ["adapter_config.json", "adapter_model.safetensors"].map { name in
                let data = try Data(contentsOf: URL(fileURLWithPath: f.modelsDir + "/alpha/" + name))
                return #"{"filename": "\#(name)", "data": "\#(data.base64EncodedString())"}"#
            }
            let r = try await client.post(TrainingAPI.modelsRoute, #"{"model_id": "gamma", "model_files": [\#(files.joined(separator: ","))]}"#)
            #expect(r.status == .ok && r.object["loaded"] as? Bool == true, "\(r.text)")
            let g = try await client.post("/api/v1/task/text-generation", #"{"model_id": "gamma", "inputs": "w1", "parameters": {"max_new_tokens": 1}}"#)
            #expect(g.status == .ok)
            let again = try await client.post(TrainingAPI.modelsRoute, #"{"model_id": "gamma", "model_files": [\#(files[0])]}"#)
            #expect(again.status.code == 409)
            let evil = try await client.post(TrainingAPI.modelsRoute, #"{"model_id": "delta", "model_files": [{"filename": "../x", "data": ""}]}"#)
            #expect(evil.status == .badRequest)
            #expect(try await client.execute(uri: "/management/models?model_id=gamma", method: .delete).status == .ok)
            #expect(!FileManager.default.fileExists(atPath: f.modelsDir + "/gamma"))
            let gone = try await client.post("/api/v1/task/text-generation", #"{"model_id": "gamma", "inputs": "w1"}"#)
            #expect(gone.status == .notFound)
            let user = try await client.execute(uri: "/management/models?model_id=alpha", method: .delete)
            #expect(user.status == .badRequest && FileManager.default.fileExists(atPath: f.modelsDir + "/alpha"), "a user's model stays")
        }
    }

    /// Over loopback: status answers in < 50 ms while a job trains (the trainer is on its own
    /// thread), and cancel mid-epoch ends in CANCELED with no output.
    @Test func statusStaysFastDuringTrainingAndCancelLeavesNothing() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        let config = try f.trainingConfig()
        let api = InferenceAPI(config: config)
        let training = try #require(try TrainingAPI.start(config, catalog: api.catalog))
        let app = try HTTPServer.application(api, training: training, logger: Logger(label: "test"))
        try await app.test(.live) { client in
            let r = try await client.post(TrainingAPI.trainRoute, ServerFixture.trainBody(name: "long", epochs: 500))
            let id = try #require(r.object["training_id"] as? String)
            while try await client.get("/management/trainings?training_id=\(id)").object["state"] as? String != "RUNNING" {
                try await Task.sleep(for: .milliseconds(10))
            }
            // The median, not the worst: on a loaded 2-core CI machine (the whole suite runs in
            // parallel) one call can wait for a core whatever the server does.
            var times: [Duration] = []
            for _ in 0..<21 {
                let t0 = ContinuousClock.now
                let s = try await client.get("/management/trainings?training_id=\(id)")
                times.append(ContinuousClock.now - t0)
                #expect(s.status == .ok)
                try await Task.sleep(for: .milliseconds(20))
            }
            times.sort()
            #expect(times[10] < .milliseconds(50), "status during training: median \(times[10]), slowest \(times[20])")
            let c = try await client.execute(uri: "/management/trainings?training_id=\(id)", method: .delete)
            #expect(c.status == .ok)
            let s = try await waitForTraining(client, id)
            #expect(s["state"] as? String == "CANCELED" && (s["reasons"] as? [String]) == ["canceled by request"])
            #expect(!FileManager.default.fileExists(atPath: f.root + "/out/\(id)"))
            #expect(!FileManager.default.fileExists(atPath: f.root + "/work/jobs/\(id)"))
            #expect(!FileManager.default.fileExists(atPath: f.modelsDir + "/long"))
        }
    }
}
