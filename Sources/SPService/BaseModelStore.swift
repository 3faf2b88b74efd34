// One loaded copy of each base model, shared by every job and request that names it.

import SPModels
import SPTensor

/// Loads a base model once and hands the same copy to every caller (training jobs, generation
/// requests). Concurrent requests for a model that is still loading wait for that one load.
///
/// ```swift
/// let store = BaseModelStore()
/// let base = try await store.model("HuggingFaceTB/SmolLM2-135M", baseModelsDir: nil)
/// ```
public actor BaseModelStore {
    private var loads: [String: Task<BaseModel, any Error>] = [:]

    /// An empty store.
    public init() {}

    /// The base model `name` resolves to (path, `base_models_dir`, HF cache, download; see
    /// `ModelLoader.resolve`), loaded on first use with the given weight storage.
    public func model(_ name: String, baseModelsDir: String?, dtype: DType = .float32,
                      quantization: WeightQuantization? = nil) async throws -> BaseModel {
        try await model(at: ModelLoader.resolve(name, baseModelsDir: baseModelsDir), dtype: dtype,
                        quantization: quantization)
    }

    /// The base model at `location`, loaded on first use. A failed load is not kept: the next
    /// request tries again.
    public func model(at location: ModelLocation, dtype: DType = .float32,
                      quantization: WeightQuantization? = nil) async throws -> BaseModel {
        let key = "\(location.path)\u{0}\(dtype)\u{0}\(quantization.map { "\($0)" } ?? "-")"
        if let running = loads[key] { return try await running.value }
        let load = Task.detached { try BaseModel.load(location, dtype: dtype, quantization: quantization) }
        loads[key] = load
        do {
            return try await load.value
        } catch {
            loads[key] = nil
            throw error
        }
    }

    /// Number of loads held (finished or in progress).
    public var count: Int { loads.count }

    /// Forgets every model (callers that hold one keep it alive until they let go).
    public func removeAll() { loads.removeAll() }
}
