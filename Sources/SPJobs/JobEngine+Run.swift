// One job's run on its own thread: train in the working area with a checkpoint after every epoch
// (resuming from it after a restart), then publish the prompt to the output (and deploy it), or
// remove the working area when the job is canceled or fails.

import Foundation
import SPJSON
import SPPrompt
import SPService
import SPTuning

extension JobEngine {
    /// The file that marks a prompt directory the runtime deployed (and may undeploy, i.e. delete).
    public static let deployedMarker = ".softprompt-deployed"

    /// Runs `record` to a terminal state (called on the job's thread).
    func execute(_ record: JobRecord, cancel: CancellationFlag) {
        let id = record.id, name = record.modelName
        let work = workOutput(id, name), final = finalOutput(id, name)
        func finish(_ state: JobState, reason: String?, output: String? = nil) {
            if state != .completed { try? FileManager.default.removeItem(at: area(id)) }
            _ = try? store.transition(id, to: state, reason: reason, outputPath: output)
            publish(id)
        }
        // A kill after the prompt was published but before COMPLETED was stored: finish the bookkeeping.
        if TunedPrompt.isPromptDirectory(final.path) && !FileManager.default.fileExists(atPath: work.path) {
            completeDeploy(record, final: final, finish: finish)
            return
        }
        do {
            try FileManager.default.createDirectory(at: work.deletingLastPathComponent(), withIntermediateDirectories: true)
            // overwrite: the working area holds only what this job saved before a restart.
            var job = try JobRequest.parse(Data(record.request.utf8), config: config, output: work, overwrite: true).job
            job.checkpointFile = area(id).appendingPathComponent("state.ckpt")
            job.resume = true
            // Canceled between the scheduler's look and now: nothing to run.
            guard try store.transition(id, to: .running) else {
                try? FileManager.default.removeItem(at: area(id))
                return
            }
            publish(id)
            let reporter = ProgressReporter(engine: self, id: id, epochs: job.parameters.numEpochs)
            let outcome = try job.run(cancel: cancel) { reporter.record($0) }
            reporter.flush()
            if outcome.cancelled || cancel.isCancelled {
                finish(.canceled, reason: "canceled by request")
                return
            }
            try FileManager.default.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: work, to: final)
            completeDeploy(record, final: final, finish: finish)
        } catch {
            if cancel.isCancelled { finish(.canceled, reason: "canceled by request") } else { finish(.errored, reason: "\(error)") }
        }
    }

    /// Copies the published prompt into `local_models_dir` when the job asked for it, removes the
    /// working area and marks the job COMPLETED.
    func completeDeploy(_ record: JobRecord, final: URL, finish: (JobState, String?, String?) -> Void) {
        var note: String?
        if record.deploy, let models = config.localModelsDir {
            let target = URL(fileURLWithPath: models).appendingPathComponent(record.modelName)
            do {
                if !TunedPrompt.isPromptDirectory(target.path) {
                    try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
                    try AtomicFile.writeDirectory(at: target) { tmp in
                        for f in try FileManager.default.contentsOfDirectory(atPath: final.path) {
                            try FileManager.default.copyItem(at: final.appendingPathComponent(f), to: tmp.appendingPathComponent(f))
                        }
                        try Data().write(to: tmp.appendingPathComponent(JobEngine.deployedMarker))
                    }
                }
            } catch {
                note = "trained, but not deployed to \(target.path): \(error)"
            }
        }
        try? FileManager.default.removeItem(at: area(record.id))
        finish(.completed, note, final.path)
    }
}

/// Turns job events into stored progress: every epoch end, and micro-steps at most 4 times a
/// second (each is a SQLite transaction).
final class ProgressReporter: @unchecked Sendable {
    let engine: JobEngine, id: String
    var progress: JobProgress
    var lastWrite = Date.distantPast

    init(engine: JobEngine, id: String, epochs: Int) {
        self.engine = engine
        self.id = id
        progress = JobProgress(epochs: epochs)
    }

    func record(_ event: PromptTuningJob.Event) {
        switch event {
        case let .microStep(epoch, batch, of, loss, _, eta):
            progress.step = epoch * of + batch + 1
            progress.steps = of * progress.epochs
            progress.epochsDone = epoch
            progress.loss = Double(loss)
            progress.etaSeconds = eta.isFinite ? eta : nil
            if Date().timeIntervalSince(lastWrite) >= 0.25 { flush() }
        case .epochEnded(let s):
            progress.epochsDone = s.epoch + 1
            flush()
        case .warning, .loading, .note:
            break
        }
    }

    func flush() {
        lastWrite = Date()
        try? engine.store.setProgress(id, progress)
        engine.publish(id)
    }
}
