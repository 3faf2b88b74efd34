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
            let job = try await submit(Data(body), deploy: flag)
            return InferenceAPI.json(.object([("training_id", .string(job.id)), ("model_name", .string(job.modelName))]))
        } catch {
            return InferenceAPI.error(Self.caikit(error))
        }
    }

    /// Validates a caikit train request body (JSON) and queues it, off the event loop: the call
    /// behind the HTTP route and the gRPC `TextGenerationTaskPeftPromptTuningTrain`.
    /// - Parameter deploy: nil takes the config's `softprompt.training.deploy`.
    /// - Throws: ``CaikitError`` (400 naming the field: nothing was queued; 500 for storage).
    public func submit(_ body: Data, deploy: Bool?) async throws -> JobRecord {
        do { return try await offPool { try self.engine.submit(body: body, deploy: deploy) } } catch { throw Self.caikit(error) }
    }

    /// The job `id` (404 when unknown), for the status calls of both servers.
    public func record(_ id: String) async throws -> JobRecord {
        do { return try await offPool { try self.engine.status(id) } } catch { throw Self.caikit(error) }
    }

    /// Cancels `id` and returns its record once the job has stopped (404 when unknown; a finished
    /// job is unchanged). A running job stops at its next micro-batch: the answer waits for that
    /// up to `wait`, then gives the state as it is (RUNNING until the batch ends).
    public func cancelJob(_ id: String, wait: Duration = .seconds(10)) async throws -> JobRecord {
        do {
            let r = try await offPool { try self.engine.cancel(id) }
            if r.state.isTerminal { return r }
            let updates = try engine.updates(id)
            let stopped = await withTaskGroup(of: JobRecord?.self) { group in
                group.addTask {
                    var last: JobRecord?
                    for await u in updates { last = u }
                    return last?.state.isTerminal == true ? last : nil
                }
                group.addTask {
                    try? await Task.sleep(for: wait)
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
            if let stopped { return stopped }
            return try await offPool { try self.engine.status(id) }
        } catch {
            throw Self.caikit(error)
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
            return InferenceAPI.json(Self.statusJSON(try await record(id)))
        } catch {
            return InferenceAPI.error(Self.caikit(error))
        }
    }

    /// `DELETE /management/trainings?training_id=`: cancels (a finished job keeps its state) and
    /// answers once the job has stopped (see ``cancelJob(_:wait:)``).
    public func cancel(_ id: String?) async -> Answer {
        do {
            guard let id else { throw CaikitError.badRequest("training_id is required (?training_id=…)") }
            return InferenceAPI.json(Self.statusJSON(try await cancelJob(id)))
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

    /// `d` as caikit sends a timestamp: `datetime_to_proto` keeps whole microseconds
    /// (`seconds = int(ts)`, `nanos = microsecond * 1000`); the stored time (a double) is rounded
    /// to the nearest microsecond.
    public static func timestampParts(_ d: Date) -> (seconds: Int64, nanos: Int32) {
        let micros = (d.timeIntervalSince1970 * 1e6).rounded()
        let seconds = (micros / 1e6).rounded(.down)
        return (Int64(seconds), Int32(micros - seconds * 1e6) * 1000)
    }

    /// RFC 3339 in UTC as protobuf's `Timestamp.ToJsonString` writes it (caikit's `to_json`):
    /// no fraction when it is zero, else 3, 6 or 9 digits.
    static func timestamp(_ d: Date) -> String {
        let (seconds, nanos) = timestampParts(d)
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        let whole = f.string(from: Date(timeIntervalSince1970: Double(seconds)))
        guard nanos != 0 else { return whole }
        let digits = nanos % 1_000_000 == 0 ? 3 : nanos % 1000 == 0 ? 6 : 9
        let fraction = String(String(format: "%09d", nanos).prefix(digits))
        return String(whole.dropLast()) + "." + fraction + "Z"
    }

    /// Engine errors as caikit answers them: bad request 400, unknown id 404, storage 500.
    static func caikit(_ error: any Error) -> CaikitError {
        switch error {
        case let e as CaikitError: return e
        case JobError.badRequest(let m): return .badRequest(m)
        case JobError.notFound(let id):
            return CaikitError(code: 404, details: "Unknown training_id: \(id) (list trainings with GET /management/trainings)")
        default: return CaikitError(code: 500, details: "\(error)")
        }
    }
}
