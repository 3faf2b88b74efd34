// A model directory holding only pytorch_model.bin (Fixtures/gpt2_bin: the tiny GPT-2's state_dict
// torch.saved, lm_head.weight tied to transformer.wte.weight) loads through the model loader and
// decodes exactly like the safetensors copy of the same weights.

import Foundation
import SPFormats
import SPModels
import SPTensor
import Testing

@Suite struct TorchBinLoaderTests {
    let bin = ModelFixture.root.appendingPathComponent("gpt2_bin").path

    @Test func sameTensorsAsTheSafetensorsCopy() throws {
        let st = try Checkpoint.open(directory: ModelFixture.root.appendingPathComponent("gpt2").path)
        let pt = try Checkpoint.open(directory: bin)
        #expect(pt is TorchCheckpoint)
        #expect(Set(pt.tensorNames) == Set(st.tensorNames).union(["lm_head.weight"]))
        for name in st.tensorNames { #expect(try pt.tensor(name).array == st.tensor(name).array, "\(name)") }
        #expect(try pt.tensor("lm_head.weight").array == st.tensor("transformer.wte.weight").array)
    }

    @Test func loadsAndDecodesLikeTransformers() throws {
        let f = try ModelFixture("gpt2")
        let model = try ModelLoader.load(directory: bin).decoderModel()
        let reference = try f.load()
        #expect(model.tokenEmbedding.row(7) == reference.tokenEmbedding.row(7))
        let g = f.golden["generation"] as! [String: Any]
        let ids = try ints(g["input_ids"]), want = try ints(g["new_ids"])
        let cache = KVCache(model: model, batch: 1, capacity: ids.count + want.count)
        let ws = InferenceWorkspace()
        var logits = [Float](repeating: 0, count: model.head.vocab)
        var step = ids, out: [Int32] = []
        let e = model.inputWidth
        for _ in want {
            var x = [Float](repeating: 0, count: step.count * e)
            for (i, id) in step.enumerated() { x.replaceSubrange((i * e)..<((i + 1) * e), with: model.tokenEmbedding.row(Int(id))) }
            let mask = [Int32](repeating: 1, count: step.count)
            try logits.withUnsafeMutableBufferPointer { l in
                try model.decode(embeds: x, mask: mask, tokens: step.count, cache: cache, rule: .cumsumMask(padValue: 1),
                                 logits: l.baseAddress!, workspace: ws)
            }
            let next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
            out.append(next)
            step = [next]
        }
        #expect(out == want, "greedy \(out) vs transformers \(want)")
    }

    @Test func downloadsPytorchModelBinWhenTheRepoHasNoSafetensors() throws {
        let server = try LocalHTTPServer(serving: bin, as: "acme/old")
        let hub = NSTemporaryDirectory() + "softprompt-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: hub) }
        let env = ["HF_HUB_CACHE": hub, "HF_ENDPOINT": server.endpoint, "ALLOW_DOWNLOADS": "true"]
        let loc = try ModelLoader.resolve("acme/old", environment: env)
        let served = server.served()
        #expect(served.contains("/acme/old/resolve/main/model.safetensors"), "safetensors asked for first")
        #expect(served.contains("/acme/old/resolve/main/pytorch_model.bin"))
        #expect(!served.contains("/acme/old/resolve/main/pytorch_model.bin.index.json"), "stops at the first found")
        let m = try ModelLoader.load(loc)
        #expect(m.tokenEmbedding.row(3) == (try ModelLoader.load(directory: bin).tokenEmbedding.row(3)))
    }
}
