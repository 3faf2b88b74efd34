// The jobs table in SQLite through GRDB: a WAL database (readers never wait for the writer, a kill
// at any point leaves the last committed transaction), `synchronous = FULL`, one transaction per
// change, and a schema migrated in place.

import Foundation
import GRDB

/// Errors of the job engine; every case says what to do.
public enum JobError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The request is refused before a job is created (HTTP 400).
    case badRequest(String)
    /// No job has this id (HTTP 404).
    case notFound(String)
    /// The database or the working directory failed.
    case storage(String)

    public var description: String {
        switch self {
        case .badRequest(let m): return m
        case .notFound(let id): return "no training with training_id \(id); list them with `softprompt jobs list`"
        case .storage(let m): return "job store: \(m)"
        }
    }
}

/// The SQLite store of every job. Thread-safe: any thread may call it.
public final class JobStore: Sendable {
    /// The database file.
    public let path: String
    private let pool: DatabasePool

    /// Opens (creating and migrating) `path`.
    /// - Throws: ``JobError/storage(_:)`` when the file cannot be opened or is not a job database.
    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        config.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: config)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(sql: """
                    CREATE TABLE job (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        model_name TEXT NOT NULL,
                        request TEXT NOT NULL,
                        deploy INTEGER NOT NULL,
                        state TEXT NOT NULL,
                        submitted REAL NOT NULL,
                        started REAL,
                        completed REAL,
                        reasons TEXT NOT NULL DEFAULT '[]',
                        epochs_done INTEGER NOT NULL DEFAULT 0,
                        epochs INTEGER NOT NULL DEFAULT 0,
                        step INTEGER NOT NULL DEFAULT 0,
                        steps INTEGER NOT NULL DEFAULT 0,
                        loss REAL,
                        eta REAL,
                        output_path TEXT
                    )
                    """)
            }
            try migrator.migrate(pool)
        } catch {
            throw JobError.storage("cannot open \(path): \(error); move it aside to start with no jobs")
        }
    }

    /// Adds a QUEUED job and returns it with its sequence number.
    public func insert(id: String, modelName: String, request: String, deploy: Bool, at date: Date = Date()) throws -> JobRecord {
        try write { db in
            try db.execute(sql: "INSERT INTO job (id, model_name, request, deploy, state, submitted) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [id, modelName, request, deploy, JobState.queued.rawValue, date.timeIntervalSince1970])
            return JobRecord(id: id, seq: Int(db.lastInsertedRowID), modelName: modelName, request: request, deploy: deploy,
                             state: .queued, submitted: date)
        }
    }

    /// The job `id`, if any.
    public func job(_ id: String) throws -> JobRecord? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM job WHERE id = ?", arguments: [id]).map(Self.record) }
    }

    /// Every job in submission order (`states` nil: all).
    public func jobs(in states: [JobState]? = nil) throws -> [JobRecord] {
        try read { db in
            let all = try Row.fetchAll(db, sql: "SELECT * FROM job ORDER BY seq").map(Self.record)
            return states.map { s in all.filter { s.contains($0.state) } } ?? all
        }
    }

    /// Moves `id` to `state` (only from a non-terminal state; returns false otherwise), stamping
    /// the start or completion time and appending `reason`.
    @discardableResult
    public func transition(_ id: String, to state: JobState, reason: String? = nil, outputPath: String? = nil,
                           at date: Date = Date()) throws -> Bool {
        try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM job WHERE id = ?", arguments: [id]) else { return false }
            let current = Self.record(row)
            guard !current.state.isTerminal else { return false }
            var reasons = current.reasons
            if let reason { reasons.append(reason) }
            let t = date.timeIntervalSince1970
            try db.execute(sql: """
                UPDATE job SET state = ?, reasons = ?, output_path = COALESCE(?, output_path),
                    started = CASE WHEN ? = 'RUNNING' AND started IS NULL THEN ? ELSE started END,
                    completed = CASE WHEN ? IN ('COMPLETED', 'CANCELED', 'ERRORED') THEN ? ELSE completed END
                WHERE id = ?
                """, arguments: [state.rawValue, Self.encode(reasons), outputPath, state.rawValue, t, state.rawValue, t, id])
            return true
        }
    }

    /// Records `id`'s progress.
    public func setProgress(_ id: String, _ p: JobProgress) throws {
        try write { db in
            try db.execute(sql: "UPDATE job SET epochs_done = ?, epochs = ?, step = ?, steps = ?, loss = ?, eta = ? WHERE id = ?",
                           arguments: [p.epochsDone, p.epochs, p.step, p.steps, p.loss, p.etaSeconds, id])
        }
    }

    /// SQLite's `PRAGMA integrity_check` ("ok" for a sound database).
    public func integrityCheck() throws -> String {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch { throw JobError.storage("\(path): \(error)") }
    }

    private func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch { throw JobError.storage("\(path): \(error)") }
    }

    static func record(_ r: Row) -> JobRecord {
        func date(_ c: String) -> Date? { (r[c] as Double?).map(Date.init(timeIntervalSince1970:)) }
        let reasonsText: String = r["reasons"]
        return JobRecord(
            id: r["id"], seq: r["seq"], modelName: r["model_name"], request: r["request"], deploy: r["deploy"],
            state: JobState(rawValue: r["state"]) ?? .errored, submitted: date("submitted") ?? Date(timeIntervalSince1970: 0),
            started: date("started"), completed: date("completed"), reasons: decode(reasonsText),
            progress: JobProgress(epochsDone: r["epochs_done"], epochs: r["epochs"], step: r["step"], steps: r["steps"],
                                  loss: r["loss"], etaSeconds: r["eta"]),
            outputPath: r["output_path"])
    }

    static func encode(_ reasons: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(reasons), as: UTF8.self)) ?? "[]"
    }

    static func decode(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? [text]
    }
}
