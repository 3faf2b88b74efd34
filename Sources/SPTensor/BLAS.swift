// The only file in the project that calls OpenBLAS (through the `CBLAS` loader target).

import CBLAS
import Synchronization

/// OpenBLAS could not be loaded; `message` names the library tried and how to install it.
public struct BLASLoadError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// Row-major single-precision GEMM through OpenBLAS.
///
/// OpenBLAS is loaded on first use (or by ``load()``), after choosing its kernel set under
/// `SOFTPROMPT_BLAS_CORE` (``chooseCore(mode:user:avx512:)``): by default the AVX-512 `SkylakeX`
/// kernels on a CPU that runs them, even where `OPENBLAS_CORETYPE` names an AVX2 set (which halves
/// GEMM speed); `env` honours `OPENBLAS_CORETYPE`. `SOFTPROMPT_OPENBLAS` names another library file.
public enum BLAS {
    /// Loads OpenBLAS now, so that a missing library is reported as an error instead of ending the
    /// process at the first GEMM. Idempotent.
    public static func load() throws(BLASLoadError) {
        if let error = sp_blas_load() { throw BLASLoadError(message: String(cString: error)) }
    }

    /// Checks that the file at `path` is a usable (32-bit-integer) OpenBLAS without keeping it
    /// loaded: nil when it is, otherwise the error ``load()`` would report.
    public static func probe(path: String) -> String? {
        sp_blas_probe(path).map { String(cString: $0) }
    }

    /// The kernel set OpenBLAS runs and who chose it, e.g. `"SkylakeX (chosen by softprompt: …)"`.
    public static var coreChoice: String { String(cString: sp_blas_core_choice()) }

    /// True when the loaded kernels use 512-bit vectors (the FMA peak is then measured with them).
    public static var usesAVX512: Bool { sp_blas_uses_avx512() != 0 }

    /// True when the CPU and OS support AVX-512 F, DQ, CD, BW and VL.
    public static var cpuHasAVX512: Bool { sp_cpu_has_avx512() != 0 }

    /// What the loader does with `OPENBLAS_CORETYPE` before OpenBLAS starts.
    public enum CoreDecision: Equatable, Sendable {
        /// Leave it as it is (OpenBLAS's own choice).
        case leave(reason: String)
        /// Set it to `core` while OpenBLAS loads.
        case set(core: String, reason: String)
        /// Remove it while OpenBLAS loads.
        case unset(reason: String)
        /// Refuse to load: `message` says why.
        case error(message: String)
    }

    /// The loader's decision for `SOFTPROMPT_BLAS_CORE` = `mode` and `OPENBLAS_CORETYPE` = `user`
    /// (nil: unset) on a CPU with or without AVX-512; the rule applied by ``load()``.
    public static func chooseCore(mode: String?, user: String?, avx512: Bool) -> CoreDecision {
        var want = [CChar](repeating: 0, count: 64), how = [CChar](repeating: 0, count: 256)
        let action = sp_blas_choose_core(mode, user, avx512 ? 1 : 0, &want, want.count, &how, how.count)
        let reason = String(cString: how), core = String(cString: want)
        switch Int(action) {
        case Int(SP_CORE_SET): return .set(core: core, reason: reason)
        case Int(SP_CORE_UNSET): return .unset(reason: reason)
        case Int(SP_CORE_LEAVE): return .leave(reason: reason)
        default: return .error(message: reason)
        }
    }

    /// Number of threads OpenBLAS uses for one call. Defaults to all cores; set it once at start-up
    /// (``Runtime/configure(threads:)`` does) so that OpenBLAS and ``ThreadPool`` never oversubscribe.
    public static var threads: Int {
        get { Int(sp_blas_get_num_threads()) }
        set {
            override.withLock { state in
                state.saved = max(1, newValue)
                if state.depth == 0 { sp_blas_set_num_threads(Int32(state.saved)) }
            }
        }
    }

    /// True when OpenBLAS runs with the configured thread count or a ``singleThreaded(_:)`` region
    /// is active (tests check the kernels never leave the count changed).
    public static var threadCountIsConsistent: Bool {
        override.withLock { state in
            state.depth > 0 || Int(sp_blas_get_num_threads()) == (state.saved == 0 ? Int(sp_blas_get_num_threads()) : state.saved)
        }
    }

    /// Runs `body` with OpenBLAS single-threaded (for BLAS calls made from our own pool's threads),
    /// then restores the configured count. Reference-counted: overlapping callers on different
    /// threads restore only when the last one leaves.
    public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        override.withLock { state in
            if state.depth == 0 {
                if state.saved == 0 { state.saved = Int(sp_blas_get_num_threads()) }
                sp_blas_set_num_threads(1)
            }
            state.depth += 1
        }
        defer {
            override.withLock { state in
                state.depth -= 1
                if state.depth == 0 { sp_blas_set_num_threads(Int32(state.saved)) }
            }
        }
        return try body()
    }

    /// `saved`: the configured thread count (0 until first known).
    private struct Override: Sendable { var depth = 0; var saved = 0 }
    private static let override = Mutex(Override())

    /// OpenBLAS's build configuration and the kernel set it runs, with who chose it, e.g.
    /// `"OpenBLAS 0.3.21 … core=Zen (OpenBLAS's detection)"`.
    public static var configuration: String {
        String(cString: sp_blas_config()) + " core=" + coreChoice
    }

    /// C[M,N] = alpha · op(A)·op(B) + beta · C, all row-major.
    ///
    /// - Parameters:
    ///   - transA: false: A is [M,K] with leading dimension `lda`; true: A is stored [K,M].
    ///   - transB: false: B is [K,N] with leading dimension `ldb`; true: B is stored [N,K].
    @inlinable
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS leaves C scaled by beta; do the same explicitly (some builds skip it).
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        sp_sgemm(transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                 beta, c, Int32(ldc))
    }

    /// C[M,N] = alpha·A[M,K]·op(B) + beta·C with the rows of C split over ``ThreadPool/shared``, each
    /// part one single-threaded OpenBLAS call (A not transposed).
    ///
    /// On the training shapes (M ≈ 2,000, K, N = 768…3,072) two independent half-height GEMMs run
    /// 2–5 % faster than one two-thread OpenBLAS call, which synchronises its threads on shared
    /// packed panels (they wait in `sched_yield`). Each part packs B itself, so a very wide B (the LM
    /// head) is better left to ``sgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``.
    /// With fewer than 256 rows per thread the columns of C are split instead (N ≥ 128 per thread).
    /// Falls back to that call when both are small, B has over 2²³ elements or the pool has one
    /// thread. When the pool is busy (a call from inside a pool task, or a concurrent caller) the
    /// same parts run one after another on the calling thread, so the result never depends on
    /// what else is running.
    public static func sgemmSplitRows(
        transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let parts = splitParts
        guard parts > 1, n * k <= 1 << 23, m >= 256 * parts || n >= 128 * parts else {
            sgemm(transA: false, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                  beta: beta, c: c, ldc: ldc)
            return
        }
        if m < 256 * parts {
            // A few rows (a soft prompt's, a short prefill): split the columns instead, so that the
            // work stays on the pool's threads (OpenBLAS's own threads would spin next to them).
            splitColumns(parts, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                         beta: beta, c: c, ldc: ldc)
            return
        }
        runParts(parts) { p in
            // Row boundaries on multiples of 32 (whole micro-kernel tiles). Finer, dynamically taken
            // blocks measured no better: each block packs B again.
            let r0 = (m * p / parts) & ~31, r1 = p == parts - 1 ? m : (m * (p + 1) / parts) & ~31
            sgemm(transA: false, transB: transB, m: r1 - r0, n: n, k: k, alpha: alpha, a: a + r0 * lda, lda: lda,
                  b: b, ldb: ldb, beta: beta, c: c + r0 * ldc, ldc: ldc)
        }
    }

    /// C[M,N] = A[M,K]·B[N,K]ᵀ + beta·C with the columns of C (the rows of B) split over
    /// ``ThreadPool/shared``, each part one single-threaded OpenBLAS call.
    ///
    /// For a very wide B (the LM head's `[V, C]` vocabulary matrix): each thread streams only its
    /// part of B, and OpenBLAS's own threads stay asleep (left spinning after a call, they would
    /// compete with the pool's threads in the next kernel). Falls back to one call when N is small or
    /// the pool has one thread; a busy pool runs the same parts serially.
    public static func sgemmSplitColumns(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let parts = splitParts
        guard parts > 1, n >= 1024 * parts else {
            sgemm(transA: false, transB: true, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                  c: c, ldc: ldc)
            return
        }
        splitColumns(parts, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                     c: c, ldc: ldc)
    }

    /// C[M,N] = A[M,K]·B[K,N] + beta·C with the inner dimension K split over ``ThreadPool/shared``:
    /// part p multiplies its slice of A's columns and B's rows single-threaded, into C (part 0) or a
    /// scratch `[M, N]` (the others), which are then added to C.
    ///
    /// For the LM head's backward (K = V, the vocabulary): each thread reads its part of the `[V, C]`
    /// matrix and of the `[M, V]` logit gradient. Falls back to one call when K is small or the pool
    /// has one thread; a busy pool runs the same parts serially.
    public static func sgemmSplitInner(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let parts = splitParts
        guard parts > 1, k >= 1024 * parts else {
            sgemm(transA: false, transB: false, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                  c: c, ldc: ldc)
            return
        }
        ScratchCache.shared.with((parts - 1) * m * n) { scratch in
            runParts(parts) { p in
                let k0 = (k * p / parts) & ~63, k1 = p == parts - 1 ? k : (k * (p + 1) / parts) & ~63
                let (out, ld) = p == 0 ? (c, ldc) : (scratch + (p - 1) * m * n, n)
                sgemm(transA: false, transB: false, m: m, n: n, k: k1 - k0, a: a + k0, lda: lda, b: b + k0 * ldb,
                      ldb: ldb, beta: p == 0 ? beta : 0, c: out, ldc: ld)
            }
            // C += Σ partials, rows split over the pool.
            runParts(parts) { p in
                for i in (m * p / parts)..<(m * (p + 1) / parts) {
                    let row = c + i * ldc
                    for q in 0..<(parts - 1) {
                        let s = scratch + q * m * n + i * n
                        for j in 0..<n { row[j] += s[j] }
                    }
                }
            }
        }
    }

    /// Parts of a split GEMM: the pool's threads, at most OpenBLAS's configured count.
    private static var splitParts: Int { min(ThreadPool.shared.threads, threads) }

    /// Runs `body(p)` for p in 0..<parts on the pool with OpenBLAS single-threaded (one after
    /// another on this thread when the pool is busy, so the parts, and the result, are the same).
    private static func runParts(_ parts: Int, _ body: (Int) -> Void) {
        singleThreaded { ThreadPool.shared.run(parts: parts, body) }
    }

    /// C[:, c0..<c1] = alpha·A·op(B)[:, c0..<c1] + beta·C[:, c0..<c1] for each part's columns.
    private static func splitColumns(
        _ parts: Int, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        runParts(parts) { p in
            let c0 = (n * p / parts) & ~15, c1 = p == parts - 1 ? n : (n * (p + 1) / parts) & ~15
            sgemm(transA: false, transB: transB, m: m, n: c1 - c0, k: k, alpha: alpha, a: a, lda: lda,
                  b: transB ? b + c0 * ldb : b + c0, ldb: ldb, beta: beta, c: c + c0, ldc: ldc)
        }
    }

    /// y[M] = alpha · op(A)·x + beta · y with A row-major [M,N] (or [N,M] when `trans`).
    @inlinable
    public static func sgemv(
        trans: Bool, rows: Int, cols: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        if rows == 0 || cols == 0 { return }
        sp_sgemv(trans ? 1 : 0, Int32(rows), Int32(cols), alpha, a, Int32(lda), x, beta, y)
    }
}
