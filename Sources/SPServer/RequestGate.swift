// Admission control: at most `maxRunning` generations at once, at most `maxWaiting` requests
// waiting for one; anything beyond is answered 429 at once instead of growing a queue.

/// A counting gate with a bounded, first-come-first-served wait line.
public actor RequestGate {
    public nonisolated let maxRunning: Int
    public nonisolated let maxWaiting: Int
    private var running = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// - Parameters:
    ///   - maxRunning: slots (≥ 1).
    ///   - maxWaiting: requests that may wait for a slot (≥ 0).
    public init(maxRunning: Int, maxWaiting: Int) {
        self.maxRunning = max(1, maxRunning)
        self.maxWaiting = max(0, maxWaiting)
    }

    /// Takes a slot, waiting in line when all are busy.
    /// - Throws: ``CaikitError`` 429 when the line is full.
    public func enter() async throws {
        if running < maxRunning {
            running += 1
            return
        }
        guard waiters.count < maxWaiting else {
            throw CaikitError.busy("server busy: \(running) requests running and \(waiters.count) waiting (softprompt.max_queued_requests = \(maxWaiting)); retry later")
        }
        // The slot is handed over by `leave()` (running stays counted).
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Gives a slot back (to the first waiter, if any).
    public func leave() {
        if waiters.isEmpty {
            running -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }

    /// Requests running and waiting now.
    public var load: (running: Int, waiting: Int) { (running, waiters.count) }

    /// Runs `body` holding a slot.
    public nonisolated func withSlot<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await enter()
        do {
            let v = try await body()
            await leave()
            return v
        } catch {
            await leave()
            throw error
        }
    }
}
