// Saved prompts are reproducible: the same training (same seed, same data) writes byte-identical
// prompt files. torch writes a random `.data/serialization_id`; SoftPrompt derives it from the
// stored bytes instead (torch only compares it for equality, it never parses it).

import Foundation

enum ReproducibleID {
    /// 40 decimal digits (torch's length) derived from `bytes` with two FNV-1a 64-bit hashes.
    static func digits(of bytes: Data) -> String {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325, b: UInt64 = 0x8422_2325_cbf2_9ce4
        for byte in bytes {
            a = (a ^ UInt64(byte)) &* 0x100_0000_01b3
            b = (b ^ UInt64(byte ^ 0x5A)) &* 0x100_0000_01b3
        }
        let s = String(a, radix: 10) + String(b, radix: 10) + String(a ^ b, radix: 10)
        return String((s + String(repeating: "0", count: 40)).prefix(40))
    }
}
