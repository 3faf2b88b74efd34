// Loading a base model the way caikit-nlp resolves `base_model`: a local HF directory, a name under
// `base_models_dir`, a name in the local HF cache, or a GGUF file.

import Foundation
import SPFormats
import SPJSON
import SPTensor

/// Where a base model lives once its name is resolved.
public enum ModelLocation: Equatable, Sendable {
    /// An HF directory with `config.json` and `model.safetensors` or `pytorch_model.bin` (or shards).
    case directory(String)
    /// A llama.cpp GGUF file.
    case gguf(String)

    public var path: String {
        switch self { case .directory(let p), .gguf(let p): return p }
    }
}

/// Resolves and loads base models.
public enum ModelLoader {
    /// Loads the model at `location` (see ``resolve(_:baseModelsDir:environment:)``).
    public static func load(_ location: ModelLocation, dtype: DType = .float32,
                            quantization: WeightQuantization? = nil) throws -> any LanguageModel {
        switch location {
        case .directory(let d): return try load(directory: d, dtype: dtype, quantization: quantization)
        case .gguf(let p): return try load(gguf: p, dtype: dtype, quantization: quantization)
        }
    }

    /// Loads an HF model directory (`config.json` + weights: safetensors preferred, else
    /// `pytorch_model.bin`, each possibly sharded; see ``SPFormats/Checkpoint/open(directory:)``).
    public static func load(directory: String, dtype: DType = .float32,
                            quantization: WeightQuantization? = nil) throws -> any LanguageModel {
        let configPath = directory + "/config.json"
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw ModelError.notFound("\(directory): no config.json", hint: "pass an HF model directory or a .gguf file")
        }
        let config = try JSONConfig(contentsOf: configPath)
        let source = try Checkpoint.open(directory: directory)
        return try ModelRegistry.build(config: config, source: source, dtype: dtype, quantization: quantization,
                                       origin: directory)
    }

    /// Loads a llama-architecture GGUF file (Q/K rows un-permuted). Quantized weights are dequantized
    /// once at load, or with `quantization: .native` kept in their blocks in the memory map.
    public static func load(gguf path: String, dtype: DType = .float32,
                            quantization: WeightQuantization? = nil) throws -> any LanguageModel {
        let file = try GGUFFile(path: path)
        let source = try GGUFLlamaSource(file, path: path, keepBlocks: quantization?.keepsFileStorage == true)
        return try ModelRegistry.build(config: source.config, source: source, dtype: dtype, quantization: quantization,
                                       origin: path)
    }

    /// Resolves a caikit `base_model` value.
    ///
    /// Order: the name is validated like caikit (`^[-a-zA-Z_0-9/.]+$`, no `..`); an existing path
    /// (directory or `.gguf` file) is used as is; then `base_models_dir/name`; then the HF cache
    /// (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`) at
    /// `models--ORG--NAME/snapshots/<ref in refs/main, else the newest>`; finally, with
    /// `ALLOW_DOWNLOADS=true`, a download from `HF_ENDPOINT` into that cache (``HubDownloader``).
    public static func resolve(_ name: String, baseModelsDir: String? = nil,
                               environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> ModelLocation {
        try validateName(name)
        let fm = FileManager.default
        let located = locate(path:)
        if let l = located(name) { return l }
        if let base = baseModelsDir, !base.isEmpty, let l = located((base as NSString).appendingPathComponent(name)) {
            return l
        }
        let hub = hubCache(env)
        let repo = hub + "/models--" + name.replacingOccurrences(of: "/", with: "--")
        let snapshots = repo + "/snapshots"
        if let ref = try? String(contentsOfFile: repo + "/refs/main", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), let l = located(snapshots + "/" + ref) {
            return l
        }
        if let revs = try? fm.contentsOfDirectory(atPath: snapshots) {
            for r in revs.sorted() { if let l = located(snapshots + "/" + r) { return l } }
        }
        if env["ALLOW_DOWNLOADS"]?.lowercased() == "true", name.contains("/") || !name.contains(".") {
            return .directory(try HubDownloader(environment: env).download(repo: name))
        }
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: name, isDirectory: &isDir) {
            throw ModelError.notFound(
                isDir.boolValue ? "base model '\(name)' is a directory without config.json, not a model directory"
                    : "base model '\(name)' is a file but not a .gguf model",
                hint: "pass an HF model directory (config.json + model.safetensors) or a .gguf file")
        }
        throw ModelError.notFound("base model '\(name)' not found",
                                  hint: "not a path, not under base_models_dir, not in the HF cache at \(hub); set ALLOW_DOWNLOADS=true to fetch it")
    }

    /// The model at `path` when it is an HF directory (with `config.json`) or a `.gguf` file; nil otherwise.
    public static func locate(path p: String) -> ModelLocation? {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: p, isDirectory: &isDir) else { return nil }
        if isDir.boolValue { return fm.fileExists(atPath: p + "/config.json") ? .directory(p) : nil }
        return p.hasSuffix(".gguf") ? .gguf(p) : nil
    }

    /// caikit's `resolve_base_model` name check.
    public static func validateName(_ name: String) throws {
        let ok = !name.isEmpty && name.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_/.".unicodeScalars.contains($0)
        }
        guard ok, !name.contains("..") else {
            throw ModelError.invalidInput("invalid characters in base_model name '\(name)' (allowed: letters, digits, - _ / .; no '..')")
        }
    }

    /// The HF hub cache directory from the environment.
    public static func hubCache(_ env: [String: String]) -> String {
        if let c = env["HF_HUB_CACHE"], !c.isEmpty { return c }
        if let h = env["HF_HOME"], !h.isEmpty { return h + "/hub" }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.cache/huggingface/hub"
    }
}
