import Foundation
import SPJSON
import Testing

@testable import SPChatTemplate
@testable import SPTokenizers

/// The chat-template API, its errors (typed, with the template line) and its limits: bad templates
/// and bad input throw, never crash.
@Suite struct ChatTemplateTests {
    static let chatml = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
        + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"

    func error(_ source: String, messages: [ChatMessage] = [.user("hi")]) -> ChatTemplateError? {
        do {
            _ = try ChatTemplate(source: source).render(messages: messages)
            return nil
        } catch let e as ChatTemplateError {
            return e
        } catch {
            Issue.record("untyped error \(error)")
            return nil
        }
    }

    @Test func rendersMessages() throws {
        let t = try ChatTemplate(source: Self.chatml)
        let out = try t.render(messages: [.system("S"), .user("U")], addGenerationPrompt: true)
        #expect(out == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n")
        #expect(try t.render(messages: [.user("U")]) == "<|im_start|>user\nU<|im_end|>\n")
    }

    @Test func tokenizerPassesItsSpecialTokens() throws {
        var config = TokenizerConfig()
        config.bosToken = "<s>"
        config.eosToken = "</s>"
        config.chatTemplate = "{{ bos_token }}{% for m in messages %}[{{ m.content }}]{{ eos_token }}{% endfor %}{{ pad_token is defined }}"
        let tok = try Tokenizer(jsonString: ErrorTests.small, config: config)
        #expect(tok.chatTemplateVariables == ["bos_token": .string("<s>"), "eos_token": .string("</s>")])
        #expect(try tok.applyChatTemplate([.user("a"), .assistant("b")]) == "<s>[a]</s>[b]</s>False")
        #expect(try tok.applyChatTemplate([.user("a")], variables: ["eos_token": .string("!")]) == "<s>[a]!False")
    }

    @Test func missingTemplateIsNamed() throws {
        let tok = try Tokenizer(jsonString: ErrorTests.small)
        #expect(throws: ChatTemplateError.self) { try tok.applyChatTemplate([.user("a")]) }
        do {
            _ = try tok.applyChatTemplate([.user("a")])
        } catch let e as ChatTemplateError {
            guard case .missingTemplate = e else { Issue.record("wrong error \(e)"); return }
            #expect(e.description.contains("HINT"))
        }
    }

    @Test func badArgumentsAreRejected() throws {
        let t = try ChatTemplate(source: Self.chatml)
        #expect(throws: ChatTemplateError.self) { try t.render(messages: []) }
        #expect(throws: ChatTemplateError.self) { try t.render(conversation: [.string("hi")]) }
        #expect(throws: ChatTemplateError.self) { try t.render(messages: [.user("a")], variables: ["messages": .null]) }
        var deep = JSONValue.string("x")
        for _ in 0..<2000 { deep = .array([deep]) }
        #expect(throws: ChatTemplateError.self) {
            try t.render(conversation: [.object([("role", .string("user")), ("content", deep)])])
        }
    }

    @Test func errorsNameTheLine() {
        #expect(error("a\nb\n{{ x | frob }}") == .unknownFilter(name: "frob", line: 3))
        #expect(error("\n{{ 1 is frobbed }}") == .unknownTest(name: "frobbed", line: 2))
        #expect(error("{% if true %}\n{{ x | frob }}{% endif %}") == .render(line: 2, message: "No filter named 'frob' found."))
        #expect(error("ok\n{{ undefined_thing.attr }}") == .render(line: 2, message: "'undefined_thing' is undefined"))
        #expect(error("{{ raise_exception('Roles must alternate!') }}") == .raised(message: "Roles must alternate!"))
        guard case .syntax(let line, let message)? = error("x\n\n{% frob %}") else { Issue.record("no syntax error"); return }
        #expect(line == 3 && message.contains("frob"))
        for bad in ["{% for x in y %}", "{{ 1 + }}", "{% break %}", "{{ 'unterminated }}", "{{ (1 }}", "{# open",
                    "{% if %}{% endif %}", "{% endfor %}", "{{ a b }}", "{% set %}", "{% macro f(a=1, b) %}{% endmacro %}"] {
            guard case .syntax? = error(bad) else { Issue.record("\(bad): no syntax error"); continue }
        }
        #expect(error("{% include 'x' %}") == .unsupported(line: 1, feature: "the 'include' tag"))
        #expect(ChatTemplateError.raised(message: "m").description == "m")
    }

    @Test func limitsFailCleanly() {
        let cases = [
            "{{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}",
            "{{ " + String(repeating: "[", count: 3000) + String(repeating: "]", count: 3000) + " }}",
            "{{ " + String(repeating: "-", count: 5000) + "1 }}",
            "{{ " + String(repeating: "not ", count: 5000) + "1 }}",
            String(repeating: "{% if true %}", count: 500) + String(repeating: "{% endif %}", count: 500),
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
            "{{ 'abc' * 100000000 }}",
            "{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
            "{% set ns = namespace(l=[1]) %}{% for i in range(100) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
            "{{ [1] * 100000000 }}", "{{ ['x' * 60000000] * 3 | join }}", "{{ 'ab'.replace('', 'x' * 60000000) }}",
            "{{ [1] | batch(1000000000, 0) | list }}", "{{ '{:.999999999f}'.format(1.5) }}", "{{ 'x'.center(999999999) }}",
            "{{ ('x\\n' * 1000000) | indent(100) }}",
            "{{ range(1000000) | length }}",
            "{{ 9223372036854775807 + 1 }}", "{{ 2 ** 100 }}", "{{ -9223372036854775807 - 2 }}",
            "{{ 99999999999999999999 }}", "{{ 1 // 0 }}", "{{ 1.5 % 0 }}", "{{ [1][::0] }}",
            "{% set ns = namespace(l=[]) %}{% for i in range(600) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l }}",
            "{% set ns = namespace(l=[]) %}{% for i in range(600) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l | tojson }}",
        ]
        for c in cases {
            #expect(error(c) != nil, "\(c.prefix(60)) should fail")
        }
    }

    /// Random token soup: every template either renders or throws a ChatTemplateError.
    @Test func randomTemplatesNeverCrash() {
        let pieces = ["{{", "}}", "{%", "%}", "{#", "#}", "-", "+", "if", "for", "in", "endif", "endfor", "else", "set",
                      "x", "=", "messages", "m", ".", "[", "]", "(", ")", "'s'", "\"", "1", "2.5", "|", "trim", "is",
                      "defined", "not", "and", "or", "~", "*", "/", "%", ":", ",", " ", "\n", "macro", "endmacro",
                      "namespace", "loop", "raw", "endraw", "\\", "{", "}", "é", "🙂", "none", "**", "//", "range"]
        var rng = SystemRandomNumberGenerator()
        var rendered = 0
        for _ in 0..<3000 {
            let n = Int.random(in: 1...24, using: &rng)
            let source = (0..<n).map { _ in pieces.randomElement(using: &rng)! }.joined()
            do {
                _ = try ChatTemplate(source: source).render(messages: [.user("hello"), .assistant("world")])
                rendered += 1
            } catch is ChatTemplateError {
            } catch {
                Issue.record("\(source): untyped error \(error)")
            }
        }
        #expect(rendered > 0)
    }

    @Test func strftimeNowReadsTheGivenClock() throws {
        let t = try ChatTemplate(source: "{{ strftime_now('%d %b %Y, %A %H:%M:%S %p %j') }}")
        let date = Date(timeIntervalSince1970: 1_721_999_109)  // 2024-07-26 13:05:09 UTC
        let utc = TimeZone(identifier: "UTC")!
        #expect(try t.render(messages: [.user("x")], now: date, timeZone: utc) == "26 Jul 2024, Friday 13:05:09 PM 208")
        let tokyo = TimeZone(identifier: "Asia/Tokyo")!
        #expect(try t.render(messages: [.user("x")], now: date, timeZone: tokyo) == "26 Jul 2024, Friday 22:05:09 PM 208")
    }

    @Test func conversationExtrasFollowTransformers() throws {
        let t = try ChatTemplate(source: "{% for m in messages %}{{ m | tojson }}{% endfor %}|{{ tools }}")
        let m: JSONValue = .object([("role", .string("assistant")), ("content", .null), ("reasoning", .string("r"))])
        let out = try t.render(conversation: [m])
        #expect(out == #"{"thinking": "r", "role": "assistant", "reasoning": "r", "reasoning_content": "r"}|None"#)
    }
}
