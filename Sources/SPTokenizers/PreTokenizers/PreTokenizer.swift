import SPJSON

/// A pre-tokenizer cuts the normalized pieces into words before the model (tokenizer.json
/// `pre_tokenizer`). Pieces that already hold ids (added tokens) pass through untouched.
protocol PreTokenizer: Sendable {
    func preTokenize(_ pieces: inout [Piece]) throws
}

/// Builds pre-tokenizers from tokenizer.json, switching on `type`.
enum PreTokenizerFactory {
    static func make(_ c: JSONConfig) throws -> any PreTokenizer {
        let type = try c.typeName()
        switch type {
        case "ByteLevel": return try ByteLevelPreTokenizer(c)
        case "Metaspace": return try MetaspacePreTokenizer(c)
        case "Split": return try SplitPreTokenizer(c)
        case "Whitespace": return WhitespacePreTokenizer()
        case "WhitespaceSplit": return WhitespaceSplitPreTokenizer()
        case "Punctuation":
            let b = try c.optional("behavior").map(SplitBehavior.init) ?? .isolated
            return CharClassPreTokenizer(flags: CharClass.punct, behavior: b)
        case "Digits":
            let individual = try c.bool("individual_digits", default: false)
            return CharClassPreTokenizer(flags: CharClass.number, behavior: individual ? .isolated : .contiguous)
        case "BertPreTokenizer": return BertPreTokenizer()
        case "Sequence":
            return SequencePreTokenizer(stages: try c.required("pretokenizers").array().map(make))
        default:
            throw TokenizerError.unknownType(component: "pre_tokenizer", type: type, path: c.path)
        }
    }
}

/// Splits at GPT-2's regex (optionally) after adding a leading space (optionally), then spells
/// every byte with the byte-level alphabet.
struct ByteLevelPreTokenizer: PreTokenizer {
    let addPrefixSpace: Bool
    let useRegex: Bool

    init(addPrefixSpace: Bool, useRegex: Bool) {
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
    }

    init(_ c: JSONConfig) throws {
        addPrefixSpace = try c.bool("add_prefix_space", default: true)
        useRegex = try c.bool("use_regex", default: true)
    }

    func preTokenize(_ pieces: inout [Piece]) {
        let gpt2 = ScannerPattern(kind: .gpt2)
        pieces.splitEach { p in
            var q = p
            if addPrefixSpace && q.bytes.first != 0x20 {
                q.bytes.insert(0x20, at: 0)
                if let a = q.align?.first { q.align!.insert(a, at: 0) }  // tokenizers `prepend`
            }
            return useRegex ? q.split(by: gpt2, behavior: .isolated) : [q]
        }
        for i in pieces.indices where pieces[i].ids == nil {
            if let a = pieces[i].align {
                let t = ByteLevelTables.encodeAligned(Aligned(bytes: pieces[i].bytes, align: a))
                pieces[i].bytes = t.bytes
                pieces[i].align = t.align
            } else {
                pieces[i].bytes = ByteLevelTables.encode(pieces[i].bytes)
            }
        }
    }
}

/// Replaces spaces with `▁` (or another character), prepends one per `prepend_scheme`, and
/// optionally splits before each.
struct MetaspacePreTokenizer: PreTokenizer {
    enum Scheme: String, Sendable { case always, never, first }
    let replacement: [UInt8]
    let scheme: Scheme
    let split: Bool

    init(replacement: Unicode.Scalar, scheme: Scheme, split: Bool) {
        self.replacement = UTF8Text.bytes([replacement])
        self.scheme = scheme
        self.split = split
    }

    init(_ c: JSONConfig) throws {
        var r: Unicode.Scalar = "\u{2581}"
        if try c.optional("replacement") != nil { r = try c.scalar("replacement") }
        var scheme = Scheme.always
        if let s = try c.optional("prepend_scheme") {
            guard let v = Scheme(rawValue: try s.string()) else {
                throw TokenizerError.unknownType(component: "prepend_scheme", type: try s.string(), path: s.path)
            }
            scheme = v
        }
        if try c.boolIfPresent("add_prefix_space") == false {
            guard scheme == .never else {
                throw TokenizerError.schema(path: c.path, message: "add_prefix_space does not match declared prepend_scheme")
            }
            scheme = .never
        }
        self.init(replacement: r, scheme: scheme, split: try c.bool("split", default: true))
    }

    func preTokenize(_ pieces: inout [Piece]) {
        let r = replacement
        let pattern = LiteralPattern(needle: r)
        pieces.splitEach { p in
            var q = p
            if q.bytes.contains(0x20) {
                var out: [UInt8] = []
                out.reserveCapacity(q.bytes.count + 8)
                for b in q.bytes { if b == 0x20 { out.append(contentsOf: r) } else { out.append(b) } }
                if let a = q.align {  // the replacement keeps the space's alignment
                    var na: [UInt64] = []
                    na.reserveCapacity(out.count)
                    for (b, x) in zip(q.bytes, a) { na.append(contentsOf: repeatElement(x, count: b == 0x20 ? r.count : 1)) }
                    q.align = na
                }
                q.bytes = out
            }
            let prepend: Bool
            switch scheme {
            case .always: prepend = true
            case .first: prepend = q.atOrigin
            case .never: prepend = false
            }
            if prepend && !UTF8Text.starts(q.bytes, with: r) {
                q.bytes.insert(contentsOf: r, at: 0)
                if let a = q.align?.first { q.align!.insert(contentsOf: repeatElement(a, count: r.count), at: 0) }
            }
            return split ? q.split(by: pattern, behavior: .mergedWithNext) : [q]
        }
    }
}

/// Splits by a string or regex pattern with a delimiter behavior, optionally inverted.
struct SplitPreTokenizer: PreTokenizer {
    let pattern: any SplitPattern
    let behavior: SplitBehavior

    init(_ c: JSONConfig) throws {
        let p = try PatternFactory.make(try c.required("pattern"))
        pattern = try c.bool("invert", default: false) ? InvertedPattern(inner: p) : p
        behavior = try SplitBehavior(config: try c.required("behavior"))
    }

    init(pattern: any SplitPattern, behavior: SplitBehavior) {
        self.pattern = pattern
        self.behavior = behavior
    }

    func preTokenize(_ pieces: inout [Piece]) {
        pieces.splitEach { $0.split(by: pattern, behavior: behavior) }
    }
}

/// Splits where characters of a class are (Punctuation, Digits).
struct CharClassPreTokenizer: PreTokenizer {
    let flags: UInt16
    let behavior: SplitBehavior

    func preTokenize(_ pieces: inout [Piece]) {
        let pattern = CharClassPattern(flags: flags)
        pieces.splitEach { $0.split(by: pattern, behavior: behavior) }
    }
}

/// Removes whitespace (Rust `char::is_whitespace`) and splits there.
struct WhitespaceSplitPreTokenizer: PreTokenizer {
    func preTokenize(_ pieces: inout [Piece]) {
        let pattern = CharClassPattern(flags: CharClass.space)
        pieces.splitEach { $0.split(by: pattern, behavior: .removed) }
    }
}

/// Keeps the matches of `\w+|[^\w\s]+` (Rust regex classes) and drops the rest.
struct WhitespacePreTokenizer: PreTokenizer {
    func preTokenize(_ pieces: inout [Piece]) {
        pieces.splitEach { $0.split(by: WordRunPattern(), behavior: .removed) }
    }
}

/// `Invert(\w+|[^\w\s]+)`: runs of word characters and runs of other non-space characters are
/// non-matches (kept); whitespace is the match (removed).
struct WordRunPattern: SplitPattern {
    func matches(_ text: UnsafeBufferPointer<UInt8>) -> [Match] {
        var found: [Range<Int>] = []
        var i = 0
        while i < text.count {
            let (u, w) = UTF8Text.decode(text, i)
            let f = CharClass.flags(u)
            if f & CharClass.word != 0 || f & CharClass.space == 0 {
                let word = f & CharClass.word != 0
                var j = i + w
                while j < text.count {
                    let (v, w2) = UTF8Text.decode(text, j)
                    let g = CharClass.flags(v)
                    let same = word ? g & CharClass.word != 0 : (g & CharClass.word == 0 && g & CharClass.space == 0)
                    if !same { break }
                    j += w2
                }
                found.append(i..<j)
                i = j
            } else {
                i += w
            }
        }
        return Self.covering(found, count: text.count).map { Match(range: $0.range, isMatch: !$0.isMatch) }
    }
}

/// BERT: split on whitespace (removed), then isolate each punctuation character.
struct BertPreTokenizer: PreTokenizer {
    func preTokenize(_ pieces: inout [Piece]) {
        WhitespaceSplitPreTokenizer().preTokenize(&pieces)
        CharClassPreTokenizer(flags: CharClass.punct, behavior: .isolated).preTokenize(&pieces)
    }
}

/// Runs pre-tokenizers in order.
struct SequencePreTokenizer: PreTokenizer {
    let stages: [any PreTokenizer]

    func preTokenize(_ pieces: inout [Piece]) throws {
        for s in stages { try s.preTokenize(&pieces) }
    }
}
