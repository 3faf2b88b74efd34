// Writing a trained prompt in both layouts: caikit's (config.yml, decoder.pt, training_logs.jsonl)
// and, inside it, the PEFT adapter (adapter_config.json, adapter_model.safetensors).

import Foundation
import SPJSON
import SPModels
import SPPrompt
import SPTensor

extension SavedPrompt {
    /// Saves `prompt` `[V, E]` trained on `model` atomically to `dir` (replacing what is there):
    /// `encoder.pt` and/or `decoder.pt` (each its own block of `num_virtual_tokens` rows), and the
    /// PEFT adapter (`task_type` and `num_transformer_submodules` from `resolved`) except for a
    /// seq2seq DECODER-only prompt, which PEFT cannot express (a multitask one keeps P, U and V in
    /// ``PromptReader/multitaskTensorsFile`` instead).
    ///
    /// - Parameters:
    ///   - baseModelPath: the base model's path or id, recorded as PEFT's `base_model_name_or_path`
    ///     and `tokenizer_name_or_path` (caikit points them at the original base model too).
    ///   - baseModelConfig: the base model's `config.json` text (caikit's `base_model_config`).
    ///   - eosToken: the tokenizer's EOS spelling.
    ///   - recordedBaseModelPath: the base model's absolute path, recorded as
    ///     `softprompt_base_model_path` in `config.yml` so the prompt finds its base from anywhere.
    ///   - multitask: P, U and V of a multitask prompt (PEFT's three tensors in the adapter; the
    ///     caikit files hold task 0's effective prompt), with its task names, the source task and
    ///     the source tensor file (PEFT's `prompt_tuning_init_task` / `_state_dict_path`).
    public static func saveTrained(prompt: Tensor, model: any LanguageModel, parameters p: TuningParameters,
                                   resolved r: ResolvedTuning, baseModelPath: String, baseModelConfig: String,
                                   eosToken: String?, log: [TrainingLogEntry], to dir: URL,
                                   recordedBaseModelPath: String? = nil,
                                   multitask: (tensors: PromptTensors, taskNames: [String], initTask: Int, sourceFile: String?)? = nil,
                                   adapterExtras: ((URL) throws -> Void)? = nil) throws {
        let configValue = try JSONValue.parse(json: Data(baseModelConfig.utf8), source: "base model config.json")
        var caikit = CaikitPromptConfig(
            baseModelConfig: configValue, baseModelName: r.baseModelName, eosToken: eosToken, hasBaseModel: true,
            verbalizer: r.verbalizer.template, tuningType: p.tuningType, taskType: r.modelKind.taskType,
            trainedTorchDType: r.trainedDType, outputModelTypes: r.outputModelTypes)
        caikit.baseModelPath = recordedBaseModelPath
        // PEFT has no seq2seq prompt that goes to the decoder alone (one submodule means the
        // encoder there): a DECODER-only seq2seq prompt is saved without an adapter.
        var adapter = r.placement == .decoder ? nil : PEFTAdapterConfig(
            baseModelNameOrPath: baseModelPath, tuningType: p.tuningType, taskType: r.modelKind.taskType,
            numVirtualTokens: r.numVirtualTokens, tokenDim: model.inputWidth,
            numTransformerSubmodules: r.numTransformerSubmodules, numAttentionHeads: model.spec.heads,
            numLayers: model.spec.layers, promptTuningInit: r.initMethod,
            promptTuningInitText: p.tuningConfig.promptTuningInitText, tokenizerNameOrPath: baseModelPath)
        let artifacts: PromptArtifacts
        if let m = multitask {
            adapter?.numTasks = m.tensors.multitask?.numTasks ?? 1
            adapter?.numRanks = m.tensors.multitask?.numRanks ?? 1
            adapter?.promptTuningInitTask = m.initTask
            adapter?.promptTuningInitStateDictPath = m.sourceFile
            artifacts = .multitask(m.tensors, numVirtualTokens: r.numVirtualTokens, config: caikit, adapterConfig: adapter,
                                   trainingLog: log, taskNames: m.taskNames)
        } else {
            artifacts = .promptTuning(prompt: prompt.array, numVirtualTokens: r.numVirtualTokens, tokenDim: model.inputWidth,
                                      config: caikit, adapterConfig: adapter, trainingLog: log)
        }
        try save(artifacts, to: dir, overwrite: true, adapterExtras: adapterExtras)
    }
}
