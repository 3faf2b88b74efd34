// Training settings of `softprompt serve`: caikit's `runtime.training.output_dir`, and ours under
// `softprompt.training` (where the job database and working areas live, where request data may be
// read from, how many jobs train at once, whether finished prompts are deployed).

import Foundation
import SPJobs

/// The training part of ``ServerConfig``.
public struct TrainingSettings: Sendable, Equatable {
    /// Serve the training routes (`softprompt.training.enabled`).
    public var enabled = true
    /// caikit `runtime.training.output_dir`: completed prompts go to `<output_dir>/<training_id>/<model_name>`.
    public var outputDir = "training_output"
    /// `softprompt.training.work_dir`: `jobs.sqlite` and each job's working area.
    public var workDir = "training_jobs"
    /// `softprompt.training.data_dir`: data files named in requests are read from here only
    /// (default: the server's working directory).
    public var dataDir = "."
    /// `softprompt.training.max_concurrent`: jobs trained at once.
    public var maxConcurrent = 1
    /// `softprompt.training.deploy`: deploy completed prompts into local_models_dir unless the
    /// request says `?deploy=false`.
    public var deploy = false
    /// `softprompt.training.max_body_bytes` (`serve --max-train-body-bytes`): the largest train or
    /// model-deploy request body, apart from inference's `softprompt.max_body_bytes` (1 MiB), as
    /// inline training data and model files are bigger. Also raises the gRPC server's message limit
    /// (4 MiB by default) to this size.
    public var maxBodyBytes = 64 << 20
    /// caikit-nlp's top-level `source_prompt_base`: multitask jobs' `prompt_tuning_init_source_model`
    /// is read under it and may not escape it (nil: the data directory; `SOURCE_PROMPT_BASE` in
    /// the environment wins, as in caikit).
    public var sourcePromptBase: String?

    /// The config key (and flag) that sets ``maxBodyBytes``, for error messages.
    public static let bodyLimitSetting = "softprompt.training.max_body_bytes, serve --max-train-body-bytes"
    /// The accepted range of ``maxBodyBytes``.
    public static let bodyLimitRange = 1024...(1 << 31)

    public init() {}
}

extension ServerConfig {
    mutating func readTrainingRuntime(_ v: Any) throws {
        for (k, x) in try mapping(v, "runtime.training") {
            let key = "runtime.training." + k
            switch k {
            case "output_dir": training.outputDir = try Self.string(x, key) ?? training.outputDir
            case "save_with_id":
                guard x as? Bool == true else { throw Invalid(key: key, reason: "only true is supported (outputs go to output_dir/<training_id>/<model_name>)") }
            default: throw Invalid(key: key, reason: "unknown key (supported: output_dir, save_with_id: true)")
            }
        }
    }

    mutating func readTraining(_ v: Any) throws {
        for (k, x) in try mapping(v, "softprompt.training") {
            let key = "softprompt.training." + k
            switch k {
            case "enabled":
                guard let b = x as? Bool else { throw Invalid(key: key, reason: "must be true or false") }
                training.enabled = b
            case "work_dir": training.workDir = try Self.string(x, key) ?? training.workDir
            case "data_dir": training.dataDir = try Self.string(x, key) ?? training.dataDir
            case "max_concurrent": training.maxConcurrent = try Self.int(x, key, 1...64)
            case "max_body_bytes": training.maxBodyBytes = try Self.int(x, key, TrainingSettings.bodyLimitRange)
            case "deploy":
                guard let b = x as? Bool else { throw Invalid(key: key, reason: "must be true or false") }
                training.deploy = b
            default:
                throw Invalid(key: key, reason: "unknown key (supported: enabled, work_dir, data_dir, max_concurrent, max_body_bytes, deploy)")
            }
        }
    }
}

extension TrainingAPI {
    /// The training API of a server with `config` (nil when `softprompt.training.enabled` is
    /// false), its engine started: jobs left RUNNING or QUEUED by an earlier process run now.
    public static func start(_ config: ServerConfig, catalog: ModelCatalog) throws -> TrainingAPI? {
        guard config.training.enabled else { return nil }
        var c = JobEngineConfig(workDirectory: URL(fileURLWithPath: config.training.workDir),
                                outputDirectory: URL(fileURLWithPath: config.training.outputDir),
                                localModelsDir: config.localModelsDir, baseModelsDir: config.baseModelsDir,
                                dataDirectory: URL(fileURLWithPath: config.training.dataDir))
        c.maxConcurrentJobs = config.training.maxConcurrent
        c.deployByDefault = config.training.deploy
        c.sourcePromptBase = config.training.sourcePromptBase
        let engine = try JobEngine(config: c)
        try engine.start()
        return TrainingAPI(engine: engine, catalog: catalog)
    }

    /// Jobs not finished yet (QUEUED or RUNNING).
    public func pendingJobs() throws -> Int { try engine.list().filter { !$0.state.isTerminal }.count }
}
