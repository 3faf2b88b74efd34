// `softprompt bench train-step --arch t5`: one ENCODER prompt-tuning step (forward, backward to the
// prompt, AdamW) of a random T5 v1.0-shaped model (ReLU FFN, tied head), against PyTorch+PEFT
// (scripts/reference/bench_train_step.py --arch t5) in the same run.

import Foundation
import SPJSON
import SPModels
import SPTensor
import SPTuning

/// The T5 train-step benchmark (default shape T5-small: 6+6 layers, d_model 512, d_ff 2048, 8 heads,
/// vocab 32128; batch 8 × 256 source → 128 target tokens, 20 virtual tokens).
struct T5TrainStepBench {
    var layers = 6, hidden = 512, ffn = 2048, heads = 8, vocab = 32128
    var batch = 8, sourceLen = 256, targetLen = 128, virtual = 20, steps = 2, threads = 1
    var checkpointing = false, noReference = false

    /// A random T5 of this shape.
    func model() throws -> Seq2SeqModel {
        let (ckpt, config) = try SyntheticCheckpoint.t5(layers: layers, hidden: hidden, ffn: ffn, heads: heads, vocab: vocab)
        return try Seq2SeqRegistry.build(config: config, source: ckpt, origin: "synthetic t5")
    }

    func run() throws {
        let model = try model(), c = hidden
        var rng = SplitMix(seed: 1)
        let ids = (0..<(batch * sourceLen)).map { _ in Int32(2 + rng.next() % UInt64(vocab - 2)) }
        let labels = (0..<(batch * targetLen)).map { _ in Int32(2 + rng.next() % UInt64(vocab - 2)) }
        let mask = [Int32](repeating: 1, count: batch * sourceLen)
        let prompt = Tensor(shape: [virtual, c], values: try model.embed(Array(ids.prefix(virtual))))
        let grad = Tensor(shape: [virtual, c])
        let ws = Seq2SeqPromptWorkspace(checkpointing: checkpointing)
        let opt = AdamW(count: virtual * c)
        func step() throws -> Float {
            let (loss, _) = try model.promptLossAndGradient(
                prompt: prompt.data, virtualTokens: virtual, placement: .encoder, inputIds: ids, attentionMask: mask,
                labels: labels, batch: batch, sourceTokens: sourceLen, targetTokens: targetLen, dPrompt: grad.data,
                workspace: ws)
            opt.step(param: prompt.data, grad: grad.data, lr: 0.3)
            return loss
        }
        print("OpenBLAS: \(BLAS.configuration)")
        print("model: T5 shape (ReLU, tied head), \(layers)+\(layers) layers × \(hidden) wide, d_ff \(ffn), \(heads) heads, vocab \(vocab); batch \(batch) × (\(virtual) virtual + \(sourceLen) source) → \(targetLen) target tokens; ENCODER prompt; \(threads) thread(s)\(checkpointing ? "; checkpointing (PyTorch without)" : "")")
        let limits = MachineLimits.measure(threads: threads, seconds: 0.5, bandwidth: false)
        let (times, cpu, loss) = try timedSteps(steps, step)
        let ours = times.reduce(0, +) / Double(times.count), rss = peakRSS(), flop = gflopPerStep()
        print("softprompt: \(fmt(ours, 3)) s/step (\(times.map { fmt($0, 3) }.joined(separator: ", "))), \(fmt(cpu, 3)) CPU s/step, peak RSS \(gib(rss)), loss \(loss)")
        print("softprompt: \(fmt(flop, 0)) GFLOP → \(fmt(flop / ours)) GFLOPS, \(limits.ofFMA(flop / ours))")
        if noReference { return }
        let script = "scripts/reference/bench_train_step.py"
        if let why = Reference.unavailable(script: script) { print("pytorch+peft: not run (\(why))"); return }
        let r = try Reference.run(script: script, arguments: [
            "--arch", "t5", "--steps", "\(steps)", "--batch", "\(batch)", "--source-len", "\(sourceLen)",
            "--target-len", "\(targetLen)", "--virtual", "\(virtual)", "--layers", "\(layers)", "--hidden", "\(hidden)",
            "--ffn", "\(ffn)", "--heads", "\(heads)", "--vocab", "\(vocab)", "--threads", "\(threads)"])
        let theirs = try r.double("seconds_per_step"), theirRSS = try r.int("peak_rss_bytes")
        let theirCPU = try r.double("cpu_seconds_per_step")
        print("pytorch+peft: \(fmt(theirs, 3)) s/step, \(fmt(theirCPU, 3)) CPU s/step, peak RSS \(gib(theirRSS)) (torch \(try r.string("torch")), load average \(fmt(try r.double("loadavg_1min"), 2)))")
        print("pytorch+peft: \(fmt(flop / theirs)) GFLOPS (the same count), \(limits.ofFMA(flop / theirs))")
        print("ratio softprompt/pytorch: time \(fmt(ours / theirs, 3))×, CPU time \(fmt(cpu / theirCPU, 3))×, peak RSS \(fmt(Double(rss) / Double(max(theirRSS, 1)), 3))×")
    }

    /// Matrix-product GFLOP of one step, both implementations (every row through every layer, the
    /// tied head on the target rows): linear layers forward + backward-to-input (2× the forward),
    /// attention 4·r·k·c forward and 8·r·k·c backward for r query rows over k keys.
    func gflopPerStep() -> Double {
        let (b, c, ff, v, l) = (Double(batch), Double(hidden), Double(ffn), Double(vocab), Double(layers))
        let e = b * Double(virtual + sourceLen), t = b * Double(targetLen)
        let ke = Double(virtual + sourceLen), kt = Double(targetLen)
        let encoder = 2 * (2 * e * (4 * c * c + 2 * c * ff)) + 12 * e * ke * c
        let decoder = 2 * (2 * t * (6 * c * c + 2 * c * ff) + 2 * e * 2 * c * c) + 12 * t * kt * c + 12 * t * ke * c
        return (l * (encoder + decoder) + 2 * 2 * t * c * v) / 1e9
    }
}
