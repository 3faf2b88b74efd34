// caikit-nlp's PeftPromptTuning.train() + save() as one value: read and validate everything, load
// the base model, initialise the prompt, train with progress events and cancellation, and save the
// prompt (caikit layout with the PEFT adapter inside, training_summary.json and training_curve.svg)
// after every epoch.
//
// Never lose a user's files (issue 12): the output path is checked against SoftPrompt's policy
// (`OutputPath`) before the model loads, sizes are checked before and after the load
// (`ResourceLimits`), and the output is locked (`OutputLock`) only while training, after what an
// interrupted earlier save left there is recovered — so a CLI, the demo and a server all get the
// same guarantees.

import Foundation
import SPModels
import SPPrompt
import SPTensor
import SPTuning

/// One prompt-tuning job: the `train` command, the demo and a training server run it the same way.
///
/// ```swift
/// var job = PromptTuningJob(parameters: p, output: URL(fileURLWithPath: "out"))
/// let outcome = try job.run(cancel: flag) { event in print(event) }
/// ```
public struct PromptTuningJob: Sendable {
    /// caikit's train parameters.
    public var parameters: TuningParameters
    /// The prompt directory written after every epoch (replaced atomically).
    public var output: URL
    /// caikit's `base_models_dir`.
    public var baseModelsDir: String?
    /// Relative data paths are read from here (the config file's directory), else the current one.
    public var dataDirectory: URL?
    /// caikit's `training_data_limit`.
    public var limits: TrainingDataLimit = .unlimited
    /// Recompute activations in the backward (less memory).
    public var checkpointing = false
    /// Replace a prompt directory SoftPrompt saved earlier at ``output`` (`--overwrite`). Without
    /// it such a directory is refused; anything else that is not empty (a file, a device, a
    /// directory SoftPrompt did not write) is always refused (see `OutputPath`).
    public var overwrite = false
    /// Files the job reads besides its data streams and base model (the config file, or data read
    /// by the caller): ``output`` may not be one of them nor a directory above them.
    public var otherInputs: [URL] = []
    /// Where the resume-exact training state (`TrainingCheckpoint`: prompt, AdamW state, counters,
    /// log; a multitask prompt's P, U and V with their AdamW state) is written atomically after
    /// every epoch; nil: not saved.
    public var checkpointFile: URL?
    /// Continue from ``checkpointFile`` when it exists (a fresh start when it does not).
    public var resume = false
    /// caikit's `source_prompt_base`: where multitask source prompts are looked up
    /// (`SOURCE_PROMPT_BASE` in the environment wins).
    public var sourcePromptBase = ""
    /// Data-parallel training (docs/DISTRIBUTED.md): the group this process is a rank of. Rank 0
    /// alone checks and locks the output, writes the prompt and the state file and reports
    /// progress; the other ranks only compute. nil: one process.
    public var collective: (any Collective)?

    /// Whether this process writes the output (one process, or rank 0).
    public var isLeader: Bool { (collective?.rank ?? 0) == 0 }

    /// How the frozen weights are held: nil dequantizes/widens them to the tuning dtype; ``SPTensor/WeightQuantization/native``
    /// keeps a GGUF's quantized blocks in the memory map (training computes on exactly the dequantized
    /// values, in float32). Re-quantizing (`q8_0`) is refused by ``loadBase(_:)``.
    public var weights: WeightQuantization?

    /// Creates a job.
    public init(parameters: TuningParameters, output: URL, baseModelsDir: String? = nil, dataDirectory: URL? = nil) {
        self.parameters = parameters
        self.output = output
        self.baseModelsDir = baseModelsDir
        self.dataDirectory = dataDirectory
    }

    /// What a job reports while it runs.
    public enum Event: Sendable {
        /// A caikit warning (e.g. bfloat16 trained in float32 on the CPU).
        case warning(String)
        /// The base model (as the parameters name it) is being loaded.
        case loading(String)
        /// A micro-batch finished.
        case microStep(epoch: Int, batch: Int, of: Int, loss: Float, tokensPerSecond: Double, eta: Double)
        /// An epoch finished (and was saved).
        case epochEnded(EpochSummary)
        /// Something done for the user that is not a warning: what an interrupted earlier save left
        /// at the output was restored or removed.
        case note(String)
    }

    /// The data read and the parameters validated: everything checked before a model loads.
    public struct Prepared: Sendable {
        public var train: [TrainRecord]
        public var validation: [TrainRecord]
        public var resolved: ResolvedTuning
        /// Multitask prompt tuning: what the job starts from and each record's task.
        public var multitask: MultitaskSetup?
    }

    /// What a finished (or cancelled) job produced.
    public struct Outcome: Sendable {
        /// The prompt saved last, `[numVirtualTokens, tokenDim]`.
        public var prompt: Tensor
        /// One summary per whole epoch.
        public var epochs: [EpochSummary]
        /// True when the job stopped on cancellation (the prompt saved after the last whole epoch stays).
        public var cancelled: Bool
        /// The validated parameters.
        public var resolved: ResolvedTuning
        /// True when a prompt was written to the output (false when cancelled before the first
        /// epoch ended: whatever was at the output before is untouched).
        public var saved: Bool { !(cancelled && epochs.isEmpty) }
    }

    /// What the job reads (data files and directories, ``otherInputs``, the base model when it is
    /// a path): the output may not be one of these nor hold them.
    public var inputPaths: [URL] {
        var inputs = (parameters.trainStream?.paths(baseDirectory: dataDirectory) ?? [])
            + (parameters.valStream?.paths(baseDirectory: dataDirectory) ?? []) + otherInputs
        if FileManager.default.fileExists(atPath: parameters.baseModel) {
            inputs.append(URL(fileURLWithPath: parameters.baseModel))
        }
        return inputs
    }

    /// Reads `train_stream` / `val_stream` and validates the parameters against the base model's
    /// kind (caikit's order; multitask: tasks and the source prompt, ``MultitaskSetup``). Nothing is loaded or written.
    public func prepare() throws -> Prepared {
        guard let stream = parameters.trainStream else {
            throw TuningError.emptyData(field: "train_stream", hint: "pass --train-data FILE or set train_stream in --config")
        }
        let train = try TrainingDataReader.read(stream, baseDirectory: dataDirectory)
        let val = try parameters.valStream.map { try TrainingDataReader.read($0, baseDirectory: dataDirectory, field: "val_stream") }
        return try prepare(train: train, validation: val)
    }

    /// Validates in-memory records (`validation` nil: no validation stream), the sizes that can be
    /// bounded without the model (`ResourceLimits`) and the output path (`OutputPath`: refused
    /// here, before any model loads, when it is not a new path, an empty directory or, with
    /// ``overwrite``, a prompt directory SoftPrompt wrote).
    public func prepare(train: [TrainRecord], validation: [TrainRecord]?) throws -> Prepared {
        let kind = BaseModel.kind(of: parameters.baseModel, baseModelsDir: baseModelsDir)
        let resolved = try parameters.validate(trainCount: train.count, valCount: validation?.count, modelKind: kind,
                                               limits: limits, sourcePromptBase: sourcePromptBase)
        let multitask = try MultitaskSetup(parameters, resolved: resolved, train: train, validation: validation ?? [])
        try ResourceLimits.checkTraining(parameters, resolved: resolved)
        if isLeader { _ = try OutputPath.check(output.path, inputs: inputPaths, overwrite: overwrite) }
        try BaseModel.checkSupported(parameters.baseModel, baseModelsDir: baseModelsDir)
        return Prepared(train: train, validation: validation ?? [], resolved: resolved, multitask: multitask)
    }

    /// Loads the base model the parameters name, in the validated storage dtype (bf16 when it computes in bf16).
    public func loadBase(_ prepared: Prepared) throws -> BaseModel {
        if let weights, weights != .native {
            throw TuningError.invalidParameter(field: "weights", value: weights.rawValue,
                                               hint: "training keeps weights as stored (native) or widened to torch_dtype; q8_0 re-quantization is for generation only")
        }
        if weights == .native, prepared.resolved.trainedDType.dtype != .float32 || parameters.torchDType == .bfloat16 {
            throw TuningError.invalidParameter(field: "torch_dtype", value: "\(parameters.torchDType.map { "\($0)" } ?? "\(prepared.resolved.trainedDType)")",
                                               hint: "native weights compute in float32 on the file's own storage (bf16 compute needs bf16 weights); drop torch_dtype or the native weights")
        }
        return try BaseModel.load(parameters.baseModel, baseModelsDir: baseModelsDir,
                                  dtype: computesInBF16 ? .bfloat16 : prepared.resolved.trainedDType.dtype, quantization: weights)
    }

    /// The initial prompt (`prompt_tuning_init_method`: RANDOM, TEXT or SAMPLE_VOCAB).
    public func initialPrompt(_ prepared: Prepared, base: BaseModel) throws -> Tensor {
        try PromptInit.make(prepared.resolved.initMethod, text: parameters.tuningConfig.promptTuningInitText,
                            numVirtualTokens: prepared.resolved.promptRows, model: base.model,
                            tokenizer: base.text, seed: parameters.seed)
    }

    /// The whole job: prepare, load, initialise, train and save.
    public func run(cancel: CancellationFlag = CancellationFlag(),
                    onEvent: @escaping (Event) -> Void = { _ in }) throws -> Outcome {
        let prepared = try prepare()
        for w in prepared.resolved.warnings { onEvent(.warning(w)) }
        onEvent(.loading(parameters.baseModel))
        let base = try loadBase(prepared)
        return try train(prepared, base: base, initialPrompt: initialPrompt(prepared, base: base), cancel: cancel,
                         onEvent: onEvent)
    }

    /// Trains from `initialPrompt`, saving to ``output`` after every epoch (with `num_epochs` 0,
    /// the initial prompt, as caikit does). The tokenized examples are checked against the model's
    /// positions and the machine's memory first; the output is locked only while training runs.
    /// - Throws: `TuningError` when the sizes do not fit, when another process holds the output's
    ///   lock, or when the output no longer passes `OutputPath`'s check.
    public func train(_ prepared: Prepared, base: BaseModel, initialPrompt: Tensor,
                      cancel: CancellationFlag = CancellationFlag(),
                      onEvent: @escaping (Event) -> Void = { _ in }) throws -> Outcome {
        let p = parameters, r = prepared.resolved
        if let note = bf16Note { onEvent(.note(note)) }
        var run = try TuningRun(model: base.model, parameters: p, resolved: r, tokenizer: base.text,
                                train: prepared.train, validation: prepared.validation)
        run.checkpointing = checkpointing
        run.tasks = prepared.multitask?.tasks
        run.collective = collective
        let multitask = try prepared.multitask?.initial(shared: initialPrompt, parameters: p)
        try checkResources(run, model: base.model)
        // Locked only now, so that a cancellation while the model loads leaves nothing behind.
        let lock = isLeader ? try claimOutput(onEvent) : nil
        defer { lock?.release() }
        let out = output, epochs = EpochRecorder()
        let checkpoint = try resumeCheckpoint()
        if let c = checkpoint {
            epochs.items = c.epochs
            onEvent(.note("resuming after epoch \(c.nextEpoch) of \(p.numEpochs) from \(checkpointFile?.path ?? "")"))
        }
        func save(_ prompt: Tensor, _ mt: PromptTensors?, _ log: [TrainingLogEntry]) throws {
            try SavedPrompt.saveTrained(prompt: prompt, model: base.model, parameters: p, resolved: r,
                                        baseModelPath: base.location.path, baseModelConfig: base.configJSON,
                                        eosToken: base.tokenizer.eosToken, log: log, to: out,
                                        recordedBaseModelPath: Self.absolutePath(base.location.path),
                                        multitask: mt.map { (tensors: $0, taskNames: prepared.multitask?.tasks.names ?? [],
                                                                     initTask: prepared.multitask?.initTaskId ?? 0,
                                                                     sourceFile: prepared.multitask?.sourceFile) })
            let summary = TrainingSummary(hyperParameters: TrainingSummary.hyperParameters(p, r),
                                          epochs: epochs.items.map(TrainingSummary.Epoch.init))
            try TrainingCurve.write(log: log, summary: summary, to: out)
        }
        let leader = isLeader
        let observer = EventObserver { event in
            if case .epochEnded(let s) = event { epochs.items.append(s) }
            onEvent(event)
        }
        let file = leader ? checkpointFile : nil
        let outcome = try withRequestedCompute {
            try run.run(initialPrompt: initialPrompt, multitask: multitask, resume: checkpoint,
                        observer: leader ? observer : nil, cancel: cancel,
                        onCheckpoint: file.map { url in { try $0.write(to: url) } }) { _, t, log in
                if leader { try save(t.prompt, t.multitask?.tensors, log) }
            }
        }
        if leader && !outcome.cancelled && outcome.epochs.isEmpty { try save(outcome.prompt, multitask, outcome.log) }
        return Outcome(prompt: outcome.prompt, epochs: outcome.epochs, cancelled: outcome.cancelled, resolved: r)
    }

    /// The checkpoint to resume from: ``checkpointFile`` when ``resume`` is set and it exists.
    /// Distributed: rank 0 reads it and broadcasts its bytes (the other hosts need not see the file).
    func resumeCheckpoint() throws -> TrainingCheckpoint? {
        guard resume, let url = checkpointFile else { return nil }
        guard let group = collective else {
            guard FileManager.default.fileExists(atPath: url.path) else { return nil }
            return try TrainingCheckpoint.read(from: url)
        }
        var bytes = Data()
        if group.rank == 0, FileManager.default.fileExists(atPath: url.path) { bytes = try TrainingCheckpoint.read(from: url).encode() }
        let shared = try group.broadcast(bytes, root: 0)
        return shared.isEmpty ? nil : try TrainingCheckpoint.decode(shared, path: url.path)
    }

    /// The model-aware size checks: the longest example (the padded length with `max_length`
    /// padding) plus the virtual tokens fits the model's positions (learned positions, or a rotary
    /// model's context length), and a memory estimate fits in physical memory.
    func checkResources(_ run: TuningRun, model: any LanguageModel) throws {
        let p = parameters, spec = model.spec
        let longest = p.padding == .maxLength
            ? ExampleBuilder.causalLength(maxSourceLength: p.maxSourceLength, maxTargetLength: p.maxTargetLength)
            : (run.train + run.validation).map(\.inputIds.count).max() ?? 0
        try ResourceLimits.checkTraining(p, resolved: run.resolved, longestExample: longest, tokenDim: model.inputWidth,
                                         hidden: spec.hidden, layers: spec.layers, heads: spec.heads, vocab: spec.vocab,
                                         maxPositions: model.positionLimit ?? model.contextLimit)
        if let s2s = model as? Seq2SeqModel { try checkSeq2SeqPositions(run, model: s2s) }
    }

    /// A seq2seq model with learned positions (BART's `max_position_embeddings`) bounds each stack:
    /// the encoder's prompt rows plus the longest source, and the decoder's prompt rows plus the
    /// longest target, each at most that many positions. Checked before anything is written, not
    /// first in the engine mid-epoch.
    func checkSeq2SeqPositions(_ run: TuningRun, model: Seq2SeqModel) throws {
        guard let limit = model.seq2seqSpec.maxPositions, let placement = run.resolved.placement else { return }
        let p = parameters, nv = run.resolved.numVirtualTokens
        let examples = run.train + run.validation
        let source = p.padding == .maxLength ? p.maxSourceLength : examples.map(\.inputIds.count).max() ?? 0
        let target = p.padding == .maxLength ? p.maxTargetLength : examples.map(\.labels.count).max() ?? 0
        let encoderRows = placement == .decoder ? 0 : nv, decoderRows = placement == .encoder ? 0 : nv
        for (stack, rows, tokens, field, value) in [("encoder", encoderRows, source, "max_source_length", p.maxSourceLength),
                                                    ("decoder", decoderRows, target, "max_target_length", p.maxTargetLength)]
        where rows + tokens > limit {
            throw TuningError.invalidParameter(
                field: field, value: "\(value)",
                hint: "the \(stack) would see \(rows) virtual + \(tokens) tokens of the longest example = \(rows + tokens) positions, "
                    + "but \(model.seq2seqSpec.modelType) has \(limit) (max_position_embeddings); lower \(field) or num_virtual_tokens")
        }
    }

    /// Takes the lock of ``output`` (checked by `OutputPath` in ``prepare(train:validation:)``),
    /// restores or removes what an interrupted earlier save left (reported as ``Event/note(_:)``),
    /// and checks the output again (recovery may have restored a prompt there).
    func claimOutput(_ onEvent: (Event) -> Void) throws -> OutputLock {
        let out = try OutputPath.check(output.path, inputs: inputPaths, overwrite: overwrite)
        let lock = try OutputLock(out)
        do {
            for m in try AtomicFile.recoverDirectory(at: out) { onEvent(.note(m)) }
            _ = try OutputPath.check(output.path, inputs: inputPaths, overwrite: overwrite)
        } catch {
            lock.release()
            throw error
        }
        return lock
    }

    /// `path` made absolute against the current directory (symbolic links kept).
    static func absolutePath(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}

/// The epoch summaries seen so far (the curve written after each epoch shows them).
final class EpochRecorder {
    var items: [EpochSummary] = []
}

/// Training progress as job events.
final class EventObserver: TrainingObserver {
    let onEvent: (PromptTuningJob.Event) -> Void

    init(_ onEvent: @escaping (PromptTuningJob.Event) -> Void) { self.onEvent = onEvent }

    func microStep(epoch: Int, batch: Int, of batches: Int, loss: Float, tokensPerSecond: Double, eta: Double) {
        onEvent(.microStep(epoch: epoch, batch: batch, of: batches, loss: loss, tokensPerSecond: tokensPerSecond, eta: eta))
    }

    func epochEnded(_ summary: EpochSummary) { onEvent(.epochEnded(summary)) }

    func allreduced(epoch: Int, ranks: Int, seconds: [Double]) {
        guard !seconds.isEmpty else { return }
        let mean = seconds.reduce(0, +) / Double(seconds.count), worst = seconds.max() ?? 0
        // Timed around MPI_Allreduce: the sum's transfer plus the wait for the slowest rank to arrive.
        onEvent(.note(String(format: "epoch %d: %d ranks, %d allreduces, %.3f ms per step (max %.3f ms; includes waiting for the slowest rank)",
                             epoch + 1, ranks, seconds.count, 1000 * mean, 1000 * worst)))
    }
}
