// Sizes from outside checked against the machine and the model before anything is allocated:
// thread counts, num_virtual_tokens / lengths / batch size (products that would overflow or need
// more memory than the machine has), and the model's context length. Each error names the limit.

import Foundation
import SPPrompt
#if canImport(Glibc)
import Glibc
#endif

/// Checks of user-given sizes against the machine and the model.
public enum ResourceLimits {
    /// The most threads accepted: 4 per core, at least 64 (beyond that `pthread_create` fails or
    /// the machine runs out of processes long before anything gets faster).
    public static var maxThreads: Int { max(64, 4 * ProcessInfo.processInfo.activeProcessorCount) }
    /// The largest `num_virtual_tokens`, `max_source_length`, `max_target_length` or `batch_size`
    /// accepted before the model is known (2^20).
    public static let maxSize = 1 << 20

    /// Physical memory in bytes.
    public static var physicalMemory: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }

    /// Throws unless `threads` is nil or in 1…``maxThreads``.
    public static func checkThreads(_ threads: Int?) throws {
        guard let threads else { return }
        guard threads >= 1, threads <= maxThreads else {
            throw TuningError.invalidParameter(
                field: "threads", value: "\(threads)",
                hint: "use 1…\(maxThreads) (4 per core, at least 64; this machine has "
                    + "\(ProcessInfo.processInfo.activeProcessorCount) cores)")
        }
    }

    /// Model-independent bounds on the sizes of a training run (checked before the model loads).
    public static func checkTraining(_ p: TuningParameters, resolved r: ResolvedTuning) throws {
        let sizes = [("tuning_config.num_virtual_tokens", r.numVirtualTokens), ("max_source_length", p.maxSourceLength),
                     ("max_target_length", p.maxTargetLength), ("batch_size", p.batchSize)]
        for (field, v) in sizes where v > maxSize {
            throw TuningError.invalidParameter(field: field, value: "\(v)", hint: "at most \(maxSize) is accepted")
        }
    }

    /// Checks a training run against the loaded model: the longest sequence fits the model's
    /// positions (when `maxPositions` is given) and an estimate of the memory needed fits in
    /// physical memory.
    /// - Parameters:
    ///   - longestExample: tokens of the longest tokenized example (padded length for `max_length`
    ///     padding); `nil` uses `max_source_length + max_target_length + 1`.
    ///   - tokenDim: the embedding width; `hidden`, `layers`, `heads`, `vocab`: the model's sizes.
    public static func checkTraining(_ p: TuningParameters, resolved r: ResolvedTuning, longestExample: Int? = nil,
                                     tokenDim: Int, hidden: Int, layers: Int, heads: Int, vocab: Int,
                                     maxPositions: Int?, memory: Int = physicalMemory) throws {
        try checkTraining(p, resolved: r)   // bounds every size below 2^20, so the sums cannot overflow
        let v = r.numVirtualTokens * max(1, r.numTransformerSubmodules)
        let tokens = min(longestExample ?? (p.maxSourceLength + p.maxTargetLength + 1), maxSize)
        let seq = v + tokens
        if let maxPositions, seq > maxPositions {
            throw TuningError.invalidParameter(
                field: "tuning_config.num_virtual_tokens", value: "\(r.numVirtualTokens)",
                hint: "\(v) virtual + \(tokens) tokens of the longest example = \(seq) positions, but the model has "
                    + "\(maxPositions); lower num_virtual_tokens or max_source_length / max_target_length")
        }
        // A lower bound in floats: the prompt and its optimizer state (×6), activations kept for the
        // backward (≥ 4 × hidden per token and layer), one layer's attention scores and the logits.
        let terms: [[Int]] = [[6, v, tokenDim], [p.batchSize, seq, 4, hidden, layers], [p.batchSize, seq, heads, seq],
                              [p.batchSize, seq, vocab]]
        var floats = 0
        for t in terms {
            var prod = 1
            for f in t {
                let (m, o) = prod.multipliedReportingOverflow(by: max(0, f))
                prod = o ? Int.max : m
            }
            let (s, o) = floats.addingReportingOverflow(prod)
            floats = o ? Int.max : s
        }
        let bytes = floats > Int.max / 4 ? Int.max : floats * 4
        guard bytes <= memory else {
            throw TuningError.invalidParameter(
                field: "tuning_config.num_virtual_tokens", value: "\(r.numVirtualTokens)",
                hint: "with batch_size \(p.batchSize) and \(seq) positions training needs about \(gib(bytes)) of memory, "
                    + "this machine has \(gib(memory)); lower num_virtual_tokens, batch_size or the lengths")
        }
    }

    static func gib(_ bytes: Int) -> String {
        bytes == Int.max ? "more than 8 EiB" : String(format: "%.1f GiB", Double(bytes) / Double(1 << 30))
    }
}
