// Continuous batching on the tiny GPT-2 fixture: concurrent requests with different soft prompts
// on one base model share decoding steps, and every result (and every stream message) equals, bit
// for bit, the one the request gets alone through the batcher; its tokens and text are also those
// of `GenerationService.run` (the one-batch generator, whose one-row GEMV may differ in the last
// bits of a logprob).

import Foundation
import SPGeneration
import SPModels
import SPPrompt
@testable import SPService
import SPTensor
import SPTokenizers
import Testing

@Suite struct BatchSchedulerTests {
    /// Three services on one model: no prompt, and two different random prompts (3 and 5 rows).
    static func services(_ model: String) throws -> [GenerationService] {
        let target = try GenerationTarget.open(model: model, baseModel: nil, baseModelsDir: nil)
        let tokenizer = TokenizerAdapter(tokenizer: try loadTokenizer(target.location))
        var rng = SeededRandom(seed: 7)
        func prompt(_ rows: Int, _ verbalizer: String) -> TunedPrompt {
            let t = Tensor(shape: [rows, target.model.inputWidth])
            for i in 0..<t.count { t.data[i] = Float(rng.next() % 2001) / 1000 - 1 }
            return GenerationService.prompt(t, verbalizer: verbalizer)
        }
        return [try GenerationService(model: target.model, tokenizer: tokenizer),
                try GenerationService(model: target.model, tokenizer: tokenizer, prompt: prompt(3, "{{input}}")),
                try GenerationService(model: target.model, tokenizer: tokenizer, prompt: prompt(5, "w7 {{input}} w8"))]
    }

    /// A mix of lengths and every kind of parameter a row carries on its own.
    static var requests: [(service: Int, text: String, parameters: GenerationParameters)] {
        var out: [(service: Int, text: String, parameters: GenerationParameters)] = []
        for i in 0..<12 {
            var p = GenerationParameters()
            p.maxNewTokens = 3 + (i * 5) % 11
            switch i % 4 {
            case 0: break
            case 1:
                p.decodingMethod = .sampling
                p.seed = UInt64(100 + i)
                p.topK = 20
                p.temperature = 0.8
            case 2: (p.returnTokens, p.tokenLogprobs, p.tokenRanks, p.inputTokens) = (true, true, true, true)
            default:
                p.minNewTokens = 2
                p.repetitionPenalty = 1.3
                p.stopSequences = ["w5"]
            }
            let words = (0...(i % 6)).map { "w\(($0 * 7 + i) % 300)" }.joined(separator: " ")
            out.append((i % 3, words, p))
        }
        return out
    }

    @Test func concurrentRequestsShareStepsAndEqualAlone() async throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let services = try Self.services(model)
        let requests = Self.requests
        let batcher = GenerationBatcher(maxRows: 8)
        var alone: [GeneratedTextResult] = []
        for r in requests { alone.append(try await batcher.run(services[r.service], r.text, parameters: r.parameters)) }
        #expect(batcher.scheduler(for: services[0])?.statistics.widest == 1, "one at a time")
        for (r, a) in zip(requests, alone) {
            let g = try services[r.service].run(r.text, parameters: r.parameters)
            #expect(g.generatedText == a.generatedText && g.generatedTokens == a.generatedTokens && g.finishReason == a.finishReason
                    && g.seed == a.seed && g.tokens?.map(\.text) == a.tokens?.map(\.text), "generate vs batcher: \(g) vs \(a)")
        }
        let scheduler = try #require(batcher.scheduler(for: services[0]))
        #expect(batcher.scheduler(for: services[2]) === scheduler, "one scheduler per base model, whatever the prompt")
        let together = try await withThrowingTaskGroup(of: (Int, GeneratedTextResult).self) { group in
            for (i, r) in requests.enumerated() {
                group.addTask { (i, try await batcher.run(services[r.service], r.text, parameters: r.parameters)) }
            }
            var out = [GeneratedTextResult?](repeating: nil, count: requests.count)
            for try await (i, r) in group { out[i] = r }
            return out
        }
        for i in requests.indices {
            #expect(together[i] == alone[i], "request \(i): \(String(describing: together[i])) vs \(alone[i])")
        }
        let stats = scheduler.statistics
        #expect(stats.widest > 1, "rows shared no step: \(stats)")
        #expect(stats.prefills == 2 * requests.count)
    }

    @Test func streamsEqualAloneMessageByMessage() async throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let services = try Self.services(model)
        let requests = Self.requests
        let batcher = GenerationBatcher(maxRows: 5)
        var alone: [[GeneratedTextStreamResult]] = []
        for r in requests {
            var messages: [GeneratedTextStreamResult] = []
            for try await m in batcher.stream(services[r.service], r.text, parameters: r.parameters) { messages.append(m) }
            alone.append(messages)
            var direct: [String] = []
            try services[r.service].runStreamOut(r.text, parameters: r.parameters) { direct.append($0.generatedText) }
            #expect(direct == messages.map(\.generatedText), "runStreamOut's pieces")
        }
        let together = try await withThrowingTaskGroup(of: (Int, [GeneratedTextStreamResult]).self) { group in
            for (i, r) in requests.enumerated() {
                group.addTask {
                    var messages: [GeneratedTextStreamResult] = []
                    for try await m in batcher.stream(services[r.service], r.text, parameters: r.parameters) { messages.append(m) }
                    return (i, messages)
                }
            }
            var out = [[GeneratedTextStreamResult]](repeating: [], count: requests.count)
            for try await (i, m) in group { out[i] = m }
            return out
        }
        for i in requests.indices { #expect(together[i] == alone[i], "stream \(i)") }
        let widest = try #require(batcher.scheduler(for: services[0])).statistics.widest
        #expect(widest > 1 && widest <= 5, "maxRows bounds the batch: \(widest)")
    }

    /// Requests that arrive while the batch is busy join at the same token boundary through one
    /// packed prefill (rows of different lengths, each with its own soft prompt); every result and
    /// every stream message still equals, bit for bit, the request alone.
    @Test func requestsJoiningAtOnceSharePackedPrefills() async throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let services = try Self.services(model)
        let requests = Self.requests
        let batcher = GenerationBatcher(maxRows: 32)
        var alone: [GeneratedTextResult] = [], aloneStreams: [[GeneratedTextStreamResult]] = []
        for r in requests {
            alone.append(try await batcher.run(services[r.service], r.text, parameters: r.parameters))
            var messages: [GeneratedTextStreamResult] = []
            for try await m in batcher.stream(services[r.service], r.text, parameters: r.parameters) { messages.append(m) }
            aloneStreams.append(messages)
        }
        let scheduler = try #require(batcher.scheduler(for: services[0]))
        let before = scheduler.statistics
        #expect(before.prefillCalls == before.prefills, "one at a time: one prefill per call")
        // A long request holds the batch; slowed steps let all the others queue behind one boundary.
        scheduler.onStep { _ in Thread.sleep(forTimeInterval: 0.03) }
        var long = GenerationParameters()
        (long.maxNewTokens, long.minNewTokens) = (40, 40)
        let holder = Task { try await batcher.run(services[0], "w2", parameters: long) }
        for _ in 0..<500 where scheduler.statistics.rows == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let together = try await withThrowingTaskGroup(of: (Int, GeneratedTextResult?, [GeneratedTextStreamResult]).self) { group in
            for (i, r) in requests.enumerated() {
                group.addTask { (i, try await batcher.run(services[r.service], r.text, parameters: r.parameters), []) }
                group.addTask {
                    var messages: [GeneratedTextStreamResult] = []
                    for try await m in batcher.stream(services[r.service], r.text, parameters: r.parameters) { messages.append(m) }
                    return (i, nil, messages)
                }
            }
            var results = [GeneratedTextResult?](repeating: nil, count: requests.count)
            var streams = [[GeneratedTextStreamResult]](repeating: [], count: requests.count)
            for try await (i, r, m) in group { if let r { results[i] = r } else { streams[i] = m } }
            return (results, streams)
        }
        scheduler.onStep(nil)
        #expect(try await holder.value.generatedTokens == 40)
        for i in requests.indices {
            #expect(together.0[i] == alone[i], "request \(i): \(String(describing: together.0[i])) vs \(alone[i])")
            #expect(together.1[i] == aloneStreams[i], "stream \(i)")
        }
        // The last row's count is updated just after its result is delivered.
        for _ in 0..<500 where scheduler.statistics.rows != 0 { try await Task.sleep(for: .milliseconds(10)) }
        let after = scheduler.statistics
        #expect(after.prefills - before.prefills == 2 * requests.count + 1)
        #expect(after.prefillCalls - before.prefillCalls < 2 * requests.count / 2, "joins shared packed prefills: \(after)")
        #expect(after.rows == 0)
    }

    /// A dropped stream and a cancelled unary request leave the batch at the next token; the
    /// others finish as they would alone.
    @Test func cancelledRowsLeaveAndOthersAreUnchanged() async throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let services = try Self.services(model)
        var params = GenerationParameters()
        (params.maxNewTokens, params.minNewTokens) = (40, 40)
        let long = params
        let batcher = GenerationBatcher(maxRows: 4)
        let expected = try await batcher.run(services[1], "w3 w4", parameters: long)
        let unary = Task { try await batcher.run(services[2], "w9", parameters: long) }
        let kept = Task { try await batcher.run(services[1], "w3 w4", parameters: long) }
        var seen = 0
        for try await _ in batcher.stream(services[0], "w1", parameters: long) {
            seen += 1
            if seen == 2 { break }
        }
        unary.cancel()
        let cancelled = try await unary.value
        #expect(cancelled.finishReason == .cancelled || cancelled.generatedTokens == 40)
        #expect(try await kept.value == expected)
    }

    /// A batch that never empties: the shared length passes the cache's capacity, rows are shifted
    /// left (compaction) and the cache grows for longer rows; every result still equals alone.
    @Test func compactionAndGrowthKeepResults() async throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let services = try Self.services(model)
        let requests: [(service: Int, text: String, parameters: GenerationParameters)] = (0..<24).map { i in
            var p = GenerationParameters()
            (p.maxNewTokens, p.minNewTokens) = (10 + (i * 7) % 40, 10 + (i * 7) % 40)
            return (i % 3, (0...(i % 5)).map { "w\($0 + i)" }.joined(separator: " "), p)
        }
        let batcher = GenerationBatcher(maxRows: 3)
        var alone: [GeneratedTextResult] = []
        for r in requests { alone.append(try await batcher.run(services[r.service], r.text, parameters: r.parameters)) }
        let together = try await withThrowingTaskGroup(of: (Int, GeneratedTextResult).self) { group in
            for (i, r) in requests.enumerated() {
                group.addTask { (i, try await batcher.run(services[r.service], r.text, parameters: r.parameters)) }
            }
            var out = [GeneratedTextResult?](repeating: nil, count: requests.count)
            for try await (i, r) in group { out[i] = r }
            return out
        }
        for i in requests.indices { #expect(together[i] == alone[i], "request \(i)") }
        let stats = try #require(batcher.scheduler(for: services[0])).statistics
        #expect(stats.compactions > 0 && stats.widest == 3, "\(stats)")
    }

    @Test func invalidParametersAreTheSameErrorAsAlone() async throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let services = try Self.services(model)
        var p = GenerationParameters()
        (p.maxNewTokens, p.minNewTokens) = (2, 5)
        let batcher = GenerationBatcher(maxRows: 2)
        await #expect(throws: GenerationError.self) { _ = try await batcher.run(services[1], "w1", parameters: p) }
        var failed = false
        do { for try await _ in batcher.stream(services[1], "w1", parameters: p) {} } catch { failed = error is GenerationError }
        #expect(failed)
    }
}
