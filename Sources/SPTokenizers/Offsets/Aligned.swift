/// A normalized text with, for each of its UTF-8 bytes, the byte range of the original text it
/// came from (tokenizers `NormalizedString` alignments). Ranges are packed as `start << 32 | end`.
/// Only the offsets path builds these; plain encoding never pays for them.
struct Aligned {
    var bytes: [UInt8]
    var align: [UInt64]

    init(bytes: [UInt8], align: [UInt64]) {
        self.bytes = bytes
        self.align = align
    }

    /// The original text: every byte of a character maps to that character's whole byte range.
    init(original text: [UInt8]) {
        bytes = text
        align = [UInt64](repeating: 0, count: text.count)
        var i = 0
        while i < text.count {
            let w = min(UTF8Text.width(text[i]), text.count - i)
            let a = Self.pack(i, i + w)
            for k in i..<(i + w) { align[k] = a }
            i += w
        }
    }

    @inline(__always) static func pack(_ start: Int, _ end: Int) -> UInt64 { UInt64(start) << 32 | UInt64(end) }
    @inline(__always) static func start(_ a: UInt64) -> Int { Int(a >> 32) }
    @inline(__always) static func end(_ a: UInt64) -> Int { Int(a & 0xFFFF_FFFF) }

    /// The original byte range of normalized bytes `r` (tokenizers `convert_offsets` from the
    /// normalized referential: first byte's start to last byte's end; empty stays empty).
    func original(_ r: Range<Int>) -> (Int, Int) {
        guard !r.isEmpty, r.lowerBound >= 0, r.upperBound <= align.count else {
            return (r.lowerBound, r.lowerBound)
        }
        return (Self.start(align[r.lowerBound]), Self.end(align[r.upperBound - 1]))
    }

    func slice(_ r: Range<Int>) -> Aligned { Aligned(bytes: Array(bytes[r]), align: Array(align[r])) }

    /// Each character replaced by `body`'s characters, all aligned with the source character
    /// (tokenizers' `map`, `filter`, `lowercase`, and the per-byte ByteLevel transforms, whose
    /// added characters share the alignment of the one they replace).
    func mapChars(_ body: (UInt32) -> [UInt32]?) -> Aligned {
        var out = Aligned(bytes: [], align: [])
        out.bytes.reserveCapacity(bytes.count)
        out.align.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let (u, w) = bytes.withUnsafeBufferPointer { UTF8Text.decode($0, i) }
            let a = align[i]
            if let mapped = body(u) {
                for m in mapped { out.append(m, a) }
            } else {
                let e = min(i + w, bytes.count)
                out.bytes.append(contentsOf: bytes[i..<e])
                out.align.append(contentsOf: align[i..<e])
            }
            i += w
        }
        return out
    }

    mutating func append(_ u: UInt32, _ a: UInt64) {
        let before = bytes.count
        UTF8Text.append(u, to: &bytes)
        align.append(contentsOf: repeatElement(a, count: bytes.count - before))
    }

    /// Applies `(character, change)` pairs the way tokenizers' `NormalizedString::transform`
    /// does: `change` 0 replaces the next character, `-n` replaces it and removes `n` more, `1`
    /// inserts a character aligned with the byte before the current position. `initialOffset`
    /// characters are removed first.
    func transform(_ dest: [(UInt32, Int)], initialOffset: Int) -> Aligned {
        var out = Aligned(bytes: [], align: [])
        out.bytes.reserveCapacity(bytes.count)
        out.align.reserveCapacity(bytes.count)
        var offset = 0
        func skipChar() {
            guard offset < bytes.count else { return }
            offset = min(offset + UTF8Text.width(bytes[offset]), bytes.count)
        }
        for _ in 0..<initialOffset { skipChar() }
        for (u, change) in dest {
            let a: UInt64
            if change > 0 {
                a = offset < 1 ? 0 : align[min(offset, align.count) - 1]
            } else {
                a = offset < align.count ? align[offset] : (align.last ?? 0)
                skipChar()
                if change < 0 { for _ in 0..<(-change) { skipChar() } }
            }
            out.append(u, a)
        }
        return out
    }
}

/// Byte offsets of the original text to character (Unicode scalar) offsets, as tokenizers'
/// `BytesToCharOffsetConverter` does for Python: a byte inside a character maps to that
/// character; an end at the text's end maps to the character count; offsets it cannot map stay.
struct CharOffsetConverter {
    private var charAt: [Int32]
    private let charCount: Int

    init(_ text: [UInt8]) {
        charAt = [Int32](repeating: 0, count: text.count)
        var c: Int32 = 0
        var i = 0
        while i < text.count {
            let w = min(UTF8Text.width(text[i]), text.count - i)
            for k in i..<(i + w) { charAt[k] = c }
            c += 1
            i += w
        }
        charCount = Int(c)
    }

    func convert(_ start: Int, _ end: Int) -> (Int, Int) {
        guard start >= 0, start < charAt.count else { return (start, end) }
        let s = Int(charAt[start])
        if end >= 0, end < charAt.count { return (s, Int(charAt[end])) }
        if end > 0, end - 1 < charAt.count { return (s, Int(charAt[end - 1]) + 1) }
        return (s, s + 1)
    }
}
