import Foundation

// Normalization with alignments: each normalizer changes the text exactly as `normalize(_:)`
// does and gives every new character the original range tokenizers' `NormalizedString` gives it.

extension UnicodeNormalizer {
    func normalize(aligned t: Aligned) throws -> Aligned {
        let whole = normalize(t.bytes)
        if whole == t.bytes { return t }
        // tokenizers' own stream (UnicodeAlignments.swift): reordered marks keep their changes.
        let stream = crateStream(UTF8Text.scalars(t.bytes))
        guard stream.map(\.0) == UTF8Text.scalars(whole).map(\.value) else {
            throw TokenizerError.unsupported(
                "offsets through Unicode normalization: the composition stream disagrees with the normalized text; encode without offsets")
        }
        return t.transform(stream, initialOffset: 0)
    }
}

extension LowercaseNormalizer {
    func normalize(aligned t: Aligned) throws -> Aligned {
        t.mapChars { u in
            if u < 0x80 { return u >= 0x41 && u <= 0x5A ? [u + 0x20] : nil }
            guard let s = Unicode.Scalar(u) else { return nil }
            return s.properties.lowercaseMapping.unicodeScalars.map(\.value)
        }
    }
}

extension StripNormalizer {
    func normalize(aligned t: Aligned) throws -> Aligned {
        var lo = 0, hi = t.bytes.count
        t.bytes.withUnsafeBufferPointer { p in
            if left {
                while lo < hi {
                    let (u, w) = UTF8Text.decode(p, lo)
                    if !CharClass.is(u, CharClass.space) { break }
                    lo += w
                }
            }
            if right {
                while hi > lo {
                    var i = hi - 1
                    while i > lo && p[i] & 0xC0 == 0x80 { i -= 1 }
                    if !CharClass.is(UTF8Text.decode(p, i).0, CharClass.space) { break }
                    hi = i
                }
            }
        }
        return t.slice(lo..<hi)
    }
}

extension StripAccentsNormalizer {
    func normalize(aligned t: Aligned) throws -> Aligned {
        t.mapChars { CharClass.is($0, CharClass.mark) ? [] : nil }
    }
}

extension ReplaceNormalizer {
    /// Replacement characters are all aligned with the last byte of their match.
    func normalize(aligned t: Aligned) throws -> Aligned {
        let ms = t.bytes.withUnsafeBufferPointer { pattern.matches($0) }
        var out = Aligned(bytes: [], align: [])
        let cs = UTF8Text.scalars(content).map(\.value)
        for m in ms {
            if !m.isMatch {
                out.bytes.append(contentsOf: t.bytes[m.range])
                out.align.append(contentsOf: t.align[m.range])
                continue
            }
            let a: UInt64 = m.range.upperBound > 0 ? t.align[m.range.upperBound - 1] : 0
            for u in cs { out.append(u, a) }
        }
        return out
    }
}

extension PrependNormalizer {
    /// The prefix shares the alignment of the first character (tokenizers `prepend`).
    func normalize(aligned t: Aligned) throws -> Aligned {
        guard let a = t.align.first else { return t }
        return Aligned(bytes: prefix + t.bytes, align: [UInt64](repeating: a, count: prefix.count) + t.align)
    }
}

extension ByteLevelNormalizer {
    func normalize(aligned t: Aligned) throws -> Aligned { ByteLevelTables.encodeAligned(t) }
}

extension NmtNormalizer {
    func normalize(aligned t: Aligned) throws -> Aligned {
        t.mapChars { u in
            switch u {
            case 0x01...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x8F, 0x9F: return []
            case 0x09, 0x0A, 0x0C, 0x0D, 0x1680, 0x200B...0x200F, 0x2028, 0x2029, 0x2581, 0xFEFF, 0xFFFD: return [0x20]
            default: return nil
            }
        }
    }
}

extension SequenceNormalizer {
    func normalize(aligned t: Aligned) throws -> Aligned {
        var x = t
        for s in stages { x = try s.normalize(aligned: x) }
        return x
    }
}

extension BertNormalizer {
    func normalize(aligned t: Aligned) throws -> Aligned {
        var x = t
        if cleanText {
            x = x.mapChars { v in
                if v == 0 || v == 0xFFFD { return [] }
                if v == 0x09 || v == 0x0A || v == 0x0D { return [0x20] }
                if CharClass.is(v, CharClass.other) { return [] }
                return CharClass.is(v, CharClass.space) ? [0x20] : nil
            }
        }
        if handleChineseChars {
            x = x.mapChars { CharClass.isChinese($0) ? [0x20, $0, 0x20] : nil }
        }
        if stripAccents {
            x = try UnicodeNormalizer(form: .nfd).normalize(aligned: x)
            x = x.mapChars { CharClass.is($0, CharClass.nonspacing) ? [] : nil }
        }
        if lowercase { x = try LowercaseNormalizer().normalize(aligned: x) }
        return x
    }
}

extension ByteLevelTables {
    /// Each byte spelled as its byte-level character, aligned with the character it belongs to.
    static func encodeAligned(_ t: Aligned) -> Aligned {
        var out = Aligned(bytes: [], align: [])
        out.bytes.reserveCapacity(t.bytes.count * 2)
        out.align.reserveCapacity(t.bytes.count * 2)
        for (b, a) in zip(t.bytes, t.align) {
            let s = utf8[Int(b)]
            out.bytes.append(contentsOf: s)
            for _ in s { out.align.append(a) }
        }
        return out
    }
}
