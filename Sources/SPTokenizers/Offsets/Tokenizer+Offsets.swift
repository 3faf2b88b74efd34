extension Tokenizer {
    /// One sequence with its tokens and character offsets: added tokens, normalizer and
    /// pre-tokenizer carry the alignment of every byte to the original text; the model's tokens
    /// map back through it (tokenizers `encode_char_offsets`).
    func encodeSequenceWithOffsets(_ text: String, typeId: Int) throws -> Encoding {
        let original = Array(text.utf8)
        var pieces = try added.extractAndNormalizeAligned(original, normalizer: normalizer)
        try preTokenizer?.preTokenize(&pieces)
        let conv = CharOffsetConverter(original)
        var ids: [Int32] = []
        var offsets: [TokenSpan] = []
        var pieceTokens: [Int: String] = [:]
        ids.reserveCapacity(original.count / 3 + 4)
        offsets.reserveCapacity(original.count / 3 + 4)
        for p in pieces {
            let a = Aligned(bytes: p.bytes, align: p.align ?? [])
            if let pid = p.ids {
                // The whole piece, with the spaces an lstrip/rstrip token swallowed (its token
                // string is the piece too, as tokenizers' `Token.value`).
                let r = 0..<p.bytes.count
                let (s, e) = conv.convert(a.original(r).0, a.original(r).1)
                for id in pid {
                    ids.append(id)
                    offsets.append(TokenSpan(start: s, end: e))
                    pieceTokens[ids.count - 1] = UTF8Text.string(p.bytes)
                }
                continue
            }
            let before = ids.count
            try model.tokenize(p.bytes, into: &ids)
            let mine = Array(ids[before...])
            for (s, e) in TokenSpans.spans(p.bytes, mine, model: model) {
                let (os, oe) = a.original(s..<e)
                let (cs, ce) = conv.convert(os, oe)
                offsets.append(TokenSpan(start: cs, end: ce))
            }
        }
        var enc = Encoding(ids: ids, typeId: typeId)
        enc.tokens = enc.ids.enumerated().map { pieceTokens[$0.offset] ?? idToToken($0.element) ?? "" }
        enc.offsets = offsets
        return enc
    }
}

extension AddedVocabulary {
    /// `extractAndNormalize` with alignments kept on every piece.
    func extractAndNormalizeAligned(_ text: [UInt8], normalizer: (any Normalizer)?) throws -> [Piece] {
        let whole = Aligned(original: text)
        var pieces: [Piece] = []
        for (range, id) in findMatches(text, raw) {
            let part = whole.slice(range)
            if let id {
                pieces.append(Piece(bytes: part.bytes, ids: [id], atOrigin: range.lowerBound == 0, align: part.align))
                continue
            }
            let n = try normalizer?.normalize(aligned: part) ?? part
            let atOrigin = range.lowerBound == 0
            for (r2, id2) in findMatches(n.bytes, normalizedMatcher) where !r2.isEmpty {
                pieces.append(Piece(bytes: Array(n.bytes[r2]), ids: id2.map { [$0] },
                                    atOrigin: atOrigin && r2.lowerBound == 0, align: Array(n.align[r2])))
            }
        }
        return pieces.filter { !$0.bytes.isEmpty }
    }
}
