// Greedy generation of a bf16 model against transformers (scripts/reference/bf16_generation_goldens.py,
// Fixtures/bf16_generation.json): the tiny gpt2 and llama fixtures loaded in bf16 and decoded with
// the KV cache inside `BF16Compute.with` (what `generate --torch-dtype bfloat16` runs) against
// torch_dtype=torch.bfloat16. gpt2: the same 12 greedy ids, logits of the first 3 steps within 4 bf16
// ulps. llama: the first id, and logits within 8 ulps while the contexts agree; its later ids are
// not required to match: torch's own bf16 logits have a top-2 gap of one ulp (0.015625) on this
// prompt, and four llama rounding points are not matched yet (RMSNorm rounds x̂ before the weight
// product, SiLU(gate)·up is rounded twice, RoPE and the attention run in bf16 in PyTorch; each moves
// torch's step-0 logits by 0.016-0.05 when emulated), so a near-tie resolves differently at step 2.
// Disabled on CPUs without AVX512-BF16 (there the weights compute in float32, another model).

import Foundation
import SPModels
import SPTensor
import SPTestSupport
import Testing

@Suite(.enabled(if: LinearBF16.isAvailable, "needs AVX512-BF16"))
struct BF16GenerationGoldenTests {

    /// Greedy ids from `prompt`, with the logits of every step, decoding with the KV cache.
    static func greedy(_ model: DecoderModel, _ prompt: [Int32], new: Int) throws -> ([Int32], [[Float]]) {
        let cache = KVCache(model: model, batch: 1, capacity: prompt.count + new)
        let ws = InferenceWorkspace()
        var logits = [Float](repeating: 0, count: model.head.vocab)
        var out: [Int32] = [], steps: [[Float]] = [], step = prompt
        let e = model.inputWidth
        for _ in 0..<new {
            var x = [Float](repeating: 0, count: step.count * e)
            for (i, id) in step.enumerated() { x.replaceSubrange((i * e)..<((i + 1) * e), with: model.tokenEmbedding.row(Int(id))) }
            let mask = [Int32](repeating: 1, count: step.count)
            try logits.withUnsafeMutableBufferPointer { l in
                try model.decode(embeds: x, mask: mask, tokens: step.count, cache: cache, rule: .cumsumMask(padValue: 1),
                                 logits: l.baseAddress!, workspace: ws)
            }
            steps.append(logits)
            let next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
            out.append(next)
            step = [next]
        }
        return (out, steps)
    }

    /// Per model: whether all greedy ids must match, and the logits' allowance in bf16 ulps of the
    /// step's largest |logit|: the two sides round float32 sums made in other orders (the Linears'
    /// and the attention products'), and one flipped bf16 rounding early in the stack moves the
    /// logits by a few ulps. Measured with the attention's bf16 roundings in place: gpt2 ≤ 5.1 ulps
    /// (step 1; 4.0 before those roundings), llama ≤ 6.5 at step 0.
    @Test(arguments: [("gpt2", true, Float(6)), ("llama", false, Float(8))])
    func greedyIdsMatchTorchBF16(_ name: String, allIds: Bool, ulps: Float) throws {
        let golden = try ModelFixture.fixtures.jsonObject("bf16_generation.json")
        let models = try #require(golden["models"] as? [[String: Any]], "Fixtures/bf16_generation.json: no models")
        let g = try #require(models.first { $0["name"] as? String == name }, "no \(name) in bf16_generation.json")
        let prompt = try ints(golden["input_ids"]), want = try ints(g["new_ids"])
        let model = try ModelFixture(name).load(dtype: .bfloat16)
        let (got, logits) = try BF16Compute.with { try Self.greedy(model, prompt, new: want.count) }
        if allIds {
            #expect(got == want, "\(name): bf16 greedy \(got) vs torch bf16 \(want)")
        } else {
            #expect(got.first == want.first, "\(name): first bf16 greedy id \(got) vs torch bf16 \(want)")
        }
        let ref = try #require(g["logits"] as? [[NSNumber]])
        // Step s's logits are comparable while the ids before it agree (the same context).
        for (s, r) in ref.enumerated() where got.prefix(s) == want.prefix(s) {
            let r = r.map { Float($0.doubleValue) }
            let big = r.map(abs).max()!
            let ulp = Float(sign: .plus, exponent: big.exponent - 7, significand: 1)
            let worst = zip(logits[s], r).map { abs($0 - $1) }.max()!
            let exact = zip(logits[s], r).filter { $0 == $1 }.count
            #expect(worst <= ulps * ulp, "\(name) step \(s): logits up to \(worst / ulp) bf16 ulps (of \(big)) from torch; \(exact)/\(r.count) identical")
            #expect(logits[s].allSatisfy { $0 == Float(bitPattern: $0.bitPattern & 0xFFFF_0000) }, "\(name) step \(s): bf16 logits")
        }
        // Outside the switch the same bf16 weights compute in float32: another model, other logits.
        let (_, f32Logits) = try Self.greedy(model, prompt, new: 1)
        #expect(f32Logits[0] != logits[0], "\(name): float32 compute gives the bf16 logits; the switch did nothing")
    }
}
