// A chat input rendered through the tokenizer's chat template, as transformers' apply_chat_template
// renders it; used by `generate --chat` and, later, chat requests to a server.

import SPChatTemplate
import SPJSON
import SPTokenizers

/// `--chat`: an input text as a user message (after an optional system message), rendered with
/// the tokenizer's chat template and `add_generation_prompt=True`, as transformers'
/// `apply_chat_template` renders it. The template is parsed once.
public struct ChatPrompt: Sendable {
    let template: ChatTemplate
    let variables: [String: JSONValue]
    let system: String?

    /// Parses the chat template of `tokenizer` (`model` names the base model in the error when it has none).
    /// - Throws: `ChatTemplateError.missingTemplate` when the tokenizer has no chat template.
    public init(tokenizer: Tokenizer, system: String?, model: String) throws {
        guard let source = tokenizer.chatTemplate else {
            // Not a ValidationError: the arguments are fine, the files lack the template.
            throw ChatTemplateError.missingTemplate("""
                --chat needs one, and the tokenizer of \(model) has no chat template (no `chat_template` \
                in tokenizer_config.json, no chat_template.jinja, no GGUF `tokenizer.chat_template`). \
                HINT: base models usually have none; drop --chat or use an instruct model
                """)
        }
        template = try ChatTemplate(source: source)
        variables = tokenizer.chatTemplateVariables
        self.system = system
    }

    /// `text` as the user message (after the system message, when given), with the generation prompt.
    public func render(_ text: String) throws -> String {
        let messages = (system.map { [ChatMessage.system($0)] } ?? []) + [.user(text)]
        return try template.render(messages: messages, addGenerationPrompt: true, variables: variables)
    }
}
