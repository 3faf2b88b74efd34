// llama.cpp's own benchmark, run beside ours by `softprompt bench generate --gguf`: where the
// `llama-bench` binary is, running it on the same file and thread count, and reading its `-o json`
// output (an array of test records: `n_prompt`, `n_gen`, `avg_ts`, `stddev_ts`, …).

import Foundation
import SPJSON

/// One llama-bench test record: a prompt-processing (`pp512`) or text-generation (`tg64`) result.
public struct LlamaBenchResult: Sendable, Equatable {
    /// Prompt tokens (pp tests) and generated tokens (tg tests); one of them is 0.
    public var promptTokens: Int
    public var generatedTokens: Int
    /// Mean and standard deviation of tokens/s over the repetitions.
    public var tokensPerSecond: Double
    public var stddev: Double
    public var threads: Int
    /// llama.cpp's model description (`llama 135M Q4_1`), its build commit and CPU string.
    public var modelType: String
    public var buildCommit: String
    public var cpuInfo: String

    /// `pp512` or `tg64` (llama-bench's test names).
    public var testName: String { promptTokens > 0 ? "pp\(promptTokens)" : "tg\(generatedTokens)" }
}

/// Locating, running and parsing llama.cpp's `llama-bench`.
public enum LlamaBench {
    /// The environment variable naming the binary.
    public static let environmentKey = "SOFTPROMPT_LLAMA_BENCH"

    /// Where `scripts/reference/build_llama_bench.sh` puts it: `$SOFTPROMPT_CACHE` (else
    /// `~/.cache/softprompt`) `/llama.cpp-build/build-bench/bin/llama-bench`.
    public static var cachePath: String {
        let cache = ProcessInfo.processInfo.environment["SOFTPROMPT_CACHE"] ?? (NSHomeDirectory() + "/.cache/softprompt")
        return cache + "/llama.cpp-build/build-bench/bin/llama-bench"
    }

    /// The binary to run: `flag`, else `$SOFTPROMPT_LLAMA_BENCH`, else ``cachePath``; nil with the
    /// reason when none is an executable file (a flag or variable naming a missing file is reported
    /// as such, not silently replaced by the cache path).
    public static func locate(flag: String?) -> (path: String?, why: String) {
        let fm = FileManager.default
        if let flag {
            return fm.isExecutableFile(atPath: flag) ? (flag, "--llama-bench") : (nil, "--llama-bench \(flag) is not an executable file")
        }
        if let env = ProcessInfo.processInfo.environment[environmentKey], !env.isEmpty {
            return fm.isExecutableFile(atPath: env) ? (env, environmentKey) : (nil, "\(environmentKey)=\(env) is not an executable file")
        }
        if fm.isExecutableFile(atPath: cachePath) { return (cachePath, "the cache") }
        return (nil, "llama-bench not found (give --llama-bench PATH or set \(environmentKey); scripts/reference/build_llama_bench.sh builds it into \(cachePath))")
    }

    /// Runs `binary -m gguf -p prompt -n generate -t threads -r repetitions -o json` and parses its
    /// stdout (its log on stderr is discarded).
    /// - Throws: ``LlamaBenchError`` when it cannot start, exits non-zero or prints no records.
    public static func run(binary: String, gguf: String, promptTokens: Int, generatedTokens: Int, threads: Int,
                           repetitions: Int) throws -> [LlamaBenchResult] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["-m", gguf, "-p", "\(promptTokens)", "-n", "\(generatedTokens)", "-t", "\(threads)",
                       "-r", "\(repetitions)", "-o", "json"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { throw LlamaBenchError.failed("cannot start \(binary): \(error)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw LlamaBenchError.failed("\(binary) exited with status \(p.terminationStatus) on \(gguf)")
        }
        return try parse(data, source: binary)
    }

    /// Parses llama-bench's `-o json` output.
    /// - Throws: ``LlamaBenchError`` or a ``JSONError`` naming the record and field.
    public static func parse<Bytes: Sequence<UInt8>>(_ bytes: Bytes, source: String = "llama-bench output") throws -> [LlamaBenchResult] {
        let root = JSONConfig(try JSONValue.parse(bytes, file: source), file: source)
        let records = try root.array()
        guard !records.isEmpty else { throw LlamaBenchError.failed("\(source): no test records") }
        return try records.map { r in
            LlamaBenchResult(promptTokens: try r.int("n_prompt"), generatedTokens: try r.int("n_gen"),
                             tokensPerSecond: try r.double("avg_ts"), stddev: try r.double("stddev_ts"),
                             threads: try r.int("n_threads"), modelType: try r.string("model_type"),
                             buildCommit: try r.string("build_commit"), cpuInfo: try r.string("cpu_info"))
        }
    }
}

/// A llama-bench run that gave no results.
public enum LlamaBenchError: Error, CustomStringConvertible, Sendable {
    case failed(String)
    public var description: String { switch self { case .failed(let m): return m } }
}
