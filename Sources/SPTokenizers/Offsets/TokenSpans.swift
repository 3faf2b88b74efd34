/// How a model's token spellings cover the word they came from.
struct SpanStyle: Sendable {
    /// `continuing_subword_prefix` (BPE, WordPiece `##`), absent from the word.
    var prefix: [UInt8] = []
    /// BPE `end_of_word_suffix`, absent from the word.
    var suffix: [UInt8] = []
    /// Unigram gives every byte-fallback token the span of the whole unknown run; BPE one byte each.
    var byteFallbackSharesRun = false
}

enum TokenSpans {
    /// The byte range of `word` each id of the model covers (tokenizers' `Token.offsets`):
    /// spellings laid end to end (without the subword affixes), `<0xAB>` byte tokens, and
    /// unknown tokens over the characters no spelling covers.
    static func spans(_ word: [UInt8], _ ids: [Int32], model: any TokenizerModel) -> [(Int, Int)] {
        if ids.count == 1 { return [(0, word.count)] }
        let style = model.spanStyle
        let spell = ids.map { Array((model.idToToken(Int($0)) ?? "").utf8) }
        var out: [(Int, Int)] = []
        out.reserveCapacity(ids.count)
        var cur = 0
        var k = 0
        while k < ids.count {
            if let n = matchLength(spell[k], word, cur, style: style) {
                out.append((cur, cur + n))
                cur += n
                k += 1
                continue
            }
            if byteValue(spell[k]) != nil {
                if style.byteFallbackSharesRun {
                    var j = k
                    while j < ids.count, byteValue(spell[j]) != nil, matchLength(spell[j], word, cur, style: style) == nil { j += 1 }
                    let end = min(cur + (j - k), word.count)
                    for _ in k..<j { out.append((cur, end)) }
                    cur = end
                    k = j
                } else {
                    let end = min(cur + 1, word.count)
                    out.append((cur, end))
                    cur = end
                    k += 1
                }
                continue
            }
            // An unknown token: at least one character, then up to where the next spelling fits.
            var end = min(cur + (cur < word.count ? UTF8Text.width(word[cur]) : 0), word.count)
            if k + 1 == ids.count {
                end = word.count
            } else if ids[k + 1] != ids[k], byteValue(spell[k + 1]) == nil {
                while end < word.count, matchLength(spell[k + 1], word, end, style: style) == nil {
                    end = min(end + UTF8Text.width(word[end]), word.count)
                }
            }
            out.append((cur, end))
            cur = end
            k += 1
        }
        return out
    }

    private static func matchLength(_ s: [UInt8], _ word: [UInt8], _ at: Int, style: SpanStyle) -> Int? {
        var body = s[...]
        if fits(body, word, at) { return body.count }
        if at > 0, !style.prefix.isEmpty, body.starts(with: style.prefix) {
            body = body.dropFirst(style.prefix.count)
            if fits(body, word, at) { return body.count }
        }
        if !style.suffix.isEmpty, body.count >= style.suffix.count, body.suffix(style.suffix.count).elementsEqual(style.suffix) {
            body = body.dropLast(style.suffix.count)
            if fits(body, word, at) { return body.count }
        }
        return nil
    }

    private static func fits(_ s: ArraySlice<UInt8>, _ word: [UInt8], _ at: Int) -> Bool {
        !s.isEmpty && at + s.count <= word.count && word[at..<(at + s.count)].elementsEqual(s)
    }

    /// The byte of a `<0xAB>` token.
    static func byteValue(_ s: [UInt8]) -> UInt8? {
        guard s.count == 6, s[0] == 0x3C, s[1] == 0x30, s[2] == 0x78, s[5] == 0x3E else { return nil }
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x41...0x46: return c - 0x37
            case 0x61...0x66: return c - 0x57
            default: return nil
            }
        }
        guard let h = hex(s[3]), let l = hex(s[4]) else { return nil }
        return h << 4 | l
    }
}
