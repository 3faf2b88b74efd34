// A checkpoint made of seeded random tensors, for benchmarks and tests of models of any size
// without a file (GPT-2's init: weights N(0, 0.02²), norm weights 1, biases 0).

import SPFormats
import SPJSON
import SPTensor

/// Random tensors by name, generated on first use from a seed and the name (so every run and every
/// order of access gives the same values).
public final class SyntheticCheckpoint: TensorSource, @unchecked Sendable {
    private let shapes: [String: [Int]]
    private let order: [String]
    public let seed: UInt64

    /// `tensors`: name and shape, in checkpoint order.
    public init(_ tensors: [(String, [Int])], seed: UInt64 = 0) {
        shapes = Dictionary(tensors, uniquingKeysWith: { a, _ in a })
        order = tensors.map(\.0)
        self.seed = seed
    }

    public var tensorNames: [String] { order }

    public func shape(of name: String) throws -> [Int] {
        guard let s = shapes[name] else { throw ModelError.missingTensor(name, file: "synthetic checkpoint") }
        return s
    }

    public func tensor(_ name: String) throws -> Tensor {
        let t = Tensor(shape: try shape(of: name))
        if name.hasSuffix(".bias") { return t }
        if t.shape.count == 1 { for i in 0..<t.count { t.data[i] = 1 }; return t }
        var s = seed ^ fnv1a(name)
        for i in 0..<t.count {
            // Sum of 4 uniforms ≈ normal (mean 0, variance 4/12); scaled to std 0.02.
            var u: Float = 0
            for _ in 0..<4 { s = s &* 6364136223846793005 &+ 1442695040888963407; u += Float(s >> 40) / Float(1 << 24) }
            t.data[i] = (u - 2) * 0.02 * 1.7320508
        }
        return t
    }

    public func weight(_ name: String, transposed: Bool) throws -> Weight {
        Weight(try tensor(name), transposed: transposed)
    }

    private func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return h
    }

    /// The tensors and config.json of a GPT-2 of the given shape (`GPT2LMHeadModel`, tied head).
    public static func gpt2(layers: Int, hidden: Int, heads: Int, vocab: Int, positions: Int,
                            seed: UInt64 = 0) throws -> (SyntheticCheckpoint, JSONConfig) {
        var t: [(String, [Int])] = [("transformer.wte.weight", [vocab, hidden]), ("transformer.wpe.weight", [positions, hidden])]
        for l in 0..<layers {
            let p = "transformer.h.\(l)."
            t += [(p + "ln_1.weight", [hidden]), (p + "ln_1.bias", [hidden]),
                  (p + "attn.c_attn.weight", [hidden, 3 * hidden]), (p + "attn.c_attn.bias", [3 * hidden]),
                  (p + "attn.c_proj.weight", [hidden, hidden]), (p + "attn.c_proj.bias", [hidden]),
                  (p + "ln_2.weight", [hidden]), (p + "ln_2.bias", [hidden]),
                  (p + "mlp.c_fc.weight", [hidden, 4 * hidden]), (p + "mlp.c_fc.bias", [4 * hidden]),
                  (p + "mlp.c_proj.weight", [4 * hidden, hidden]), (p + "mlp.c_proj.bias", [hidden])]
        }
        t += [("transformer.ln_f.weight", [hidden]), ("transformer.ln_f.bias", [hidden])]
        let config = try JSONConfig(json: """
            {"model_type": "gpt2", "n_embd": \(hidden), "n_layer": \(layers), "n_head": \(heads), \
            "vocab_size": \(vocab), "n_positions": \(positions), "activation_function": "gelu_new", \
            "layer_norm_epsilon": 1e-5}
            """, file: "synthetic gpt2 config")
        return (SyntheticCheckpoint(t, seed: seed), config)
    }
}
