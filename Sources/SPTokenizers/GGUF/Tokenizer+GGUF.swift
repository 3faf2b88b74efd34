import Foundation

extension Tokenizer {
    /// Builds the tokenizer described by a GGUF file's `tokenizer.ggml.*` metadata, the same one
    /// transformers 5.23 builds from it (`AutoTokenizer.from_pretrained(dir, gguf_file=…)`):
    ///
    /// - `gpt2`: byte-level BPE; tokens outside the byte alphabet are respelled byte by byte; the
    ///   split regex follows `tokenizer.ggml.pre` (Llama-3, Qwen2 …), else GPT-2's.
    /// - `llama`: SentencePiece-style BPE with byte fallback, merges rebuilt from the scores when the
    ///   file has none; Metaspace (`prepend_scheme: first`), or Phi-3's prepend normalizer.
    ///
    /// Control tokens become special added tokens, user-defined ones plain added tokens; BOS/EOS
    /// are added per `tokenizer.ggml.add_bos_token`/`add_eos_token`; the chat template is kept.
    public convenience init(gguf url: URL) throws {
        let meta = try GGUFMetadata(url: url)
        do {
            try self.init(gguf: meta)
        } catch let e as TokenizerError {
            throw e.inFile(url.path)
        }
    }

    /// Builds the tokenizer from already-read GGUF metadata.
    public convenience init(gguf meta: GGUFMetadata) throws {
        guard let kind = meta.string("tokenizer.ggml.model") else {
            throw TokenizerError.schema(path: "tokenizer.ggml.model", message: "the GGUF file has no tokenizer")
        }
        guard let tokens = try meta.strings("tokenizer.ggml.tokens"), !tokens.isEmpty else {
            throw TokenizerError.schema(path: "tokenizer.ggml.tokens", message: "missing or empty")
        }
        let types = try meta.numbers("tokenizer.ggml.token_type")?.map { Int($0) }
        if let t = types, t.count != tokens.count {
            throw TokenizerError.schema(path: "tokenizer.ggml.token_type", message: "\(t.count) entries for \(tokens.count) tokens")
        }
        let arch = meta.string("general.architecture") ?? ""
        func tokenAt(_ key: String) throws -> String? {
            guard let i = meta.integer("tokenizer.ggml.\(key)") else { return nil }
            guard i >= 0, i < tokens.count else {
                throw TokenizerError.schema(path: "tokenizer.ggml.\(key)", message: "id \(i) is outside the \(tokens.count)-token vocabulary")
            }
            return tokens[i]
        }
        var config = TokenizerConfig()
        config.bosToken = try tokenAt("bos_token_id")
        config.eosToken = try tokenAt("eos_token_id")
        config.unkToken = try tokenAt("unknown_token_id")
        config.padToken = try tokenAt("padding_token_id")
        config.chatTemplate = meta.string("tokenizer.chat_template")
        config.addBosToken = meta.bool("tokenizer.ggml.add_bos_token")
        config.addEosToken = meta.bool("tokenizer.ggml.add_eos_token")

        var table = ByteTable(capacity: tokens.count)
        let byteLevel = kind == "gpt2"
        switch kind {
        case "gpt2":
            for (i, t) in tokens.enumerated() {
                let spelled = ByteLevelTables.isAlphabet(t) ? t : UTF8Text.string(ByteLevelTables.encode(Array(t.utf8)))
                table.insert(Array(spelled.utf8), Int32(i))
            }
            // GPT2Tokenizer's defaults stand in for ids the file does not give.
            config.bosToken = config.bosToken ?? "<|endoftext|>"
            config.eosToken = config.eosToken ?? "<|endoftext|>"
            config.unkToken = config.unkToken ?? "<|endoftext|>"
        case "llama":
            for (i, t) in tokens.enumerated() {
                table.insert(Array(t.utf8), Int32(i))
            }
            config.bosToken = config.bosToken ?? "<s>"
            config.eosToken = config.eosToken ?? "</s>"
            config.unkToken = config.unkToken ?? "<unk>"
            if config.addBosToken == nil { config.addBosToken = true }
        default:
            throw TokenizerError.unsupported("GGUF tokenizer model \"\(kind)\" (supported: gpt2, llama)")
        }

        var reverse: [Int32: String] = [:]
        table.forEach { reverse[$1] = UTF8Text.string($0) }
        let merges: [([UInt8], [UInt8])]
        if let lines = try meta.strings("tokenizer.ggml.merges") {
            merges = try lines.enumerated().map { i, line in
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw TokenizerError.schema(path: "tokenizer.ggml.merges[\(i)]", message: "bad merge \"\(line)\"")
                }
                return (Array(parts[0].utf8), Array(parts[1].utf8))
            }
        } else {
            guard let scores = try meta.numbers("tokenizer.ggml.scores"), scores.count == tokens.count else {
                throw TokenizerError.schema(path: "tokenizer.ggml.scores", message: "needed to rebuild merges; missing or wrong length")
            }
            merges = MergeBuilder.fromScores(tokens: tokens, scores: scores, vocab: table)
        }
        let model = try BPEModel(
            vocab: table, reverse: reverse, merges: merges, unkToken: nil, prefix: nil, suffix: nil,
            fuseUnk: !byteLevel, byteFallback: !byteLevel, ignoreMerges: false, path: "tokenizer.ggml")

        var normalizer: (any Normalizer)? = nil
        var pre: (any PreTokenizer)? = nil
        let decoder: any TokenDecoder
        if byteLevel {
            if let regex = Self.ggufSplits[meta.string("tokenizer.ggml.pre") ?? ""] {
                let pattern: any SplitPattern = try ScannerPattern.forRegex(regex) ?? ICURegexPattern(regex, path: "tokenizer.ggml.pre")
                pre = SequencePreTokenizer(stages: [
                    SplitPreTokenizer(pattern: pattern, behavior: .isolated),
                    ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: false),
                ])
            } else {
                pre = ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: true)
            }
            decoder = ByteLevelDecoder()
        } else {
            if arch == "phi3" {
                normalizer = SequenceNormalizer(stages: [
                    PrependNormalizer(prefix: Array("\u{2581}".utf8)),
                    ReplaceNormalizer(pattern: LiteralPattern(needle: [0x20]), content: Array("\u{2581}".utf8)),
                ])
            } else {
                pre = MetaspacePreTokenizer(replacement: "\u{2581}", scheme: .first, split: false)
            }
            decoder = SequenceDecoder(stages: [
                ReplaceDecoder(pattern: LiteralPattern(needle: Array("\u{2581}".utf8)), content: [0x20]),
                ByteFallbackDecoder(), FuseDecoder(), StripDecoder(content: " ", start: 1, stop: 0),
            ])
        }

        // Added tokens: control (type 3) as special, user-defined (type 4) as plain, then the named specials.
        var added: [AddedToken] = []
        for (t, type) in zip(tokens, types ?? []) where type == 3 && (!byteLevel || ByteLevelTables.isAlphabet(t)) {
            added.append(AddedToken(content: t, normalized: false, special: true))
        }
        for (t, type) in zip(tokens, types ?? []) where type == 4 && table.find(t) >= 0 {
            added.append(AddedToken(content: t, normalized: false, special: false))
        }
        for t in [config.bosToken, config.eosToken, config.unkToken, config.padToken].compactMap({ $0 })
        where !added.contains(where: { $0.content == t }) {
            added.append(AddedToken(content: t, normalized: false, special: true))
        }

        var post: any PostProcessor = TemplateProcessing(
            single: [.sequence(isB: false, typeId: 0)], pair: [.sequence(isB: false, typeId: 0), .sequence(isB: true, typeId: 1)],
            specials: [:])
        let addBos = (config.addBosToken ?? false) && config.bosToken != nil
        let addEos = (config.addEosToken ?? false) && config.eosToken != nil
        if addBos || addEos {
            let tmp = Tokenizer(normalizer: normalizer, preTokenizer: pre, model: model, postProcessor: nil, decoder: nil,
                                addedTokens: added, truncation: nil, padding: nil, config: config)
            var specials: [String: TemplateProcessing.Special] = [:]
            var single: [TemplateProcessing.Piece] = []
            var pair: [TemplateProcessing.Piece] = []
            if addBos, let b = config.bosToken, let id = tmp.tokenToId(b) {
                specials[b] = .init(ids: [id], tokens: [b])
                single.append(.special(id: b, typeId: 0))
            }
            single.append(.sequence(isB: false, typeId: 0))
            if addEos, let e = config.eosToken, let id = tmp.tokenToId(e) {
                specials[e] = .init(ids: [id], tokens: [e])
                single.append(.special(id: e, typeId: 0))
            }
            pair = single
            if addBos, let b = config.bosToken, specials[b] != nil { pair.append(.special(id: b, typeId: 1)) }
            pair.append(.sequence(isB: true, typeId: 1))
            if addEos, let e = config.eosToken, specials[e] != nil { pair.append(.special(id: e, typeId: 1)) }
            post = TemplateProcessing(single: single, pair: pair, specials: specials)
        }
        self.init(normalizer: normalizer, preTokenizer: pre, model: model, postProcessor: post, decoder: decoder,
                  addedTokens: added, truncation: nil, padding: nil, config: config)
    }

    /// transformers' `GGUF_PRE_TOKENIZER_SPLITS` (gguf_tokenizer_mapping.py, 5.23): the split regex
    /// for each `tokenizer.ggml.pre`; others keep ByteLevel's GPT-2 regex.
    static let ggufSplits: [String: String] = {
        let llama3 = ScannerPattern.llama3Regex, qwen2 = ScannerPattern.qwen2Regex
        let tekken = #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let gpt4o = #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        var m: [String: String] = [:]
        for k in ["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano",
                  "dbrx", "smaug-bpe"] { m[k] = llama3 }
        for k in ["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez"] { m[k] = qwen2 }
        m["tekken"] = tekken
        for k in ["gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"] { m[k] = gpt4o }
        return m
    }()
}

/// transformers' `generate_merges(vocab, vocab_scores)`: every split of every token into two
/// vocabulary entries, ordered by the token's score (descending), then by the lengths of the
/// two parts (descending), stable.
enum MergeBuilder {
    static func fromScores(tokens: [String], scores: [Double], vocab: ByteTable) -> [([UInt8], [UInt8])] {
        // dict(zip(tokens, scores)): first-occurrence order, last score wins.
        var order: [String] = []
        var score: [[UInt8]: Double] = [:]
        for (t, s) in zip(tokens, scores) {
            let key = Array(t.utf8)
            if score[key] == nil { order.append(t) }
            score[key] = s
        }
        struct Candidate { let l: [UInt8]; let r: [UInt8]; let score: Double; let lenL: Int; let lenR: Int; let index: Int }
        var all: [Candidate] = []
        for t in order {
            let chars = Array(t.unicodeScalars)
            guard chars.count > 1 else { continue }
            var local: [(Candidate, Int32, Int32)] = []
            for k in 1..<chars.count {
                let l = UTF8Text.bytes(chars[..<k]), r = UTF8Text.bytes(chars[k...])
                let il = vocab.find(l), ir = vocab.find(r)
                if il >= 0 && ir >= 0 {
                    local.append((Candidate(l: l, r: r, score: score[Array(t.utf8)] ?? 0, lenL: k, lenR: chars.count - k, index: 0), il, ir))
                }
            }
            local.sort { ($0.1, $0.2) < ($1.1, $1.2) }
            for (c, _, _) in local {
                all.append(Candidate(l: c.l, r: c.r, score: c.score, lenL: c.lenL, lenR: c.lenR, index: all.count))
            }
        }
        all.sort { a, b in
            if a.score != b.score { return a.score > b.score }
            if a.lenL != b.lenL { return a.lenL > b.lenL }
            if a.lenR != b.lenR { return a.lenR > b.lenR }
            return a.index < b.index
        }
        return all.map { ($0.l, $0.r) }
    }
}
