// What `generate --model X` names: a prompt directory (PEFT adapter or caikit layout) and the base
// model it belongs to, or a plain base model; resolved and loaded once.

import Foundation
import SPGeneration
import SPModels
import SPPrompt
import SPTensor
import SPTuning

/// A loaded model with its optional soft prompt and generation config.
public struct GenerationTarget: Sendable {
    /// The soft prompt, when `model` named a prompt directory.
    public let prompt: TunedPrompt?
    /// Where the base model is.
    public let location: ModelLocation
    /// How the base model was found (for a prompt directory: which rule matched).
    public let baseModelSource: String
    /// The frozen model.
    public let model: any LanguageModel
    /// `eos_token_id` / `pad_token_id` of an HF directory (empty for GGUF).
    public let generationConfig: ModelGenerationConfig
    /// Messages for the user about what opening did besides loading: an interrupted save at
    /// `model` restored or cleaned up (empty when there was nothing to do).
    public let notes: [String]
    /// caikit's producer of the results: `PeftPromptTuning` with a prompt, `TextGeneration` for a
    /// plain base model.
    public var producerId: ProducerId { prompt == nil ? .textGeneration : .peftPromptTuning }

    /// Resolves and loads `model` (a prompt directory or a base model).
    ///
    /// A prompt directory's base model is, in order: `baseModel` when given; the absolute path
    /// `softprompt train` records (`softprompt_base_model_path`); the directory's base model name
    /// (PEFT `base_model_name_or_path`, caikit `base_model_name`) as a path, under
    /// `baseModelsDir`, or in the HF cache; finally that name next to the prompt directory.
    ///
    /// What an interrupted `softprompt train` save left at `model` is restored or removed first
    /// (unless a save is running there), as ``notes`` says. A prompt holding NaN or infinite
    /// values is refused.
    /// - Parameter applyVerbalizer: false sends input texts as they are instead of through the
    ///   prompt directory's verbalizer (`--no-verbalizer`); only for a prompt directory.
    /// - Parameter task: for a multitask prompt, the task whose prompt is used (default task 0).
    /// - Throws: ``ServiceError`` when the pieces do not fit or the base model is nowhere.
    public static func open(model: String, baseModel: String?, baseModelsDir: String?, dtype: DType = .float32,
                            quantization: WeightQuantization? = nil, applyVerbalizer: Bool = true,
                            task: PromptTask? = nil) throws -> GenerationTarget {
        var prompt: TunedPrompt?
        let location: ModelLocation, source: String
        let notes = OutputLock.recoverIfIdle(URL(fileURLWithPath: model))
        if TunedPrompt.isPromptDirectory(model) {
            var p = try TunedPrompt.load(directory: model, task: task)
            if !applyVerbalizer { p.verbalizer = "{{input}}" }
            prompt = p
            (location, source) = try resolveBase(of: p, directory: model, override: baseModel, baseModelsDir: baseModelsDir)
        } else if task != nil {
            throw ServiceError.invalidRequest(field: "task", reason: "\(model) is a base model, which has no tasks",
                                              hint: "--task-id / --task pick a multitask prompt's task; drop it")
        } else if let b = baseModel {
            throw ServiceError.invalidRequest(field: "base_model", reason: "\(b) given but \(model) is not a prompt directory",
                                              hint: "--base-model goes with a prompt directory; drop it")
        } else if !applyVerbalizer {
            throw ServiceError.invalidRequest(field: "verbalizer", reason: "\(model) is a base model, which has no verbalizer to skip",
                                              hint: "--no-verbalizer applies to a prompt directory; drop it")
        } else {
            location = try ModelLoader.resolve(model, baseModelsDir: baseModelsDir)
            source = "model"
        }
        let m = try ModelLoader.load(location, dtype: dtype, quantization: quantization)
        var config = ModelGenerationConfig()
        if case .directory(let d) = location { config = try ModelGenerationConfig.load(directory: d) }
        return GenerationTarget(prompt: prompt, location: location, baseModelSource: source, model: m,
                                generationConfig: config, notes: notes)
    }

    /// The base model of prompt directory `dir` and which rule found it (the rules of
    /// ``open(model:baseModel:baseModelsDir:dtype:quantization:)``), without loading it.
    public static func resolveBase(of p: TunedPrompt, directory dir: String, override: String?,
                            baseModelsDir: String?) throws -> (ModelLocation, String) {
        if let override { return (try ModelLoader.resolve(override, baseModelsDir: baseModelsDir), "--base-model") }
        var tried: [String] = []
        if let recorded = p.baseModelPath {
            if let l = ModelLoader.locate(path: recorded) {
                return (l, "the path recorded in the prompt (softprompt_base_model_path)")
            }
            tried.append("recorded path \(recorded)")
        }
        guard let name = p.baseModel else {
            throw ServiceError.invalidRequest(field: "base_model", reason: "\(dir) does not name its base model",
                                              hint: "pass --base-model")
        }
        if let l = try? ModelLoader.resolve(name, baseModelsDir: baseModelsDir) {
            return (l, describe(l, name: name, baseModelsDir: baseModelsDir))
        }
        tried.append("'\(name)' as a path, under base_models_dir \(baseModelsDir ?? "(none)") and in the HF cache")
        if !name.hasPrefix("/") {
            let sibling = ((dir as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
            if let l = try? ModelLoader.resolve(sibling, baseModelsDir: nil) { return (l, "next to the prompt directory") }
            tried.append("next to the prompt directory")
        }
        throw ServiceError.baseModelNotFound(prompt: dir, tried: tried,
                                             hint: "pass --base-model PATH, or --base-models-dir DIR holding \(name)")
    }

    /// Which of `ModelLoader.resolve`'s rules produced `l`.
    static func describe(_ l: ModelLocation, name: String, baseModelsDir: String?) -> String {
        if let base = baseModelsDir, !base.isEmpty, l.path == (base as NSString).appendingPathComponent(name) {
            return "base_models_dir"
        }
        if l.path == name { return "the prompt's base model path" }
        return "the HF cache"
    }
}
