// Per-task scratch for kernels that run on the pool (attention's score blocks): buffers are kept
// and handed out again, so a training step in steady state makes no heap allocation for them.

import Synchronization

/// A process-wide cache of float32 scratch buffers.
final class ScratchCache: Sendable {
    static let shared = ScratchCache()

    private struct Buffer: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Float>
        let capacity: Int
    }
    private let free = Mutex<[Buffer]>([])

    /// Runs `body` with a buffer of at least `count` floats (contents undefined), then keeps the
    /// buffer for the next caller. Concurrent callers get different buffers.
    func with<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let n = max(1, count)
        var taken = free.withLock { list -> Buffer? in
            guard let i = list.firstIndex(where: { $0.capacity >= n }) else { return nil }
            return list.remove(at: i)
        }
        if taken == nil {
            taken = Buffer(pointer: .allocate(capacity: n), capacity: n)
        }
        let buffer = taken!
        defer {
            free.withLock { list in
                list.append(buffer)
                // Keep at most 16 buffers (a pool thread needs one at a time); drop the smallest.
                if list.count > 16, let i = list.indices.min(by: { list[$0].capacity < list[$1].capacity }) {
                    list.remove(at: i).pointer.deallocate()
                }
            }
        }
        return try body(buffer.pointer)
    }
}
