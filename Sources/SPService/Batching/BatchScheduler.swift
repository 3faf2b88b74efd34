// Continuous batching for one decoder-only base model: every request on that model — whatever its
// prompt — is a row of one decoding batch driven by one thread. Between steps new requests join
// (all those waiting are prefilled together in one packed forward call, each row with the results
// of its prefill alone; then their cache rows join the batch), finished and cancelled rows leave;
// each step is one forward call for every row. A row's tokens are chosen from its own logits by the
// same code as a one-request generation, so its output is the one it gets alone.
//
//   loop: take joins (up to maxRows rows) → one packed prefill for them (≤ maxPrefillTokens
//         positions per call), first tokens → drop cancelled rows → one step for all rows
//         → each row picks its token; finished rows leave → repeat
// The thread exits after `idleExit` seconds with nothing to do and restarts on the next request.

import Foundation
import SPGeneration
import SPModels
import SPTensor
import Synchronization

/// One request in the scheduler: its row, its cancel flag, who gets its result.
final class BatchEntry: @unchecked Sendable {
    let row: GenerationRow
    private let cancelled = Atomic<Bool>(false)
    /// Called once, on the scheduler thread, with the result or the error.
    let done: @Sendable (Result<GeneratedTextResult, any Error>) -> Void

    init(row: GenerationRow, done: @escaping @Sendable (Result<GeneratedTextResult, any Error>) -> Void) {
        self.row = row
        self.done = done
    }

    func cancel() { cancelled.store(true, ordering: .relaxed) }
    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// Reports the row's end: its result, or `error`.
    func complete(_ error: (any Error)? = nil) {
        if let error { done(.failure(error)); return }
        if let r = row.result { done(.success(r)) } else { done(.failure(GenerationError.model("the row ended without a result"))) }
    }
}

/// Shares decoding steps between the concurrent requests on one decoder-only model.
public final class BatchScheduler: @unchecked Sendable {
    public let model: DecoderModel
    /// Rows decoded together at most; further requests wait for a row to leave.
    public let maxRows: Int
    /// True when the thread decodes inside `BF16Compute` (a bf16 model served as trained in bf16).
    public let computesInBF16: Bool
    /// Seconds the thread waits with no work before it exits.
    let idleExit: Double
    private let condition = NSCondition()
    private var pending: [BatchEntry] = []
    private var threadRunning = false
    private var stats = Stats()

    /// Counters since the scheduler was made (for tests and the serve benchmark).
    public struct Stats: Sendable, Equatable {
        /// Forward calls that decoded one token for several rows.
        public var steps = 0
        /// Tokens those calls decoded (Σ rows per step).
        public var stepRows = 0
        /// Most rows in one step.
        public var widest = 0
        /// Prefills run (one per request that reached the batch).
        public var prefills = 0
        /// Forward calls those prefills took (several joining requests share one packed call).
        public var prefillCalls = 0
        /// Times the shared cache was compacted (rows shifted left) while rows stayed.
        public var compactions = 0
        /// Rows in the batch now.
        public var rows = 0
        /// Rows that left because their client went away (a dropped stream, a cancelled request).
        public var cancelled = 0
    }

    /// Most prefill positions (Σ soft prompt + input tokens) of one packed prefill call; more
    /// joining requests wait for the next call, at the same token boundary.
    public static let maxPrefillTokens = 8192
    private var stepHook: (@Sendable (Stats) -> Void)?

    /// Calls `hook` on the scheduler thread after every step, with the counters (tests use it to
    /// pace generation).
    func onStep(_ hook: (@Sendable (Stats) -> Void)?) {
        condition.lock()
        stepHook = hook
        condition.unlock()
    }

    /// - Throws: ``ModelError/invalidInput(_:)`` when left padding changes the model's results
    ///   (such models cannot share steps; see ``RowBatch``).
    public init(model: DecoderModel, maxRows: Int, idleExit: Double = 10, computesInBF16: Bool = false) throws {
        _ = try RowBatch(model: model)
        self.computesInBF16 = computesInBF16
        self.model = model
        self.maxRows = max(1, maxRows)
        self.idleExit = idleExit
    }

    /// The counters so far.
    public var statistics: Stats {
        condition.lock()
        defer { condition.unlock() }
        return stats
    }

    /// Queues a row; the thread starts when it is not running.
    func submit(_ entry: BatchEntry) {
        condition.lock()
        pending.append(entry)
        let start = !threadRunning
        threadRunning = true
        condition.signal()
        condition.unlock()
        guard start else { return }
        // bf16 compute under RowBatch's RowInvariance: every bf16 Linear takes the GEMM, whose
        // rows do not depend on the row count (LinearBF16GemvTests), so rows still equal alone.
        let thread = Thread { [self] in computesInBF16 ? BF16Compute.with { loop() } : loop() }
        thread.stackSize = 8 << 20
        thread.name = "softprompt-batch"
        thread.start()
    }

    /// Wakes the thread (a row was cancelled while it waits for nothing else).
    func poke() {
        condition.lock()
        condition.signal()
        condition.unlock()
    }

    /// The joins to take now (nil: the thread should exit).
    private func takeJoins(rows: Int) -> [BatchEntry]? {
        condition.lock()
        defer { condition.unlock() }
        if rows == 0 && pending.isEmpty {
            _ = condition.wait(until: Date(timeIntervalSinceNow: idleExit))
            if pending.isEmpty {
                threadRunning = false
                return nil
            }
        }
        let n = min(pending.count, maxRows - rows)
        let joins = Array(pending.prefix(n))
        pending.removeFirst(n)
        return joins
    }

    private func count(step rows: Int, compactions: Int) {
        condition.lock()
        stats.compactions = compactions
        stats.steps += 1
        stats.stepRows += rows
        stats.widest = max(stats.widest, rows)
        let (hook, now) = (stepHook, stats)
        condition.unlock()
        hook?(now)
    }

    private func update(_ body: (inout Stats) -> Void) {
        condition.lock()
        body(&stats)
        condition.unlock()
    }

    private func loop() {
        let batch: RowBatch
        do { batch = try RowBatch(model: model) } catch { fatalError("checked in init: \(error)") }
        var rows: [BatchEntry] = []
        let e = model.inputWidth, v = model.vocabularySize
        var logits = [Float](repeating: 0, count: v)
        var embeds: [Float] = []
        while let joins = takeJoins(rows: rows.count) {
            var live: [BatchEntry] = []
            for entry in joins {
                if entry.isCancelled {
                    update { $0.cancelled += 1 }
                    entry.complete(Result { try entry.row.cancel() }.error)
                } else if entry.row.prefillLength < 1 || entry.row.budget < 0 {
                    entry.complete(GenerationService.modelError(ModelError.invalidInput(
                        "a row needs ≥ 1 prefill position (got \(entry.row.prefillLength)) and a budget ≥ 0")))
                } else {
                    live.append(entry)
                }
            }
            var start = 0
            while start < live.count {
                var end = start, total = 0
                while end < live.count, end == start || total + live[end].row.prefillLength <= Self.maxPrefillTokens {
                    total += live[end].row.prefillLength
                    end += 1
                }
                prefill(Array(live[start..<end]), positions: total, batch, &rows, &embeds, &logits)
                start = end
            }
            for i in rows.indices.reversed() where rows[i].isCancelled {
                let entry = rows[i]
                leave(i, &rows, batch)
                update { $0.cancelled += 1; $0.rows = rows.count }
                entry.complete(Result { try entry.row.cancel() }.error)
            }
            update { $0.rows = rows.count }
            guard !rows.isEmpty else { continue }
            let n = rows.count
            if embeds.count < n * e { embeds = [Float](repeating: 0, count: n * e) }
            if logits.count < n * v { logits = [Float](repeating: 0, count: n * v) }
            let ids = rows.map(\.row.lastToken)
            embeds.withUnsafeMutableBufferPointer { x in
                Embedding.forwardUnchecked(ids: ids, count: n, table: model.tokenEmbedding, x.baseAddress!)
            }
            do {
                try logits.withUnsafeMutableBufferPointer { try batch.step(embeds: embeds, logits: $0.baseAddress!) }
            } catch {
                for i in rows.indices.reversed() {
                    let entry = rows[i]
                    leave(i, &rows, batch)
                    entry.complete(GenerationService.modelError(error))
                }
                update { $0.rows = 0 }
                continue
            }
            for i in rows.indices.reversed() {
                let entry = rows[i]
                do {
                    guard try logits.withUnsafeMutableBufferPointer({ try entry.row.next($0.baseAddress! + i * v) }) else { continue }
                    leave(i, &rows, batch)
                    entry.complete()
                } catch {
                    leave(i, &rows, batch)
                    entry.complete(error)
                }
            }
            update { $0.rows = rows.count }
            count(step: n, compactions: batch.compactions)
        }
        update { $0.rows = 0 }
    }

    /// One packed prefill for `group` (`positions` prefill positions in all): the rows join the
    /// batch, each picks its first token from its own logits; rows already finished leave.
    private func prefill(_ group: [BatchEntry], positions total: Int, _ batch: RowBatch, _ rows: inout [BatchEntry],
                         _ embeds: inout [Float], _ logits: inout [Float]) {
        let e = model.inputWidth, v = model.vocabularySize
        if embeds.count < total * e { embeds = [Float](repeating: 0, count: total * e) }
        if logits.count < group.count * v { logits = [Float](repeating: 0, count: group.count * v) }
        embeds.withUnsafeMutableBufferPointer { x in
            var offset = 0
            for entry in group {
                entry.row.prefill(into: x.baseAddress! + offset * e)
                offset += entry.row.prefillLength
            }
        }
        let joins = group.map { RowBatch.Join(tokens: $0.row.prefillLength, reserve: $0.row.budget, positions: $0.row.scoringPositions) }
        do {
            try embeds.withUnsafeBufferPointer { x in
                try logits.withUnsafeMutableBufferPointer { l in
                    try batch.add(packed: x.baseAddress!, joins: joins, logits: l.baseAddress!) { j, i, row in
                        group[j].row.recordInputLogits(i, row)
                    }
                }
            }
        } catch {
            for entry in group { entry.complete(GenerationService.modelError(error)) }
            return
        }
        update { $0.prefills += group.count; $0.prefillCalls += 1 }
        let base = rows.count
        rows.append(contentsOf: group)
        // From the last new row back, so that a leaving row's slot is taken by one already handled.
        for j in group.indices.reversed() {
            let entry = group[j]
            do {
                guard try logits.withUnsafeMutableBufferPointer({ try entry.row.next($0.baseAddress! + j * v) }) else { continue }
                leave(base + j, &rows, batch)
                entry.complete()
            } catch {
                leave(base + j, &rows, batch)
                entry.complete(error)
            }
        }
    }

    /// Row `i` leaves: the last row takes its slot, in the batch and in `rows` alike.
    private func leave(_ i: Int, _ rows: inout [BatchEntry], _ batch: RowBatch) {
        batch.remove(at: i)
        rows.swapAt(i, rows.count - 1)
        rows.removeLast()
    }
}

extension Result {
    /// The error of a failure, nil for a success.
    var error: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}

extension GenerationService {
    /// A model failure as generation reports it.
    static func modelError(_ error: any Error) -> any Error {
        error is GenerationError ? error : GenerationError.model("\(error)")
    }
}
