// `POST /api/v1/task/server-streaming-text-generation`: caikit's Server-Sent Events. As in caikit,
// only a body that fails the request schema is answered with an HTTP error status; everything
// after that (missing model_id, unknown model, bad parameter values, generation failures) arrives
// as one `event: error` in a 200 stream. A full wait line is answered 429 before the stream starts.

import SPGeneration
import SPJSON

extension InferenceAPI {
    /// How a streaming request is answered.
    public enum StreamAnswer: Sendable {
        /// A plain error answer (422 schema, 429 busy).
        case answer(Answer)
        /// A 200 `text/event-stream`: call with a function that writes one encoded event.
        case events(@Sendable (_ write: (String) async throws -> Void) async throws -> Void)
    }

    /// One Server-Sent Event as sse-starlette encodes it (`\r\n` line ends).
    public static func sseEvent(_ event: String, data: String) -> String {
        "event: \(event)\r\ndata: \(data)\r\n\r\n"
    }

    /// A client that went away while we were writing to it.
    struct ClientGone: Error { var underlying: any Error }

    /// Answers a streaming request: one `event: message` per token (caikit
    /// `GeneratedTextStreamResult`), or one `event: error` (`{"details", "code", "id"}`).
    /// A client that disconnects stops the generation after the current token.
    public func streamingTextGeneration(_ body: [UInt8]) async -> StreamAnswer {
        let request: TaskRequest
        do {
            request = try TaskRequest.decode(body, hasParameters: true)
        } catch {
            return .answer(Self.error(.from(error)))
        }
        if let busy = await busyError() { return .answer(Self.error(busy)) }
        return .events { write in
            do {
                try await stream(request) { message in
                    do {
                        try await write(Self.sseEvent("message", data: message.caikitJSON.dumps()))
                    } catch {
                        throw ClientGone(underlying: error)
                    }
                }
            } catch let gone as ClientGone {
                throw gone.underlying
            } catch {
                try await write(Self.sseEvent("error", data: CaikitError.from(error).body))
            }
        }
    }

    /// caikit's 429 when every slot is busy and the wait line is full (checked before a stream
    /// starts, so the answer is a status rather than an error event); nil when a request fits.
    public func busyError() async -> CaikitError? {
        let (running, waiting) = await gate.load
        guard running >= gate.maxRunning && waiting >= gate.maxWaiting else { return nil }
        return .busy("server busy: \(running) requests running and \(waiting) waiting (softprompt.max_queued_requests = \(gate.maxWaiting)); retry later")
    }

    /// `ServerStreamingTextGenerationTaskPredict` for any transport: caikit's checks, a slot at the
    /// gate, then one `send` per token. An error thrown by `send` (the client went away) stops the
    /// generation after the current token and is rethrown.
    public func stream(_ request: TaskRequest, send: (GeneratedTextStreamResult) async throws -> Void) async throws {
        let model = try await resolve(request)
        try await gate.withSlot {
            try await offPool { try checkLimits(request, model) }
            for try await message in batcher.stream(model.service, request.inputs, parameters: request.parameters) {
                try await send(message)
            }
        }
    }
}
