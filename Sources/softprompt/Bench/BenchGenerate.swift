import ArgumentParser
import Foundation
import SPGeneration
import SPModels
import SPPrompt
import SPTensor

/// `softprompt bench generate`: greedy generation with a soft prompt at batch 1, against
/// transformers + PEFT `generate` on the same model shape in the same run.
struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Tokens/s of greedy generation with a soft prompt (KV cache, batch 1) against transformers+PEFT.",
        discussion: """
            Models: gpt2-random (a seeded random GPT-2-small-shaped model, or the shape given by the \
            options) and smollm2 (SmolLM2-135M-Instruct from the cached GGUF, dequantized to float32; \
            scripts/fetch_smollm2.sh fetches it, and the reference needs the float32 folder that \
            scripts/reference/smollm2_reference.py writes). A run is one generate call: the prefill of \
            virtual + prompt tokens, then new tokens one at a time (min = max new tokens, so EOS cannot \
            end it early); tokens/s = new tokens / the whole call.
            """)

    @OptionGroup var options: BenchOptions
    @Option(help: "gpt2-random, smollm2 or both.") var model = "both"
    @Option(help: "Prompt tokens (seeded random ids).") var promptLen = 32
    @Option(help: "Virtual tokens of the soft prompt.") var virtual = 20
    @Option(help: "New tokens per generate call.") var newTokens = 64
    @Option(help: "Timed generate calls after one warm-up.") var repeats = 2
    @Option(help: "Weight storage for SoftPrompt: f32, bf16, f16 or q8_0 (the reference runs float32).") var dtype = "f32"
    @Option(help: "GPT-2 shape: transformer blocks.") var layers = 12
    @Option(help: "GPT-2 shape: width.") var hidden = 768
    @Option(help: "GPT-2 shape: attention heads.") var heads = 12
    @Option(help: "GPT-2 shape: vocabulary size.") var vocab = 50257
    @Flag(help: "Skip the transformers+PEFT reference run.") var noReference = false



    func validate() throws {
        guard ["gpt2-random", "smollm2", "both"].contains(model) else {
            throw ValidationError("--model must be gpt2-random, smollm2 or both, got \(model)")
        }
        _ = try WeightStorage(dtype)
        for (n, v) in [("prompt-len", promptLen), ("new-tokens", newTokens), ("repeats", repeats), ("layers", layers),
                       ("hidden", hidden), ("heads", heads), ("vocab", vocab)] where v < 1 {
            throw ValidationError("--\(n) must be ≥ 1, got \(v)")
        }
        if virtual < 0 { throw ValidationError("--virtual must be ≥ 0, got \(virtual)") }
        if hidden % heads != 0 { throw ValidationError("--hidden \(hidden) is not a multiple of --heads \(heads)") }
    }

    func run() throws {
        let threads = options.threads ?? Runtime.coreCount
        let storage = try WeightStorage(dtype)
        try Runtime.configure(threads: threads)
        print("OpenBLAS: \(BLAS.configuration)")
        print("batch 1, \(promptLen) prompt + \(virtual) virtual tokens, \(newTokens) new tokens (greedy, KV cache); \(threads) thread(s); weights \(dtype)")
        for name in model == "both" ? ["gpt2-random", "smollm2"] : [model] {
            let m: any LanguageModel
            if name == "gpt2-random" {
                let positions = max(1024, promptLen + virtual + newTokens)
                let (ckpt, config) = try SyntheticCheckpoint.gpt2(layers: layers, hidden: hidden, heads: heads, vocab: vocab,
                                                                  positions: positions)
                m = try ModelRegistry.build(config: config, source: ckpt, dtype: storage.dtype,
                                             quantization: storage.quantization)
            } else {
                let env = ProcessInfo.processInfo.environment
                let cache = env["SOFTPROMPT_CACHE"] ?? (NSHomeDirectory() + "/.cache/softprompt")
                let path = env["SOFTPROMPT_SMOLLM2_GGUF"] ?? (cache + "/SmolLM2-135M-Instruct.Q4_1.gguf")
                guard FileManager.default.fileExists(atPath: path) else {
                    print("smollm2: not run (\(path) missing: run scripts/fetch_smollm2.sh)")
                    continue
                }
                m = try ModelLoader.load(gguf: path, dtype: storage.dtype, quantization: storage.quantization)
            }
            let ours = try measure(m)
            print("\(name) softprompt: \(fmt(ours.tokensPerSecond, 1)) tokens/s (\(fmt(ours.seconds, 3)) s per generate: \(ours.runs.map { fmt($0, 3) }.joined(separator: ", ")); first token \(fmt(ours.prefill * 1000, 1)) ms), peak RSS \(gib(peakRSS()))")
            if noReference { continue }
            let script = "scripts/reference/bench_generate.py"
            if let why = Reference.unavailable(script: script) { print("\(name) transformers+peft: not run (\(why))"); continue }
            var args = ["--model", name, "--prompt-len", "\(promptLen)", "--virtual", "\(virtual)", "--new-tokens", "\(newTokens)",
                        "--repeats", "\(repeats)", "--threads", "\(threads)"]
            if name == "gpt2-random" {
                args += ["--layers", "\(layers)", "--hidden", "\(hidden)", "--heads", "\(heads)", "--vocab", "\(vocab)"]
            }
            do {
                let r = try Reference.run(script: script, arguments: args)
                let theirs = (r["tokens_per_second"] as? Double) ?? .nan
                let prefill = (r["prefill_seconds"] as? Double) ?? .nan
                print("\(name) transformers+peft: \(fmt(theirs, 1)) tokens/s (\(fmt((r["seconds"] as? Double) ?? .nan, 3)) s per generate; prefill \(fmt(prefill * 1000, 1)) ms), peak RSS \(gib((r["peak_rss_bytes"] as? Int) ?? 0)) (torch \(r["torch"] ?? "?"), \(r["attn_implementation"] ?? "?"))")
                print("\(name) speed-up softprompt/transformers: \(fmt(ours.tokensPerSecond / theirs, 2))×")
            } catch {
                print("\(name) transformers+peft: failed (\(error))")
            }
        }
    }

    struct Measurement {
        var runs: [Double]
        var prefill: Double
        var seconds: Double { runs.reduce(0, +) / Double(runs.count) }
        var tokensPerSecond: Double
    }

    /// One warm-up, then `repeats` timed generate calls, plus one prefill-only call.
    func measure(_ m: any LanguageModel) throws -> Measurement {
        var rng = SplitMix(seed: 2)
        let v = m.tokenEmbedding.outFeatures, e = m.inputWidth
        let ids = (0..<promptLen).map { _ in Int32(rng.next() % UInt64(v)) }
        // A soft prompt made of the embeddings of seeded random ids (its values do not affect speed).
        var values = [Float]()
        for _ in 0..<virtual { values += m.tokenEmbedding.row(Int(rng.next() % UInt64(v))) }
        let prompt = virtual > 0 ? TunedPrompt(values: values, virtualTokens: virtual, tokenDim: e) : nil
        let gen = try TokenGenerator(model: m, prompt: prompt)
        func call(_ n: Int) throws -> Int {
            var p = GenerationParameters()
            p.maxNewTokens = n
            p.minNewTokens = n
            return try gen.generate([TokenRequest(inputIds: ids, parameters: p)], eos: [], pad: 0)[0].ids.count
        }
        _ = try call(4)
        var runs: [Double] = [], made = 0
        for _ in 0..<repeats {
            let t0 = Clock.now()
            made = try call(newTokens)
            runs.append(Clock.now() - t0)
        }
        let t0 = Clock.now()
        _ = try call(1)
        let prefill = Clock.now() - t0
        let mean = runs.reduce(0, +) / Double(runs.count)
        return Measurement(runs: runs, prefill: prefill, tokensPerSecond: Double(made) / mean)
    }
}
