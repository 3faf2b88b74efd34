// A saved prompt directory: caikit's layout (config.yml, encoder.pt / decoder.pt,
// training_logs.jsonl) plus, in `<base_model_name>/`, the PEFT adapter (adapter_config.json,
// adapter_model.safetensors). The whole directory is assembled under a temporary name and renamed
// into place, so a crash mid-save never leaves a half-written prompt.

import Foundation
import SPFormats
import SPJSON
import SPTensor

/// Everything written when a prompt is saved.
public struct PromptArtifacts: Sendable {
    /// The prompt TGIS and caikit serve, `[numTransformerSubmodules · numVirtualTokens, tokenDim]`
    /// row-major float32: the raw table for prompt tuning, the task-0 effective prompt P ∘ (u vᵀ)
    /// for multitask prompt tuning.
    public var servedPrompt: [Float]
    /// `num_virtual_tokens` (rows per transformer submodule).
    public var numVirtualTokens: Int
    /// `token_dim`.
    public var tokenDim: Int
    /// Tensors of `adapter_model.safetensors` (PT: `prompt_embeddings`; MPT: also
    /// `prefix_task_cols` and `prefix_task_rows`).
    public var adapterTensors: [SafetensorsTensor]
    /// The caikit `config.yml`.
    public var config: CaikitPromptConfig
    /// The PEFT adapter config; when `nil` no adapter directory is written.
    public var adapterConfig: PEFTAdapterConfig?
    /// The loss log.
    public var trainingLog: [TrainingLogEntry]
    /// A multitask prompt's task names (index = task id), saved as ``PromptReader/taskNamesFile``
    /// next to `config.yml` and in the adapter directory; empty: no file.
    public var taskNames: [String] = []

    /// Creates the artifacts. `config.hasBaseModel` is set from whether an adapter is given.
    public init(servedPrompt: [Float], numVirtualTokens: Int, tokenDim: Int, adapterTensors: [SafetensorsTensor],
                config: CaikitPromptConfig, adapterConfig: PEFTAdapterConfig?, trainingLog: [TrainingLogEntry]) {
        self.servedPrompt = servedPrompt
        self.numVirtualTokens = numVirtualTokens
        self.tokenDim = tokenDim
        self.adapterTensors = adapterTensors
        self.config = config
        self.adapterConfig = adapterConfig
        self.trainingLog = trainingLog
        self.config.hasBaseModel = adapterConfig != nil
        self.config.fullModelPath = adapterConfig != nil ? config.baseModelName : nil
        self.config.tokenizerPath = self.config.fullModelPath
    }

    /// Artifacts of a plain prompt-tuning run: the `[rows, tokenDim]` table is both the served prompt
    /// and PEFT's `prompt_embeddings`, stored in `config.trainedTorchDType`.
    public static func promptTuning(prompt: [Float], numVirtualTokens: Int, tokenDim: Int, config: CaikitPromptConfig,
                                    adapterConfig: PEFTAdapterConfig?, trainingLog: [TrainingLogEntry]) -> PromptArtifacts {
        let rows = prompt.count / max(1, tokenDim)
        return PromptArtifacts(
            servedPrompt: prompt, numVirtualTokens: numVirtualTokens, tokenDim: tokenDim,
            adapterTensors: [SafetensorsTensor(name: "prompt_embeddings", dtype: config.trainedTorchDType.dtype,
                                               shape: [rows, tokenDim], values: prompt)],
            config: config, adapterConfig: adapterConfig, trainingLog: trainingLog)
    }
}

extension PromptArtifacts {
    /// Artifacts of a multitask run: PEFT's three tensors in the adapter, and task 0's effective
    /// prompt P ∘ (U[0] · V[0]) as the served prompt (what caikit exports for TGIS).
    public static func multitask(_ tensors: PromptTensors, numVirtualTokens: Int, config: CaikitPromptConfig,
                                 adapterConfig: PEFTAdapterConfig?, trainingLog: [TrainingLogEntry],
                                 taskNames: [String] = []) -> PromptArtifacts {
        var a = PromptArtifacts(servedPrompt: tensors.effectivePrompt(task: 0), numVirtualTokens: numVirtualTokens,
                                tokenDim: tensors.tokenDim, adapterTensors: tensors.safetensors(dtype: config.trainedTorchDType.dtype),
                                config: config, adapterConfig: adapterConfig, trainingLog: trainingLog)
        a.taskNames = taskNames
        return a
    }
}

/// A prompt read back from a saved directory.
public struct LoadedPrompt: Sendable {
    /// The parsed `config.yml`.
    public var config: CaikitPromptConfig
    /// `encoder.pt`, when saved.
    public var encoder: TorchTensor?
    /// `decoder.pt`, when saved.
    public var decoder: TorchTensor?
    /// The PEFT adapter config, when `has_base_model`.
    public var adapterConfig: PEFTAdapterConfig?
    /// `training_logs.jsonl` (empty when absent; caikit does not restore it either).
    public var trainingLog: [TrainingLogEntry]
    /// A multitask prompt's task names (index = task id; empty when unnamed).
    public var taskNames: [String] = []
}

/// Saves and loads prompt directories.
public enum SavedPrompt {
    /// Saves `artifacts` to `dir` atomically.
    ///
    /// Each output type gets its own `num_virtual_tokens` rows: ENCODER the first block, DECODER the
    /// block after it when both are saved (caikit writes the encoder block to both files, a bug not
    /// copied); a causal LM's DECODER prompt is the whole table.
    /// - Parameters:
    ///   - overwrite: replace an existing directory.
    ///   - adapterExtras: called with the adapter directory to add files (the tokenizer's, which
    ///     caikit's `load()` also needs there).
    public static func save(_ a: PromptArtifacts, to dir: URL, overwrite: Bool = false,
                            adapterExtras: ((URL) throws -> Void)? = nil) throws {
        let rows = a.servedPrompt.count / max(1, a.tokenDim)
        let types = a.config.outputModelTypes
        guard a.servedPrompt.count == rows * a.tokenDim, rows == max(1, types.count) * a.numVirtualTokens else {
            throw TuningError.invalidParameter(
                field: "prompt", value: "\(a.servedPrompt.count) values",
                hint: "expected \(max(1, types.count)) × num_virtual_tokens (\(a.numVirtualTokens)) rows of token_dim \(a.tokenDim)")
        }
        let dtype = a.config.trainedTorchDType.dtype
        let n = a.numVirtualTokens * a.tokenDim
        try AtomicFile.writeDirectory(at: dir, overwrite: overwrite) { tmp in
            for (k, t) in types.enumerated() {
                let block = Array(a.servedPrompt[(k * n)..<((k + 1) * n)])
                try TorchPT.write(values: block, shape: [a.numVirtualTokens, a.tokenDim], dtype: dtype,
                                  to: tmp.appendingPathComponent(t.fileName))
            }
            try TrainingLog.write(a.trainingLog, to: tmp.appendingPathComponent(a.config.trainingLogs))
            let names = Data(JSONValue.array(a.taskNames.map(JSONValue.string)).dumps().utf8)
            if !a.taskNames.isEmpty { try AtomicFile.write(names, to: tmp.appendingPathComponent(PromptReader.taskNamesFile)) }
            if let adapter = a.adapterConfig {
                let sub = tmp.appendingPathComponent(a.config.baseModelName)
                do { try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true) } catch {
                    throw TuningError.io(path: sub.path, reason: "cannot create the adapter directory")
                }
                try adapter.write(to: sub.appendingPathComponent("adapter_config.json"))
                try SafetensorsWriter.write(a.adapterTensors, to: sub.appendingPathComponent("adapter_model.safetensors"))
                if !a.taskNames.isEmpty { try AtomicFile.write(names, to: sub.appendingPathComponent(PromptReader.taskNamesFile)) }
                try adapterExtras?(sub)
            } else if a.adapterTensors.count == 3 {
                // A multitask prompt PEFT cannot express (seq2seq DECODER only): its P, U and V next to
                // config.yml, so every task stays usable (`generate --task`).
                try SafetensorsWriter.write(a.adapterTensors, to: tmp.appendingPathComponent(PromptReader.multitaskTensorsFile))
            }
            try AtomicFile.write(Data(a.config.yamlText().utf8), to: tmp.appendingPathComponent("config.yml"))
        }
    }

    /// Loads a prompt directory written by caikit-nlp or by ``save(_:to:overwrite:adapterExtras:)``,
    /// through ``PromptReader`` (the one reader), with `config.yml` checked strictly. Unlike caikit's
    /// `load()`, a directory without the base model is loadable: the prompt files are all generation
    /// needs besides the base model itself.
    /// - Throws: ``TuningError`` naming the file (``PromptError``s are mapped to `badFile`).
    public static func load(from dir: URL) throws -> LoadedPrompt {
        let stored: StoredPrompt
        do { stored = try PromptReader.read(dir.path, layout: .caikit) } catch let PromptError.badPromptDirectory(path, reason, hint) {
            throw TuningError.badFile(file: path, reason: "\(reason); hint: \(hint)")
        }
        let config = try CaikitPromptConfig(object: stored.caikitFields ?? [:], source: dir.appendingPathComponent("config.yml").path)
        let logURL = dir.appendingPathComponent(config.trainingLogs)
        let log = FileManager.default.fileExists(atPath: logURL.path) ? try TrainingLog.read(contentsOf: logURL) : []
        return LoadedPrompt(config: config, encoder: stored.encoder, decoder: stored.decoder,
                            adapterConfig: stored.adapterConfig, trainingLog: log, taskNames: stored.taskNames)
    }
}
