import Foundation
import SPJSON

/// BERT's normalizer: clean control characters, pad CJK ideographs with spaces, strip accents
/// (NFD then drop Mn; follows `lowercase` when unset), lowercase (tokenizers normalizers/bert.rs).
struct BertNormalizer: Normalizer {
    let cleanText: Bool
    let handleChineseChars: Bool
    let stripAccents: Bool
    let lowercase: Bool

    init(_ c: JSONConfig) throws {
        cleanText = try c.bool("clean_text", default: true)
        handleChineseChars = try c.bool("handle_chinese_chars", default: true)
        lowercase = try c.bool("lowercase", default: true)
        stripAccents = try c.boolIfPresent("strip_accents") ?? lowercase
    }

    func normalize(_ text: [UInt8]) -> [UInt8] {
        var s = UTF8Text.scalars(text)
        if cleanText {
            s = s.compactMap { u in
                let v = u.value
                if v == 0 || v == 0xFFFD { return nil }
                if v == 0x09 || v == 0x0A || v == 0x0D { return " " }
                if CharClass.is(v, CharClass.other) { return nil }
                return CharClass.is(v, CharClass.space) ? " " : u
            }
        }
        if handleChineseChars {
            var out: [Unicode.Scalar] = []
            out.reserveCapacity(s.count)
            for u in s {
                if CharClass.isChinese(u.value) {
                    out.append(" ")
                    out.append(u)
                    out.append(" ")
                } else {
                    out.append(u)
                }
            }
            s = out
        }
        var bytes = UTF8Text.bytes(s)
        if stripAccents {
            bytes = UnicodeNormalizer(form: .nfd).normalize(bytes)
            bytes = UTF8Text.bytes(UTF8Text.scalars(bytes).filter { !CharClass.is($0.value, CharClass.nonspacing) })
        }
        if lowercase { bytes = LowercaseNormalizer.lower(bytes) }
        return bytes
    }
}

/// SentencePiece's compiled character map (`precompiled_charsmap`, as T5 uses): a darts-clone
/// double-array trie over UTF-8 keys plus a blob of NUL-terminated replacements. Applied per
/// grapheme as `spm_precompiled` and tokenizers normalizers/precompiled.rs do.
struct PrecompiledNormalizer: Normalizer {
    private let units: [UInt32]
    private let normalized: [UInt8]
    private var asciiTable: [[UInt8]?] = []

    init(_ c: JSONConfig) throws {
        let field = try c.required("precompiled_charsmap")
        let b64 = try field.string()
        guard let data = Data(base64Encoded: b64) else {
            throw TokenizerError.schema(path: field.path, message: "not valid base64")
        }
        try self.init(blob: [UInt8](data), path: field.path)
    }

    init(blob: [UInt8], path: String) throws {
        guard blob.count >= 4 else {
            throw TokenizerError.schema(path: path, message: "charsmap shorter than its 4-byte header")
        }
        let trieSize = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        guard trieSize % 4 == 0, trieSize > 0, 4 + trieSize <= blob.count else {
            throw TokenizerError.schema(path: path, message: "charsmap trie size \(trieSize) does not fit the \(blob.count)-byte blob")
        }
        var u: [UInt32] = []
        u.reserveCapacity(trieSize / 4)
        var i = 4
        while i < 4 + trieSize {
            u.append(UInt32(blob[i]) | UInt32(blob[i + 1]) << 8 | UInt32(blob[i + 2]) << 16 | UInt32(blob[i + 3]) << 24)
            i += 4
        }
        let rest = Array(blob[(4 + trieSize)...])
        guard String(validating: rest, as: UTF8.self) != nil else {
            throw TokenizerError.schema(path: path, message: "charsmap replacement blob is not UTF-8")
        }
        units = u
        normalized = rest
        asciiTable = asciiMap
    }

    @inline(__always) private static func hasLeaf(_ u: UInt32) -> Bool { (u >> 8) & 1 == 1 }
    @inline(__always) private static func value(_ u: UInt32) -> Int { Int(u & ((1 << 31) - 1)) }
    @inline(__always) private static func label(_ u: UInt32) -> UInt32 { u & ((1 << 31) | 0xFF) }
    @inline(__always) private static func offset(_ u: UInt32) -> Int { Int((u >> 10) << ((u & (1 << 9)) >> 6)) }

    /// The replacement of the shortest key that prefixes `key`, or nil.
    private func transform(_ key: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard let root = units.first else { return nil }
        var pos = Self.offset(root)
        for c in key {
            if c == 0 { break }
            pos ^= Int(c)
            guard pos < units.count else { return nil }
            let unit = units[pos]
            if Self.label(unit) != UInt32(c) { return nil }
            pos ^= Self.offset(unit)
            if Self.hasLeaf(unit) {
                guard pos < units.count else { return nil }
                let start = Self.value(units[pos])
                guard start <= normalized.count else { return nil }
                var end = start
                while end < normalized.count && normalized[end] != 0 { end += 1 }
                let r = normalized[start..<end]
                // A replacement cut inside a character would not be a valid str slice in the reference.
                guard String(validating: Array(r), as: UTF8.self) != nil else { return nil }
                return r
            }
        }
        return nil
    }

    /// The replacement of each ASCII character on its own (nil: unchanged).
    private var asciiMap: [[UInt8]?] {
        (0..<128).map { b in transform([UInt8(b)][...]).map(Array.init) }
    }

    func normalize(_ text: [UInt8]) -> [UInt8] {
        // ASCII text without CR LF is one scalar per grapheme: look each byte up directly.
        if text.allSatisfy({ $0 < 0x80 }) && !text.contains(0x0D) {
            let map = asciiTable
            var out: [UInt8] = []
            out.reserveCapacity(text.count)
            var changed = false
            for b in text {
                if let r = map[Int(b)] { out.append(contentsOf: r); changed = true } else { out.append(b) }
            }
            return changed ? out : text
        }
        let s = String(decoding: text, as: UTF8.self)
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var changed = false
        var pos = 0
        for g in s {
            let n = g.utf8.count
            let grapheme = text[pos..<(pos + n)]
            pos += n
            if n < 6, let r = transform(grapheme) {
                out.append(contentsOf: r)
                changed = true
                continue
            }
            var i = grapheme.startIndex
            while i < grapheme.endIndex {
                let w = min(UTF8Text.width(text[i]), grapheme.endIndex - i)
                let part = text[i..<(i + w)]
                if let r = transform(part) {
                    out.append(contentsOf: r)
                    changed = true
                } else {
                    out.append(contentsOf: part)
                }
                i += w
            }
        }
        return changed ? out : text
    }
}

extension PrecompiledNormalizer {
    /// The reference's transformations, bugs included: a replacement's characters replace in
    /// place, extra ones are insertions, and a shorter one folds the difference into its last
    /// character (or the character before it when the replacement is empty).
    func normalize(aligned t: Aligned) throws -> Aligned {
        let text = t.bytes
        var dest: [(UInt32, Int)] = []
        dest.reserveCapacity(text.count)
        var modified = false
        func replace(_ old: ArraySlice<UInt8>, _ new: ArraySlice<UInt8>) {
            let oldCount = UTF8Text.scalars(Array(old)).count
            let newScalars = UTF8Text.scalars(Array(new))
            let diff = newScalars.count - oldCount
            for u in newScalars { dest.append((u.value, 0)) }
            if diff > 0 {
                for k in (dest.count - diff)..<dest.count where k >= 0 { dest[k].1 = 1 }
            } else if diff < 0, !dest.isEmpty {
                dest[dest.count - 1].1 += diff
            }
        }
        var pos = 0
        for g in String(decoding: text, as: UTF8.self) {
            let n = g.utf8.count
            let grapheme = text[pos..<min(pos + n, text.count)]
            pos += n
            if n < 6, let r = transform(grapheme) {
                modified = true
                replace(grapheme, r)
                continue
            }
            var i = grapheme.startIndex
            while i < grapheme.endIndex {
                let w = min(UTF8Text.width(text[i]), grapheme.endIndex - i)
                let part = text[i..<(i + w)]
                if let r = transform(part) {
                    modified = true
                    replace(part, r)
                } else {
                    dest.append((text.withUnsafeBufferPointer { UTF8Text.decode($0, i).0 }, 0))
                }
                i += w
            }
        }
        return modified ? t.transform(dest, initialOffset: 0) : t
    }
}
