import Foundation
import SPJSON

/// A decoder turns token strings back into text (tokenizer.json `decoder`). `decodeChain`
/// maps a list of token strings to another, as the reference's `decode_chain`; the final text is
/// their concatenation. Characters are Unicode scalars.
protocol TokenDecoder: Sendable {
    func decodeChain(_ tokens: [String]) throws -> [String]
}

/// Builds decoders from tokenizer.json, switching on `type`.
enum DecoderFactory {
    static func make(_ c: JSONConfig) throws -> any TokenDecoder {
        let type = try c.typeName()
        switch type {
        case "ByteLevel": return ByteLevelDecoder()
        case "Metaspace":
            let pre = try MetaspacePreTokenizer(c)
            return MetaspaceDecoder(replacement: UTF8Text.scalars(pre.replacement).first ?? "\u{2581}", prependScheme: pre.scheme)
        case "ByteFallback": return ByteFallbackDecoder()
        case "Fuse": return FuseDecoder()
        case "Strip":
            return StripDecoder(content: try c.scalar("content"), start: try c.required("start").index(), stop: try c.required("stop").index())
        case "Replace":
            return ReplaceDecoder(pattern: try PatternFactory.make(try c.required("pattern")), content: Array(try c.string("content").utf8))
        case "WordPiece":
            return WordPieceDecoder(prefix: try c.stringIfPresent("prefix") ?? "##", cleanup: try c.bool("cleanup", default: true))
        case "BPEDecoder": return BPESuffixDecoder(suffix: try c.stringIfPresent("suffix") ?? "</w>")
        case "Sequence": return SequenceDecoder(stages: try c.required("decoders").array().map(make))
        default: throw TokenizerError.unknownType(component: "decoder", type: type, path: c.path)
        }
    }
}

/// Maps byte-level characters back to bytes and decodes them as UTF-8 with replacement.
struct ByteLevelDecoder: TokenDecoder {
    func decodeChain(_ tokens: [String]) throws -> [String] {
        var bytes: [UInt8] = []
        for t in tokens {
            if let b = ByteLevelTables.decode(t) { bytes += b } else { bytes += Array(t.utf8) }
        }
        return [String(decoding: bytes, as: UTF8.self)]
    }
}

/// `▁` becomes a space; the first token's leading one is dropped unless `prepend_scheme` is never.
struct MetaspaceDecoder: TokenDecoder {
    let replacement: Unicode.Scalar
    let prependScheme: MetaspacePreTokenizer.Scheme

    func decodeChain(_ tokens: [String]) throws -> [String] {
        tokens.enumerated().map { i, t in
            var s = String.UnicodeScalarView()
            for u in t.unicodeScalars {
                if u == replacement {
                    if i == 0 && prependScheme != .never { continue }
                    s.append(" ")
                } else {
                    s.append(u)
                }
            }
            return String(s)
        }
    }
}

/// Runs of `<0xAB>` tokens become the text their bytes spell (or one U+FFFD per byte when
/// they are not valid UTF-8).
struct ByteFallbackDecoder: TokenDecoder {
    static func byte(_ t: String) -> UInt8? {
        let u = Array(t.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E, u[3] != 0x2D else { return nil }
        return UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
    }

    func decodeChain(_ tokens: [String]) throws -> [String] {
        var out: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let s = String(validating: pending, as: UTF8.self) {
                out.append(s)
            } else {
                out += [String](repeating: "\u{FFFD}", count: pending.count)
            }
            pending.removeAll()
        }
        for t in tokens {
            if let b = Self.byte(t) {
                pending.append(b)
            } else {
                flush()
                out.append(t)
            }
        }
        flush()
        return out
    }
}

/// Concatenates all tokens into one.
struct FuseDecoder: TokenDecoder {
    func decodeChain(_ tokens: [String]) throws -> [String] { [tokens.joined()] }
}

/// Removes up to `start` leading and `stop` trailing `content` characters from each token.
struct StripDecoder: TokenDecoder {
    let content: Unicode.Scalar
    let start: Int
    let stop: Int

    func decodeChain(_ tokens: [String]) throws -> [String] {
        try tokens.map { t in
            let chars = Array(t.unicodeScalars)
            var startCut = 0
            for (i, c) in chars.enumerated().prefix(start) {
                if c == content { startCut = i + 1 } else { break }
            }
            var stopCut = chars.count
            for i in 0..<stop {
                let index = chars.count - i - 1
                // The reference indexes out of bounds here (a panic); report it instead.
                guard index >= 0 else { throw TokenizerError.decoding("Strip decoder: token \"\(t)\" is shorter than stop=\(stop)") }
                if chars[index] == content { stopCut = index } else { break }
            }
            guard startCut <= stopCut else { return "" }
            var s = String.UnicodeScalarView()
            s.append(contentsOf: chars[startCut..<stopCut])
            return String(s)
        }
    }
}

/// Replaces a string or regex pattern in each token.
struct ReplaceDecoder: TokenDecoder {
    let pattern: any SplitPattern
    let content: [UInt8]

    func decodeChain(_ tokens: [String]) throws -> [String] {
        tokens.map { UTF8Text.string(ReplaceNormalizer.replace(Array($0.utf8), pattern, content)) }
    }
}

/// WordPiece: joins subwords (dropping `##`), spaces before words, optional clean-up.
struct WordPieceDecoder: TokenDecoder {
    let prefix: String
    let cleanup: Bool

    /// tokenizers decoders/wordpiece.rs `cleanup` (byte-exact replacements, in this order).
    static func cleanup(_ s: String) -> String {
        var b = Array(s.utf8)
        for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                           (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            b = ReplaceNormalizer.replace(b, LiteralPattern(needle: Array(from.utf8)), Array(to.utf8))
        }
        return UTF8Text.string(b)
    }

    func decodeChain(_ tokens: [String]) throws -> [String] {
        let p = Array(prefix.utf8)
        return tokens.enumerated().map { i, t in
            var s = t
            if i != 0 {
                let u = Array(t.utf8)
                s = UTF8Text.starts(u, with: p) ? UTF8Text.string(Array(u[p.count...])) : " " + t
            }
            return cleanup ? Self.cleanup(s) : s
        }
    }
}

/// BPE end-of-word suffix: the suffix becomes a space, except in the last token.
struct BPESuffixDecoder: TokenDecoder {
    let suffix: String

    func decodeChain(_ tokens: [String]) throws -> [String] {
        let pattern = LiteralPattern(needle: Array(suffix.utf8))
        return tokens.enumerated().map { i, t in
            let rep: [UInt8] = i == tokens.count - 1 ? [] : [0x20]
            return UTF8Text.string(ReplaceNormalizer.replace(Array(t.utf8), pattern, rep))
        }
    }
}

/// Runs decoders in order.
struct SequenceDecoder: TokenDecoder {
    let stages: [any TokenDecoder]

    func decodeChain(_ tokens: [String]) throws -> [String] {
        var t = tokens
        for s in stages { t = try s.decodeChain(t) }
        return t
    }
}
