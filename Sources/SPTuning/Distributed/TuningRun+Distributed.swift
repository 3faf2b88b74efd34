// The training loop of one rank in a data-parallel group (docs/DISTRIBUTED.md). Same epochs,
// shuffles, accumulation windows and schedule as `TuningRun.run`; each optimizer step's global
// batch is split by `ShardPlan`, every rank adds its rows' share of d(prompt) and the per-micro-batch
// loss sums into one buffer, one allreduce sums it, and every rank then takes the same AdamW step
// from the same sum: the prompts stay identical without ever being sent.
//
// Normalisation: the single process scales micro-batch i's gradient by lossScale / T_i (the mean
// over its T_i counted tokens). A rank running t of those tokens scales its piece's mean-loss
// gradient by lossScale · t / T_i, so the pieces add up to the same gradient. T_i is known on every
// rank from the labels (`Batch.targetTokenCount`); the step's own count is checked against it.
//
// Buffer of one step (float32): [ d(prompt) (V·E) | loss·tokens per micro-batch (A) | failed (size) | cancelled (1) ].
// A multitask prompt's d[P | U | V] takes the place of d(prompt): every rank's micro-batch pieces
// mix tasks as they come, and the multitask trainer's gradient of a piece is its mean-loss
// gradient, scaled like the plain prompt's.

import Foundation
import SPModels
import SPPrompt
import SPTensor

extension TuningRun {
    func runDistributed(group: any Collective, initialPrompt: Tensor, multitask: PromptTensors?, resume: TrainingCheckpoint?,
                        observer: TrainingObserver?, cancel: CancellationFlag, onCheckpoint: ((TrainingCheckpoint) throws -> Void)?,
                        onEpoch: (Int, PromptTrainer, [TrainingLogEntry]) throws -> Void) throws -> TrainingOutcome {
        let step = try model.makePromptStep(checkpointing: checkpointing, placement: resolved.placement)
        let shape = multitask.map { TrainingCheckpoint.MultitaskShape(numTasks: $0.multitask?.numTasks ?? 1,
                                                                      numRanks: $0.multitask?.numRanks ?? 1) }
        let fingerprint = checkpointFingerprint(promptShape: initialPrompt.shape, multitask: shape)
        try agree(group, fingerprint: fingerprint, resume: resume)
        if let c = resume {
            guard c.fingerprint == fingerprint, c.shape == initialPrompt.shape, c.multitask == shape,
                  c.nextEpoch <= parameters.numEpochs else {
                throw TuningError.badFile(file: "training checkpoint", reason: "it was saved by another run (other data, parameters, prompt shape or tasks); delete it to train from the start")
            }
        }
        let (start0, startMultitask) = try Self.start(initialPrompt, multitask: multitask, resume: resume)
        let trainer = PromptTrainer(model: model, initialPrompt: start0, checkpointing: checkpointing, step: step,
                                    multitask: startMultitask)
        if let c = resume, c.adamSteps > 0 {
            (trainer.multitask?.optimizer ?? trainer.optimizer).restore(expAvg: c.expAvg, expAvgSq: c.expAvgSq, stepCount: c.adamSteps)
        }
        // The gradient the steps add to: d(prompt), or a multitask prompt's d[P | U | V].
        let gradient = trainer.multitask?.grad ?? trainer.grad
        let b = batcher(train, tasks: tasks?.train ?? [])
        let plan = AccumulationPlan(batchesPerEpoch: b.batchesPerEpoch, accumulateSteps: parameters.accumulateSteps,
                                    epochs: parameters.numEpochs)
        let schedule = plan.schedule(learningRate: parameters.learningRate)
        let shuffler = EpochShuffler(seed: parameters.seed)
        var log: [TrainingLogEntry] = resume?.log ?? [], epochs: [EpochSummary] = resume?.epochs ?? []
        var optimizerSteps = resume?.optimizerSteps ?? 0, globalStep = resume?.globalStep ?? 0
        var saved = Tensor(shape: start0.shape, values: start0.array)
        let start = Clock.now(), firstStep = globalStep
        let totalBatches = plan.batchesPerEpoch * plan.epochs
        let n = gradient.count, ranks = group.size
        for epoch in (resume?.nextEpoch ?? 0)..<plan.epochs {
            let t0 = Clock.now()
            var lossSum = 0.0, tokens = 0, reduceTimes: [Double] = []
            let batches = b.batches(order: shuffler.order(count: train.count, epoch: epoch))
            var window: [Batch] = []
            for (i, batch) in batches.enumerated() {
                window.append(batch)
                guard plan.stepsOptimizer(afterBatch: i) else { continue }
                let a = window.count
                var buf = [Float](repeating: 0, count: n + a + ranks + 1)
                var failure: String?
                do {
                    for piece in ShardPlan(batchSizes: window.map(\.batchSize), rank: group.rank, size: ranks).pieces {
                        let whole = window[piece.batch], part = whole.rows(piece.rows)
                        let mine = part.targetTokenCount, total = whole.targetTokenCount
                        guard mine > 0 else { continue }
                        let r = try trainer.microStep(part, lossScale: plan.lossScale * Float(mine) / Float(total))
                        guard r.tokens == mine else {
                            throw DistributedError.unsupported(
                                field: "base_model", hint: "its step counted \(r.tokens) target tokens where the labels hold \(mine); train with one process")
                        }
                        buf[n + piece.batch] += r.loss * Float(r.tokens)
                    }
                } catch {
                    failure = "\(error)"
                }
                if failure != nil { buf[n + a + group.rank] = 1 }
                if cancel.isCancelled { buf[n + a + ranks] = 1 }
                buf.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: gradient.data, count: n) }
                let r0 = Clock.now()
                try group.allreduceSum(&buf)
                reduceTimes.append(Clock.now() - r0)
                let failed = (0..<ranks).filter { buf[n + a + $0] != 0 }
                if !failed.isEmpty {
                    let messages = try group.gatherMessages(failure)
                    throw DistributedError.rankFailed(ranks: failed, size: ranks, epoch: epoch, step: globalStep,
                                                      messages: failed.map { messages[$0] ?? "failed" })
                }
                if buf[n + a + ranks] != 0 {
                    return TrainingOutcome(prompt: saved, log: log, epochs: epochs, cancelled: true)
                }
                buf.withUnsafeBufferPointer { gradient.data.update(from: $0.baseAddress!, count: n) }
                for (j, mb) in window.enumerated() {
                    let total = mb.targetTokenCount
                    let loss: Float = total > 0 ? buf[n + j] / Float(total) : .nan
                    guard loss.isFinite || total == 0 else {
                        throw DistributedError.stopped(
                            reason: "the loss became \(loss) at epoch \(epoch) step \(globalStep) (learning_rate \(parameters.learningRate)); lower the learning rate")
                    }
                    if total > 0 { lossSum += Double(loss) }
                    tokens += mb.batchSize * (mb.length + trainer.numVirtualTokens)
                    log.append(TrainingLogEntry(epoch: epoch, step: globalStep, loss: loss))
                    globalStep += 1
                    let elapsed = Clock.now() - start
                    observer?.microStep(epoch: epoch, batch: i + 1 - a + j, of: batches.count, loss: loss,
                                        tokensPerSecond: Double(tokens) / max(1e-9, Clock.now() - t0),
                                        eta: elapsed / Double(globalStep - firstStep) * Double(totalBatches - globalStep))
                }
                trainer.optimizerStep(learningRate: schedule.learningRate(atStep: optimizerSteps))
                optimizerSteps += 1
                window.removeAll(keepingCapacity: true)
            }
            observer?.allreduced(epoch: epoch, ranks: ranks, seconds: reduceTimes)
            let eval = try evaluateDistributed(group, trainer, epoch: epoch, step: globalStep)
            let dt = Clock.now() - t0
            let summary = EpochSummary(epoch: epoch, trainLoss: lossSum / Double(max(1, batches.count)),
                                       validationLoss: eval?.loss, validationAccuracy: eval?.accuracy, seconds: dt,
                                       tokensPerSecond: Double(tokens) / max(1e-9, dt))
            epochs.append(summary)
            observer?.epochEnded(summary)
            try onEpoch(epoch, trainer, log)
            saved = Tensor(shape: trainer.prompt.shape, values: trainer.prompt.array)
            if let onCheckpoint {
                let adam = trainer.multitask?.optimizer ?? trainer.optimizer
                let params = trainer.multitask?.parameters.array ?? saved.array, k = min(adam.count, params.count)
                try onCheckpoint(TrainingCheckpoint(
                    fingerprint: fingerprint, nextEpoch: epoch + 1, optimizerSteps: optimizerSteps, globalStep: globalStep,
                    adamSteps: adam.stepCount, shape: saved.shape, prompt: params,
                    expAvg: Array(UnsafeBufferPointer(start: adam.expAvg, count: k)),
                    expAvgSq: Array(UnsafeBufferPointer(start: adam.expAvgSq, count: k)), log: log, epochs: epochs,
                    multitask: shape))
            }
        }
        return TrainingOutcome(prompt: saved, log: log, epochs: epochs, cancelled: false)
    }

    /// Every rank checks that it holds rank 0's run (same data, parameters, prompt shape and resume
    /// point) before the first step: a rank with other data would silently train another prompt.
    func agree(_ group: any Collective, fingerprint: String, resume: TrainingCheckpoint?) throws {
        let mine = fingerprint + "@" + String(resume?.nextEpoch ?? 0)
        let root = String(decoding: try group.broadcast(Data(mine.utf8), root: 0), as: UTF8.self)
        var flags = [Float](repeating: 0, count: group.size)
        if root != mine { flags[group.rank] = 1 }
        try group.allreduceSum(&flags)
        let other = (0..<group.size).filter { flags[$0] != 0 }
        guard other.isEmpty else {
            throw DistributedError.rankFailed(
                ranks: other, size: group.size, epoch: resume?.nextEpoch ?? 0, step: resume?.globalStep ?? 0,
                messages: other.map { _ in "its data, parameters or resume state differ from rank 0's (run \(root)); give every rank the same files" })
        }
    }

    /// Validation loss and exact-match accuracy over all ranks: rank r evaluates batches r, r+size, …;
    /// the token-weighted loss sums, token counts and exact matches are summed.
    func evaluateDistributed(_ group: any Collective, _ trainer: PromptTrainer, epoch: Int, step: Int) throws -> (loss: Double, accuracy: Double)? {
        guard !validation.isEmpty else { return nil }
        let ranks = group.size
        var buf = [Float](repeating: 0, count: 3 + ranks), failure: String?
        do {
            var lossSum = 0.0, tokens = 0, exact = 0
            let b = batcher(validation, tasks: tasks?.validation ?? [])
            for (j, batch) in b.batches(order: Array(validation.indices)).enumerated() where j % ranks == group.rank {
                let r = try trainer.evaluate(batch)
                if r.tokens > 0 { lossSum += Double(r.loss) * Double(r.tokens); tokens += r.tokens }
                exact += r.exactMatches
            }
            buf[0] = Float(lossSum); buf[1] = Float(tokens); buf[2] = Float(exact)
        } catch {
            failure = "validation: \(error)"
            buf[3 + group.rank] = 1
        }
        try group.allreduceSum(&buf)
        let failed = (0..<ranks).filter { buf[3 + $0] != 0 }
        if !failed.isEmpty {
            let messages = try group.gatherMessages(failure)
            throw DistributedError.rankFailed(ranks: failed, size: ranks, epoch: epoch, step: step,
                                              messages: failed.map { messages[$0] ?? "failed" })
        }
        return (buf[1] > 0 ? Double(buf[0]) / Double(buf[1]) : .nan, Double(buf[2]) / Double(validation.count))
    }
}
