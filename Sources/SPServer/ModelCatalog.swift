// The models a server serves: prompt directories under `local_models_dir` (caikit `config.yml` +
// `decoder.pt`, or PEFT adapters), each loaded on first use and resolved to its base model, which
// the `BaseModelStore` loads once for every prompt tuned on it.

import Foundation
import SPGeneration
import SPJSON
import SPPrompt
import SPService

/// One loaded prompt: its generation service and where it came from.
public struct ServedModel: Sendable {
    /// The model id (the directory's name under `local_models_dir`).
    public let id: String
    /// The prompt directory.
    public let path: String
    /// The base model the prompt runs on (shared with every prompt on the same base model).
    public let base: BaseModel
    /// caikit run() / run_stream_out() for this prompt.
    public let service: GenerationService
    /// Bytes of the files in the prompt directory (caikit's `ModelInfo.size`).
    public let size: Int
}

/// Lazy, shared loading of the prompts under a models directory.
public actor ModelCatalog {
    /// caikit's `runtime.local_models_dir`.
    public nonisolated let localModelsDir: String
    /// caikit-nlp's `base_models_dir` (where base models are found by name).
    public nonisolated let baseModelsDir: String?
    /// The base models, one copy each.
    public nonisolated let store: BaseModelStore
    private var loads: [String: Task<ServedModel, any Error>] = [:]
    private var loaded: [String: ServedModel] = [:]

    public init(localModelsDir: String, baseModelsDir: String?, store: BaseModelStore = BaseModelStore()) {
        self.localModelsDir = localModelsDir
        self.baseModelsDir = baseModelsDir
        self.store = store
    }

    /// Checks that `id` names a directory directly under `local_models_dir`: letters, digits,
    /// `.`, `_`, `-` (no separators, no `..`, no leading dot), at most 255 characters.
    /// - Throws: ``CaikitError`` 400.
    public static func validate(id: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !id.isEmpty, id.count <= 255, !id.hasPrefix("."), id.allSatisfy({ allowed.contains($0) }) else {
            throw CaikitError.badRequest(
                "model_id \(JSONValue.string(String(id.prefix(300))).dumps()) is not a valid model id: use letters, digits, '.', '_' and '-' (a directory name under local_models_dir)")
        }
    }

    /// The ids of the prompt directories under `local_models_dir`, sorted.
    public nonisolated func availableIds() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: localModelsDir)) ?? []
        return names.filter { (try? ModelCatalog.validate(id: $0)) != nil && TunedPrompt.isPromptDirectory(dir($0)) }.sorted()
    }

    /// The loaded prompt with id `id`, if it is loaded.
    public func loadedModel(_ id: String) -> ServedModel? { loaded[id] }

    /// Forgets the loaded prompt `id` (undeploy): the next request loads it again, or answers 404
    /// once its directory is gone.
    public func unload(_ id: String) { loaded[id] = nil }

    /// The prompt `id`, loaded on first use (concurrent callers share one load; a failed load is
    /// forgotten so the next request tries again).
    /// - Throws: ``CaikitError`` 400 for an invalid id, 404 for an unknown or unloadable one.
    public func model(_ id: String) async throws -> ServedModel {
        try ModelCatalog.validate(id: id)
        if let m = loaded[id] { return m }
        if let running = loads[id] { return try await Self.wrap(id) { try await running.value } }
        let path = dir(id)
        // As `GenerationTarget.open`: what an interrupted `softprompt train` save left here is
        // restored or cleaned up first (unless a save is running), and said on stderr.
        for note in OutputLock.recoverIfIdle(URL(fileURLWithPath: path)) {
            FileHandle.standardError.write(Data("softprompt serve: \(id): \(note)\n".utf8))
        }
        guard TunedPrompt.isPromptDirectory(path) else {
            throw CaikitError.modelNotLoaded(id, reason: "no prompt directory \(id) (config.yml or adapter_config.json) under local_models_dir \(localModelsDir)")
        }
        let (store, baseDir) = (self.store, baseModelsDir)
        let load = Task { try await ModelCatalog.load(id: id, path: path, store: store, baseModelsDir: baseDir) }
        loads[id] = load
        defer { loads[id] = nil }
        let m = try await Self.wrap(id) { try await load.value }
        loaded[id] = m
        return m
    }

    /// A failed load as caikit reports it: 404 with the reason.
    private static func wrap(_ id: String, _ body: @Sendable () async throws -> ServedModel) async throws -> ServedModel {
        do {
            return try await body()
        } catch let e as CaikitError {
            throw e
        } catch {
            throw CaikitError.modelNotLoaded(id, reason: "\(error)")
        }
    }

    private nonisolated func dir(_ id: String) -> String { (localModelsDir as NSString).appendingPathComponent(id) }

    private static func load(id: String, path: String, store: BaseModelStore, baseModelsDir: String?) async throws -> ServedModel {
        let prompt = try TunedPrompt.load(directory: path)
        let (location, _) = try GenerationTarget.resolveBase(of: prompt, directory: path, override: nil, baseModelsDir: baseModelsDir)
        // A caikit prompt trained with torch_dtype bfloat16 runs as trained: bf16 weights and compute.
        let bf16 = try GenerationService.servesInBF16(promptDirectory: path, kind: prompt.taskType)
        let base = try await store.model(at: location, dtype: bf16 ? .bfloat16 : .float32)
        var eos: [Int]?
        if case .directory(let d) = location {
            let ids = try ModelGenerationConfig.load(directory: d).eosTokenIds
            eos = ids.isEmpty ? nil : ids
        }
        let service = try GenerationService(model: base.model, tokenizer: base.text, prompt: prompt, eosTokenIds: eos,
                                            computesInBF16: bf16)
        return ServedModel(id: id, path: path, base: base, service: service, size: directorySize(path))
    }

    static func directorySize(_ path: String) -> Int {
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: path) else { return 0 }
        var total = 0
        for case let f as String in e {
            let attributes = try? fm.attributesOfItem(atPath: (path as NSString).appendingPathComponent(f))
            if attributes?[.type] as? FileAttributeType == .typeRegular, let s = attributes?[.size] as? NSNumber {
                total += s.intValue
            }
        }
        return total
    }
}
