import ArgumentParser
import Foundation
import SPGeneration
import SPModels
import SPService
import SPTensor

/// `softprompt bench generate --gguf FILE`: llama-bench's two tests on our engine — pp (prefill of
/// `--pp` random tokens in one batch, tokens/s) and tg (`--tg` tokens generated one at a time from a
/// one-token prompt: `--tg` one-token forward calls) — then llama.cpp's `llama-bench` on the same
/// file and thread count in the same invocation, and the ratios.
extension BenchGenerate {
    func runGGUF(_ path: String) throws {
        let threads = options.threads ?? Runtime.coreCount
        let storage = try WeightStorage(dtype ?? "f32", activations: activations)
        try Runtime.configure(threads: threads)
        print("OpenBLAS: \(BLAS.configuration)")
        let model = try ModelLoader.load(gguf: path, dtype: storage.dtype, quantization: storage.quantization)
        try storage.checkApplies(to: model)
        let act = storage.quantization == .nativeQ8 ? ", activations q8 (llama.cpp's arithmetic)" : ""
        print("\(path): weights \(dtype ?? "f32")\(act); \(threads) thread(s); pp\(pp) and tg\(tg), \(repeats) timed run(s) after a warm-up")
        print("softprompt \(weightReport(model))")
        let gen = try TokenGenerator(model: model, prompt: nil)
        let vocab = model.tokenEmbedding.outFeatures
        var rng = SplitMix(seed: 3)
        let promptIds = (0..<pp).map { _ in Int32(rng.next() % UInt64(vocab)) }
        func call(_ ids: [Int32], _ n: Int) throws -> Int {
            var p = GenerationParameters()
            p.maxNewTokens = n
            p.minNewTokens = n
            return try gen.generate([TokenRequest(inputIds: ids, parameters: p)], eos: [], pad: 0)[0].ids.count
        }
        func timed(_ ids: [Int32], _ n: Int) throws -> [Double] {
            _ = try call(ids, n)  // warm-up
            return try (0..<repeats).map { _ in
                let t0 = Clock.now()
                _ = try call(ids, n)
                return Clock.now() - t0
            }
        }
        // pp: one batch of pp tokens (the one sampled token costs a softmax, nothing more).
        let ppTimes = try timed(promptIds, 1)
        // tg: a one-token prompt then tg − 1 decode steps = tg one-token forward calls, as llama-bench's tg.
        let tgTimes = try timed([promptIds[0]], tg)
        let ours = [("pp\(pp)", Double(pp), ppTimes), ("tg\(tg)", Double(tg), tgTimes)].map { name, tokens, times in
            (name: name, tokensPerSecond: times.map { tokens / $0 }.reduce(0, +) / Double(times.count),
             runs: times)
        }
        var theirs: [LlamaBenchResult] = []
        let found = LlamaBench.locate(flag: llamaBench)
        if let bin = found.path {
            do {
                theirs = try LlamaBench.run(binary: bin, gguf: path, promptTokens: pp, generatedTokens: tg, threads: threads,
                                            repetitions: max(repeats, 1))
                if let t = theirs.first { print("llama.cpp: \(bin) (from \(found.why)), build \(t.buildCommit), \(t.modelType), \(t.threads) thread(s)") }
            } catch {
                print("llama.cpp: failed (\(error)); softprompt only")
            }
        } else {
            print("llama.cpp: not run (\(found.why)); softprompt only")
        }
        print("test | softprompt tokens/s | llama.cpp tokens/s | softprompt/llama.cpp")
        for o in ours {
            let runs = o.runs.map { fmt($0, 3) }.joined(separator: ", ")
            let line = "\(o.name) | \(fmt(o.tokensPerSecond, 1)) (\(runs) s)"
            if let t = theirs.first(where: { $0.testName == o.name }) {
                print("\(line) | \(fmt(t.tokensPerSecond, 1)) ± \(fmt(t.stddev, 1)) | \(fmt(o.tokensPerSecond / t.tokensPerSecond, 2))×")
            } else {
                print("\(line) | — | —")
            }
        }
        let m = try model.decoderModel()
        let bytes = m.weights.filter { $0 !== m.tokenEmbedding || $0 === m.head.weight }.reduce(0) { $0 + $1.storageBytes }
        let limits = MachineLimits.measure(threads: threads, seconds: min(options.seconds, 0.5))
        print("softprompt tg\(tg) (weights read per token): \(limits.ofBandwidth(bytesPerToken: Double(bytes), tokensPerSecond: ours[1].tokensPerSecond))")
    }
}
