// `--chat` of `softprompt generate` and `softprompt tokenize`: the input becomes a user message of
// the tokenizer's chat template; a tokenizer without one is a clear error.

import Foundation
import SPTestSupport
import Testing

@Suite(.serialized) struct ChatCLITests {
    /// The tiny GPT-2 with a chat template next to its tokenizer (transformers 5's chat_template.jinja).
    static let chatModel: String = {
        let dir = try! CLI.tinyModelWithTokenizer()
        let template = "{% for m in messages %}{{ m.content }} {% endfor %}{% if add_generation_prompt %}w5{% endif %}"
        try! template.write(toFile: dir + "/chat_template.jinja", atomically: true, encoding: .utf8)
        return dir
    }()


    @Test func tokenizeRendersTheTemplate() throws {
        let r = try CLI.run(["tokenize", "--tokenizer", Self.chatModel, "--chat", "--system", "w1", "w2", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""text":"w1 w2 w5""#), "\(r.stdout)")
        #expect(r.stdout.contains(#""ids":[1,2,5]"#), "\(r.stdout)")
    }

    @Test func generateWithChatEqualsTheRenderedPrompt() throws {
        let chat = try CLI.run(["generate", "--model", Self.chatModel, "--chat", "--text", "w2", "--max-new-tokens", "4"])
        #expect(chat.status == 0, "\(chat.stderr)")
        let plain = try CLI.run(["generate", "--model", Self.chatModel, "--text", "w2 w5", "--max-new-tokens", "4",
                                 "--no-preserve-input-text"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(!chat.stdout.isEmpty && chat.stdout == plain.stdout)
    }

    @Test func noTemplateIsAClearError() throws {
        let model = try CLI.tinyModelWithTokenizer()
        for args in [["generate", "--model", model, "--chat", "--text", "w1"], ["tokenize", "--tokenizer", model, "--chat", "w1"]] {
            let r = try CLI.run(args)
            #expect(r.status != 0)
            #expect(r.stderr.contains("has no chat template"), "\(r.stderr)")
        }
        let r = try CLI.run(["generate", "--model", model, "--system", "s", "--text", "w1"])
        #expect(r.status != 0 && r.stderr.contains("--chat"), "\(r.stderr)")
    }

    @Test("SmolLM2 answers the chat question like transformers", .requires(.smolLM2))
    func smolLM2Chat() throws {
        let r = try CLI.run(["generate", "--model", ExternalFile.smolLM2.require().path, "--chat", "--text",
                             "What is the capital of France?"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "The capital of France is Paris.\n")
    }
}
