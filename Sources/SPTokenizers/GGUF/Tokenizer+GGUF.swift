import Foundation

extension Tokenizer {
    /// Builds the tokenizer described by a GGUF file's `tokenizer.ggml.*` metadata so that it
    /// encodes as llama.cpp 0.3.36 does (`llama_tokenize` with special tokens parsed):
    ///
    /// - `gpt2`: byte-level BPE; `tokenizer.ggml.pre` picks llama.cpp's split regexes (applied in
    ///   order) and `ignore_merges`; an unknown `pre` is an error naming it. The raw-UTF-8 types
    ///   (gemma4, sarvam-moe, whitespace) run BPE on UTF-8 characters with `<0xAB>` byte tokens.
    /// - `gemma4`: the same raw-UTF-8 BPE with the gemma4 `pre`, BOS always added.
    /// - `llama`: llama.cpp's SentencePiece tokenizer (score-ordered merges, resegmenting, byte
    ///   fallback), one word per run of text, a leading space per `add_space_prefix`.
    ///
    /// Control tokens become special added tokens, user-defined ones plain added tokens; BOS/EOS
    /// are added per `tokenizer.ggml.add_bos_token`/`add_eos_token` (else llama.cpp's default
    /// for the vocabulary); the chat template is kept. Decoding follows transformers' converter.
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
        for (i, t) in tokens.enumerated() { table.insert(Array(t.utf8), Int32(i)) }  // llama.cpp: raw text, last id wins
        var reverse: [Int32: String] = [:]
        for (i, t) in tokens.enumerated() { reverse[Int32(i)] = t }
        var byteLevel = kind == "gpt2"
        let model: any TokenizerModel
        let pre: any PreTokenizer
        let decoder: any TokenDecoder
        switch kind {
        case "gpt2", "gemma4":
            // llama.cpp's "gemma4" model is BPE with the gemma4 pre-tokenizer whatever the file says.
            let name = kind == "gemma4" ? "gemma4" : meta.string("tokenizer.ggml.pre") ?? "default"
            let rule = try LlamaCppPre(name: name.isEmpty ? "default" : name)
            byteLevel = rule.byteEncode
            // No stand-ins for ids the file does not give: llama.cpp has none (transformers'
            // GPT2Tokenizer would add "<|endoftext|>" as a new token).
            if config.addBosToken == nil && rule.addBos { config.addBosToken = true }
            if rule.forceBos { config.addBosToken = true }
            guard let lines = try meta.strings("tokenizer.ggml.merges") else {
                throw TokenizerError.schema(path: "tokenizer.ggml.merges", message: "a \(kind) (BPE) vocabulary needs its merges")
            }
            let splits = rule.patterns.map { SplitPreTokenizer(pattern: $0, behavior: .isolated) as any PreTokenizer }
            if !rule.byteEncode {
                // Raw UTF-8 BPE: spaces become "▁" first where llama.cpp escapes them.
                model = LlamaBPERawModel(vocab: table, reverse: reverse, merges: lines, ignoreMerges: rule.ignoreMerges,
                                         wholeNewlines: rule.type == "GEMMA4")
                pre = SequencePreTokenizer(stages: (rule.escapeWhitespaces ? [LlamaSPMPreTokenizer(addSpacePrefix: false)] : []) + splits)
                decoder = SequenceDecoder(stages: (rule.escapeWhitespaces
                    ? [ReplaceDecoder(pattern: LiteralPattern(needle: Array("\u{2581}".utf8)), content: [0x20])] : [])
                    + [ByteFallbackDecoder(), FuseDecoder()])
                break
            }
            let merges = try lines.enumerated().map { i, line in
                let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw TokenizerError.schema(path: "tokenizer.ggml.merges[\(i)]", message: "bad merge \"\(line)\"")
                }
                return (Array(parts[0].utf8), Array(parts[1].utf8))
            }
            model = try BPEModel(
                vocab: table, reverse: reverse, merges: merges, unkToken: nil, prefix: nil, suffix: nil,
                fuseUnk: false, byteFallback: false, ignoreMerges: rule.ignoreMerges, path: "tokenizer.ggml")
            pre = SequencePreTokenizer(stages: splits + [ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: false)])
            decoder = ByteLevelDecoder()
        case "llama":
            config.bosToken = config.bosToken ?? "<s>"
            config.eosToken = config.eosToken ?? "</s>"
            config.unkToken = config.unkToken ?? "<unk>"
            if config.addBosToken == nil { config.addBosToken = true }
            guard let scores = try meta.numbers("tokenizer.ggml.scores"), scores.count == tokens.count else {
                throw TokenizerError.schema(path: "tokenizer.ggml.scores", message: "a llama (SentencePiece) vocabulary needs one score per token")
            }
            model = LlamaSPMModel(vocab: table, reverse: reverse, scores: scores.map { Float($0) })
            pre = LlamaSPMPreTokenizer(addSpacePrefix: meta.bool("tokenizer.ggml.add_space_prefix") ?? true)
            decoder = SequenceDecoder(stages: [
                ReplaceDecoder(pattern: LiteralPattern(needle: Array("\u{2581}".utf8)), content: [0x20]),
                ByteFallbackDecoder(), FuseDecoder(), StripDecoder(content: " ", start: 1, stop: 0),
            ])
        default:
            throw TokenizerError.unsupported("GGUF tokenizer model \"\(kind)\" (supported: gpt2, gemma4, llama)")
        }
        let normalizer: (any Normalizer)? = nil
        _ = arch

        // Added tokens, as llama.cpp's special-token partition finds them: control (type 3, after
        // llama.cpp's adjustments in LlamaCppSpecials) as special, user-defined
        // (type 4) and unknown (type 2) as plain, then the named specials. Phi-3 files strip the
        // spaces after most of them (llama.cpp's RSTRIP by model name).
        let fileKinds = types ?? []
        let eosDefault = kind == "llama" ? 2 : kind == "gpt2" ? 11 : nil
        let (kinds, lstrip) = try LlamaCppSpecials.adjust(
            tokens: tokens, types: fileKinds, meta: meta, pre: meta.string("tokenizer.ggml.pre") ?? "",
            eosDefault: eosDefault.flatMap { $0 < tokens.count ? $0 : nil })
        let name = (meta.string("general.name") ?? "").lowercased()
        let phi3 = name.contains("phi-3") || name.contains("phi3")
        func rstrip(_ t: String) -> Bool { phi3 && !["<unk>", "<s>", "<|endoftext|>"].contains(t) }
        var added: [AddedToken] = []
        // `special` (skipped by decode) follows the file's own type, as transformers reads it.
        for (i, t) in tokens.enumerated() where i < kinds.count && kinds[i] == 3 && (!byteLevel || ByteLevelTables.isAlphabet(t)) {
            added.append(AddedToken(content: t, lstrip: lstrip.contains(t), rstrip: rstrip(t), normalized: false, special: fileKinds[i] == 3))
        }
        for (t, type) in zip(tokens, kinds) where (type == 4 || type == 2) && table.find(t) >= 0 {
            added.append(AddedToken(content: t, lstrip: lstrip.contains(t), rstrip: rstrip(t), normalized: false, special: type == 2 && t == config.unkToken))
        }
        for t in [config.bosToken, config.eosToken, config.unkToken, config.padToken].compactMap({ $0 })
        where !added.contains(where: { $0.content == t }) {
            added.append(AddedToken(content: t, rstrip: rstrip(t), normalized: false, special: true))
        }

        for i in added.indices { added[i].asciiStrip = true }

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
}
