/// GPT-2's reversible byte-to-character table (`bytes_to_unicode`): printable Latin-1 bytes map
/// to themselves, the other 68 to U+0100… in order.
enum ByteLevelTables {
    /// `scalar[b]` is the character byte `b` is spelled with.
    static let scalar: [UInt32] = {
        var bs: [Int] = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var cs = bs.map { UInt32($0) }
        var n: UInt32 = 0
        for b in 0..<256 where !bs.contains(b) {
            bs.append(b)
            cs.append(256 + n)
            n += 1
        }
        var table = [UInt32](repeating: 0, count: 256)
        for (b, c) in zip(bs, cs) { table[b] = c }
        return table
    }()

    /// UTF-8 spelling of each byte's character (1 or 2 bytes).
    static let utf8: [[UInt8]] = scalar.map { c in
        var out: [UInt8] = []
        UTF8Text.append(c, to: &out)
        return out
    }

    /// The byte for a table character, or -1 for characters outside the alphabet (indexed by scalar < 324).
    static let byteOf: [Int16] = {
        var t = [Int16](repeating: -1, count: 324)
        for (b, c) in scalar.enumerated() { t[Int(c)] = Int16(b) }
        return t
    }()

    /// Spells every byte of `bytes` with its table character.
    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(contentsOf: utf8[Int(b)]) }
        return out
    }

    /// The bytes a string spells, or nil if one of its characters is outside the alphabet.
    static func decode(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            guard u.value < 324, byteOf[Int(u.value)] >= 0 else { return nil }
            out.append(UInt8(byteOf[Int(u.value)]))
        }
        return out
    }

    static func isAlphabet(_ s: String) -> Bool {
        s.unicodeScalars.allSatisfy { $0.value < 324 && byteOf[Int($0.value)] >= 0 }
    }
}
