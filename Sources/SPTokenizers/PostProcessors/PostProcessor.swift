import SPJSON

/// A post-processor adds the model's special tokens around the encoded sequences
/// (tokenizer.json `post_processor`). `process` receives one encoding, or two for a pair, whose
/// type ids are already 0 and 1, and returns the pieces to concatenate.
protocol PostProcessor: Sendable {
    func addedTokens(isPair: Bool) -> Int
    func process(_ encodings: [Encoding], addSpecialTokens: Bool) throws -> [Encoding]
}

/// Builds post-processors from tokenizer.json, switching on `type`.
enum PostProcessorFactory {
    static func make(_ c: JSONConfig) throws -> any PostProcessor {
        let type = try c.typeName()
        switch type {
        case "TemplateProcessing": return try TemplateProcessing(c)
        case "BertProcessing": return try PairProcessing(c, roberta: false)
        case "RobertaProcessing": return try PairProcessing(c, roberta: true)
        case "ByteLevel":
            return ByteLevelProcessing(trimOffsets: try c.bool("trim_offsets", default: true),
                                       addPrefixSpace: try c.bool("add_prefix_space", default: true))
        case "Sequence": return SequenceProcessing(stages: try c.required("processors").array().map(make))
        default: throw TokenizerError.unknownType(component: "post_processor", type: type, path: c.path)
        }
    }
}

/// `$A`/`$B` and special-token templates with per-piece type ids.
struct TemplateProcessing: PostProcessor {
    enum Piece: Sendable { case sequence(isB: Bool, typeId: Int), special(id: String, typeId: Int) }
    struct Special: Sendable { let ids: [Int]; let tokens: [String] }
    let single: [Piece]
    let pair: [Piece]
    let specials: [String: Special]

    init(single: [Piece], pair: [Piece], specials: [String: Special]) {
        self.single = single
        self.pair = pair
        self.specials = specials
    }

    init(_ c: JSONConfig) throws {
        var sp: [String: Special] = [:]
        if let st = try c.optional("special_tokens") {
            for (key, v) in try st.pairs() {
                let e = JSONConfig(v, path: "\(st.path).\(key)")
                let ids = try e.required("ids").array().map { try $0.index() }
                let tokens = try e.required("tokens").array().map { try $0.string() }
                guard ids.count == tokens.count else {
                    throw TokenizerError.schema(path: e.path, message: "ids and tokens must have the same length")
                }
                sp[try e.stringIfPresent("id") ?? key] = Special(ids: ids, tokens: tokens)
            }
        }
        specials = sp
        single = try Self.template(try c.required("single"))
        pair = try Self.template(try c.required("pair"))
        for p in single + pair {
            if case .special(let id, _) = p, sp[id] == nil {
                throw TokenizerError.schema(path: c.path, message: "template uses special token \"\(id)\" missing from special_tokens")
            }
        }
    }

    static func template(_ c: JSONConfig) throws -> [Piece] {
        if case .string(let s) = c.value { return try s.split(separator: " ").map { try piece(String($0), c.path) } }
        return try c.array().map { p in
            if case .string(let s) = p.value { return try piece(s, p.path) }
            if let s = try p.optional("Sequence") {
                let id = try s.string("id")
                guard id == "A" || id == "B" else { throw TokenizerError.schema(path: s.path, message: "sequence id must be A or B") }
                return .sequence(isB: id == "B", typeId: try s.intIfPresent("type_id") ?? 0)
            }
            if let s = try p.optional("SpecialToken") {
                return .special(id: try s.string("id"), typeId: try s.intIfPresent("type_id") ?? 0)
            }
            throw TokenizerError.schema(path: p.path, message: "expected {\"Sequence\": …} or {\"SpecialToken\": …}")
        }
    }

    /// The string form: `$A`, `$B`, `$A:1`, `[CLS]`, `[SEP]:1`.
    static func piece(_ s: String, _ path: String) throws -> Piece {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, let name = parts.first else { throw TokenizerError.schema(path: path, message: "bad template piece \"\(s)\"") }
        var typeId = 0
        if parts.count == 2 {
            guard let t = Int(parts[1]), t >= 0 else { throw TokenizerError.schema(path: path, message: "bad type id in \"\(s)\"") }
            typeId = t
        }
        if name.hasPrefix("$") {
            let rest = name.dropFirst()
            switch rest {
            case "", "A", "a": return .sequence(isB: false, typeId: typeId)
            case "B", "b": return .sequence(isB: true, typeId: typeId)
            default:
                guard let t = Int(rest), parts.count == 1 else { throw TokenizerError.schema(path: path, message: "bad template piece \"\(s)\"") }
                return .sequence(isB: false, typeId: t)
            }
        }
        return .special(id: name, typeId: typeId)
    }

    func addedTokens(isPair: Bool) -> Int {
        (isPair ? pair : single).reduce(0) { n, p in
            if case .special(let id, _) = p { return n + (specials[id]?.ids.count ?? 0) }
            return n
        }
    }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) throws -> [Encoding] {
        let template = encodings.count == 2 ? pair : single
        var out: [Encoding] = []
        for p in template {
            switch p {
            case .sequence(let isB, let typeId):
                let i = isB ? 1 : 0
                guard i < encodings.count else { throw TokenizerError.encoding("the template needs a pair of sequences") }
                var e = encodings[i]
                e.setTypeIds(typeId)
                out.append(e)
            case .special(let id, let typeId):
                if addSpecialTokens, let s = specials[id] {
                    out.append(.special(ids: s.ids, tokens: s.tokens, typeId: typeId))
                }
            }
        }
        return out
    }
}

/// `[CLS] A [SEP] (B [SEP])` (BERT; pair type ids 1) or `<s> A </s> (</s> B </s>)` (RoBERTa;
/// all type ids 0).
struct PairProcessing: PostProcessor {
    let sep: (String, Int)
    let cls: (String, Int)
    let roberta: Bool
    /// RoBERTa's `trim_offsets` and `add_prefix_space` (ByteLevel's offset trimming).
    var trimOffsets = false
    var addPrefixSpace = true

    init(_ c: JSONConfig, roberta: Bool) throws {
        func pair(_ key: String) throws -> (String, Int) {
            let items = try c.required(key).array()
            guard items.count == 2 else { throw TokenizerError.schema(path: c.path(of: key), message: "expected [token, id]") }
            return (try items[0].string(), try items[1].index())
        }
        sep = try pair("sep")
        cls = try pair("cls")
        self.roberta = roberta
        if roberta {
            trimOffsets = try c.bool("trim_offsets", default: true)
            addPrefixSpace = try c.bool("add_prefix_space", default: true)
        }
    }

    func addedTokens(isPair: Bool) -> Int { roberta ? (isPair ? 4 : 2) : (isPair ? 3 : 2) }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) throws -> [Encoding] {
        var encs = encodings
        if roberta { for i in encs.indices { encs[i].setTypeIds(0) } }
        if trimOffsets { for i in encs.indices { ByteLevelProcessing.trim(&encs[i], addPrefixSpace: addPrefixSpace) } }
        guard addSpecialTokens else { return encs }
        var out: [Encoding] = []
        for (i, e) in encs.enumerated() {
            if i == 0 {
                out.append(.special(ids: [cls.1], tokens: [cls.0], typeId: 0))
                out.append(e)
                out.append(.special(ids: [sep.1], tokens: [sep.0], typeId: 0))
            } else {
                let t = roberta ? 0 : 1
                if roberta { out.append(.special(ids: [sep.1], tokens: [sep.0], typeId: 0)) }
                out.append(e)
                out.append(.special(ids: [sep.1], tokens: [sep.0], typeId: t))
            }
        }
        return out
    }
}

/// ByteLevel as a post-processor only trims offsets (`trim_offsets`: leading and trailing
/// whitespace of each token leaves its span, tokenizers `process_offsets`); ids are unchanged.
struct ByteLevelProcessing: PostProcessor {
    var trimOffsets = true
    var addPrefixSpace = true

    func addedTokens(isPair: Bool) -> Int { 0 }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) throws -> [Encoding] {
        guard trimOffsets else { return encodings }
        var out = encodings
        for e in out.indices { Self.trim(&out[e], addPrefixSpace: addPrefixSpace) }
        return out
    }

    /// tokenizers `process_offsets`: spaces ("Ġ" or whitespace) at either end of a token leave its
    /// span, except the one space `add_prefix_space` put before the first token.
    static func trim(_ e: inout Encoding, addPrefixSpace: Bool) {
        guard e.offsets.count == e.ids.count, e.tokens.count == e.ids.count else { return }
        func isSpace(_ u: Unicode.Scalar) -> Bool { u == "\u{120}" || CharClass.is(u.value, CharClass.space) }
        for i in e.ids.indices {
            let t = Array(e.tokens[i].unicodeScalars)
            var lead = t.prefix { isSpace($0) }.count
            let trail = t.reversed().prefix { isSpace($0) }.count
            var o = e.offsets[i]
            if lead > 0 {
                if (i == 0 || o.start == 0) && addPrefixSpace && lead == 1 { lead = 0 }
                o.start = min(o.start + lead, o.end)
            }
            if trail > 0 && o.end >= trail { o.end = max(o.end - trail, o.start) }
            e.offsets[i] = o
        }
    }
}

/// Runs post-processors in order.
struct SequenceProcessing: PostProcessor {
    let stages: [any PostProcessor]

    func addedTokens(isPair: Bool) -> Int { stages.reduce(0) { $0 + $1.addedTokens(isPair: isPair) } }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) throws -> [Encoding] {
        var e = encodings
        for s in stages { e = try s.process(e, addSpecialTokens: addSpecialTokens) }
        return e
    }
}
