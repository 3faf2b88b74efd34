import ArgumentParser
import SPTensor

/// `softprompt bench linear`: linear forward and input-backward at transformer shapes.
struct BenchLinear: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linear",
        abstract: "GFLOPS of Linear forward (x·Wᵀ) and backward-to-input (dy·W) against the FMA peak.")

    @OptionGroup var options: BenchOptions

    @Option(help: "Shapes as M×K×N (tokens × in × out), comma separated.")
    var shapes: String = "2048x768x3072,2048x3072x768,8192x576x1536,8192x1536x576"

    @Option(help: "Weight storage: float32, bfloat16 or float16.")
    var dtype: String = "float32"

    @Option(help: "float32 (half weights widened per panel) or bfloat16 (vdpbf16ps on bf16 weights and bf16-rounded inputs; needs --dtype bfloat16 and AVX512-BF16).")
    var compute: String = "float32"

    func run() throws {
        guard let dt = DType(torchName: dtype) else {
            throw ValidationError("--dtype: unknown '\(dtype)'; use float32, bfloat16 or float16")
        }
        let parsed = try shapes.split(separator: ",").map { s -> (Int, Int, Int) in
            let d = s.split(whereSeparator: { $0 == "x" || $0 == "×" }).compactMap { Int($0) }
            guard d.count == 3, d.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--shapes: '\(s)' is not M×K×N with positive integers")
            }
            return (d[0], d[1], d[2])
        }
        guard compute == "float32" || compute == "bfloat16" else {
            throw ValidationError("--compute must be float32 or bfloat16, got \(compute)")
        }
        let bf16 = compute == "bfloat16"
        if bf16 && dt != .bfloat16 { throw ValidationError("--compute bfloat16 needs --dtype bfloat16") }
        if bf16 && !LinearBF16.isAvailable {
            throw ValidationError("--compute bfloat16: this CPU has no AVX512-BF16 (vdpbf16ps)")
        }
        let threads = options.threads ?? Runtime.coreCount
        try Runtime.configure(threads: threads)
        let limits = MachineLimits.measure(threads: threads, seconds: min(options.seconds, 0.5), bandwidth: false)
        let peak = bf16 ? limits.bf16GFLOPS ?? limits.fmaGFLOPS : limits.fmaGFLOPS
        print("OpenBLAS: \(BLAS.configuration)")
        print("measured \(bf16 ? "bf16 vdpbf16ps" : "float32 FMA") peak: \(fmt(peak)) GFLOPS on \(threads) thread(s); weights \(dt.rawValue), compute \(compute)")
        print("shape (M×K×N)       forward GFLOPS  %peak   backward GFLOPS  %peak")
        for (m, k, n) in parsed {
            let x = Tensor(shape: [m, k]), y = Tensor(shape: [m, n]), dx = Tensor(shape: [m, k])
            let wt = Tensor(shape: [n, k], values: (0..<(n * k)).map { Float(($0 % 17) - 8) * 0.01 })
            for i in 0..<x.count { x.data[i] = Float(i % 13) * 0.1 }
            let w = Weight(wt).converted(to: dt)
            let flops = 2.0 * Double(m) * Double(k) * Double(n)
            let tf = bestTime(seconds: options.seconds) {
                if bf16 { LinearBF16.forward(x.data, w, bias: nil, y.data, m: m) } else { Linear.forward(x.data, w, bias: nil, y.data, m: m) }
            }
            let tb = bestTime(seconds: options.seconds) {
                if bf16 { LinearBF16.backwardInput(y.data, w, dx.data, m: m) } else { Linear.backwardInput(y.data, w, dx.data, m: m) }
            }
            let gf = flops / tf / 1e9, gb = flops / tb / 1e9
            let s = "\(m)×\(k)×\(n)"; let name = s + String(repeating: " ", count: max(1, 20 - s.count))
            print("\(name)\(pad(fmt(gf), 15))  \(pad(fmt(100 * gf / peak), 5))%  \(pad(fmt(gb), 16))  \(pad(fmt(100 * gb / peak), 5))%")
        }
    }
}

func fmt(_ v: Double, _ digits: Int = 1) -> String {
    let p = (0..<digits).reduce(1.0) { r, _ in r * 10 }
    let r = (v * p).rounded() / p
    return digits == 0 ? String(Int(r)) : String(r)
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}
