import ArgumentParser
import SPChatTemplate
import SPJSON
import SPTokenizers

/// `--chat`: an input text as a user message (after an optional system message), rendered with
/// the tokenizer's chat template and `add_generation_prompt=True`, as transformers'
/// `apply_chat_template` renders it. The template is parsed once.
struct ChatPrompt {
    let template: ChatTemplate
    let variables: [String: JSONValue]
    let system: String?

    init(tokenizer: Tokenizer, system: String?, model: String) throws {
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

    func render(_ text: String) throws -> String {
        let messages = (system.map { [ChatMessage.system($0)] } ?? []) + [.user(text)]
        return try template.render(messages: messages, addGenerationPrompt: true, variables: variables)
    }
}
