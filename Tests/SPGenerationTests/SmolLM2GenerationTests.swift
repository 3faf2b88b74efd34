// SmolLM2-135M-Instruct (the cached GGUF) through the generator: the chat-template question gives
// transformers' greedy answer "The capital of France is Paris.<|im_end|>", alone and in a
// left-padded batch with the story prompt (ids from Tests/SPModelsTests/Fixtures/smollm2).

import Foundation
import SPGeneration
import SPModels
import SPTestSupport
import Testing

enum SmolLM2 {
    static let file = ExternalFile.smolLM2

    /// reference.json `greedy.<which>`.
    static func greedy(_ which: String) throws -> [String: Any] {
        let ref = try Fixtures.json(Fixtures.models.appendingPathComponent("smollm2/reference.json"))
        return (ref["greedy"] as! [String: Any])[which] as! [String: Any]
    }
}

@Suite(.requires(SmolLM2.file), .serialized)
struct SmolLM2GenerationTests {
    @Test func chatAnswerAloneAndInABatch() throws {
        let model = try ModelLoader.load(gguf: SmolLM2.file.require().path)
        func ids(_ k: String, _ key: String) throws -> [Int32] { (try SmolLM2.greedy(k)[key] as! [Int]).map(Int32.init) }
        let chatIds = try ids("chat", "prompt_ids"), storyIds = try ids("story", "prompt_ids")
        let chatWant = try ids("chat", "new_ids"), storyWant = try ids("story", "new_ids")
        var p = GenerationParameters()
        p.maxNewTokens = 16
        let gen = try TokenGenerator(model: model)
        let chat = try gen.generate([TokenRequest(inputIds: chatIds, parameters: p)], eos: [2], pad: 2)[0]
        #expect(chat.ids == chatWant, "\(chat.ids) vs transformers \(chatWant)")
        #expect(chat.finishReason == .eosToken && chat.ids.count == 8)
        let batch = try gen.generate([TokenRequest(inputIds: storyIds, parameters: p),
                                      TokenRequest(inputIds: chatIds, parameters: p)], eos: [2], pad: 2)
        #expect(batch[0].ids == storyWant && batch[0].finishReason == .maxTokens)
        #expect(batch[1].ids == chatWant)
    }
}
