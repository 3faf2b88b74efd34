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
    /// llama.cpp sets `add_bos` even when the file says false (gemma4).
    let forceBos: Bool
    /// GPT-2's byte alphabet; false for the types that run BPE on raw UTF-8 (gemma4, sarvam-moe,
    /// whitespace), whose unknown bytes are spelled `<0xAB>`.
    let byteEncode: Bool
    /// Spaces become "▁" before splitting (`escape_whitespaces`: gemma4, sarvam-moe).
    let escapeWhitespaces: Bool

    init(name: String) throws {
        guard let entry = LlamaCppPreTable.names[name] else {
            throw TokenizerError.unsupported(
                "GGUF tokenizer.ggml.pre \"\(name)\" is not a pre-tokenizer llama.cpp 0.3.36 knows (it refuses it too)")
        }
        let key = entry.type == "DEFAULT" ? "DEFAULT_FALLBACK" : entry.type
        guard let regexes = LlamaCppPreTable.regexes[key] else {
            throw TokenizerError.unsupported("GGUF tokenizer.ggml.pre \"\(name)\": llama.cpp type \(entry.type) has no regex list")
        }
        self.name = name
        type = entry.type
        ignoreMerges = entry.ignoreMerges
        // Gemma 4's BOS is forced on whatever the file says (llama.cpp's workaround for PR 21500).
        addBos = entry.addBos
        forceBos = entry.type == "GEMMA4"
        byteEncode = !LlamaCppPreTable.rawUTF8.contains(entry.type)
        escapeWhitespaces = entry.type == "GEMMA4" || entry.type == "SARVAM_MOE"
        patterns = try regexes.map { try Self.pattern($0, pre: name) }
    }

    /// The splitter for one of llama.cpp's regexes. llama.cpp runs regexes with Unicode
    /// categories on text whose non-ASCII characters are collapsed to their category (so `\s`
    /// is every White_Space character), and the others through `std::wregex` on text whose
    /// non-ASCII whitespace became U+000B (``LlamaWideRegexPattern``).
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
        // llama.cpp's custom digit grouping (unicode_regex_split_custom) for both of these.
        if regex == #"\p{AFMoE_digits}"# || regex == #"\d{1,3}(?=(?:\d{3})*\b)"# { return AFMoEDigitsPattern() }
        let categories = [#"\p{N}"#, #"\p{L}"#, #"\p{P}"#, #"\p{M}"#, #"\p{S}"#, #"\p{Lu}"#, #"\p{Ll}"#, #"\p{Lt}"#, #"\p{Lm}"#, #"\p{Lo}"#]
        let collapsed = categories.contains { regex.contains($0) }
        var source = regex
        guard collapsed else { return try LlamaWideRegexPattern(regex, path: "tokenizer.ggml.pre \"\(pre)\"") }
        // Collapsed text keeps only the major category: \p{Lu} … \p{Lo} all mean \p{L}.
        for sub in ["Lu", "Ll", "Lt", "Lm", "Lo"] { source = source.replacingOccurrences(of: "\\p{\(sub)}", with: #"\p{L}"#) }
        return try ICURegexPattern(source, path: "tokenizer.ggml.pre \"\(pre)\"")
    }
}
