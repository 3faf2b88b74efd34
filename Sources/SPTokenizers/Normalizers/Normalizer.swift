import Foundation
import SPJSON

/// A normalizer rewrites the text of each piece before pre-tokenization (tokenizer.json
/// `normalizer`). It works on UTF-8 bytes and keeps them valid UTF-8. Characters are Unicode
/// scalars (Rust `char`s), never Swift `Character`s, except where the reference uses graphemes.
protocol Normalizer: Sendable {
    func normalize(_ text: [UInt8]) -> [UInt8]
    /// The same normalization with the alignments to the original text (for offsets).
    func normalize(aligned: Aligned) throws -> Aligned
}

/// Builds normalizers from tokenizer.json, switching on `type`.
enum NormalizerFactory {
    static func make(_ c: JSONConfig) throws -> any Normalizer {
        let type = try c.typeName()
        switch type {
        case "NFC": return UnicodeNormalizer(form: .nfc)
        case "NFD": return UnicodeNormalizer(form: .nfd)
        case "NFKC": return UnicodeNormalizer(form: .nfkc)
        case "NFKD": return UnicodeNormalizer(form: .nfkd)
        case "Lowercase": return LowercaseNormalizer()
        case "Strip":
            return StripNormalizer(left: try c.bool("strip_left", default: true), right: try c.bool("strip_right", default: true))
        case "StripAccents": return StripAccentsNormalizer()
        case "Replace":
            return ReplaceNormalizer(
                pattern: try PatternFactory.make(try c.required("pattern")), content: Array(try c.string("content").utf8))
        case "Prepend": return PrependNormalizer(prefix: Array(try c.string("prepend").utf8))
        case "BertNormalizer": return try BertNormalizer(c)
        case "Precompiled": return try PrecompiledNormalizer(c)
        case "ByteLevel": return ByteLevelNormalizer()
        case "Nmt": return NmtNormalizer()
        case "Sequence":
            return SequenceNormalizer(stages: try c.required("normalizers").array().map(make))
        default:
            throw TokenizerError.unknownType(component: "normalizer", type: type, path: c.path)
        }
    }
}

/// Unicode normalization forms (Foundation's, which follow the Unicode tables of the platform).
struct UnicodeNormalizer: Normalizer {
    enum Form: Sendable { case nfc, nfd, nfkc, nfkd }
    let form: Form

    func normalize(_ text: [UInt8]) -> [UInt8] {
        if text.allSatisfy({ $0 < 0x80 }) { return text }  // ASCII is invariant under all four forms
        let s = String(decoding: text, as: UTF8.self)
        let out: String
        switch form {
        case .nfc: out = s.precomposedStringWithCanonicalMapping
        case .nfd: out = s.decomposedStringWithCanonicalMapping
        case .nfkc: out = s.precomposedStringWithCompatibilityMapping
        case .nfkd: out = s.decomposedStringWithCompatibilityMapping
        }
        return Array(out.utf8)
    }
}

/// Full lowercase mapping of each scalar, without context (Rust `char::to_lowercase`).
struct LowercaseNormalizer: Normalizer {
    func normalize(_ text: [UInt8]) -> [UInt8] { Self.lower(text) }

    static func lower(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        for u in UTF8Text.scalars(text) {
            if u.value < 0x80 {
                let b = UInt8(u.value)
                out.append(b >= 0x41 && b <= 0x5A ? b + 0x20 : b)
            } else {
                for l in u.properties.lowercaseMapping.unicodeScalars { UTF8Text.append(l.value, to: &out) }
            }
        }
        return out
    }
}

/// Removes leading and/or trailing whitespace (White_Space).
struct StripNormalizer: Normalizer {
    let left: Bool
    let right: Bool

    func normalize(_ text: [UInt8]) -> [UInt8] {
        var s = UTF8Text.scalars(text)[...]
        if left { while let f = s.first, CharClass.is(f.value, CharClass.space) { s.removeFirst() } }
        if right { while let l = s.last, CharClass.is(l.value, CharClass.space) { s.removeLast() } }
        return UTF8Text.bytes(s)
    }
}

/// Removes combining marks (General_Category M), without decomposing first.
struct StripAccentsNormalizer: Normalizer {
    func normalize(_ text: [UInt8]) -> [UInt8] {
        UTF8Text.bytes(UTF8Text.scalars(text).filter { !CharClass.is($0.value, CharClass.mark) })
    }
}

/// Replaces every match of a pattern with fixed content.
struct ReplaceNormalizer: Normalizer {
    let pattern: any SplitPattern
    let content: [UInt8]

    func normalize(_ text: [UInt8]) -> [UInt8] { Self.replace(text, pattern, content) }

    static func replace(_ text: [UInt8], _ pattern: any SplitPattern, _ content: [UInt8]) -> [UInt8] {
        text.withUnsafeBufferPointer { p in
            let ms = pattern.matches(p)
            if ms.count == 1 && !ms[0].isMatch { return text }
            var out: [UInt8] = []
            out.reserveCapacity(text.count)
            for m in ms {
                if m.isMatch { out.append(contentsOf: content) } else { out.append(contentsOf: p[m.range]) }
            }
            return out
        }
    }
}

/// Prepends a string to non-empty text.
struct PrependNormalizer: Normalizer {
    let prefix: [UInt8]

    func normalize(_ text: [UInt8]) -> [UInt8] { text.isEmpty ? text : prefix + text }
}

/// Spells each byte with the byte-level alphabet (tokenizers `normalizers::ByteLevel`).
struct ByteLevelNormalizer: Normalizer {
    func normalize(_ text: [UInt8]) -> [UInt8] { ByteLevelTables.encode(text) }
}

/// SentencePiece's NMT normalization: drops some control characters, maps others to a space.
struct NmtNormalizer: Normalizer {
    func normalize(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for u in UTF8Text.scalars(text) {
            switch u.value {
            case 0x01...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x8F, 0x9F: continue
            case 0x09, 0x0A, 0x0C, 0x0D, 0x1680, 0x200B...0x200F, 0x2028, 0x2029, 0x2581, 0xFEFF, 0xFFFD:
                out.append(0x20)
            default: UTF8Text.append(u.value, to: &out)
            }
        }
        return out
    }
}

/// Runs normalizers in order.
struct SequenceNormalizer: Normalizer {
    let stages: [any Normalizer]

    func normalize(_ text: [UInt8]) -> [UInt8] {
        var t = text
        for s in stages { t = s.normalize(t) }
        return t
    }
}
