// Qwen2 (transformers `modeling_qwen2.py`): a Llama with biases on q/k/v (not on o_proj) and an
// optional sliding window (`use_sliding_window`, for layers ≥ `max_window_layers`).

import SPFormats
import SPJSON

enum Qwen2 {
    static func build(_ c: JSONConfig, _ w: StrictLoader) throws -> DecoderModel {
        var o = LlamaOptions()
        o.modelType = "qwen2"
        o.qkvBias = true
        if try c.bool("use_sliding_window", default: false) {
            let layers = try c.int("num_hidden_layers")
            let maxWindowLayers = try c.intIfPresent("max_window_layers") ?? layers
            guard maxWindowLayers == 0 else {
                throw ModelError.invalidConfig(
                    "use_sliding_window with max_window_layers \(maxWindowLayers) > 0 (per-layer windows) is not supported",
                    file: c.file)
            }
            o.slidingWindow = try c.intIfPresent("sliding_window")
        }
        return try Llama.build(c, w, o)
    }
}
