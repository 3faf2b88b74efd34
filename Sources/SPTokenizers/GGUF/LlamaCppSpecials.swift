import Foundation

/// The token types llama.cpp 0.3.36 ends up with after `llama_vocab::impl::load` adjusts the
/// file's (`tokenizer.ggml.token_type`: 1 normal, 2 unknown, 3 control, 4 user-defined), which
/// decide what its special-token partition matches in text, and the tokens it left-strips:
///
/// - the end-of-turn and fill-in-the-middle groups: when the file gives the group's id
///   (`tokenizer.ggml.fim_pre_token_id`, …) nothing is forced; otherwise the one text of the
///   group found in the vocabulary becomes control (llama.cpp takes the first in its hash map's
///   order; a vocabulary with several non-control texts of one fill-in-the-middle group depends
///   on that order and is refused with an error naming them);
/// - every end-of-generation text becomes control;
/// - gpt-oss's `<|channel|>`, `<|message|>`, `<|start|>`, `<|constrain|>` become user-defined,
///   so does `<|end|>` next to `<|return|>`+`<|call|>` or `<|calls|>`+`<|flush|>`;
/// - `</s>` becomes normal next to Gemma 4's `<|tool_response>` (or an end-of-generation
///   `<|plamo:eos|>`);
/// - `<mask>` strips the whitespace before it for jina-v2-de/es/code and nomic-bert-moe/jina-bert-v3.
enum LlamaCppSpecials {
    static let eotTexts = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>",
        "[EOT]", "<\u{FF5C}end\u{2581}of\u{2581}sentence\u{FF5C}>", "<end_of_utterance>",
    ]
    /// (the id keys that give the group, its texts), in llama.cpp's order.
    static let groups: [(keys: [String], texts: [String])] = [
        (["eot_token_id"], eotTexts),
        (["eom_token_id"], ["<|eom_id|>"]),
        (["fim_pre_token_id", "prefix_token_id"], [
            "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<\u{FF5C}fim\u{2581}begin\u{FF5C}>", "<PRE>", "\u{2581}<PRE>",
            "<|code_prefix|>", "<|prefix|>",
        ]),
        (["fim_suf_token_id", "suffix_token_id"], [
            "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<\u{FF5C}fim\u{2581}hole\u{FF5C}>", "<SUF>", "\u{2581}<SUF>",
            "<|code_suffix|>", "<|suffix|>",
        ]),
        (["fim_mid_token_id", "middle_token_id"], [
            "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<\u{FF5C}fim\u{2581}end\u{FF5C}>", "<MID>", "\u{2581}<MID>",
            "<|code_middle|>", "<|middle|>",
        ]),
        (["fim_pad_token_id"], ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"]),
        (["fim_rep_token_id"], ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"]),
        (["fim_sep_token_id"], ["<|file_sep|>"]),
    ]
    /// End-of-generation texts: always control.
    static let eogTexts = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
        "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
        "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<\u{FF5C}end\u{2581}of\u{2581}sentence\u{FF5C}>", "[e~[",
    ]

    /// The adjusted types (`types` has one entry per token) and the texts to left-strip.
    static func adjust(tokens: [String], types: [Int], meta: GGUFMetadata, pre: String, eosDefault: Int?) throws
        -> (types: [Int], lstrip: Set<String>) {
        var kinds = types
        let named = Set(groups.flatMap(\.texts) + eogTexts + [
            "<|channel|>", "<|message|>", "<|start|>", "<|constrain|>", "<|plamo:eos|>", "<mask>",
        ])
        var idOf: [String: Int] = [:]  // llama.cpp's token_to_id: the last id of a text wins
        for (i, t) in tokens.enumerated() where named.contains(t) { idOf[t] = i }
        func given(_ key: String) -> Int? {
            guard let i = meta.integer("tokenizer.ggml.\(key)"), i >= 0, i < tokens.count else { return nil }
            return i
        }
        func set(_ t: String, _ kind: Int) { if let i = idOf[t], i < kinds.count { kinds[i] = kind } }
        var groupIds: [Int?] = []
        for (g, group) in groups.enumerated() {
            if let id = group.keys.lazy.compactMap(given).first {
                groupIds.append(id)
                continue
            }
            let found = group.texts.filter { idOf[$0] != nil }
            groupIds.append(found.first.flatMap { idOf[$0] })
            let unforced = found.filter { t in idOf[t].map { $0 >= kinds.count || kinds[$0] != 3 } ?? false }
            if found.count > 1 && !unforced.isEmpty && g > 1 {
                throw TokenizerError.unsupported(
                    "GGUF vocabulary has several fill-in-the-middle markers of one kind (\(found.joined(separator: ", "))) and no "
                        + "tokenizer.ggml.\(group.keys[0]): llama.cpp makes one of them control in its hash-map order; "
                        + "give the id in tokenizer.ggml.\(group.keys[0])")
            }
            if found.count == 1 { set(found[0], 3) }
        }
        for t in eogTexts { set(t, 3) }
        for t in ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"] { set(t, 4) }
        let has = { (t: String) in idOf[t] != nil }
        if has("<|end|>") && ((has("<|return|>") && has("<|call|>")) || (has("<|calls|>") && has("<|flush|>"))) {
            set("<|end|>", 4)
        }
        // End-of-generation ids beyond the texts: the fim pad/rep/sep, eos, eot and eom ids.
        var eog = Set([groupIds[5], groupIds[6], groupIds[7], given("eos_token_id") ?? eosDefault, groupIds[0], groupIds[1]]
            .compactMap { $0 })
        for t in eogTexts { if let i = idOf[t] { eog.insert(i) } }
        let plamo = idOf["<|plamo:eos|>"].map { eog.contains($0) } ?? false
        if has("</s>") && (has("<|tool_response>") || plamo) { set("</s>", 1) }

        let arch = meta.string("general.architecture") ?? ""
        var lstrip: Set<String> = []
        if ["jina-v2-de", "jina-v2-es", "jina-v2-code"].contains(where: pre.contains)
            || ["nomic-bert-moe", "jina-bert-v3"].contains(where: arch.contains), has("<mask>") {
            lstrip.insert("<mask>")
        }
        return (kinds, lstrip)
    }
}
