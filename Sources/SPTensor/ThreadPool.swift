// A persistent pool with a fixed part → thread mapping. DispatchQueue.concurrentPerform lets the
// caller steal parts and migrates halves between cores (docs/ARCHITECTURE.md, "Threads"), which makes
// the 10⁵–10⁶-element kernels of a training step slower than one thread; this pool does not.

#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A persistent pool of worker threads that runs `parts` pieces of work, piece `p` always on thread
/// `p % threads` (thread 0 is the caller). Only one ``run(parts:_:)`` may be active at a time; calls
/// from inside a running body execute serially on the calling thread.
public final class ThreadPool: @unchecked Sendable {
    /// The process-wide pool, sized by ``Runtime/configure(threads:)``.
    public nonisolated(unsafe) static var shared = ThreadPool(threads: Runtime.coreCount)

    /// Threads including the caller.
    public let threads: Int
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private nonisolated(unsafe) var job: ((Int) -> Void)?
    private nonisolated(unsafe) var parts = 0
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// Starts `threads - 1` workers.
    public init(threads: Int) {
        self.threads = max(1, threads)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
        for w in 1..<self.threads {
            let box = Unmanaged.passRetained(WorkerStart(pool: self, index: w))
            var tid = pthread_t()
            let rc = pthread_create(&tid, nil, { arg in
                let start = Unmanaged<WorkerStart>.fromOpaque(arg!).takeRetainedValue()
                start.pool.workerLoop(start.index)
                return nil
            }, box.toOpaque())
            if rc != 0 { fatalError("pthread_create failed: \(rc)") }
            pthread_detach(tid)
        }
    }

    /// True while a ``run(parts:_:)`` is active (a nested call would run serially).
    public var isRunning: Bool { busy.load(ordering: .acquiring) }

    /// Runs `body(p)` for every `p` in `0..<parts` and returns when all have finished.
    public func run(parts: Int, _ body: (Int) -> Void) {
        if parts <= 0 { return }
        if parts == 1 || threads == 1 || !busy.compareExchange(expected: false, desired: true,
                                                              ordering: .acquiring).exchanged {
            for p in 0..<parts { body(p) }
            return
        }
        withoutActuallyEscaping(body) { b in
            job = b
            self.parts = parts
            pending.store(threads - 1, ordering: .releasing)
            generation.add(1, ordering: .sequentiallyConsistent)
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(cond)
            pthread_mutex_unlock(mutex)
            var p = 0
            while p < parts { b(p); p += threads }
            while pending.load(ordering: .acquiring) != 0 { spinPause() }
            job = nil
        }
        busy.store(false, ordering: .releasing)
    }

    private func workerLoop(_ index: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < 50_000 { spinPause(); continue }
                pthread_mutex_lock(mutex)
                while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(cond, mutex) }
                pthread_mutex_unlock(mutex)
            }
            seen = generation.load(ordering: .acquiring)
            if let b = job {
                var p = index
                while p < parts { b(p); p += threads }
            }
            pending.subtract(1, ordering: .releasing)
        }
    }

    /// Busy-wait step (Swift has no portable `pause`; the loop is short and bounded).
    @inline(__always) private func spinPause() {}
}

private final class WorkerStart {
    let pool: ThreadPool
    let index: Int
    init(pool: ThreadPool, index: Int) { self.pool = pool; self.index = index }
}

/// Data-parallel helpers over ``ThreadPool/shared``.
public enum Parallel {
    /// Splits `0..<n` into at most `threads` contiguous ranges of at least `grain` items and runs
    /// `body` on each (in parallel when there is more than one).
    @inlinable
    public static func forRange(_ n: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        if n <= 0 { return }
        let pool = ThreadPool.shared
        let parts = min(pool.threads, max(1, n / max(1, grain)))
        if parts == 1 { body(0..<n); return }
        pool.run(parts: parts) { p in body((n * p / parts)..<(n * (p + 1) / parts)) }
    }
}

/// Process-wide numeric settings.
public enum Runtime {
    /// Online CPU cores.
    public static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Loads OpenBLAS (``BLAS/load()``), then sets the number of threads for it and for our own
    /// pool (default: all cores). The two never run at the same time, so the cores are not
    /// oversubscribed.
    public static func configure(threads: Int? = nil) throws(BLASLoadError) {
        try BLAS.load()
        let n = max(1, threads ?? coreCount)
        BLAS.threads = n
        if ThreadPool.shared.threads != n { ThreadPool.shared = ThreadPool(threads: n) }
    }
}
