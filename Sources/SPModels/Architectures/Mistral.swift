// Mistral (transformers `modeling_mistral.py`): a Llama with a sliding attention window.

import SPFormats
import SPJSON

enum Mistral {
    static func build(_ c: JSONConfig, _ w: StrictLoader) throws -> DecoderModel {
        var o = LlamaOptions()
        o.modelType = "mistral"
        o.slidingWindow = try c.intIfPresent("sliding_window")
        return try Llama.build(c, w, o)
    }
}
