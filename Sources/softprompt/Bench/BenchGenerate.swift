import ArgumentParser
import Foundation
import SPJSON
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
            scripts/reference/smollm2_reference.py writes); with --arch t5, t5-random (a seeded random \
            T5 v1.0 of the T5-small shape, or the shape given by the options: the virtual tokens are an \
            ENCODER prompt, the encoder runs once on virtual + prompt tokens and the decoder decodes \
            against its self-attention cache and the cached cross-attention keys/values). A run is one \
            generate call: the prefill of virtual + prompt tokens, then new tokens one at a time (min = \
            max new tokens, so EOS cannot end it early); tokens/s = new tokens / the whole call.
            """)

    @OptionGroup var options: BenchOptions
    @Option(help: "gpt2-random, smollm2, both, or a llama .gguf file (e.g. one scripts/make_random_gguf.py wrote; no reference run).")
    var model = "both"
    @Option(help: "Prompt tokens (seeded random ids).") var promptLen = 32
    @Option(help: "Virtual tokens of the soft prompt.") var virtual = 20
    @Option(help: "New tokens per generate call.") var newTokens = 64
    @Option(help: "Timed generate calls after one warm-up.") var repeats = 2
    @Option(help: "Weight storage for SoftPrompt: f32, bf16, f16, q8_0 or native (GGUF blocks kept; the reference runs float32); default f32.") var dtype: String?
    @Option(name: .customLong("torch-dtype"), help: "bfloat16: ours as generate --torch-dtype bfloat16 runs it (bf16 weights and compute), the reference with the model cast to torch.bfloat16; --arch gpt2 models, not with --dtype or --gguf.")
    var torchDtype: String?
    @Option(help: "gpt2 (the models --model names) or t5 (a random T5 v1.0 of the T5-small shape unless the shape options are given: encoder-decoder, ENCODER prompt; --model must stay at its default).")
    var arch = "gpt2"
    @Option(name: .customLong("layers"), help: "Random model shape: transformer blocks (per stack for t5; default 12, t5 6).")
    var layersOption: Int?
    @Option(name: .customLong("hidden"), help: "Random model shape: width (default 768, t5 512).") var hiddenOption: Int?
    @Option(name: .customLong("heads"), help: "Random model shape: attention heads (default 12, t5 8).") var headsOption: Int?
    @Option(name: .customLong("vocab"), help: "Random model shape: vocabulary size (default 50257, t5 32128).") var vocabOption: Int?
    @Option(help: "t5: feed-forward width (d_ff).") var ffn = 2048
    @Flag(help: "Skip the transformers+PEFT reference run.") var noReference = false
    @Option(help: "A GGUF file: llama-bench's pp and tg tests on it, ours and llama.cpp's llama-bench (when found) in the same run, with the ratios.")
    var gguf: String?
    @Option(help: "With --gguf: llama.cpp's llama-bench binary (default: $SOFTPROMPT_LLAMA_BENCH, else the one scripts/reference/build_llama_bench.sh builds in the cache).")
    var llamaBench: String?
    @Option(help: "With --gguf: prompt tokens of the pp test.") var pp = 512
    @Option(help: "With --gguf: generated tokens of the tg test.") var tg = 64
    @Option(help: "Activations of the products with --dtype native block weights: \(WeightStorage.activationChoices).")
    var activations = "f32"
    var layers: Int { layersOption ?? (arch == "t5" ? 6 : 12) }
    var hidden: Int { hiddenOption ?? (arch == "t5" ? 512 : 768) }
    var heads: Int { headsOption ?? (arch == "t5" ? 8 : 12) }
    var vocab: Int { vocabOption ?? (arch == "t5" ? 32128 : 50257) }
    /// The models to run, in order.
    var models: [String] { arch == "t5" ? ["t5-random"] : model == "both" ? ["gpt2-random", "smollm2"] : [model] }

    func validate() throws {
        guard ["gpt2-random", "smollm2", "both"].contains(model) || model.hasSuffix(".gguf") else {
            throw ValidationError("--model must be gpt2-random, smollm2, both or a .gguf file, got \(model)")
        }
        guard ["gpt2", "t5"].contains(arch) else { throw ValidationError("--arch must be gpt2 or t5, got \(arch)") }
        if arch == "t5" && model != "both" { throw ValidationError("--model is for --arch gpt2 only (--arch t5 runs a random T5)") }
        if arch == "gpt2" && ffn != 2048 { throw ValidationError("--ffn is for --arch t5 only") }
        if arch == "t5" && vocab < 3 { throw ValidationError("--vocab must be ≥ 3 for t5") }
        if ffn < 1 { throw ValidationError("--ffn must be ≥ 1, got \(ffn)") }
        let compute = try GenerationCompute(torchDtype: torchDtype, dtype: dtype)
        _ = try WeightStorage(compute.storageName(dtype), activations: activations)
        if compute == .bfloat16 && (arch != "gpt2" || gguf != nil) {
            throw ValidationError("--torch-dtype bfloat16 is for decoder-only models (--model); drop --arch t5 / --gguf")
        }
        if gguf != nil {
            if model != "both" { throw ValidationError("--gguf names the model; drop --model") }
            if arch != "gpt2" { throw ValidationError("--gguf is a llama-architecture GGUF; drop --arch") }
            for (n, v) in [("pp", pp), ("tg", tg)] where v < 1 { throw ValidationError("--\(n) must be ≥ 1, got \(v)") }
        } else if llamaBench != nil || pp != 512 || tg != 64 {
            throw ValidationError("--llama-bench, --pp and --tg go with --gguf FILE")
        } else if activations.lowercased() != "f32" && !(model.hasSuffix(".gguf") || model == "smollm2") {
            throw ValidationError("--activations q8 needs a GGUF's blocks: --gguf FILE, --model FILE.gguf or --model smollm2, with --dtype native")
        }
        for (n, v) in [("prompt-len", promptLen), ("new-tokens", newTokens), ("repeats", repeats), ("layers", layers),
                       ("hidden", hidden), ("heads", heads), ("vocab", vocab)] where v < 1 {
            throw ValidationError("--\(n) must be ≥ 1, got \(v)")
        }
        if virtual < 0 { throw ValidationError("--virtual must be ≥ 0, got \(virtual)") }
        if hidden % heads != 0 { throw ValidationError("--hidden \(hidden) is not a multiple of --heads \(heads)") }
    }

    func run() throws {
        if let gguf { return try runGGUF(gguf) }
        let threads = options.threads ?? Runtime.coreCount
        let compute = try GenerationCompute(torchDtype: torchDtype, dtype: dtype)
        let storage = try WeightStorage(compute.storageName(dtype), activations: activations)
        try Runtime.configure(threads: threads)
        print("OpenBLAS: \(BLAS.configuration)")
        print("batch 1, \(promptLen) prompt + \(virtual) virtual tokens, \(newTokens) new tokens (greedy, KV cache); \(threads) thread(s); weights \(compute.storageName(dtype))\(compute == .bfloat16 ? ", bf16 compute (--torch-dtype bfloat16)" : "")")
        if compute == .bfloat16, let notice = BF16Compute.fallbackNotice { print(notice) }
        var decodes: [(name: String, bytes: Double, tokensPerSecond: Double)] = []
        for name in models {
            let m: any LanguageModel
            if name == "t5-random" {
                let (ckpt, config) = try SyntheticCheckpoint.t5(layers: layers, hidden: hidden, ffn: ffn, heads: heads, vocab: vocab)
                m = try ModelRegistry.build(config: config, source: ckpt, dtype: storage.dtype,
                                             quantization: storage.quantization, origin: "synthetic t5")
            } else if name == "gpt2-random" {
                let positions = max(1024, promptLen + virtual + newTokens)
                let (ckpt, config) = try SyntheticCheckpoint.gpt2(layers: layers, hidden: hidden, heads: heads, vocab: vocab,
                                                                  positions: positions)
                m = try ModelRegistry.build(config: config, source: ckpt, dtype: storage.dtype,
                                             quantization: storage.quantization)
            } else if name.hasSuffix(".gguf") {
                m = try ModelLoader.load(gguf: name, dtype: storage.dtype, quantization: storage.quantization)
                try storage.checkApplies(to: m)
            } else {
                let env = ProcessInfo.processInfo.environment
                let cache = env["SOFTPROMPT_CACHE"] ?? (NSHomeDirectory() + "/.cache/softprompt")
                let path = env["SOFTPROMPT_SMOLLM2_GGUF"] ?? (cache + "/SmolLM2-135M-Instruct.Q4_1.gguf")
                guard FileManager.default.fileExists(atPath: path) else {
                    print("smollm2: not run (\(path) missing: run scripts/fetch_smollm2.sh)")
                    continue
                }
                m = try ModelLoader.load(gguf: path, dtype: storage.dtype, quantization: storage.quantization)
                try storage.checkApplies(to: m)
            }
            print("\(name) \(weightReport(m))")
            let ours = try compute.run { try measure(m) }
            print("\(name) softprompt: \(fmt(ours.tokensPerSecond, 1)) tokens/s (\(fmt(ours.seconds, 3)) s per generate: \(ours.runs.map { fmt($0, 3) }.joined(separator: ", ")); first token \(fmt(ours.prefill * 1000, 1)) ms), peak RSS \(gib(ours.peakRSS))")
            decodes.append((name, decodeBytesPerToken(m, storage), ours.decodeTokensPerSecond))
            if noReference { continue }
            if name.hasSuffix(".gguf") { print("\(name) transformers+peft: not run (no reference for a GGUF file)"); continue }
            let script = "scripts/reference/bench_generate.py"
            if let why = Reference.unavailable(script: script) { print("\(name) transformers+peft: not run (\(why))"); continue }
            var args = ["--model", name, "--prompt-len", "\(promptLen)", "--virtual", "\(virtual)", "--new-tokens", "\(newTokens)",
                        "--repeats", "\(repeats)", "--threads", "\(threads)"]
            if name != "smollm2" {
                args += ["--layers", "\(layers)", "--hidden", "\(hidden)", "--heads", "\(heads)", "--vocab", "\(vocab)"]
            }
            if name == "t5-random" { args += ["--ffn", "\(ffn)"] }
            if compute == .bfloat16 { args += ["--torch-dtype", "bfloat16"] }
            do {
                let r = try Reference.run(script: script, arguments: args)
                let theirs = try r.double("tokens_per_second"), prefill = try r.double("prefill_seconds")
                let theirRSS = try r.int("peak_rss_bytes")
                print("\(name) transformers+peft: \(fmt(theirs, 1)) tokens/s (\(fmt(try r.double("seconds"), 3)) s per generate; prefill \(fmt(prefill * 1000, 1)) ms), peak RSS \(gib(theirRSS)) (torch \(try r.string("torch")), \(try r.string("attn_implementation")), \(try r.string("torch_dtype")))")
                print("\(name) speed-up softprompt/transformers: \(fmt(ours.tokensPerSecond / theirs, 2))×, peak RSS ratio \(fmt(Double(ours.peakRSS) / Double(max(theirRSS, 1)), 3))×")
            } catch {
                print("\(name) transformers+peft: failed (\(error))")
            }
        }
        // Measured last: the bandwidth loop's 64 MiB buffers would count in the peak RSS above.
        let limits = MachineLimits.measure(threads: threads, seconds: min(options.seconds, 0.5))
        for d in decodes {
            print("\(d.name) softprompt decode (weights read per token): \(limits.ofBandwidth(bytesPerToken: d.bytes, tokensPerSecond: d.tokensPerSecond))")
        }
    }

    /// Weight bytes one decoded token reads (every projection and the LM head once; the KV cache
    /// and the embedding row are left out): the numerator of the bandwidth figure.
    func decodeBytesPerToken(_ m: any LanguageModel, _ storage: WeightStorage) -> Double {
        if storage.quantization == .native || storage.quantization == .nativeQ8, let d = try? m.decoderModel() {
            // A GGUF's own blocks: the bytes its matrices hold (the embedding table only as the LM head).
            return Double(d.weights.filter { $0 !== d.tokenEmbedding || $0 === d.head.weight }.reduce(0) { $0 + $1.storageBytes })
        }
        let element = storage.quantization == .q8_0 ? 34.0 / 32 : Double(storage.dtype.size)
        if m.kind == .seq2seqLM {
            // T5 v1.0 decoder: self-attention 4c², cross-attention q and o 2c² (k and v are cached), ReLU FFN 2c·ff.
            let (c, ff) = (Double(hidden), Double(ffn))
            return element * (Double(layers) * (6 * c * c + 2 * c * ff) + Double(vocab) * c)
        }
        return decoderBytesPerToken(m, elementBytes: element)
    }

    struct Measurement {
        var runs: [Double]
        var prefill: Double
        var seconds: Double { runs.reduce(0, +) / Double(runs.count) }
        var tokensPerSecond: Double
        /// Tokens after the first per second of the generate calls less the prefill-only call's time:
        /// the decoding rate the bandwidth figure divides by (the whole-call rate when that is not measurable).
        var decodeTokensPerSecond: Double {
            let made = tokensPerSecond * seconds, decode = seconds - prefill
            return made > 1 && decode > 0 ? (made - 1) / decode : tokensPerSecond
        }
        /// The process's peak RSS after the runs (with `--model both`, the first model's count too).
        var peakRSS: Int
    }

    /// One warm-up, then `repeats` timed generate calls, plus one prefill-only call.
    func measure(_ m: any LanguageModel) throws -> Measurement {
        var rng = SplitMix(seed: 2)
        let v = m.tokenEmbedding.outFeatures, e = m.inputWidth
        let ids = (0..<promptLen).map { _ in Int32(rng.next() % UInt64(v)) }
        // A soft prompt made of the embeddings of seeded random ids (its values do not affect speed).
        var values = [Float]()
        for _ in 0..<virtual { values += m.tokenEmbedding.row(Int(rng.next() % UInt64(v))) }
        // A seq2seq model takes it as an ENCODER prompt (PEFT's one-submodule layout).
        let prompt = virtual > 0 ? TunedPrompt(values: values, virtualTokens: virtual, tokenDim: e, taskType: m.kind,
                                               encoderRows: m.kind == .seq2seqLM ? virtual : 0) : nil
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
        return Measurement(runs: runs, prefill: prefill, tokensPerSecond: Double(made) / mean, peakRSS: peakRSS())
    }
}
