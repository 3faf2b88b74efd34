// caikit's training and model-management API over the job engine (SPJobs), independent of the HTTP
// framework like `InferenceAPI`: `POST /api/v1/TextGenerationTaskPeftPromptTuningTrain`,
// `GET`/`DELETE /management/trainings?training_id=`, a progress stream, and
// `POST`/`DELETE /management/models`. The gRPC handlers can call the same engine.

import Foundation
import SPJobs
import SPJSON
import SPPrompt

/// The training routes' handlers: request bytes in, caikit-shaped answers out.
public struct TrainingAPI: Sendable {
    /// The engine the jobs run on.
    public let engine: JobEngine
    /// The serving set deployed prompts join (and undeployed ones leave).
    public let catalog: ModelCatalog

    /// caikit's train route (`names.get_train_rpc_name` of caikit-nlp's PeftPromptTuning).
    public static let trainRoute = "/api/v1/TextGenerationTaskPeftPromptTuningTrain"
    /// caikit's training management route (no `api/v1` prefix).
    public static let trainingsRoute = "/management/trainings"
    /// Our progress stream (Server-Sent Events), beside caikit's route.
    public static let progressRoute = "/management/trainings/progress"
    /// caikit's model management route.
    public static let modelsRoute = "/management/models"

    /// Creates the handlers.
    public init(engine: JobEngine, catalog: ModelCatalog) {
        self.engine = engine
        self.catalog = catalog
    }

    /// A complete answer (status, content type, body).
    public typealias Answer = InferenceAPI.Answer

    /// `POST /api/v1/TextGenerationTaskPeftPromptTuningTrain` (`?deploy=true|false` overrides the
    /// config's `softprompt.training.deploy`): `{"training_id", "model_name"}` or a 400 with nothing queued.
    public func train(_ body: [UInt8], deploy: String?) async -> Answer {
        do {
            let flag: Bool?
            switch deploy {
            case nil: flag = nil
            case "true", "1": flag = true
            case "false", "0": flag = false
            default: throw CaikitError.badRequest("deploy must be true or false, got \(JSONValue.string(deploy!).dumps())")
            }
            let job = try await offPool { try self.engine.submit(body: Data(body), deploy: flag) }
            return InferenceAPI.json(.object([("training_id", .string(job.id)), ("model_name", .string(job.modelName))]))
        } catch {
            return InferenceAPI.error(Self.caikit(error))
        }
    }

    /// `GET /management/trainings?training_id=`: caikit's `TrainingStatusResponse` plus `progress`;
    /// without `training_id`, every job (`{"trainings": [...]}`, ours).
    public func status(_ id: String?) async -> Answer {
        do {
            guard let id else {
                let all = try await offPool { try self.engine.list() }
                return InferenceAPI.json(.object([("trainings", .array(all.map(Self.statusJSON)))]))
            }
            let r = try await offPool { try self.engine.status(id) }
            return InferenceAPI.json(Self.statusJSON(r))
        } catch {
            return InferenceAPI.error(Self.caikit(error))
        }
    }

    /// `DELETE /management/trainings?training_id=`: cancels (a finished job keeps its state).
    public func cancel(_ id: String?) async -> Answer {
        do {
            guard let id else { throw CaikitError.badRequest("training_id is required (?training_id=…)") }
            let r = try await offPool { try self.engine.cancel(id) }
            return InferenceAPI.json(Self.statusJSON(r))
        } catch {
            return InferenceAPI.error(Self.caikit(error))
        }
    }

    /// `GET /management/trainings/progress?training_id=`: one `event: progress` (the status JSON)
    /// per change, the last one in a terminal state; an unknown id is a plain 404.
    public func progress(_ id: String?) -> InferenceAPI.StreamAnswer {
        let updates: AsyncStream<JobRecord>
        do {
            guard let id else { throw CaikitError.badRequest("training_id is required (?training_id=…)") }
            updates = try engine.updates(id)
        } catch {
            return .answer(InferenceAPI.error(Self.caikit(error)))
        }
        return .events { write in
            for await r in updates {
                try await write(InferenceAPI.sseEvent("progress", data: Self.statusJSON(r).dumps()))
            }
        }
    }

    /// caikit's `TrainingStatusResponse` fields, then ours.
    static func statusJSON(_ r: JobRecord) -> JSONValue {
        func stamp(_ d: Date?) -> JSONValue { d.map { .string(Self.timestamp($0)) } ?? .null }
        func number(_ x: Double?) -> JSONValue { x.map { .double($0) } ?? .null }
        let p = r.progress
        return .object([
            ("training_id", .string(r.id)), ("state", .string(r.state.rawValue)),
            ("submission_timestamp", stamp(r.submitted)), ("completion_timestamp", stamp(r.completed)),
            ("reasons", .array(r.reasons.map(JSONValue.string))),
            ("model_name", .string(r.modelName)), ("start_timestamp", stamp(r.started)),
            ("output_path", r.outputPath.map(JSONValue.string) ?? .null), ("deploy", .bool(r.deploy)),
            ("progress", .object([
                ("epoch", .int(p.epochsDone)), ("num_epochs", .int(p.epochs)), ("step", .int(p.step)),
                ("total_steps", .int(p.steps)), ("loss", number(p.loss)), ("eta_seconds", number(p.etaSeconds)),
            ])),
        ])
    }

    /// RFC 3339 in UTC with microseconds, as protobuf's JSON mapping writes a Timestamp.
    static func timestamp(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: d)
    }

    /// Engine errors as caikit answers them: bad request 400, unknown id 404, storage 500.
    static func caikit(_ error: any Error) -> CaikitError {
        switch error {
        case let e as CaikitError: return e
        case JobError.badRequest(let m): return .badRequest(m)
        case JobError.notFound(let id):
            return CaikitError(code: 404, details: "training_id \(id) not found; list trainings with GET /management/trainings")
        default: return CaikitError(code: 500, details: "\(error)")
        }
    }
}
