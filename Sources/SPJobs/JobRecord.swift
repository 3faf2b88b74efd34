// A training job as the engine stores and reports it: caikit's TrainingStatusResponse fields
// (state, submission and completion timestamps, reasons) plus what caikit lacks (progress).

import Foundation

/// caikit's `JobStatus` (`caikit.runtime.training.JobStatus`).
public enum JobState: String, Sendable, CaseIterable {
    case queued = "QUEUED", running = "RUNNING", completed = "COMPLETED", canceled = "CANCELED", errored = "ERRORED"

    /// The protobuf enum number (`QUEUED=1` … `ERRORED=5`).
    public var number: Int { Self.allCases.firstIndex(of: self)! + 1 }
    /// COMPLETED, CANCELED and ERRORED never change again.
    public var isTerminal: Bool { self == .completed || self == .canceled || self == .errored }
}

/// Where a running job is.
public struct JobProgress: Sendable, Equatable {
    /// Whole epochs done.
    public var epochsDone = 0
    /// `num_epochs`.
    public var epochs = 0
    /// Micro-batches done over the run (the log's step counter).
    public var step = 0
    /// Micro-batches in the run.
    public var steps = 0
    /// The last micro-batch loss.
    public var loss: Double?
    /// Seconds left, estimated from the rate so far.
    public var etaSeconds: Double?

    /// Creates progress.
    public init(epochsDone: Int = 0, epochs: Int = 0, step: Int = 0, steps: Int = 0, loss: Double? = nil,
                etaSeconds: Double? = nil) {
        (self.epochsDone, self.epochs, self.step, self.steps, self.loss, self.etaSeconds) = (epochsDone, epochs, step, steps, loss, etaSeconds)
    }
}

/// One job: its request, state, progress, timestamps and errors.
public struct JobRecord: Sendable, Equatable {
    /// caikit's `training_id` (a UUID).
    public var id: String
    /// Submission order (jobs run in this order).
    public var seq: Int
    /// The request's `model_name`.
    public var modelName: String
    /// The request body as submitted (JSON text).
    public var request: String
    /// Load the trained prompt into the serving set when it completes.
    public var deploy: Bool
    public var state: JobState
    public var submitted: Date
    public var started: Date?
    /// When it reached a terminal state.
    public var completed: Date?
    /// Why it failed or was canceled (caikit's `reasons`).
    public var reasons: [String]
    public var progress: JobProgress
    /// The trained prompt directory, once COMPLETED.
    public var outputPath: String?

    /// Creates a record.
    public init(id: String, seq: Int, modelName: String, request: String, deploy: Bool, state: JobState, submitted: Date,
                started: Date? = nil, completed: Date? = nil, reasons: [String] = [], progress: JobProgress = JobProgress(),
                outputPath: String? = nil) {
        self.id = id
        self.seq = seq
        self.modelName = modelName
        self.request = request
        self.deploy = deploy
        self.state = state
        self.submitted = submitted
        self.started = started
        self.completed = completed
        self.reasons = reasons
        self.progress = progress
        self.outputPath = outputPath
    }
}
