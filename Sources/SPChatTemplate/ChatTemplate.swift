import Foundation
import SPJSON

/// One message of a conversation: a role (`system`, `user`, `assistant`, `tool`, …) and its text.
/// For messages with more fields (tool calls, content parts), pass JSON objects to
/// ``ChatTemplate/render(conversation:addGenerationPrompt:tools:documents:variables:now:timeZone:)``.
public struct ChatMessage: Sendable, Equatable {
    /// Who speaks: the template decides which roles it accepts.
    public var role: String
    /// The message text.
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    /// A `system` message.
    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
    /// A `user` message.
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
    /// An `assistant` message.
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }

    /// The message as transformers receives it: `{"role": …, "content": …}`.
    public var json: JSONValue { .object(["role": .string(role), "content": .string(content)]) }
}

/// A HuggingFace chat template (the Jinja text of `tokenizer_config.json`'s `chat_template`,
/// `chat_template.jinja` or GGUF `tokenizer.chat_template`), rendered the way transformers'
/// `apply_chat_template(…, tokenize=False)` renders it: jinja2 with `trim_blocks` and
/// `lstrip_blocks`, an immutable sandbox, and transformers' `raise_exception`, `strftime_now` and
/// `tojson`.
///
/// ```swift
/// let template = try ChatTemplate(source: tokenizer.chatTemplate!)
/// let prompt = try template.render(messages: [.system("Be brief."), .user("Hi!")],
///                                  addGenerationPrompt: true,
///                                  variables: ["bos_token": .string("<s>")])
/// ```
///
/// Parsing checks the whole template: a syntax error, or a filter or test jinja2 does not have,
/// throws ``ChatTemplateError`` with the line, even inside a branch that would never run.
public struct ChatTemplate: Sendable {
    /// The Jinja text.
    public let source: String
    let body: [Jinja.Stmt]

    /// Parses a template.
    /// - Throws: ``ChatTemplateError/syntax(line:message:)``, ``ChatTemplateError/unknownFilter(name:line:)``,
    ///   ``ChatTemplateError/unknownTest(name:line:)`` or ``ChatTemplateError/unsupported(line:feature:)``.
    public init(source: String) throws {
        self.source = source
        body = try Jinja.Parser.parse(source)
    }

    /// Renders plain role/content messages.
    /// - Parameters:
    ///   - messages: the conversation, oldest first (at least one message).
    ///   - addGenerationPrompt: end with the header of an assistant turn (for generating a reply).
    ///   - variables: more template variables, such as `bos_token` and `eos_token` (a
    ///     ``Tokenizer`` passes its own with ``Tokenizer/applyChatTemplate(_:addGenerationPrompt:variables:)``).
    ///   - now: the time `strftime_now(…)` reads; `timeZone`: the zone it is read in.
    /// - Returns: the prompt text.
    /// - Throws: ``ChatTemplateError`` — `.raised` with the template's own message for
    ///   `raise_exception(…)`, `.render` where jinja2 fails too.
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool = false,
                       variables: [String: JSONValue] = [:], now: Date = Date(),
                       timeZone: TimeZone = .current) throws -> String {
        try render(conversation: messages.map(\.json), addGenerationPrompt: addGenerationPrompt,
                   variables: variables, now: now, timeZone: timeZone)
    }

    /// Renders a conversation of JSON message objects (tool calls, content parts, reasoning, …).
    ///
    /// As in transformers, keys whose value is `null` are dropped from each message, and a
    /// message's `reasoning_content` / `thinking` / `reasoning` is copied under both
    /// `reasoning_content` and `thinking`. `tools` and `documents` are passed as `None` when nil.
    /// - Throws: ``ChatTemplateError/argument(_:)`` for an empty conversation, a message that is
    ///   not an object, or a variable that would replace `messages`, `tools`, `documents` or
    ///   `add_generation_prompt`; otherwise as ``render(messages:addGenerationPrompt:variables:now:timeZone:)``.
    public func render(conversation: [JSONValue], addGenerationPrompt: Bool = false, tools: [JSONValue]? = nil,
                       documents: [JSONValue]? = nil, variables: [String: JSONValue] = [:], now: Date = Date(),
                       timeZone: TimeZone = .current) throws -> String {
        if conversation.isEmpty {
            throw ChatTemplateError.argument("cannot apply a chat template to an empty conversation; give at least one message")
        }
        var context: [String: Jinja.Value] = [:]
        for (k, v) in variables {
            if ["messages", "tools", "documents", "add_generation_prompt"].contains(k) {
                throw ChatTemplateError.argument("variable `\(k)` is set by render itself; pass it as its own argument")
            }
            context[k] = try Jinja.Value(json: v)
        }
        let messages = try conversation.enumerated().map { i, m -> JSONValue in
            guard case .object(let pairs) = m else {
                throw ChatTemplateError.argument("message \(i) is \(m.kindDescription), expected an object like {\"role\": …, \"content\": …}")
            }
            return ChatTemplate.aliasReasoning(JSONObject(pairs.filter { $0.value != .null }.map { ($0.key, $0.value) }))
        }
        context["messages"] = try Jinja.Value(json: .array(messages))
        context["tools"] = try tools.map { try Jinja.Value(json: .array($0)) } ?? Jinja.Value.none
        context["documents"] = try documents.map { try Jinja.Value(json: .array($0)) } ?? Jinja.Value.none
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        let interpreter = Jinja.Interpreter(variables: context, now: now, timeZone: timeZone)
        do {
            return try interpreter.render(body)
        } catch let f as Jinja.Fail {
            throw f.at(0)  // the output as a whole (too long); no single line is at fault
        }
    }

    /// transformers' `_alias_reasoning_fields`: `{"thinking": r, **message, "reasoning_content": r}`
    /// where `r` is the first non-null of `reasoning_content`, `thinking`, `reasoning`.
    static func aliasReasoning(_ message: JSONObject) -> JSONValue {
        guard let r = ["reasoning_content", "thinking", "reasoning"].lazy.compactMap({ message[$0] }).first else {
            return .object(message)
        }
        var out: JSONObject = ["thinking": r]
        for (k, v) in message { out[k] = v }
        out["reasoning_content"] = r
        return .object(out)
    }
}
