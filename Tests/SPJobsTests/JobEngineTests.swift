// The job engine end to end on the tiny model: a caikit train request reaches COMPLETED and is
// deployed, bad requests create nothing, cancel leaves nothing, jobs run in order, and a job
// interrupted after an epoch resumes to the prompt of an uninterrupted run (a multitask job too).

import Foundation
@testable import SPJobs
import SPPrompt
import SPService
import SPTestSupport
import SPTuning
import Testing

@Suite(.serialized) struct JobEngineTests {
    @Test func aReadmeRequestCompletesAndIsDeployed() async throws {
        let box = try Sandbox()
        defer { box.remove() }
        let engine = try JobEngine(config: box.config)
        try engine.start()
        let job = try engine.submit(body: Sandbox.body(), deploy: true)
        #expect(job.modelName == "twitter-pt" && [.queued, .running].contains(job.state))
        let done = try await engine.wait(job.id)
        #expect(done.state == .completed, "\(done.reasons)")
        #expect(done.completed != nil && done.started != nil && done.reasons.isEmpty)
        #expect(done.progress.epochsDone == 2 && done.progress.step == 6 && done.progress.steps == 6)
        let out = box.root + "/work/training_output/\(job.id)/twitter-pt"
        #expect(done.outputPath == out && TunedPrompt.isPromptDirectory(out))
        #expect(TunedPrompt.isPromptDirectory(box.root + "/models/twitter-pt"), "deployed")
        #expect(!FileManager.default.fileExists(atPath: box.root + "/work/jobs/\(job.id)"), "working area removed")
        #expect(try engine.store.integrityCheck() == "ok")
    }

    @Test func badRequestsAreRefusedAndQueueNothing() throws {
        let box = try Sandbox()
        defer { box.remove() }
        try "x".write(toFile: box.root + "/secret.jsonl", atomically: true, encoding: .utf8)
        let engine = try JobEngine(config: box.config)
        let bodies: [(Data, String)] = [
            (Data("{".utf8), "JSON"),
            (Data(#"{"parameters": {}}"#.utf8), "model_name"),
            (Sandbox.body(name: "../evil"), "model_name"),
            (Sandbox.body(stream: #"{"data_stream": {"filename": "../secret.jsonl"}}"#), "outside"),
            (Sandbox.body(stream: #"{"data_stream": {"filename": "/etc/passwd"}}"#), "outside"),
            (Sandbox.body(stream: #"{"data_stream": {"filename": "absent.jsonl"}}"#), "does not exist"),
            (Sandbox.body(stream: #"{"data_stream": {"dirname": "..", "extension": "jsonl"}}"#), "outside"),
            (Sandbox.body(extra: #""output_path": {"path": "s3://b/k"},"#), "S3 output path not supported"),
            (Sandbox.body(epochs: -1), "num_epochs"),
            (Sandbox.multitaskBody(numTasks: 0), "num_tasks"),
            (Sandbox.multitaskBody(tasks: [0, 1, 2, 0, 1, 2]), "task_id"),
            (Sandbox.multitaskBody(initConfig: #""prompt_tuning_init_method": "ONLY_SOURCE_SHARED", "prompt_tuning_init_source_model": "../secret.jsonl""#),
             "escapes source_prompt_base"),
            (Sandbox.multitaskBody(initConfig: #""prompt_tuning_init_method": "AVERAGE_SOURCE_TASKS", "prompt_tuning_init_source_model": "absent""#),
             "source prompt file not found"),
            (Data(String(decoding: Sandbox.body(), as: UTF8.self).replacingOccurrences(of: #""tiny""#, with: #""no-such-model""#).utf8), "no-such-model"),
            (Data(String(decoding: Sandbox.body(), as: UTF8.self).replacingOccurrences(of: #""tiny""#, with: #""../base/tiny""#).utf8), ".."),
        ]
        for (body, word) in bodies {
            #expect { _ = try engine.submit(body: body) } throws: { e in
                guard case JobError.badRequest(let m) = e else { return false }
                return m.contains(word)
            }
        }
        #expect(try engine.list().isEmpty, "nothing was queued")
    }

    @Test func cancelMidEpochLeavesNoOutput() async throws {
        let box = try Sandbox()
        defer { box.remove() }
        let engine = try JobEngine(config: box.config)
        try engine.start()
        let job = try engine.submit(body: Sandbox.body(epochs: 200))
        for await r in try engine.updates(job.id) where r.progress.step >= 2 {
            #expect(try engine.cancel(job.id).state != .completed)
            break
        }
        let done = try await engine.wait(job.id)
        #expect(done.state == .canceled && done.reasons == ["canceled by request"])
        #expect(done.progress.step < 200 * 3)
        #expect(!FileManager.default.fileExists(atPath: box.root + "/work/jobs/\(job.id)"))
        #expect(!FileManager.default.fileExists(atPath: box.root + "/work/training_output/\(job.id)"))
        #expect(throws: JobError.notFound("nope")) { try engine.cancel("nope") }
    }

    @Test func twentyJobsRunInSubmissionOrder() async throws {
        let box = try Sandbox()
        defer { box.remove() }
        let engine = try JobEngine(config: box.config)
        let ids = try (0..<20).map { try engine.submit(body: Sandbox.body(name: "p\($0)", epochs: 1)).id }
        #expect(try engine.list().allSatisfy { $0.state == .queued }, "nothing runs before start()")
        try engine.start()
        var finished: [JobRecord] = []
        for id in ids { finished.append(try await engine.wait(id)) }
        #expect(finished.allSatisfy { $0.state == .completed })
        let starts = finished.map { $0.started! }, ends = finished.map { $0.completed! }
        #expect(starts == starts.sorted() && ends == ends.sorted())
        for i in 1..<20 { #expect(starts[i] >= ends[i - 1], "one job at a time") }
    }

    /// A process killed after epoch 2 of 4 left a RUNNING job, its checkpoint and the prompt saved
    /// after that epoch; a new engine resumes it and ends with an uninterrupted run's prompt.
    @Test func aRunningJobResumesAfterARestart() async throws {
        let box = try Sandbox()
        defer { box.remove() }
        // The uninterrupted run, on an engine of its own (its thread looks for more work when done).
        var other = box.config
        other.workDirectory = URL(fileURLWithPath: box.root + "/work-reference")
        other.outputDirectory = other.workDirectory.appendingPathComponent("training_output")
        let reference = try JobEngine(config: other)
        try reference.start()
        let whole = try await reference.wait(try reference.submit(body: Sandbox.body(name: "whole", epochs: 4)).id)
        #expect(whole.state == .completed)
        var engine: JobEngine? = try JobEngine(config: box.config)   // not started
        // The "killed" job: stored RUNNING, trained to the middle of epoch 2 in its working area.
        let body = Sandbox.body(name: "again", epochs: 4)
        let rec = try engine!.store.insert(id: "killed", modelName: "again", request: String(decoding: body, as: UTF8.self),
                                           deploy: false)
        try engine!.store.transition(rec.id, to: .running)
        var job = try JobRequest.parse(body, config: box.config, output: engine!.workOutput("killed", "again")).job
        job.checkpointFile = engine!.area("killed").appendingPathComponent("state.ckpt")
        let flag = CancellationFlag()
        var steps = 0
        try FileManager.default.createDirectory(at: engine!.workOutput("killed", "again").deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        let partial = try job.run(cancel: flag) { e in
            if case .microStep = e { steps += 1; if steps == 8 { flag.cancel() } }
        }
        #expect(partial.cancelled && partial.epochs.count == 2)
        engine = nil
        let restarted = try JobEngine(config: box.config)
        try restarted.start()
        let done = try await restarted.wait("killed")
        #expect(done.state == .completed, "\(done.reasons)")
        let a = try TunedPrompt.load(directory: try #require(whole.outputPath))
        let b = try TunedPrompt.load(directory: try #require(done.outputPath))
        #expect(assertClose(b.values, a.values, .relative(1e-6), "resumed prompt"))
        #expect(try restarted.store.integrityCheck() == "ok")
    }

    /// A MULTITASK_PROMPT_TUNING job (two named tasks, rank 2) completes; the same job killed after
    /// epoch 2 of 4 resumes on a new engine to the uninterrupted job's P, U and V.
    @Test func aMultitaskJobCompletesAndResumesAfterARestart() async throws {
        let box = try Sandbox()
        defer { box.remove() }
        var other = box.config
        other.workDirectory = URL(fileURLWithPath: box.root + "/work-reference")
        other.outputDirectory = other.workDirectory.appendingPathComponent("training_output")
        let reference = try JobEngine(config: other)
        try reference.start()
        let whole = try await reference.wait(try reference.submit(body: Sandbox.multitaskBody(name: "whole", epochs: 4)).id)
        #expect(whole.state == .completed, "\(whole.reasons)")
        #expect(whole.progress.epochsDone == 4)
        var engine: JobEngine? = try JobEngine(config: box.config)
        let body = Sandbox.multitaskBody(name: "again", epochs: 4)
        let rec = try engine!.store.insert(id: "killed", modelName: "again", request: String(decoding: body, as: UTF8.self),
                                           deploy: false)
        try engine!.store.transition(rec.id, to: .running)
        var job = try JobRequest.parse(body, config: box.config, output: engine!.workOutput("killed", "again")).job
        job.checkpointFile = engine!.area("killed").appendingPathComponent("state.ckpt")
        let flag = CancellationFlag()
        var steps = 0
        try FileManager.default.createDirectory(at: engine!.workOutput("killed", "again").deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        let partial = try job.run(cancel: flag) { e in
            if case .microStep = e { steps += 1; if steps == 8 { flag.cancel() } }
        }
        #expect(partial.cancelled && partial.epochs.count == 2)
        #expect(try TrainingCheckpoint.read(from: job.checkpointFile!).multitask?.numTasks == 2)
        engine = nil
        let restarted = try JobEngine(config: box.config)
        try restarted.start()
        let done = try await restarted.wait("killed")
        #expect(done.state == .completed, "\(done.reasons)")
        let a = try MultitaskInit.readSource(try #require(whole.outputPath))
        let b = try MultitaskInit.readSource(try #require(done.outputPath))
        #expect(a.taskNames == ["pos", "neg"] && b.taskNames == a.taskNames)
        #expect(assertClose(b.tensors.shared, a.tensors.shared, .relative(1e-6), "resumed P"))
        #expect(assertClose(b.tensors.multitask!.cols, a.tensors.multitask!.cols, .relative(1e-6), "resumed U"))
        #expect(assertClose(b.tensors.multitask!.rows, a.tensors.multitask!.rows, .relative(1e-6), "resumed V"))
        #expect(try restarted.store.integrityCheck() == "ok")
    }
}
