import ArgumentParser
import Foundation
import SPModels
import SPTensor

/// `softprompt bench native`: a GGUF model with its blocks kept (`--dtype native`) against the same
/// file dequantized to float32 at load, in one run: prefill tokens/s, the model's part of a
/// prompt-tuning step, and what the many-row products spend widening panels.
struct BenchNative: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "native",
        abstract: "Prefill tokens/s and a training step on a GGUF's own blocks (native) vs the float32 model, same run.",
        discussion: """
            Part 1: panel dequantization (C kernels, Sources/CBLAS/quant_panel.c) in GB/s of float32 \
            written, per block format, on the pool's threads, against the SGEMM of one chunk of that \
            width at --prefill rows. Part 2 (with --gguf): the file, checked and loaded twice (native and \
            float32) before part 1 so that a bad file fails at once; \
            prefill = one decode call of --prefill seeded random tokens at batch 1 into an empty KV cache \
            (tokens/s = tokens / time); step = forward and backward to the input embeddings at --batch × \
            --source-len with labels on every token (the model's work in a prompt-tuning step; AdamW on \
            the prompt is negligible). Native and float32 runs alternate; the best of --repeats is kept.
            """)

    @OptionGroup var options: BenchOptions
    @Option(help: "A llama .gguf file (e.g. SmolLM2's, or one scripts/make_random_gguf.py wrote); without it only part 1 runs.")
    var gguf: String?
    @Option(help: "Prompt tokens of the prefill (pp512: 512).") var prefill = 512
    @Option(help: "Training step: batch size.") var batch = 4
    @Option(help: "Training step: tokens per example.") var sourceLen = 128
    @Flag(help: "Training step with gradient checkpointing.") var checkpointing = false
    @Option(help: "Timed repetitions after one warm-up (best is reported).") var repeats = 3
    @Option(help: "Part 1 shape: the panel's width K and rows N (default SmolLM2's FFN, 576 × 1536).") var panel = "576x1536"
    @Flag(help: "Skip part 2's training step.") var noStep = false

    func validate() throws {
        for (n, v) in [("prefill", prefill), ("batch", batch), ("source-len", sourceLen), ("repeats", repeats)] where v < 1 {
            throw ValidationError("--\(n) must be ≥ 1, got \(v)")
        }
        guard panelShape != nil else { throw ValidationError("--panel must be K×N with K·N a multiple of 256, got \(panel)") }
        if let gguf { try Self.checkGGUF(gguf) }
    }

    /// `--gguf` names an existing regular file that starts with the GGUF magic (loading it is part of `run`,
    /// still before any timing).
    static func checkGGUF(_ path: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else {
            throw ValidationError("--gguf: no file at \(path) (give a llama .gguf file, e.g. scripts/make_random_gguf.py's)")
        }
        guard let h = FileHandle(forReadingAtPath: path) else { throw ValidationError("--gguf: cannot read \(path)") }
        defer { try? h.close() }
        let magic = (try? h.read(upToCount: 4)) ?? Data()
        guard magic.elementsEqual("GGUF".utf8) else {
            let shown = magic.map { (0x20..<0x7f).contains($0) ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined()
            throw ValidationError("--gguf: \(path) is not a GGUF file (starts with \"\(shown)\", not \"GGUF\")")
        }
    }

    var panelShape: (k: Int, n: Int)? {
        let d = panel.split(whereSeparator: { $0 == "x" || $0 == "×" }).compactMap { Int($0) }
        guard d.count == 2, d[0] > 0, d[1] > 0, d[0] * d[1] % 256 == 0 else { return nil }
        return (d[0], d[1])
    }

    func run() throws {
        let threads = options.threads ?? Runtime.coreCount
        try Runtime.configure(threads: threads)
        // The file is loaded (both ways) before part 1, so a file that cannot run fails at once.
        let loaded = try gguf.map { try load($0) }
        print("OpenBLAS: \(BLAS.configuration); \(threads) thread(s); block kernels level \(QuantDot.maxLevel) (2 AVX-512, 1 AVX2, 0 generic)")
        panels()
        if let loaded { try models(loaded) }
    }

    /// The GGUF at `path` native and dequantized to float32, with the seconds each load took.
    func load(_ path: String) throws -> [(name: String, model: DecoderModel, load: Double)] {
        try [("native", WeightQuantization.native), ("f32", nil)].map { name, q in
            let t0 = Clock.now()
            let m = try ModelLoader.load(gguf: path, quantization: q).decoderModel()
            return (name, m, Clock.now() - t0)
        }
    }

    /// Part 1: widening GB/s per format vs one chunk's SGEMM.
    func panels() {
        let (k, n) = panelShape!, m = prefill
        let x = Tensor(shape: [m, k]), y = Tensor(shape: [m, n]), out = Tensor(shape: [n, k])
        for i in 0..<x.count { x.data[i] = Float(i % 13) * 0.01 }
        let gemm = bestTime(seconds: options.seconds) {
            BLAS.sgemmSplitRows(transB: true, m: m, n: n, k: k, a: x.data, lda: k, b: out.data, ldb: k, c: y.data, ldc: n)
        }
        print("SGEMM \(m)×\(k)×\(n) (one \(fmt(Double(n * k * 4) / 1_048_576)) MiB chunk): \(fmt(gemm * 1e3, 2)) ms")
        print("format  C panel GB/s  Swift ref GB/s  C time / SGEMM")
        for f in BlockFormat.allCases {
            let blocks = n * k / f.blockElements
            let raw = UnsafeMutableRawPointer.allocate(byteCount: blocks * f.blockBytes, alignment: 64)
            defer { raw.deallocate() }
            var s: UInt64 = 1
            for i in 0..<(blocks * f.blockBytes) { s = s &* 6364136223846793005 &+ 1; raw.storeBytes(of: UInt8(s >> 56), toByteOffset: i, as: UInt8.self) }
            let halves = f == .q6_K ? [208] : [0, 2]
            for b in 0..<blocks { for o in halves { raw.storeBytes(of: Float16(0.001).bitPattern, toByteOffset: b * f.blockBytes + o, as: UInt16.self) } }
            let c = bestTime(seconds: options.seconds / 4) { f.dequantize(raw, count: n * k, into: out.data) }
            let r = bestTime(seconds: options.seconds / 4) {
                Parallel.forRange(blocks, grain: max(1, (1 << 15) / f.blockElements)) { f.reference(raw, blocks: $0, into: out.data) }
            }
            let gb = { (t: Double) in fmt(Double(n * k * 4) / t / 1e9) }
            print("\(f.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0))  \(gb(c).padding(toLength: 12, withPad: " ", startingAt: 0))  \(gb(r).padding(toLength: 14, withPad: " ", startingAt: 0))  \(fmt(100 * c / gemm))%")
        }
    }

    /// Part 2: the file native and float32, both loaded, their runs interleaved (native, f32, native,
    /// …) so that a change in the machine's load hits both alike; the best run of each is reported.
    func models(_ loaded: [(name: String, model: DecoderModel, load: Double)]) throws {
        let vocab = loaded[0].model.spec.vocab
        var s: UInt64 = 7
        func ids(_ count: Int) -> [Int32] {
            (0..<count).map { _ in s = s &* 6364136223846793005 &+ 1442695040888963407; return Int32((s >> 33) % UInt64(vocab)) }
        }
        let prompt = ids(prefill), stepIds = ids(batch * sourceLen)
        let embeds = loaded.map { l in (prompt.flatMap { l.model.tokenEmbedding.row(Int($0)) },
                                        stepIds.flatMap { l.model.tokenEmbedding.row(Int($0)) }) }
        var prefillBest = [Double](repeating: .infinity, count: 2), stepBest = prefillBest
        var prefillCPU = prefillBest, stepCPU = prefillBest   // process CPU seconds (less sensitive to other load)
        var logits = [Float](repeating: 0, count: vocab)
        let mask = [Int32](repeating: 1, count: max(prefill, batch * sourceLen))
        for _ in 0...repeats {   // the first round warms up both
            for (i, l) in loaded.enumerated() {
                let cache = KVCache(model: l.model, batch: 1, capacity: prefill)
                let t = Clock.now(), c = processCPUSeconds()
                try l.model.decode(embeds: embeds[i].0, mask: mask, tokens: prefill, cache: cache,
                                   rule: .cumsumMask(padValue: 1), logits: &logits, workspace: InferenceWorkspace())
                prefillBest[i] = min(prefillBest[i], Clock.now() - t)
                prefillCPU[i] = min(prefillCPU[i], processCPUSeconds() - c)
            }
            if noStep { continue }
            for (i, l) in loaded.enumerated() {
                var d = [Float](repeating: 0, count: embeds[i].1.count)
                let t = Clock.now(), c = processCPUSeconds()
                _ = try l.model.lossAndGradient(embeds: embeds[i].1, mask: mask, labels: stepIds, batch: batch,
                                                tokens: sourceLen, dEmbeds: &d,
                                                workspace: TrainingWorkspace(checkpointing: checkpointing))
                stepBest[i] = min(stepBest[i], Clock.now() - t)
                stepCPU[i] = min(stepCPU[i], processCPUSeconds() - c)
            }
        }
        for (i, l) in loaded.enumerated() {
            print("\(l.name): loaded in \(fmt(l.load, 2)) s; prefill \(prefill) tokens \(fmt(prefillBest[i], 3)) s = "
                  + "\(fmt(Double(prefill) / prefillBest[i])) tokens/s (CPU \(fmt(prefillCPU[i], 2)) s)"
                  + (noStep ? "" : "; step \(batch)×\(sourceLen)\(checkpointing ? " (checkpointing)" : "") \(fmt(stepBest[i], 3)) s (CPU \(fmt(stepCPU[i], 2)) s)"))
        }
        print("native / f32 speed (best of \(repeats), interleaved): prefill \(fmt(prefillBest[1] / prefillBest[0], 3))×"
              + (noStep ? "" : "; step \(fmt(stepBest[1] / stepBest[0], 3))×")
              + "; by CPU time: prefill \(fmt(prefillCPU[1] / prefillCPU[0], 3))×" + (noStep ? "" : "; step \(fmt(stepCPU[1] / stepCPU[0], 3))×"))
    }
}
