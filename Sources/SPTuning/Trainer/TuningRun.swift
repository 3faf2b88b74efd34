// The caikit `_execute_train_loop`, done right: epochs with seeded reshuffling, gradient
// accumulation, a linear schedule over the real optimizer steps, per-step training logs, validation
// loss and exact-match accuracy each epoch, and clean cancellation.

import Foundation
import SPModels
import SPPrompt
import SPTensor
import SPTokenizers
import Synchronization

/// Set from a signal handler or another thread to stop training after the current micro-batch.
public final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func cancel() { flag.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// What one epoch did.
public struct EpochSummary: Sendable {
    public var epoch: Int
    /// Mean micro-batch loss.
    public var trainLoss: Double
    /// Mean token loss over the validation data, when given.
    public var validationLoss: Double?
    /// Fraction of validation examples whose whole target is the greedy prediction.
    public var validationAccuracy: Double?
    public var seconds: Double
    public var tokensPerSecond: Double
}

/// Progress events (the CLI draws a bar on stderr from them).
public protocol TrainingObserver: AnyObject {
    func microStep(epoch: Int, batch: Int, of batches: Int, loss: Float, tokensPerSecond: Double, eta: Double)
    func epochEnded(_ summary: EpochSummary)
    /// A distributed epoch's allreduce times, one per optimizer step (seconds), over `ranks` ranks.
    func allreduced(epoch: Int, ranks: Int, seconds: [Double])
}

extension TrainingObserver {
    /// Ignores the allreduce times.
    public func allreduced(epoch: Int, ranks: Int, seconds: [Double]) {}
}

/// The result of a run.
public struct TrainingOutcome {
    public var prompt: Tensor
    public var log: [TrainingLogEntry]
    public var epochs: [EpochSummary]
    /// True when the run stopped on cancellation (the prompt is the one after the last whole epoch).
    public var cancelled: Bool
}

/// One prompt-tuning run over tokenized data.
public struct TuningRun {
    public let model: any LanguageModel
    public let resolved: ResolvedTuning
    public let parameters: TuningParameters
    public let train: [TokenizedExample]
    public let validation: [TokenizedExample]
    public let padTokenId: Int
    public var checkpointing = false
    /// Multitask prompt tuning: the task ids of `train` and `validation` (``TaskAssignment``).
    public var tasks: TaskAssignment?
    /// Data-parallel training: the group this process is one rank of (see `runDistributed`);
    /// nil: one process.
    public var collective: (any Collective)?

    /// Tokenizes the records with caikit's causal-LM or seq2seq layout, after `resolved.modelKind`
    /// (verbalizer rendered against each record).
    public init(model: any LanguageModel, parameters p: TuningParameters, resolved: ResolvedTuning,
                tokenizer: some TextTokenizer, train: [TrainRecord], validation: [TrainRecord] = []) throws {
        self.model = model
        self.parameters = p
        self.resolved = resolved
        func build(_ r: TrainRecord) throws -> TokenizedExample {
            if resolved.modelKind == .seq2seqLM {
                return try ExampleBuilder.seq2seqUnpadded(
                    source: resolved.verbalizer.render(r), target: r.output, tokenizer: tokenizer,
                    maxSourceLength: p.maxSourceLength, maxTargetLength: p.maxTargetLength)
            }
            return try ExampleBuilder.causalLM(source: resolved.verbalizer.render(r), target: r.output, tokenizer: tokenizer,
                                        maxSourceLength: p.maxSourceLength, maxTargetLength: p.maxTargetLength)
        }
        self.train = try train.map(build)
        self.validation = try validation.map(build)
        guard let pad = tokenizer.effectivePadTokenId else {
            throw TuningError.missingParameter(field: "pad_token_id", hint: "the tokenizer has neither a pad nor an EOS token")
        }
        padTokenId = pad
    }

    func batcher(_ examples: [TokenizedExample], tasks: [Int] = []) -> Batcher {
        let seq2seq = resolved.modelKind == .seq2seqLM
        var b = Batcher(examples: examples, batchSize: parameters.batchSize, padding: parameters.padding,
                       padTokenId: padTokenId, paddingSide: PaddingSide.caikit(modelName: resolved.baseModelName),
                       fixedLength: seq2seq ? parameters.maxSourceLength
                           : ExampleBuilder.causalLength(maxSourceLength: parameters.maxSourceLength,
                                                         maxTargetLength: parameters.maxTargetLength),
                       targetFixedLength: seq2seq ? parameters.maxTargetLength : nil)
        b.tasks = tasks
        return b
    }

    /// Validation loss (token-weighted) and exact-match accuracy of `trainer.prompt`.
    public func evaluate(_ trainer: PromptTrainer) throws -> (loss: Double, accuracy: Double)? {
        guard !validation.isEmpty else { return nil }
        let b = batcher(validation, tasks: tasks?.validation ?? [])
        var lossSum = 0.0, tokens = 0, exact = 0
        for batch in b.batches(order: Array(validation.indices)) {
            let r = try trainer.evaluate(batch)
            if r.tokens > 0 { lossSum += Double(r.loss) * Double(r.tokens); tokens += r.tokens }
            exact += r.exactMatches
        }
        return (tokens > 0 ? lossSum / Double(tokens) : .nan, Double(exact) / Double(validation.count))
    }

    /// Trains from `initialPrompt`, or from `resume` (a checkpoint of this run: its prompt, optimizer
    /// state and counters; the epochs it covers are not run again). `onEpoch` runs after every whole
    /// epoch (the CLI saves the prompt there, so cancelling keeps the last saved one), then
    /// `onCheckpoint` with the state to resume from after that epoch. Cancellation is checked
    /// before every micro-batch, so it stops within one optimizer step.
    /// `multitask`: P, U and V of a multitask prompt (then `initialPrompt` is P); its checkpoints
    /// hold P, U, V and AdamW's moments over all three (``TrainingCheckpoint/multitask``).
    /// - Throws: `TuningError.badFile` when `resume` belongs to another run.
    public func run(initialPrompt: Tensor, multitask: PromptTensors? = nil, resume: TrainingCheckpoint? = nil,
                    observer: TrainingObserver? = nil, cancel: CancellationFlag = CancellationFlag(),
                    onCheckpoint: ((TrainingCheckpoint) throws -> Void)? = nil,
                    onEpoch: (Int, PromptTrainer, [TrainingLogEntry]) throws -> Void = { _, _, _ in }) throws -> TrainingOutcome {
        guard resolved.modelKind == model.kind else {
            throw TuningError.invalidParameter(field: "base_model", value: model.spec.modelType,
                                               hint: "the parameters were validated for a \(resolved.modelKind.taskType) model, this one is \(model.kind.taskType)")
        }
        if let group = collective {
            return try runDistributed(group: group, initialPrompt: initialPrompt, multitask: multitask, resume: resume,
                                      observer: observer, cancel: cancel, onCheckpoint: onCheckpoint, onEpoch: onEpoch)
        }
        let step = try model.makePromptStep(checkpointing: checkpointing, placement: resolved.placement)
        let shape = multitask.map { TrainingCheckpoint.MultitaskShape(numTasks: $0.multitask?.numTasks ?? 1,
                                                                      numRanks: $0.multitask?.numRanks ?? 1) }
        let fingerprint = checkpointFingerprint(promptShape: initialPrompt.shape, multitask: shape)
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
        for epoch in (resume?.nextEpoch ?? 0)..<plan.epochs {
            let t0 = Clock.now()
            var lossSum = 0.0, tokens = 0
            let batches = b.batches(order: shuffler.order(count: train.count, epoch: epoch))
            for (i, batch) in batches.enumerated() {
                if cancel.isCancelled {
                    return TrainingOutcome(prompt: saved, log: log, epochs: epochs, cancelled: true)
                }
                let r = try trainer.microStep(batch, lossScale: plan.lossScale)
                guard r.loss.isFinite || r.tokens == 0 else {
                    throw TuningError.invalidParameter(field: "learning_rate", value: "\(parameters.learningRate)",
                                                       hint: "the loss became \(r.loss) at epoch \(epoch) step \(globalStep); lower the learning rate")
                }
                if r.tokens > 0 { lossSum += Double(r.loss) }
                tokens += batch.batchSize * (batch.length + trainer.numVirtualTokens)
                log.append(TrainingLogEntry(epoch: epoch, step: globalStep, loss: r.loss))
                globalStep += 1
                if plan.stepsOptimizer(afterBatch: i) {
                    trainer.optimizerStep(learningRate: schedule.learningRate(atStep: optimizerSteps))
                    optimizerSteps += 1
                }
                let elapsed = Clock.now() - start
                observer?.microStep(epoch: epoch, batch: i, of: batches.count, loss: r.loss,
                                    tokensPerSecond: Double(tokens) / max(1e-9, Clock.now() - t0),
                                    eta: elapsed / Double(globalStep - firstStep) * Double(totalBatches - globalStep))
            }
            let eval = try evaluate(trainer)
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
                let params = trainer.multitask?.parameters.array ?? saved.array, n = min(adam.count, params.count)
                try onCheckpoint(TrainingCheckpoint(
                    fingerprint: fingerprint, nextEpoch: epoch + 1, optimizerSteps: optimizerSteps, globalStep: globalStep,
                    adamSteps: adam.stepCount, shape: saved.shape, prompt: params,
                    expAvg: Array(UnsafeBufferPointer(start: adam.expAvg, count: n)),
                    expAvgSq: Array(UnsafeBufferPointer(start: adam.expAvgSq, count: n)), log: log, epochs: epochs,
                    multitask: shape))
            }
        }
        return TrainingOutcome(prompt: saved, log: log, epochs: epochs, cancelled: false)
    }

    /// The prompt (P for a multitask prompt) and the multitask tensors to train from: the initial
    /// ones, or the checkpoint's (its `[P | U | V]` buffer split by ``MultitaskLayout``).
    static func start(_ initialPrompt: Tensor, multitask: PromptTensors?,
                      resume: TrainingCheckpoint?) throws -> (Tensor, PromptTensors?) {
        guard let c = resume else { return (initialPrompt, multitask) }
        guard let n = c.parameterCount, c.prompt.count == n, c.expAvg.count == n, c.expAvgSq.count == n else {
            throw TuningError.badFile(file: "training checkpoint", reason: "its shape \(c.shape) and tensors do not match; delete it to train from the start")
        }
        guard let m = c.multitask else { return (Tensor(shape: c.shape, values: c.prompt), nil) }
        let layout = MultitaskLayout(rows: c.shape[0], tokenDim: c.shape[1], numTasks: m.numTasks, numRanks: m.numRanks)
        let tensors = c.prompt.withUnsafeBufferPointer { layout.tensors($0.baseAddress!) }
        return (Tensor(shape: c.shape, values: tensors.shared), tensors)
    }
}
