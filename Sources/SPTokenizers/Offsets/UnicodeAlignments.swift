import Foundation

// The (character, change) stream of the `unicode-normalization-alignments` crate that tokenizers'
// `NormalizedString::{nfd, nfkd, nfc, nfkc}` feed to `transform`: each character's full
// decomposition (its first character change 0, the others +1), every run of non-starters stably
// sorted by combining class with the changes travelling with their characters, then (NFC/NFKC)
// canonical recomposition where a composite takes `left + right - 1`.

extension UnicodeNormalizer {
    /// The crate's stream for `scalars` under this form.
    func crateStream(_ scalars: [Unicode.Scalar]) -> [(UInt32, Int)] {
        let decompose = UnicodeNormalizer(form: form == .nfc || form == .nfd ? .nfd : .nfkd)
        // Decompositions: (class, char, change); `ready` ends the sorted prefix.
        var buffer: [(ccc: UInt8, ch: Unicode.Scalar, change: Int)] = []
        var ready = 0
        func sortPending() {
            if buffer.count - ready > 1 {
                let run = buffer[ready...].enumerated()
                    .sorted { ($0.element.ccc, $0.offset) < ($1.element.ccc, $1.offset) }.map(\.element)
                buffer.replaceSubrange(ready..., with: run)
            }
            ready = buffer.count
        }
        for u in scalars {
            let parts = u.value < 0x80 ? [u] : UTF8Text.scalars(decompose.normalize(UTF8Text.bytes([u])))
            for (i, d) in parts.enumerated() {
                let c = Self.ccc(d)
                if c == 0 { sortPending() }
                buffer.append((c, d, i == 0 ? 0 : 1))
            }
        }
        sortPending()
        guard form == .nfc || form == .nfkc else { return buffer.map { ($0.ch.value, $0.change) } }

        // Recompositions: a starter (the composee) absorbs what composes with it; marks blocked
        // from it wait in `blocked` and follow it out.
        var out: [(UInt32, Int)] = []
        out.reserveCapacity(buffer.count)
        var blocked: [(Unicode.Scalar, Int)] = []
        var composee: (Unicode.Scalar, Int)?
        var lastCcc: UInt8?
        func emit(_ x: (Unicode.Scalar, Int)) { out.append((x.0.value, x.1)) }
        for (cls, ch, change) in buffer {
            guard let k = composee else {
                if cls != 0 { emit((ch, change)) } else { composee = (ch, change) }
                continue
            }
            if let l = lastCcc, l >= cls {
                if cls == 0 {
                    emit(k)
                    blocked.forEach(emit)
                    blocked.removeAll()
                    composee = (ch, change)
                    lastCcc = nil
                } else {
                    blocked.append((ch, change))
                    lastCcc = cls
                }
                continue
            }
            if let r = Self.compose(k.0, ch) {
                composee = (r, k.1 + change - 1)
            } else if lastCcc == nil && cls == 0 {
                composee = (ch, change)
                emit(k)
            } else {
                blocked.append((ch, change))
                lastCcc = cls
            }
        }
        if let k = composee { emit(k) }
        blocked.forEach(emit)
        return out
    }

    static func ccc(_ u: Unicode.Scalar) -> UInt8 { UInt8(u.properties.canonicalCombiningClass.rawValue) }

    /// The primary composite of `a` and `b`: Hangul by the Unicode formula (Foundation's NFC of
    /// a precomposed LV syllable and a trailing consonant stays two characters), else NFC of the
    /// pair when it is one character whose canonical decomposition is exactly `a`'s followed by
    /// `b` (so a composite reached only through reordering, like ê + U+0323 → ệ, is not one).
    static func compose(_ a: Unicode.Scalar, _ b: Unicode.Scalar) -> Unicode.Scalar? {
        let x = a.value, y = b.value
        if (0x1100..<0x1113).contains(x) && (0x1161..<0x1176).contains(y) {  // L + V
            return Unicode.Scalar(0xAC00 + ((x - 0x1100) * 21 + (y - 0x1161)) * 28)
        }
        if (0xAC00..<0xD7A4).contains(x) && (x - 0xAC00) % 28 == 0 && (0x11A8..<0x11C3).contains(y) {  // LV + T
            return Unicode.Scalar(x + (y - 0x11A7))
        }
        let nfc = UnicodeNormalizer(form: .nfc), nfd = UnicodeNormalizer(form: .nfd)
        let r = UTF8Text.scalars(nfc.normalize(UTF8Text.bytes([a, b])))
        guard r.count == 1 else { return nil }
        let whole = nfd.normalize(UTF8Text.bytes([r[0]]))
        guard whole == nfd.normalize(UTF8Text.bytes([a])) + UTF8Text.bytes([b]) else { return nil }
        return r[0]
    }
}
