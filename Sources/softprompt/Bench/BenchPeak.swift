import ArgumentParser
import SPModels
import SPTensor

/// `softprompt bench peak`: the machine's limits every other bench is measured against.
struct BenchPeak: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peak",
        abstract: "Measure the float32 FMA peak, the bf16 dot-product peak and the read bandwidth on the cores in use.",
        discussion: """
            Register-resident loops of 12 independent chains (AVX-512 FMA when OpenBLAS runs its \
            AVX-512 kernels, otherwise AVX2 FMA; vdpbf16ps when the CPU has AVX512-BF16) and a \
            256-bit read loop over 64 MiB per thread. Each runs in short bursts, the best kept, on 1 \
            thread and on --threads: on a shared machine the best burst is the one that had the cores.
            """)

    @OptionGroup var options: BenchOptions

    func run() throws {
        let threads = options.threads ?? Runtime.coreCount
        try Runtime.configure(threads: threads)
        let limits = MachineLimits.measure(threads: threads, seconds: options.seconds)
        print("OpenBLAS: \(BLAS.configuration)")
        print("cores online: \(Runtime.coreCount); threads in use: \(threads)")
        let counts = threads > 1 ? [1, threads] : [1]
        for t in counts {
            let l = t == threads ? limits : MachineLimits.measure(threads: t, seconds: options.seconds)
            let bf16 = l.bf16GFLOPS.map { "\(fmt($0)) GFLOPS (vdpbf16ps, \(fmt($0 / l.fmaGFLOPS, 2))× float32)" }
                ?? "not available (the CPU has no AVX512-BF16)"
            print("\(t) thread(s): float32 FMA peak \(fmt(l.fmaGFLOPS)) GFLOPS; bf16 peak \(bf16); read bandwidth \(fmt(l.readGBs)) GB/s")
        }
    }
}

/// The limits a bench prints its percentages against (measured, not nominal).
struct MachineLimits {
    var threads: Int
    var fmaGFLOPS: Double
    var bf16GFLOPS: Double?
    var readGBs: Double

    /// Each limit measured for `seconds` (at most 1 s; at least 3 bursts).
    static func measure(threads: Int, seconds: Double = 0.5, bandwidth: Bool = true) -> MachineLimits {
        let s = min(seconds, 1)
        return MachineLimits(threads: threads, fmaGFLOPS: Peak.fmaBurstGFLOPS(threads: threads, seconds: s),
                             bf16GFLOPS: Peak.bf16GFLOPS(threads: threads, seconds: s),
                             readGBs: bandwidth ? Peak.readBandwidthGBs(threads: threads, seconds: s) : 0)
    }

    /// "x % of the float32 peak (y GFLOPS)".
    func ofFMA(_ gflops: Double) -> String { "\(fmt(100 * gflops / fmaGFLOPS)) % of the float32 FMA peak (\(fmt(fmaGFLOPS)) GFLOPS)" }

    /// "x % of the bf16 peak" or a note that there is none.
    func ofBF16(_ gflops: Double) -> String {
        guard let p = bf16GFLOPS else { return "no bf16 peak (no AVX512-BF16)" }
        return "\(fmt(100 * gflops / p)) % of the bf16 peak (\(fmt(p)) GFLOPS)"
    }

    /// "x % of the read bandwidth" for a decode reading `bytesPerToken` at `tokensPerSecond`.
    func ofBandwidth(bytesPerToken: Double, tokensPerSecond: Double) -> String {
        let gbs = bytesPerToken * tokensPerSecond / 1e9
        return "\(fmt(bytesPerToken / 1e6, 1)) MB/token × \(fmt(tokensPerSecond, 1)) tokens/s = \(fmt(gbs, 2)) GB/s, \(fmt(100 * gbs / readGBs)) % of the read bandwidth (\(fmt(readGBs)) GB/s)"
    }
}

/// Weight bytes one decoded token of a decoder-only model reads: every projection and the LM head
/// once, `elementBytes` each (the KV cache and the embedding row left out).
func decoderBytesPerToken(_ m: any LanguageModel, elementBytes: Double) -> Double {
    let s = m.spec
    let (c, q, kv) = (Double(s.hidden), Double(s.heads * s.headDim), Double(s.kvHeads * s.headDim))
    let mlp = Double(s.modelType == "gpt2" ? 2 : 3) * c * Double(s.intermediate)  // GPT-2 fc/proj; gated up/gate/down
    return elementBytes * (Double(s.layers) * (2 * c * q + 2 * c * kv + mlp) + Double(m.vocabularySize) * c)
}
