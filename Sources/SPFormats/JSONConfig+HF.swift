// The fields every HF `config.json` has, read through SPJSON's path reader.

import SPJSON
import SPTensor

extension JSONConfig {
    /// `model_type` (`llama`, `gpt2`, `t5`, …).
    public func modelType() throws -> String { try string("model_type") }

    /// The checkpoint's dtype: `dtype` (transformers 5) or `torch_dtype` (transformers 4); nil when
    /// neither is given. An unknown name (e.g. `float64`) throws.
    public func torchDtype() throws -> DType? {
        guard let c = try first(["dtype", "torch_dtype"]) else { return nil }
        guard let d = DType(torchName: try c.string()) else { throw c.mismatch("float32, float16 or bfloat16") }
        return d
    }

    /// The RoPE parameters object: `rope_parameters` (transformers 5) or `rope_scaling` (transformers 4);
    /// nil when neither is present or both are `null`.
    public func ropeParameters() throws -> JSONConfig? {
        guard let c = try first(["rope_parameters", "rope_scaling"]) else { return nil }
        guard case .object = c.value else { throw c.mismatch("an object") }
        return c
    }

    /// The RoPE base: top-level `rope_theta` (transformers 4) or `rope_parameters.rope_theta`
    /// (transformers 5); nil when neither is present (the caller supplies the architecture's default).
    public func ropeTheta() throws -> Double? {
        if let t = try doubleIfPresent("rope_theta") { return t }
        return try objectIfPresent("rope_parameters")?.doubleIfPresent("rope_theta")
    }

    /// The RoPE type inside ``ropeParameters()``: `rope_type`, or the older `type` (`linear`, `llama3`, …).
    public func ropeType() throws -> String? {
        try ropeParameters()?.stringIfPresent(["rope_type", "type"])
    }
}
