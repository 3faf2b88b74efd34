// caikit-nlp's `training_data_limit` runtime setting (toolkit/trainer_utils.py validate_training_data).

import SPJSON
import SPPrompt

/// The `training_data_limit` setting of caikit-nlp's runtime config.
///
/// Shape, as in caikit's `config.yml`:
/// ```yaml
/// training_data_limit:
///   __default__: -1                      # global default (≤ 0: unlimited)
///   6655831b-960a-4dc5-8df4-867026e2cd41: # this module
///     __default__: 5000                  # module default
///     bloom-560m: 10000                  # per base model name
/// ```
/// Lookup order (caikit): module → model name, then module → `__default__`, then global `__default__`.
public struct TrainingDataLimit: Sendable, Equatable {
    /// Global `__default__`.
    public var globalDefault: Int?
    /// Per module id: model name (or `__default__`) → limit.
    public var perModule: [String: [String: Int]]

    /// No limit anywhere (caikit's shipped config: `__default__: -1`).
    public static let unlimited = TrainingDataLimit(globalDefault: -1, perModule: [:])

    /// Creates a limit table.
    public init(globalDefault: Int? = nil, perModule: [String: [String: Int]] = [:]) {
        self.globalDefault = globalDefault
        self.perModule = perModule
    }

    /// Reads caikit's `training_data_limit` mapping.
    public init(json value: JSONValue, source: String) throws {
        self = try TuningError.reading { try TrainingDataLimit(fields: value, source: source) }
    }

    private init(fields value: JSONValue, source: String) throws {
        let r = try JSONConfig(object: value, file: source, path: "training_data_limit")
        perModule = [:]
        for key in r.object.keys.sorted() {
            if key == "__default__" {
                globalDefault = try r.intIfPresent(key)
                continue
            }
            guard let m = try r.objectIfPresent(key) else { continue }
            var models: [String: Int] = [:]
            for model in m.object.keys {
                if let n = try m.intIfPresent(model) { models[model] = n }
            }
            perModule[key] = models
        }
    }

    /// The limit that applies to `modelName` under `moduleID`; `nil` or ≤ 0 means unlimited.
    public func limit(moduleID: String, modelName: String) -> Int? {
        let module = perModule[moduleID] ?? [:]
        return module[modelName] ?? module["__default__"] ?? globalDefault
    }
}
