import ArgumentParser
import Foundation
import SPPrompt
import SPService
import SPTensor
import SPTuning

/// `softprompt train`: caikit-nlp's `PeftPromptTuning.train()` + `save()` from the command line.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tune a soft prompt for a frozen base model (caikit-nlp PeftPromptTuning.train).",
        discussion: """
            Parameters use caikit-nlp's names and defaults; a YAML/JSON config file (--config) may hold \
            them (a whole caikit train request works too) and flags override it. Everything is validated \
            before the model loads and before any output is written. The prompt is saved after every epoch \
            (atomically), so Ctrl-C stops cleanly and keeps the last saved prompt. --output must be a new \
            path, an empty directory or (with --overwrite) a prompt directory written by softprompt; \
            nothing else is ever replaced.
            """)

    @Option(help: "YAML or JSON file with caikit train parameters.") var config: String?
    @Option(name: .customLong("base-model"), help: "base_model: HF directory, .gguf file, HF cache name or name under --base-models-dir.")
    var baseModel: String?
    @Option(name: .customLong("train-data"), help: "train_stream: .json, .jsonl, .csv or a directory of them.")
    var trainData: String?
    @Option(name: .customLong("validation-data"), help: "val_stream, same formats.") var validationData: String?
    @Option(help: "Output prompt directory (caikit layout with the PEFT adapter inside).") var output: String
    @Flag(help: "Replace a prompt directory that softprompt saved earlier at --output.") var overwrite = false
    @Option(name: .customLong("tuning-type")) var tuningType: String?
    // Numbers parse `.unconditional`ly so that `--num-epochs -1` reaches validation ("must be ≥ 0")
    // instead of ArgumentParser reading `-1` as a flag ("Missing value").
    @Option(name: .customLong("num-epochs"), parsing: .unconditional) var numEpochs: Int?
    @Option(name: [.customLong("learning-rate"), .customLong("lr")], parsing: .unconditional) var learningRate: Double?
    @Option(name: .customLong("accumulate-steps"), parsing: .unconditional) var accumulateSteps: Int?
    @Option var verbalizer: String?
    @Option(name: .customLong("batch-size"), parsing: .unconditional) var batchSize: Int?
    @Option(name: .customLong("max-source-length"), parsing: .unconditional) var maxSourceLength: Int?
    @Option(name: .customLong("max-target-length"), parsing: .unconditional) var maxTargetLength: Int?
    @Option(name: .customLong("num-virtual-tokens"), parsing: .unconditional) var numVirtualTokens: Int?
    @Option(name: .customLong("init-method"),
            help: "RANDOM, TEXT or SAMPLE_VOCAB; multitask: also ONLY_SOURCE_SHARED, AVERAGE_SOURCE_TASKS (or AVERAGE_SOURCE), EXACT_SOURCE_TASK.")
    var initMethod: String?
    @Option(name: .customLong("init-text")) var initText: String?
    @Option(name: .customLong("num-tasks"), parsing: .unconditional, help: "Multitask: tasks K (records name theirs by task_id or task).")
    var numTasks: Int?
    @Option(name: .customLong("num-ranks"), parsing: .unconditional, help: "Multitask: rank r of each task's U·V.") var numRanks: Int?
    @Option(name: .customLong("init-source-model"), help: "Multitask: the source prompt, under --source-prompt-base / SOURCE_PROMPT_BASE.")
    var initSourceModel: String?
    @Option(name: .customLong("init-task"), help: "Multitask, EXACT_SOURCE_TASK: the source task's id or name.") var initTask: String?
    @Option(name: .customLong("source-prompt-base"), help: "caikit's source_prompt_base (SOURCE_PROMPT_BASE in the environment wins).")
    var sourcePromptBase: String?
    @Option(name: .customLong("torch-dtype"), help: "float32, bfloat16 or float16 (frozen weights).") var torchDtype: String?
    @Option(help: "native: keep a GGUF base model's quantized blocks (Q4_0…Q6_K) memory-mapped instead of dequantizing them to --torch-dtype (float32 compute on the same values, ~file-size memory).")
    var weights: String?
    @Option var device: String?
    @Option(parsing: .unconditional) var seed: UInt64?
    @Option(help: "dynamic (default) or max_length (caikit's fixed layout).") var padding: String?
    @Option(name: .customLong("training-data-limit"), parsing: .unconditional, help: "Refuse more training records than this.")
    var trainingDataLimit: Int?
    @Option(name: .customLong("base-models-dir")) var baseModelsDir: String?
    @Option(parsing: .unconditional, help: "Threads (default: all cores).") var threads: Int?
    @Option(name: .customLong("output-model-types"), parsing: .upToNextOption,
            help: "Where the prompt goes (tuning_config.output_model_types): ENCODER and/or DECODER; seq2seq models take both, causal LMs DECODER.")
    var outputModelTypes: [String] = []
    @Flag(help: "Recompute activations in the backward (less memory).") var checkpointing = false
    @Option(name: .customLong("state-file"),
            help: "Save the resume-exact training state (prompt, AdamW moments, counters, log) here after every epoch.")
    var stateFile: String?
    @Flag(help: "Continue from --state-file when it exists (the run ends with the prompt an uninterrupted run gives); it may replace the prompt the interrupted run saved at --output.")
    var resume = false
    @Flag(name: .customLong("silence-progress-bars")) var silence = false
    @Flag(help: "Train data-parallel as one rank of an MPI job (mpirun/srun); refused when no MPI launcher started the process. Detected without the flag too.")
    var distributed = false

    func parameters() throws -> TuningParameters {
        var p: TuningParameters
        if let config { p = try TuningParameters.load(contentsOf: URL(fileURLWithPath: config)) } else {
            guard let baseModel else { throw ValidationError("--base-model (or a --config file with base_model) is required") }
            p = TuningParameters(baseModel: baseModel, tuningConfig: TuningConfig(numVirtualTokens: nil))
        }
        if let baseModel { p.baseModel = baseModel }
        if let trainData { p.trainStream = .file(trainData) }
        if let validationData { p.valStream = .file(validationData) }
        if let tuningType {
            guard let t = TuningType(rawValue: tuningType) else {
                throw TuningError.invalidParameter(field: "tuning_type", value: tuningType,
                                                   hint: "use one of " + TuningType.allCases.map(\.rawValue).joined(separator: ", "))
            }
            p.tuningType = t
        }
        if let numEpochs { p.numEpochs = numEpochs }
        if let learningRate { p.learningRate = learningRate }
        if let accumulateSteps { p.accumulateSteps = accumulateSteps }
        if let verbalizer { p.verbalizer = verbalizer }
        if let batchSize { p.batchSize = batchSize }
        if let maxSourceLength { p.maxSourceLength = maxSourceLength }
        if let maxTargetLength { p.maxTargetLength = maxTargetLength }
        if let numVirtualTokens { p.tuningConfig.numVirtualTokens = numVirtualTokens }
        if !outputModelTypes.isEmpty {
            p.tuningConfig.outputModelTypes = try outputModelTypes.map { s in
                guard let t = PromptOutputModelType(rawValue: s.uppercased()) else {
                    throw TuningError.invalidParameter(field: "tuning_config.output_model_types", value: s,
                                                       hint: "'\(s)' is not a valid PromptOutputModelType; use ENCODER or DECODER")
                }
                return t
            }
        }
        if let initMethod {
            guard let m = PromptTuningInitMethod(caikitName: initMethod.uppercased()) else {
                throw TuningError.invalidParameter(field: "tuning_config.prompt_tuning_init_method", value: initMethod,
                                                   hint: "use " + PromptTuningInitMethod.allCases.map(\.rawValue).joined(separator: ", "))
            }
            p.tuningConfig.promptTuningInitMethod = m
        }
        if let initText { p.tuningConfig.promptTuningInitText = initText }
        if let numTasks { p.tuningConfig.numTasks = numTasks }
        if let numRanks { p.tuningConfig.numRanks = numRanks }
        if let initSourceModel { p.tuningConfig.promptTuningInitSourceModel = initSourceModel }
        if let initTask { p.tuningConfig.promptTuningInitTask = Int(initTask).map(TaskLabel.id) ?? .name(initTask) }
        if let torchDtype { p.torchDType = try TorchDType(torchName: torchDtype) }
        if let device { p.device = device }
        if let seed { p.seed = seed }
        if let padding {
            guard let m = PaddingMode(rawValue: padding) else {
                throw TuningError.invalidParameter(field: "padding", value: padding, hint: "use dynamic or max_length")
            }
            p.padding = m
        }
        if silence { p.silenceProgressBars = true } else if config == nil { p.silenceProgressBars = false }
        return p
    }

    func validate() throws {
        // An empty path would name the working directory; say what is wrong with it instead.
        if output.isEmpty { throw ValidationError("--output is empty; name a new directory, e.g. --output my-prompt") }
        if resume && stateFile == nil {
            throw ValidationError("--resume needs --state-file FILE (the state the interrupted run saved)")
        }
        if let weights, weights.lowercased() != "native" {
            throw ValidationError("--weights must be native (or left out to widen the weights to --torch-dtype), got \(weights)")
        }
    }

    func run() throws {
        try ResourceLimits.checkThreads(threads)
        let group = try DistributedLaunch.join(required: distributed)
        try DistributedLaunch.run(group) { try train(group: group) }
    }

    func train(group: OpenMPI?) throws {
        try Runtime.configure(threads: DistributedLaunch.threads(threads, group: group))
        // Everything from outside is read and validated before the model loads or anything is written.
        var job = PromptTuningJob(parameters: try parameters(), output: URL(fileURLWithPath: output),
                                  baseModelsDir: baseModelsDir,
                                  dataDirectory: config.map { URL(fileURLWithPath: $0).deletingLastPathComponent() })
        job.limits = trainingDataLimit.map { TrainingDataLimit(globalDefault: $0) } ?? .unlimited
        job.checkpointing = checkpointing
        if weights != nil { job.weights = .native }
        job.checkpointFile = stateFile.map { URL(fileURLWithPath: $0) }
        job.resume = resume
        // A resumed run replaces the prompt its interrupted run saved (still only a SoftPrompt prompt directory).
        job.overwrite = overwrite || (resume && stateFile.map { FileManager.default.fileExists(atPath: $0) } == true)
        job.otherInputs = config.map { [URL(fileURLWithPath: $0)] } ?? []
        job.sourcePromptBase = sourcePromptBase ?? ""
        job.collective = group
        let leader = job.isLeader
        let bar = job.parameters.silenceProgressBars || !leader ? nil : ProgressBar()
        Interrupt.install()
        let outcome = try job.run(cancel: Interrupt.flag) { event in
            guard leader else { return }
            switch event {
            case .warning(let w): FileHandle.standardError.write(Data("warning: \(w)\n".utf8))
            case .note(let m): FileHandle.standardError.write(Data("note: \(m)\n".utf8))
            default: break
            }
            bar?.show(event)
        }
        if !outcome.saved {
            if leader { FileHandle.standardError.write(Data("\ninterrupted before the first epoch ended: nothing was written to \(output)\n".utf8)) }
            throw ExitCode(130)
        }
        if outcome.cancelled {
            if leader { FileHandle.standardError.write(Data("\ninterrupted: kept the prompt saved after epoch \(outcome.epochs.count) in \(output)\n".utf8)) }
            throw ExitCode(130)
        }
        guard leader else { return }
        print("saved prompt to \(output) (\(outcome.resolved.numVirtualTokens) × \(outcome.prompt.shape[1]), \(outcome.epochs.count) epochs)")
    }
}
