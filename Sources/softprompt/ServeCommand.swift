import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SPGRPC
import SPServer
import SPTensor

/// `softprompt serve`: caikit's inference API over HTTP and gRPC for the prompts under a models directory.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve caikit's inference API over HTTP and gRPC for the prompt directories under --local-models-dir.",
        discussion: """
            Routes (caikit runtime, caikit-nlp 0.5.15): POST /api/v1/task/text-generation, \
            POST /api/v1/task/server-streaming-text-generation (Server-Sent Events), \
            POST /api/v1/task/tokenization, GET /health, GET /info/version, GET /info/models, \
            GET /openapi.json; gRPC (port 8085): caikit.runtime.Nlp.NlpService (TextGenerationTaskPredict, \
            ServerStreamingTextGenerationTaskPredict, TokenizationTaskPredict; model id in the mm-model-id \
            metadata), caikit.runtime.info.InfoService and server reflection (v1alpha, v1); with training on, \
            caikit.runtime.Nlp.NlpTrainingService (TextGenerationTaskPeftPromptTuningTrain) and \
            caikit.runtime.training.TrainingManagement (GetTrainingStatus, CancelTraining). \
            training (docs/TRAINING_JOBS.md): POST /api/v1/TextGenerationTaskPeftPromptTuningTrain, GET/DELETE \
            /management/trainings?training_id=, GET /management/trainings/progress (SSE), POST/DELETE \
            /management/models; jobs are kept in softprompt.training.work_dir (SQLite) and resume after a restart. \
            A model id is a directory under local_models_dir (caikit config.yml + decoder.pt, or a PEFT \
            adapter); it is loaded on first use and its base model (base_models_dir, HF cache) is \
            loaded once for every prompt tuned on it. --config reads a caikit-style YAML file \
            (runtime.local_models_dir, runtime.http.port, runtime.http.host, runtime.grpc.port, \
            runtime.grpc.enabled, base_models_dir, and \
            softprompt.max_body_bytes / max_new_tokens / max_input_tokens / max_concurrent_requests / \
            max_queued_requests); flags override it. runtime.tls.server.key and server.cert (PEM) \
            turn on TLS for both servers; runtime.tls.client.cert (a CA) adds mTLS. SIGTERM or SIGINT stops the server after in-flight requests finish.
            """)

    @Option(help: "caikit-style YAML config file.") var config: String?
    @Option(help: "Directory of prompt directories, one per model id (caikit runtime.local_models_dir; default: models).")
    var localModelsDir: String?
    @Option(help: "Directory holding base models by name (caikit-nlp base_models_dir).") var baseModelsDir: String?
    @Option(help: "HTTP port (caikit runtime.http.port; default 8080; 0: any free port).") var httpPort: Int?
    @Option(help: "gRPC port (caikit runtime.grpc.port; default 8085; 0: any free port).") var grpcPort: Int?
    @Option(help: "Address to bind (default 127.0.0.1).") var host: String?
    @Option(help: "Threads for OpenBLAS and our pool (default: all cores).") var threads: Int?
    @Option(help: "Largest train or model-deploy request (HTTP body or gRPC message) in bytes (softprompt.training.max_body_bytes; default 67108864, 64 MiB; inference keeps softprompt.max_body_bytes).")
    var maxTrainBodyBytes: Int?

    func validate() throws {
        if let httpPort, !(0...65535).contains(httpPort) { throw ValidationError("--http-port must be in 0...65535, got \(httpPort)") }
        if let grpcPort, !(0...65535).contains(grpcPort) { throw ValidationError("--grpc-port must be in 0...65535, got \(grpcPort)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be ≥ 1, got \(threads)") }
        if let host, host.isEmpty { throw ValidationError("--host must not be empty") }
        if let maxTrainBodyBytes, !TrainingSettings.bodyLimitRange.contains(maxTrainBodyBytes) {
            let r = TrainingSettings.bodyLimitRange
            throw ValidationError("--max-train-body-bytes must be in \(r.lowerBound)...\(r.upperBound), got \(maxTrainBodyBytes)")
        }
    }

    func serverConfig() throws -> ServerConfig {
        var c = ServerConfig()
        if let config {
            let text: String
            do { text = try String(contentsOfFile: config, encoding: .utf8) } catch {
                throw ValidationError("--config \(config): cannot read it (\(error.localizedDescription))")
            }
            do { c = try ServerConfig.load(yaml: text) } catch { throw ValidationError("--config \(config): \(error)") }
        }
        if let localModelsDir { c.localModelsDir = localModelsDir }
        if let baseModelsDir { c.baseModelsDir = baseModelsDir }
        if let httpPort { c.httpPort = httpPort }
        if let grpcPort { c.grpcPort = grpcPort }
        if let host { c.host = host }
        if let maxTrainBodyBytes { c.training.maxBodyBytes = maxTrainBodyBytes }
        if let tls = c.tls {
            do { try tls.check() } catch { throw ValidationError("\(config.map { "--config \($0): " } ?? "")\(error)") }
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: c.localModelsDir, isDirectory: &isDir), isDir.boolValue else {
            throw ValidationError("local_models_dir \(c.localModelsDir) is not a directory; pass --local-models-dir DIR (one prompt directory per model id)")
        }
        return c
    }

    func run() async throws {
        try Runtime.configure(threads: threads)
        let config = try serverConfig()
        var logger = Logger(label: "softprompt.serve")
        logger.logLevel = .info
        let api = InferenceAPI(config: config)
        let ids = api.catalog.availableIds()
        logger.info("models", metadata: ["local_models_dir": "\(config.localModelsDir)", "ids": "\(ids.joined(separator: ","))"])
        let training = try TrainingAPI.start(config, catalog: api.catalog)
        if let training {
            let jobs = try training.pendingJobs()
            logger.info("training", metadata: ["work_dir": "\(config.training.workDir)", "pending_jobs": "\(jobs)"])
        }
        var alongside: [any Service] = []
        if config.grpcEnabled {
            alongside.append(try GRPCServerService(api: api, training: training, logger: logger) { port in
                FileHandle.standardError.write(Data("softprompt serve: gRPC on \(config.host):\(port)\n".utf8))
            })
        }
        try await HTTPServer.run(api, training: training, logger: logger, alongside: alongside) { port in
            FileHandle.standardError.write(Data("softprompt serve: listening on http://\(config.host):\(port)\n".utf8))
        }
    }
}
