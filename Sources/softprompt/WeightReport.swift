import Foundation
import SPModels

/// One line on where a loaded model's memory is: its 2-D weights by storage (GGUF blocks, float32,
/// …) and the process's resident set now (`generate --verbose`, `bench generate`).
func weightReport(_ model: any LanguageModel) -> String {
    var parts: [String] = []
    var total = 0
    if let m = try? model.decoderModel() {
        for s in m.weightBytesByStorage {
            parts.append("\(s.count) × \(s.storage) \(mib(s.bytes))")
            total += s.bytes
        }
    }
    let weights = parts.isEmpty ? "weights: (breakdown for decoder-only models)" : "weights \(mib(total)): " + parts.joined(separator: ", ")
    return "\(weights); resident now \(mib(residentBytes())) (weights + vectors + runtime; GGUF blocks count as their pages are read)"
}

/// The process's resident set size now (VmRSS), in bytes; 0 where /proc is missing.
func residentBytes() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return (line.split(separator: " ").compactMap { Int($0) }.first ?? 0) * 1024
    }
    return 0
}

func mib(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) }
