// The training job engine: caikit's train / status / cancel over a SQLite store, one job at a time
// by default, each on its own thread (never on the server's event loop), resumed after a restart
// from the checkpoint the trainer saves after every epoch.
//
// A job's life: submit (validated, QUEUED) → RUNNING (trained in `jobs/<id>/` with the checkpoint
// beside the prompt) → COMPLETED (the prompt moved to `training_output/<id>/<model_name>`, copied into
// `local_models_dir` when deployed), CANCELED or ERRORED (the working area removed: no partial output).

import Foundation
import SPJSON
import SPPrompt
import SPService
import SPTuning
import Synchronization

/// Submit, status, cancel, list and watch training jobs. Thread-safe; the HTTP and gRPC handlers
/// call it directly.
///
/// ```swift
/// let engine = try JobEngine(config: JobEngineConfig(workDirectory: dir))
/// try engine.start()
/// let job = try engine.submit(body: requestJSON)
/// for await update in try engine.updates(job.id) { print(update.state, update.progress) }
/// ```
public final class JobEngine: Sendable {
    /// The configuration.
    public let config: JobEngineConfig
    /// The jobs database (`<work>/jobs.sqlite`).
    public let store: JobStore
    private let live = Mutex(Live())

    private struct Live {
        var started = false
        var running: [String: CancellationFlag] = [:]
        var watchers: [String: [UUID: AsyncStream<JobRecord>.Continuation]] = [:]
    }

    /// Opens the store under `config.workDirectory` (created if needed). Call ``start()`` to run jobs.
    public init(config: JobEngineConfig) throws {
        self.config = config
        do {
            try FileManager.default.createDirectory(at: config.workDirectory.appendingPathComponent("jobs"),
                                                    withIntermediateDirectories: true)
        } catch {
            throw JobError.storage("cannot create \(config.workDirectory.path)/jobs: \(error.localizedDescription)")
        }
        store = try JobStore(path: config.workDirectory.appendingPathComponent("jobs.sqlite").path)
    }

    /// Starts running jobs: those that were RUNNING when the process stopped resume from their last
    /// saved epoch, then QUEUED ones run in submission order.
    public func start() throws {
        live.withLock { $0.started = true }
        try pump()
    }

    /// Validates a caikit train request and queues it.
    /// - Parameter deploy: load the prompt into the serving set when done (nil: the config's default).
    /// - Throws: ``JobError/badRequest(_:)`` (nothing is stored) or ``JobError/storage(_:)``.
    public func submit(body: Data, deploy: Bool? = nil) throws -> JobRecord {
        let id = UUID().uuidString.lowercased()
        let request = try JobRequest.parse(body, config: config, output: workOutput(id, "probe"))
        let deploy = deploy ?? config.deployByDefault
        if deploy {
            guard let models = config.localModelsDir else {
                throw JobError.badRequest("deploy needs runtime.local_models_dir in the server config")
            }
            if FileManager.default.fileExists(atPath: models + "/" + request.modelName) {
                throw JobError.badRequest("a model named \(request.modelName) is already deployed in \(models); choose another model_name or undeploy it")
            }
        }
        let record = try store.insert(id: id, modelName: request.modelName,
                                      request: String(decoding: body, as: UTF8.self), deploy: deploy)
        try pump()
        return try store.job(id) ?? record
    }

    /// The job `id`.
    /// - Throws: ``JobError/notFound(_:)``.
    public func status(_ id: String) throws -> JobRecord {
        guard let r = try store.job(id) else { throw JobError.notFound(id) }
        return r
    }

    /// Every job, in submission order.
    public func list() throws -> [JobRecord] { try store.jobs() }

    /// Cancels `id`: a queued job at once, a running one before its next micro-batch (its working
    /// area is removed; nothing reaches the output). A finished job is returned unchanged.
    /// - Throws: ``JobError/notFound(_:)``.
    @discardableResult
    public func cancel(_ id: String) throws -> JobRecord {
        let r = try status(id)
        guard !r.state.isTerminal else { return r }
        if let flag = live.withLock({ $0.running[id] }) {
            flag.cancel()
        } else if try store.transition(id, to: .canceled, reason: "canceled by request") {
            publish(id)
        }
        return try status(id)
    }

    /// The job's record after every change (progress, state), ending after a terminal state.
    /// - Throws: ``JobError/notFound(_:)``.
    public func updates(_ id: String) throws -> AsyncStream<JobRecord> {
        let first = try status(id)
        let (stream, continuation) = AsyncStream<JobRecord>.makeStream(bufferingPolicy: .bufferingNewest(64))
        continuation.yield(first)
        if first.state.isTerminal {
            continuation.finish()
            return stream
        }
        let key = UUID()
        live.withLock { $0.watchers[id, default: [:]][key] = continuation }
        continuation.onTermination = { [weak self] _ in _ = self?.live.withLock { $0.watchers[id]?[key] = nil } }
        // A change between the first read and the registration is not lost: send the state again.
        if let now = try? store.job(id), now != first { publish(id) }
        return stream
    }

    /// Waits until `id` reaches a terminal state and returns it.
    public func wait(_ id: String) async throws -> JobRecord {
        var last = try status(id)
        for await r in try updates(id) { last = r }
        return last
    }

    // MARK: running

    /// Starts as many jobs as the limit allows: RUNNING ones (interrupted by a restart) first, then
    /// QUEUED, each in submission order.
    func pump() throws {
        let waiting = try store.jobs(in: [.running, .queued])
        let ordered = waiting.filter { $0.state == .running } + waiting.filter { $0.state == .queued }
        let toStart: [(JobRecord, CancellationFlag)] = live.withLock { l in
            guard l.started else { return [] }
            var picked: [(JobRecord, CancellationFlag)] = []
            for r in ordered where l.running.count < max(1, config.maxConcurrentJobs) && l.running[r.id] == nil {
                let flag = CancellationFlag()
                l.running[r.id] = flag
                picked.append((r, flag))
            }
            return picked
        }
        for (r, flag) in toStart {
            let thread = Thread { [self] in
                self.execute(r, cancel: flag)
                _ = self.live.withLock { $0.running[r.id] = nil }
                try? self.pump()
            }
            thread.stackSize = 16 << 20
            thread.name = "softprompt-job"
            thread.start()
        }
    }

    func area(_ id: String) -> URL { config.workDirectory.appendingPathComponent("jobs/\(id)") }
    func workOutput(_ id: String, _ name: String) -> URL { area(id).appendingPathComponent("output/\(name)") }
    func finalOutput(_ id: String, _ name: String) -> URL {
        config.outputDirectory.appendingPathComponent(id).appendingPathComponent(name)
    }

    /// Sends `id`'s current record to its watchers (and ends their streams on a terminal state).
    func publish(_ id: String) {
        guard let r = try? store.job(id) else { return }
        let targets = live.withLock { l -> [AsyncStream<JobRecord>.Continuation] in
            let c = Array((l.watchers[id] ?? [:]).values)
            if r.state.isTerminal { l.watchers[id] = nil }
            return c
        }
        for c in targets {
            c.yield(r)
            if r.state.isTerminal { c.finish() }
        }
    }
}
