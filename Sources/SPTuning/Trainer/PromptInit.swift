// Initial soft prompts: PEFT's RANDOM, TEXT and SAMPLE_VOCAB.

import Foundation
import SPModels
import SPPrompt
import SPTensor
import SPTokenizers

/// Builds the initial prompt `[numVirtualTokens, E]` as PEFT's `PromptEmbedding.__init__` does.
public enum PromptInit {
    /// - RANDOM: `nn.Embedding` default init, N(0, 1) per element (seeded; not torch's stream).
    /// - TEXT: the init text tokenized with special tokens, repeated / truncated to the prompt
    ///   length, and those rows of the word embeddings.
    /// - SAMPLE_VOCAB: uniformly random token ids' embedding rows.
    public static func make(_ method: PromptTuningInitMethod, text: String?, numVirtualTokens n: Int,
                            model: any LanguageModel, tokenizer: some TextTokenizer, seed: UInt64) throws -> Tensor {
        let e = model.inputWidth, vocab = model.tokenEmbedding.outFeatures
        let out = Tensor(shape: [n, e])
        var rng = SplitMix64(seed: seed ^ 0x5EED_0F_50F7)
        switch method {
        case .text:
            guard let text, !text.isEmpty else {
                throw TuningError.missingParameter(field: "tuning_config.prompt_tuning_init_text",
                                                   hint: "TEXT init needs the text whose embeddings start the prompt")
            }
            var ids = try tokenizer.encode(text, addSpecialTokens: true)
            guard !ids.isEmpty else {
                throw TuningError.invalidParameter(field: "tuning_config.prompt_tuning_init_text", value: text,
                                                   hint: "the text tokenizes to no tokens")
            }
            if ids.count < n { ids = Array(repeating: ids, count: (n + ids.count - 1) / ids.count).flatMap { $0 } }
            for (r, id) in ids.prefix(n).enumerated() {
                guard id >= 0 && id < vocab else {
                    throw TuningError.invalidParameter(field: "tuning_config.prompt_tuning_init_text", value: text,
                                                       hint: "token id \(id) is outside the model's vocabulary (\(vocab))")
                }
                model.tokenEmbedding.rows(id, id + 1, into: out.data + r * e)
            }
        case .sampleVocab:
            for r in 0..<n {
                let id = Int(rng.next(below: UInt64(vocab)))
                model.tokenEmbedding.rows(id, id + 1, into: out.data + r * e)
            }
        default:
            // RANDOM (and the MPT source methods, which start from RANDOM before loading a source).
            let values = gaussian(n * e, std: 1, rng: &rng)
            out.data.update(from: values, count: values.count)
        }
        return out
    }

    /// `n` draws of N(0, std²) from `rng` (Box–Muller: two values per pair of uniforms).
    static func gaussian(_ n: Int, std: Float, rng: inout SplitMix64) -> [Float] {
        var out = [Float](repeating: 0, count: n)
        var i = 0
        while i < n {
            let u1 = max(Double(rng.next() >> 11) / Double(1 << 53), 1e-300)
            let u2 = Double(rng.next() >> 11) / Double(1 << 53)
            let r = (-2 * log(u1)).squareRoot()
            out[i] = std * Float(r * cos(2 * .pi * u2))
            if i + 1 < n { out[i + 1] = std * Float(r * sin(2 * .pi * u2)) }
            i += 2
        }
        return out
    }
}

