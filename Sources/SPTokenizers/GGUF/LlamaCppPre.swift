import Foundation

/// A `tokenizer.ggml.pre` value resolved as llama.cpp 0.3.36 resolves it: its split regexes
/// (each splits the pieces of the one before, matches and gaps both kept), `ignore_merges`
/// (a word that is a token stays whole) and the BOS default.
struct LlamaCppPre {
    let name: String
    let type: String
    let patterns: [any SplitPattern]
    let ignoreMerges: Bool
    let addBos: Bool

    init(name: String) throws {
        guard let entry = LlamaCppPreTable.names[name] else {
            throw TokenizerError.unsupported(
                "GGUF tokenizer.ggml.pre \"\(name)\" is not a pre-tokenizer llama.cpp 0.3.36 knows (it refuses it too)")
        }
        guard !LlamaCppPreTable.rawUTF8.contains(entry.type) else {
            throw TokenizerError.unsupported(
                "GGUF tokenizer.ggml.pre \"\(name)\" (llama.cpp type \(entry.type)) runs BPE on raw UTF-8, which is not implemented")
        }
        // Not exact yet: deepseek-llm's std::wregex classes split runs of non-ASCII spaces
        // (U+00A0, U+3000) differently from ICU (LlamaCppParityTests found 144 of 2,501 lines).
        guard entry.type != "DEEPSEEK_LLM" else {
            throw TokenizerError.unsupported(
                "GGUF tokenizer.ggml.pre \"\(name)\" (llama.cpp type DEEPSEEK_LLM): its std::wregex splitting is not reproduced exactly yet")
        }
        let key = entry.type == "DEFAULT" ? "DEFAULT_FALLBACK" : entry.type
        guard let regexes = LlamaCppPreTable.regexes[key] else {
            throw TokenizerError.unsupported("GGUF tokenizer.ggml.pre \"\(name)\": llama.cpp type \(entry.type) has no regex list")
        }
        self.name = name
        type = entry.type
        ignoreMerges = entry.ignoreMerges
        addBos = entry.addBos
        patterns = try regexes.map { try Self.pattern($0, pre: name) }
    }

    /// The splitter for one of llama.cpp's regexes. llama.cpp runs regexes with Unicode
    /// categories on text whose non-ASCII characters are collapsed to their category (so `\s`
    /// is every White_Space character), and the others through `std::wregex`, whose `\s` is
    /// ASCII whitespace only.
    static func pattern(_ regex: String, pre: String) throws -> any SplitPattern {
        // llama.cpp's hand-written splitters, which the scanners implement.
        switch regex {
        case #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"#:
            return ScannerPattern(kind: .gpt2)
        case #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#:
            return ScannerPattern(kind: .llama3(maxDigits: 3))
        case #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#:
            return ScannerPattern(kind: .llama3(maxDigits: 1))
        default: break
        }
        if let s = ScannerPattern.forRegex(regex) { return s }
        if regex.contains(#"\p{AFMoE_digits}"#) {
            throw TokenizerError.unsupported("GGUF tokenizer.ggml.pre \"\(pre)\": llama.cpp's custom \\p{AFMoE_digits} splitter is not implemented")
        }
        let categories = [#"\p{N}"#, #"\p{L}"#, #"\p{P}"#, #"\p{M}"#, #"\p{S}"#, #"\p{Lu}"#, #"\p{Ll}"#, #"\p{Lt}"#, #"\p{Lm}"#, #"\p{Lo}"#]
        let collapsed = categories.contains { regex.contains($0) }
        var source = regex
        if collapsed {
            // Collapsed text keeps only the major category: \p{Lu} … \p{Lo} all mean \p{L}.
            for sub in ["Lu", "Ll", "Lt", "Lm", "Lo"] { source = source.replacingOccurrences(of: "\\p{\(sub)}", with: #"\p{L}"#) }
        } else {
            source = source.replacingOccurrences(of: #"\s"#, with: #"[\t\n\u000B\f\r ]"#)
                .replacingOccurrences(of: #"\S"#, with: #"[^\t\n\u000B\f\r ]"#)
        }
        return try ICURegexPattern(source, path: "tokenizer.ggml.pre \"\(pre)\"")
    }

    /// Token texts llama.cpp 0.3.36 turns into control tokens whatever the file says
    /// (`llama_vocab::impl::load`: end-of-generation, end-of-turn and fill-in-the-middle markers).
    static let controlLooking: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
        "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
        "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<\u{FF5C}end\u{2581}of\u{2581}sentence\u{FF5C}>", "[e~[",
        "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<\u{FF5C}fim\u{2581}begin\u{FF5C}>", "<PRE>", "\u{2581}<PRE>",
        "<|code_prefix|>", "<|prefix|>", "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
        "<\u{FF5C}fim\u{2581}hole\u{FF5C}>", "<SUF>", "\u{2581}<SUF>", "<|code_suffix|>", "<|suffix|>", "<|fim_middle|>",
        "<fim-middle>", "<fim_middle>", "<\u{FF5C}fim\u{2581}end\u{FF5C}>", "<MID>", "\u{2581}<MID>", "<|code_middle|>",
        "<|middle|>", "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", "<|fim_repo|>", "<|repo_name|>",
        "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>",
    ]
}
