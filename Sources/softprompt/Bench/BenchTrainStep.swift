import ArgumentParser
import Foundation
import SPJSON
import SPModels
import SPTensor
import SPTuning

/// `softprompt bench train-step`: one prompt-tuning step against PyTorch+PEFT in the same run.
struct BenchTrainStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-step",
        abstract: "Time one prompt-tuning step (forward, backward to the prompt, AdamW) of a random GPT-2- or T5-shaped model.")

    @OptionGroup var options: BenchOptions
    @Option(help: "gpt2, or t5 (T5-small shape unless the shape options are given; ENCODER prompt).") var arch = "gpt2"
    @Option(help: "t5: target tokens per example.") var targetLen = 128
    @Option(help: "t5: feed-forward width (d_ff).") var ffn = 2048
    @Option(name: .customLong("layers"), help: "Transformer blocks (per stack for t5; default 12, t5 6).") var layersOption: Int?
    @Option(name: .customLong("hidden"), help: "Model width (default 768, t5 512).") var hiddenOption: Int?
    @Option(name: .customLong("heads"), help: "Attention heads (default 12, t5 8).") var headsOption: Int?
    @Option(name: .customLong("vocab"), help: "Vocabulary size (default 50257, t5 32128).") var vocabOption: Int?
    var layers: Int { layersOption ?? (arch == "t5" ? 6 : 12) }
    var hidden: Int { hiddenOption ?? (arch == "t5" ? 512 : 768) }
    var heads: Int { headsOption ?? (arch == "t5" ? 8 : 12) }
    var vocab: Int { vocabOption ?? (arch == "t5" ? 32128 : 50257) }
    @Option(help: "Batch size.") var batch = 8
    @Option(help: "Source tokens per example (labels on every one).") var sourceLen = 256
    @Option(help: "Virtual tokens.") var virtual = 20
    @Option(help: "Timed steps after one warm-up.") var steps = 2
    @Flag(help: "Recompute block activations in the backward (gradient checkpointing).") var checkpointing = false
    @Flag(help: "Skip the PyTorch+PEFT reference run.") var noReference = false
    @Option(name: .customLong("torch-dtype"),
            help: "gpt2: float32, or bfloat16 (bf16 weights and bf16 Linears on AVX512-BF16, as a torch_dtype bfloat16 job; PyTorch's model cast to bfloat16).")
    var torchDtype = "float32"
    @Flag(help: "Run the prompt rows once per row, as PEFT does, instead of once per batch (the trainer's path).")
    var perRowPrompt = false
    @Option(help: "Time the step on this llama .gguf file instead of a random GPT-2 (shape options ignored; no reference run).")
    var gguf: String?
    @Option(help: "With --gguf: f32 (weights dequantized at load) or native (the file's blocks kept, memory-mapped).")
    var weights = "f32"

    func validate() throws {
        guard ["gpt2", "t5"].contains(arch) else { throw ValidationError("--arch must be gpt2 or t5, got \(arch)") }
        if arch == "t5" && perRowPrompt { throw ValidationError("--per-row-prompt is for --arch gpt2 only") }
        if arch == "gpt2" && (targetLen != 128 || ffn != 2048) {
            throw ValidationError("--target-len and --ffn are for --arch t5 only")
        }
        if arch == "t5" && vocab < 3 { throw ValidationError("--vocab must be ≥ 3 for t5 (pad and eos are not drawn)") }
        for (n, v) in [("target-len", targetLen), ("ffn", ffn), ("layers", layers), ("hidden", hidden), ("heads", heads), ("vocab", vocab), ("batch", batch),
                       ("source-len", sourceLen), ("virtual", virtual), ("steps", steps)] where v < 1 {
            throw ValidationError("--\(n) must be ≥ 1, got \(v)")
        }
        guard torchDtype == "float32" || torchDtype == "bfloat16" else {
            throw ValidationError("--torch-dtype must be float32 or bfloat16, got \(torchDtype)")
        }
        if arch == "t5" && torchDtype != "float32" { throw ValidationError("--torch-dtype bfloat16 is for --arch gpt2 only") }
        if hidden % heads != 0 { throw ValidationError("--hidden \(hidden) is not a multiple of --heads \(heads)") }
        guard ["f32", "native"].contains(weights) else { throw ValidationError("--weights must be f32 or native, got \(weights)") }
        if weights != "f32" && gguf == nil { throw ValidationError("--weights is for --gguf only") }
        if gguf != nil && arch != "gpt2" { throw ValidationError("--gguf runs a llama file; leave --arch at gpt2") }
        if gguf != nil && torchDtype != "float32" { throw ValidationError("--torch-dtype bfloat16 is for the synthetic GPT-2 shape, not --gguf") }
    }

    func run() throws {
        let threads = options.threads ?? Runtime.coreCount
        try Runtime.configure(threads: threads)
        if arch == "t5" {
            return try T5TrainStepBench(
                layers: layers, hidden: hidden, ffn: ffn, heads: heads, vocab: vocab, batch: batch,
                sourceLen: sourceLen, targetLen: targetLen, virtual: virtual, steps: steps, threads: threads,
                checkpointing: checkpointing, noReference: noReference).run()
        }
        let t = sourceLen + virtual
        let bf16 = torchDtype == "bfloat16" && LinearBF16.isAvailable
        if torchDtype == "bfloat16", let notice = BF16Compute.fallbackNotice { print(notice) }
        let model: DecoderModel
        if let gguf {
            model = try ModelLoader.load(gguf: gguf, quantization: weights == "native" ? .native : nil).decoderModel()
        } else {
            let (ckpt, config) = try SyntheticCheckpoint.gpt2(layers: layers, hidden: hidden, heads: heads, vocab: vocab,
                                                              positions: t)
            model = try ModelRegistry.build(config: config, source: ckpt, dtype: bf16 ? .bfloat16 : .float32).decoderModel()
        }
        let c = model.inputWidth, vocabSize = model.head.vocab
        var rng = SplitMix(seed: 1)
        let ids = (0..<(batch * sourceLen)).map { _ in Int32(rng.next() % UInt64(vocabSize)) }
        let prompt = Tensor(shape: [virtual, c])
        for v in 0..<virtual { model.tokenEmbedding.rows(Int(ids[v]), Int(ids[v]) + 1, into: prompt.data + v * c) }
        var labels = [Int32](repeating: -100, count: batch * t)
        for b in 0..<batch { for s in 0..<sourceLen { labels[b * t + virtual + s] = ids[b * sourceLen + s] } }
        let mask = [Int32](repeating: 1, count: batch * t)
        let embeds = Tensor(shape: [batch, t, c]), dEmbeds = Tensor(shape: [batch, t, c])
        let grad = Tensor(shape: [virtual, c])
        let ws = TrainingWorkspace(checkpointing: checkpointing)
        let shared = PromptTrainingWorkspace(checkpointing: checkpointing)
        let opt = AdamW(count: virtual * c)
        func step() throws -> Float {
            if !perRowPrompt {
                // The trainer's step: token rows only; the prompt's rows run once for the batch.
                ids.withUnsafeBufferPointer { p in
                    Embedding.forwardUnchecked(ids: p.baseAddress!, count: batch * sourceLen, table: model.tokenEmbedding,
                                               embeds.data)
                }
                let (loss, _) = try model.promptLossAndGradient(
                    prompt: prompt.data, embeds: embeds.data, mask: mask, labels: labels, batch: batch,
                    virtualTokens: virtual, tokens: sourceLen, dPrompt: grad.data, workspace: shared)
                opt.step(param: prompt.data, grad: grad.data, lr: 0.3)
                return loss
            }
            for b in 0..<batch {
                let row = embeds.data + b * t * c
                row.update(from: prompt.data, count: virtual * c)
                ids.withUnsafeBufferPointer { p in
                    Embedding.forwardUnchecked(ids: p.baseAddress! + b * sourceLen, count: sourceLen,
                                               table: model.tokenEmbedding, row + virtual * c)
                }
            }
            let (loss, _) = try model.lossAndGradient(embeds: embeds.data, mask: mask, labels: labels, batch: batch,
                                                      tokens: t, dEmbeds: dEmbeds.data, workspace: ws)
            grad.zero()
            for b in 0..<batch { for i in 0..<(virtual * c) { grad.data[i] += dEmbeds.data[b * t * c + i] } }
            opt.step(param: prompt.data, grad: grad.data, lr: 0.3)
            return loss
        }
        print("OpenBLAS: \(BLAS.configuration)")
        if let gguf {
            let sp = model.spec
            print("model: \(gguf) (\(weights) weights), \(sp.layers) layers × \(sp.hidden) wide, \(sp.heads) heads, vocab \(vocabSize); batch \(batch) × (\(sourceLen) + \(virtual) virtual) tokens; \(threads) thread(s)\(checkpointing ? "; checkpointing" : "")")
            print("loaded: \(weightReport(model))")
            let (times, cpu, loss) = try timedSteps(steps, step)
            let ours = times.reduce(0, +) / Double(times.count)
            print("softprompt: \(fmt(ours, 3)) s/step (\(times.map { fmt($0, 3) }.joined(separator: ", "))), \(fmt(cpu, 3)) CPU s/step, peak RSS \(gib(peakRSS())), loss \(loss)")
            return
        }
        let flop = gflopPerStep(), ourFlop = ourGflopPerStep()
        print("weights \(bf16 ? "bfloat16, bf16 Linears (AVX512-BF16)" : "float32"); prompt and AdamW float32")
        print("model: GPT-2 shape, \(layers) layers × \(hidden) wide, \(heads) heads, vocab \(vocab); batch \(batch) × (\(sourceLen) + \(virtual) virtual) tokens; \(threads) thread(s)\(checkpointing ? "; checkpointing" : "")\(perRowPrompt ? "; prompt rows per row" : "; prompt rows once per batch")")
        let limits = MachineLimits.measure(threads: threads, seconds: min(options.seconds, 0.5), bandwidth: false)
        let (times, cpu, loss) = try bf16 ? BF16Compute.with { try timedSteps(steps, step) } : timedSteps(steps, step)
        let ours = times.reduce(0, +) / Double(times.count), rss = peakRSS()
        print("softprompt: \(fmt(ours, 3)) s/step (\(times.map { fmt($0, 3) }.joined(separator: ", "))), \(fmt(ourFlop, 0)) GFLOP → \(fmt(ourFlop / ours)) GFLOPS, \(fmt(cpu, 3)) CPU s/step, peak RSS \(gib(rss)), loss \(loss)")
        print("softprompt: \(bf16 ? limits.ofBF16(ourFlop / ours) : limits.ofFMA(ourFlop / ours))")
        if noReference { return }
        let script = "scripts/reference/bench_train_step.py"
        if let why = Reference.unavailable(script: script) { print("pytorch+peft: not run (\(why))"); return }
        // bf16: PyTorch with the model cast to bfloat16, then its float32 step (issue 22's two ratios).
        for refDType in bf16 ? ["bfloat16", "float32"] : ["float32"] {
            let label = refDType == "float32" && bf16 ? "pytorch+peft float32" : "pytorch+peft"
            let r = try Reference.run(script: script, arguments: [
                "--steps", "\(steps)", "--batch", "\(batch)", "--source-len", "\(sourceLen)", "--virtual", "\(virtual)",
                "--layers", "\(layers)", "--hidden", "\(hidden)", "--heads", "\(heads)", "--vocab", "\(vocab)",
                "--threads", "\(threads)", "--dtype", refDType])
            let theirs = try r.double("seconds_per_step"), theirRSS = try r.int("peak_rss_bytes")
            let theirCPU = try r.double("cpu_seconds_per_step")
            print("\(label): \(fmt(theirs, 3)) s/step, \(fmt(flop, 0)) GFLOP → \(fmt(flop / theirs)) GFLOPS, \(fmt(theirCPU, 3)) CPU s/step, peak RSS \(gib(theirRSS)) (torch \(try r.string("torch")), \(refDType), load average \(fmt(try r.double("loadavg_1min"), 2)))")
            print("\(label): \(refDType == "bfloat16" ? limits.ofBF16(flop / theirs) : limits.ofFMA(flop / theirs))")
            print("ratio softprompt/\(label): time \(fmt(ours / theirs, 3))×, CPU time \(fmt(cpu / theirCPU, 3))×, peak RSS \(fmt(Double(rss) / Double(max(theirRSS, 1)), 3))×")
        }
    }

    /// Matrix-product FLOPs of PEFT's step, the same formula as bench_train_step.py (every row of
    /// every sequence through every layer and the LM head, attention over the full T × T).
    func gflopPerStep() -> Double {
        let s = Double(sourceLen + virtual), n = Double(batch) * s, c = Double(hidden)
        return (Double(layers) * (48 * n * c * c + 12 * n * s * c) + 4 * n * c * Double(vocab)) / 1e9
    }

    /// The same count for SoftPrompt's step: the LM head only at the B·S rows with a target; with the
    /// shared prompt, its P rows once per batch, the B·S token rows attending to P + S keys, and no
    /// input gradient of the first block's q/k/v projections for the token rows.
    func ourGflopPerStep() -> Double {
        let (b, s, p, c, l) = (Double(batch), Double(sourceLen), Double(virtual), Double(hidden), Double(layers))
        let head = 4 * b * s * c * Double(vocab)
        // Per block, rows r attending to k keys: forward 24rc² + 4rkc, backward 24rc² + 8rkc; with
        // gradient checkpointing the forward runs twice.
        let passes: Double = checkpointing ? 2 : 1
        func block(rows r: Double, keys k: Double) -> Double {
            passes * (24 * r * c * c + 4 * r * k * c) + 24 * r * c * c + 8 * r * k * c
        }
        if perRowPrompt { return (l * block(rows: b * (s + p), keys: s + p) + head) / 1e9 }
        let n = b * s
        return (l * (block(rows: n, keys: p + s) + block(rows: p, keys: p)) - 6 * n * c * c + head) / 1e9
    }
}

/// One warm-up call of `step`, then `steps` timed ones: their wall seconds, the process CPU seconds
/// per step (all threads; on a loaded machine the less distorted figure) and the last loss.
func timedSteps(_ steps: Int, _ step: () throws -> Float) rethrows -> (seconds: [Double], cpu: Double, loss: Float) {
    _ = try step()
    var times: [Double] = [], loss: Float = 0
    let c0 = processCPUSeconds()
    for _ in 0..<steps {
        let t0 = Clock.now()
        loss = try step()
        times.append(Clock.now() - t0)
    }
    return (times, (processCPUSeconds() - c0) / Double(max(1, steps)), loss)
}

/// CPU time of this process, all threads (`CLOCK_PROCESS_CPUTIME_ID`, as Python's `time.process_time`).
func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// SplitMix64, for benchmark inputs.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
