// Token streaming as an AsyncSequence: generation runs on its own thread (it is CPU-bound and
// must not occupy a cooperative-pool thread) and yields caikit stream messages as tokens arrive.

import Foundation
import Synchronization

/// The messages of one streamed generation.
public typealias GenerationStream = AsyncThrowingStream<GeneratedTextStreamResult, any Error>

/// Set when the consumer of a stream goes away; polled by the decoding loop once per token.
final class CancelFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func cancel() { value.store(true, ordering: .relaxed) }
    var isCancelled: Bool { value.load(ordering: .relaxed) }
}

extension TextGenerator {
    /// Streams the generation of `text`: one message per new token, as soon as it is produced;
    /// the last message carries the finish reason. Dropping the stream (or cancelling the task
    /// that iterates it) stops generation after the current token (finish reason `CANCELLED`).
    ///
    /// ```swift
    /// for try await message in generator.stream("Once upon a time") {
    ///     print(message.generatedText, terminator: "")
    /// }
    /// ```
    public func stream(_ text: String, parameters: GenerationParameters = GenerationParameters()) -> GenerationStream {
        let flag = CancelFlag()
        return GenerationStream { continuation in
            continuation.onTermination = { _ in flag.cancel() }
            let thread = Thread {
                do {
                    try self.generateStreaming(text, parameters: parameters, isCancelled: { flag.isCancelled }) { m in
                        continuation.yield(m)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
