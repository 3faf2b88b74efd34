import Foundation
import Testing

@Suite("CLI: bench peak and bf16 compute")
struct BenchCLITests {
    /// Whether the CPU has AVX512-BF16 (the kernels also need AVX-512 F/BW/VL, which every such CPU has).
    static let cpuHasBF16: Bool = {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
        return info.split(separator: "\n").contains { $0.hasPrefix("flags") && $0.split(separator: " ").contains("avx512_bf16") }
    }()

    @Test("bench peak prints the float32 peak, the bf16 peak (or why there is none) and the read bandwidth")
    func peak() throws {
        let r = try CLI.run(["bench", "peak", "--seconds", "0.02", "--threads", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("threads in use: 1"), "\(r.stdout)")
        let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("1 thread(s): float32 FMA peak ") })
        #expect(line.contains(" GB/s"), "\(line)")
        if Self.cpuHasBF16 {
            #expect(line.contains("GFLOPS (vdpbf16ps"), "\(line)")
        } else {
            #expect(line.contains("not available (the CPU has no AVX512-BF16)"), "\(line)")
        }
    }

    @Test("bench linear --compute bfloat16 runs the bf16 kernel, and needs bf16 weights")
    func linearBF16() throws {
        let wrong = try CLI.run(["bench", "linear", "--compute", "bfloat16", "--seconds", "0.01", "--shapes", "8x8x8"])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("--compute bfloat16 needs --dtype bfloat16"), "\(wrong.stderr)")
        let bad = try CLI.run(["bench", "linear", "--compute", "fp8", "--seconds", "0.01", "--shapes", "8x8x8"])
        #expect(bad.status != 0 && bad.stderr.contains("--compute must be float32 or bfloat16"), "\(bad.stderr)")
        let r = try CLI.run(["bench", "linear", "--dtype", "bfloat16", "--compute", "bfloat16", "--seconds", "0.01",
                             "--shapes", "13x70x45"])
        if Self.cpuHasBF16 {
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("measured bf16 vdpbf16ps peak"), "\(r.stdout)")
            #expect(r.stdout.contains("13×70×45"), "\(r.stdout)")
        } else {
            #expect(r.status != 0 && r.stderr.contains("no AVX512-BF16"), "\(r.stderr)")
        }
    }

    @Test("bench train-step --torch-dtype bfloat16 trains on bf16 weights (or says it cannot) and refuses t5 and other dtypes")
    func trainStepBF16() throws {
        let small = ["--layers", "1", "--hidden", "32", "--heads", "2", "--vocab", "50", "--batch", "2", "--source-len", "6",
                     "--virtual", "2", "--steps", "1", "--no-reference", "--threads", "1"]
        let bad = try CLI.run(["bench", "train-step", "--torch-dtype", "float16"] + small)
        #expect(bad.status != 0 && bad.stderr.contains("--torch-dtype must be float32 or bfloat16"), "\(bad.stderr)")
        let t5 = try CLI.run(["bench", "train-step", "--arch", "t5", "--torch-dtype", "bfloat16"] + small)
        #expect(t5.status != 0 && t5.stderr.contains("--torch-dtype bfloat16 is for --arch gpt2 only"), "\(t5.stderr)")
        let r = try CLI.run(["bench", "train-step", "--torch-dtype", "bfloat16"] + small)
        #expect(r.status == 0, "\(r.stderr)")
        if Self.cpuHasBF16 {
            #expect(r.stdout.contains("weights bfloat16, bf16 Linears (AVX512-BF16)"), "\(r.stdout)")
            #expect(r.stdout.contains("% of the bf16 peak"), "\(r.stdout)")
        } else {
            #expect(r.stdout.contains("no AVX512-BF16") && r.stdout.contains("weights float32"), "\(r.stdout)")
        }
        let loss = r.stdout.split(separator: "\n").first { $0.hasPrefix("softprompt: ") && $0.contains("loss ") }
        #expect(loss.map { Double($0.split(separator: " ").last ?? "").map(\.isFinite) == true } == true, "\(r.stdout)")
    }
}
