// Row-invariant linear layers for continuous batching. A row's `Linear.forward` result normally
// depends on how many rows share the call: one row takes the GEMV path; OpenBLAS picks a "small
// matrix" SGEMM kernel, with another summation order, below a size threshold (M·N·K of about 10⁶
// or less); and `BLAS.sgemmSplitRows` splits the columns into a number of parts that depends on the
// global OpenBLAS thread count, which another thread's attention call may have lowered. While
// this flag is set on the calling thread, an f32 linear layer is one plain SGEMM call over at
// least `minimumWork / (N·K)` rows (zero rows added when the call has fewer), on OpenBLAS's
// regular kernels, which give every row the same bits whatever the row count and thread count.
// `BatchSchedulerTests` compares rows decoded together and alone bit for bit.

#if canImport(Glibc)
import Glibc
#endif

/// A per-thread switch that makes `Linear.forward`'s result for a row independent of the row count.
public enum RowInvariance {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        precondition(pthread_key_create(&k, nil) == 0, "pthread_key_create failed")
        return k
    }()

    /// M·N·K every SGEMM call reaches (rows are added to smaller calls), above OpenBLAS's
    /// small-matrix threshold.
    public static let minimumWork = 1 << 22

    /// True on a thread inside ``with(_:)``.
    public static var isOn: Bool { pthread_getspecific(key) != nil }

    /// Runs `body` with row-invariant linear layers (on this thread).
    public static func with<T>(_ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(key, previous) }
        return try body()
    }

    /// Rows a call of `m` rows runs with: at least 2 and at least `minimumWork / (n·k)`.
    static func rows(m: Int, n: Int, k: Int) -> Int {
        max(m, 2, (minimumWork + n * k - 1) / max(1, n * k))
    }

    /// y[m, N] (+)= x[m, K]·Wᵀ (+ b) as one SGEMM over ``rows(m:n:k:)`` rows; W `[N, K]`, or
    /// `[K, N]` when `transposed` (Conv1D).
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, transposed: Bool, n: Int, k: Int,
                        bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>, m: Int, accumulate: Bool, ldy: Int) {
        let r = rows(m: m, n: n, k: k)
        let beta: Float = accumulate || bias != nil ? 1 : 0
        if r == m {
            if !accumulate, let bias { for i in 0..<m { (y + i * ldy).update(from: bias, count: n) } }
            BLAS.sgemm(transA: false, transB: !transposed, m: m, n: n, k: k, a: x, lda: k, b: w, ldb: transposed ? n : k,
                       beta: beta, c: y, ldc: ldy)
            if accumulate, let bias { Linear.addBias(y, bias, m: m, n: n, ldy: ldy) }
            return
        }
        var xs = [Float](repeating: 0, count: r * k), ys = [Float](repeating: 0, count: r * n)
        xs.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: x, count: m * k) }
        ys.withUnsafeMutableBufferPointer { c in
            let c = c.baseAddress!
            for i in 0..<m {
                if accumulate {
                    (c + i * n).update(from: y + i * ldy, count: n)
                } else if let bias {
                    (c + i * n).update(from: bias, count: n)
                }
            }
            xs.withUnsafeBufferPointer { a in
                BLAS.sgemm(transA: false, transB: !transposed, m: r, n: n, k: k, a: a.baseAddress!, lda: k,
                           b: w, ldb: transposed ? n : k, beta: beta, c: c, ldc: n)
            }
            if accumulate, let bias { Linear.addBias(c, bias, m: m, n: n) }
            for i in 0..<m { (y + i * ldy).update(from: c + i * n, count: n) }
        }
    }
}
