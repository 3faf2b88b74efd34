// The generation entry point a server's handlers (HTTP and gRPC alike) call: requests on the same
// decoder-only base model share decoding steps through that model's `BatchScheduler`; requests on
// models that cannot share steps (encoder-decoder models, sliding-window or dynamic-NTK models)
// run one request per call on their own thread, as `GenerationService.run` does, one at a time per
// base model (deliberately: two generations side by side change OpenBLAS's thread split, and so
// the last bits of a logprob, of each other).

import Foundation
import SPGeneration
import SPModels
import Synchronization

/// Routes generation requests to a per-base-model continuous batch.
///
/// ```swift
/// let batcher = GenerationBatcher(maxRows: 16)
/// let result = try await batcher.run(service, "@user the food was cold")
/// for try await message in batcher.stream(service, "@user hi") { print(message.generatedText) }
/// ```
public final class GenerationBatcher: Sendable {
    /// Rows one base model's batch decodes together at most.
    public let maxRows: Int
    private let schedulers = Mutex<[ObjectIdentifier: BatchScheduler]>([:])
    /// One lock per base model that cannot share steps: its requests run one at a time.
    private let serial = Mutex<[ObjectIdentifier: NSLock]>([:])

    private func lock(for service: GenerationService) -> NSLock {
        let key = ObjectIdentifier(service.tokens.model)
        return serial.withLock { all in
            if let l = all[key] { return l }
            let l = NSLock()
            all[key] = l
            return l
        }
    }

    public init(maxRows: Int) {
        self.maxRows = max(1, maxRows)
    }

    /// The scheduler of `service`'s base model, nil when that model cannot share steps.
    public func scheduler(for service: GenerationService) -> BatchScheduler? {
        guard let m = service.tokens.model as? DecoderModel, !m.paddingChangesResults else { return nil }
        return schedulers.withLock { all in
            if let s = all[ObjectIdentifier(m)] { return s }
            guard let s = try? BatchScheduler(model: m, maxRows: maxRows, computesInBF16: service.computesInBF16) else { return nil }
            all[ObjectIdentifier(m)] = s
            return s
        }
    }

    /// The batching counters of `service`'s base model (nil when it does not batch).
    public func statistics(for service: GenerationService) -> BatchScheduler.Stats? {
        scheduler(for: service)?.statistics
    }

    /// caikit `run()`: the same result as ``GenerationService/run(_:parameters:)``. Cancelling the
    /// calling task ends the row at the next token (`CANCELLED`) and frees its place at once.
    public func run(_ service: GenerationService, _ text: String,
                    parameters: GenerationParameters = GenerationParameters()) async throws -> GeneratedTextResult {
        guard let scheduler = scheduler(for: service) else {
            let flag = Flag(), serial = lock(for: service)
            return try await withTaskCancellationHandler {
                try await onThread {
                    serial.lock()
                    defer { serial.unlock() }
                    return try service.runStreamOut(text, parameters: parameters, isCancelled: { flag.isSet }) { _ in }
                }
            } onCancel: { flag.set() }
        }
        let row = try GenerationRow(generator: service.text, text: text, parameters: parameters, streaming: false)
        let box = Box()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<GeneratedTextResult, any Error>) in
                let entry = BatchEntry(row: row) { c.resume(with: $0) }
                box.set(entry)
                scheduler.submit(entry)
            }
        } onCancel: {
            box.cancel()
            scheduler.poke()
        }
    }

    /// caikit `run_stream_out()`: the messages ``GenerationService/runStreamOut(_:parameters:isCancelled:onMessage:)``
    /// gives, one per token as it is produced. Dropping the stream ends the row at the next token.
    public func stream(_ service: GenerationService, _ text: String,
                       parameters: GenerationParameters = GenerationParameters()) -> GenerationStream {
        guard let scheduler = scheduler(for: service) else { return serialStream(service, text, parameters: parameters) }
        return GenerationStream { continuation in
            do {
                let row = try GenerationRow(generator: service.text, text: text, parameters: parameters, streaming: true) {
                    _ = continuation.yield($0)
                }
                let entry = BatchEntry(row: row) { result in
                    if case .failure(let e) = result { continuation.finish(throwing: e) } else { continuation.finish() }
                }
                continuation.onTermination = { _ in
                    entry.cancel()
                    scheduler.poke()
                }
                scheduler.submit(entry)
            } catch {
                continuation.finish(throwing: error)
            }
        }
    }
}

extension GenerationBatcher {
    /// `TextGenerator.stream` for a model that cannot share steps, one generation at a time.
    func serialStream(_ service: GenerationService, _ text: String, parameters: GenerationParameters) -> GenerationStream {
        let flag = Flag(), serial = lock(for: service)
        return GenerationStream { continuation in
            continuation.onTermination = { _ in flag.set() }
            let thread = Thread {
                serial.lock()
                defer { serial.unlock() }
                do {
                    try service.runStreamOut(text, parameters: parameters, isCancelled: { flag.isSet }) { continuation.yield($0) }
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

/// A set-once flag shared with a cancellation handler.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

/// The entry of a unary request, for its cancellation handler (which may run before it exists).
final class Box: Sendable {
    private let state = Mutex<(entry: BatchEntry?, cancelled: Bool)>((nil, false))
    func set(_ e: BatchEntry) {
        let cancelled = state.withLock { s in s.entry = e; return s.cancelled }
        if cancelled { e.cancel() }
    }
    func cancel() {
        let e = state.withLock { s in s.cancelled = true; return s.entry }
        e?.cancel()
    }
}

/// Runs CPU-bound work on its own thread (8 MiB stack), off Swift's cooperative pool.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
        let thread = Thread { c.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
