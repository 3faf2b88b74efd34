import Foundation
import SPChatTemplate
import SPJSON

extension Tokenizer {
    /// The special tokens a chat template sees, as transformers' `special_tokens_map` gives them:
    /// `bos_token`, `eos_token`, `unk_token`, `sep_token`, `pad_token`, `cls_token`, `mask_token`
    /// (only those the tokenizer has).
    public var chatTemplateVariables: [String: JSONValue] {
        var v: [String: JSONValue] = [:]
        let named: [(String, String?)] = [
            ("bos_token", config.bosToken), ("eos_token", config.eosToken), ("unk_token", config.unkToken),
            ("sep_token", config.sepToken), ("pad_token", config.padToken), ("cls_token", config.clsToken),
            ("mask_token", config.maskToken),
        ]
        for case let (k, t?) in named { v[k] = .string(t) }
        return v
    }

    /// Renders messages with the tokenizer's chat template, like transformers'
    /// `tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=…)`.
    ///
    /// ```swift
    /// let prompt = try tokenizer.applyChatTemplate([.user("What is the capital of France?")],
    ///                                              addGenerationPrompt: true)
    /// let ids = try tokenizer.encode(prompt, addSpecialTokens: false).ids
    /// ```
    /// - Parameters:
    ///   - messages: the conversation, oldest first.
    ///   - addGenerationPrompt: end with the header of an assistant turn.
    ///   - variables: more template variables; they override the special tokens of the same name.
    /// - Throws: ``ChatTemplateError/missingTemplate(_:)`` when the tokenizer files carry no chat
    ///   template, otherwise what ``ChatTemplate`` throws.
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool = false,
                                  variables: [String: JSONValue] = [:]) throws -> String {
        try applyChatTemplate(conversation: messages.map(\.json), addGenerationPrompt: addGenerationPrompt,
                              variables: variables)
    }

    /// Renders JSON message objects with the tokenizer's chat template (or `template`, when given).
    /// See ``ChatTemplate/render(conversation:addGenerationPrompt:tools:documents:variables:now:timeZone:)``.
    public func applyChatTemplate(conversation: [JSONValue], addGenerationPrompt: Bool = false,
                                  tools: [JSONValue]? = nil, documents: [JSONValue]? = nil,
                                  variables: [String: JSONValue] = [:], template: String? = nil,
                                  now: Date = Date(), timeZone: TimeZone = .current) throws -> String {
        guard let source = template ?? chatTemplate else {
            throw ChatTemplateError.missingTemplate(
                "the tokenizer has no chat template (HINT: it comes from tokenizer_config.json's `chat_template`, "
                    + "chat_template.jinja or GGUF `tokenizer.chat_template`; base models usually have none)")
        }
        let vars = chatTemplateVariables.merging(variables) { _, given in given }
        return try ChatTemplate(source: source).render(conversation: conversation, addGenerationPrompt: addGenerationPrompt,
                                                       tools: tools, documents: documents, variables: vars, now: now,
                                                       timeZone: timeZone)
    }
}
