// A caikit train request checked before a job exists: the body shape, `model_name`, the base
// model, every data path (inside the server's data directory, no `..`), and caikit's validation of
// the parameters and data (`PromptTuningJob.prepare`). A request refused here creates nothing.

import Foundation
import SPJSON
import SPPrompt
import SPService
import SPTuning

/// What the engine needs to know besides the request.
public struct JobEngineConfig: Sendable {
    /// Holds `jobs.sqlite` and each job's working area `jobs/<training_id>/` (checkpoint, the
    /// prompt being trained): nothing reaches the output before the job completes.
    public var workDirectory: URL
    /// caikit's `runtime.training.output_dir`: a completed job's prompt goes to
    /// `<output>/<training_id>/<model_name>`.
    public var outputDirectory: URL
    /// Deployed prompts are copied here (`runtime.local_models_dir`); nil: deploy refused.
    public var localModelsDir: String?
    /// caikit-nlp's `base_models_dir`.
    public var baseModelsDir: String?
    /// Data files named in requests are read from here (relative paths) and only from here.
    public var dataDirectory: URL
    /// Jobs trained at once (1 by default: the next job starts when the current one ends).
    public var maxConcurrentJobs = 1
    /// Deploy completed prompts unless the request says otherwise.
    public var deployByDefault = false
    /// caikit's `training_data_limit`.
    public var trainingDataLimit = TrainingDataLimit.unlimited
    /// caikit's `source_prompt_base`: multitask jobs' `prompt_tuning_init_source_model` is resolved
    /// under it and may not escape it (`SOURCE_PROMPT_BASE` in the environment wins, as in caikit).
    /// nil: the data directory, so a request never reads a prompt from elsewhere.
    public var sourcePromptBase: String?

    /// Creates a configuration; `outputDirectory` defaults to `<work>/training_output`.
    public init(workDirectory: URL, outputDirectory: URL? = nil, localModelsDir: String? = nil, baseModelsDir: String? = nil,
                dataDirectory: URL? = nil) {
        self.workDirectory = workDirectory
        self.outputDirectory = outputDirectory ?? workDirectory.appendingPathComponent("training_output")
        self.localModelsDir = localModelsDir
        self.baseModelsDir = baseModelsDir
        self.dataDirectory = dataDirectory ?? workDirectory
    }
}

/// A validated train request.
struct JobRequest {
    var modelName: String
    var job: PromptTuningJob

    /// Parses and validates `body` (caikit's `{"model_name", "parameters", "output_path"?}`); the
    /// job's output is `output` (the working area).
    /// - Throws: ``JobError/badRequest(_:)`` naming the field.
    /// - Parameter overwrite: the output may hold a prompt this job saved earlier (a resumed job's working area).
    static func parse(_ body: Data, config: JobEngineConfig, output: URL, overwrite: Bool = false) throws -> JobRequest {
        do {
            let value = try JSONValue.parse(json: body, source: "request body")
            guard case .object = value else { throw JobError.badRequest("the request body must be a JSON object") }
            guard let name = value["model_name"], case .string(let modelName) = name else {
                throw JobError.badRequest("model_name is required (a string): the name of the trained prompt")
            }
            try validateName(modelName)
            guard value["parameters"] != nil else { throw JobError.badRequest("parameters is required (caikit's train parameters)") }
            let p = try TuningParameters(json: value, source: "request body")
            try checkBaseModel(p.baseModel)
            var job = PromptTuningJob(parameters: p, output: output, baseModelsDir: config.baseModelsDir,
                                      dataDirectory: config.dataDirectory)
            job.limits = config.trainingDataLimit
            job.overwrite = overwrite
            for (field, stream) in [("train_stream", p.trainStream), ("val_stream", p.valStream)] {
                if let s = stream { try checkPaths(s, field: "parameters.\(field)", config: config) }
            }
            job.sourcePromptBase = config.sourcePromptBase ?? config.dataDirectory.path
            _ = try job.prepare()
            return JobRequest(modelName: modelName, job: job)
        } catch let e as JobError {
            throw e
        } catch {
            throw JobError.badRequest("\(error)")
        }
    }

    /// `model_name` becomes a directory name: letters, digits, `.`, `_`, `-`, no leading dot.
    static func validateName(_ name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !name.isEmpty, name.count <= 200, !name.hasPrefix("."), name.allSatisfy({ allowed.contains($0) }) else {
            throw JobError.badRequest(
                "model_name \(JSONValue.string(String(name.prefix(300))).dumps()) is not valid: use letters, digits, '.', '_' and '-' (it names the output directory)")
        }
    }

    /// caikit refuses `..` in a base model name (`resolve_base_model`); so do we.
    static func checkBaseModel(_ name: String) throws {
        if name.split(separator: "/").contains("..") {
            throw JobError.badRequest("parameters.base_model \(JSONValue.string(name).dumps()) contains '..'; name a model under base_models_dir")
        }
    }

    /// Every data path stays inside the data directory (after resolving symbolic links).
    static func checkPaths(_ stream: DataStreamSource, field: String, config: JobEngineConfig) throws {
        let root = config.dataDirectory.standardizedFileURL.resolvingSymlinksInPath().path
        for url in stream.paths(baseDirectory: config.dataDirectory) {
            let raw = url.path
            let resolved = url.standardizedFileURL.resolvingSymlinksInPath().path
            guard !raw.split(separator: "/").contains(".."), resolved == root || resolved.hasPrefix(root + "/") else {
                throw JobError.badRequest(
                    "\(field): \(JSONValue.string(raw).dumps()) is outside the server's training data directory \(root); put the data there and name it relative to it")
            }
            guard FileManager.default.fileExists(atPath: resolved) else {
                throw JobError.badRequest("\(field): data file \(JSONValue.string(raw).dumps()) does not exist under \(root)")
            }
        }
    }
}
