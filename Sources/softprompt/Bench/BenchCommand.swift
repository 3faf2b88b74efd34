import ArgumentParser
import SPTensor

/// `softprompt bench …`: speed measurements of the hot paths, each printed with its reference.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the hot paths (GFLOPS, fraction of the measured peak, ratios to PyTorch).",
        subcommands: [BenchPeak.self, BenchLinear.self, BenchTrainStep.self, BenchGenerate.self, BenchServe.self, BenchNative.self])
}

/// Common options of every benchmark.
struct BenchOptions: ParsableArguments {
    @Option(help: "Threads for OpenBLAS and our pool (default: all cores).")
    var threads: Int?

    @Option(help: "Seconds to spend on each measurement (best repetition is reported).")
    var seconds: Double = 1.0

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be ≥ 1, got \(threads)") }
        if !(seconds > 0) { throw ValidationError("--seconds must be > 0, got \(seconds)") }
    }
}

/// Runs `body` repeatedly for about `seconds` and returns the best time of one call.
func bestTime(seconds: Double, minRepeats: Int = 3, _ body: () -> Void) -> Double {
    body()  // warm-up
    var best = Double.infinity
    let start = Clock.now()
    var n = 0
    while n < minRepeats || Clock.now() - start < seconds {
        let t0 = Clock.now()
        body()
        best = min(best, Clock.now() - t0)
        n += 1
    }
    return best
}
