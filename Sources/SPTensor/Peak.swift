// Measures this machine's float32 FMA peak, the yardstick for every GFLOPS figure we print.

import CBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Measured floating-point peak of this machine.
public enum Peak {
    /// GFLOPS reached by a register-resident loop of independent FMAs on `threads` threads
    /// (12 chains per thread hide the FMA latency). Best of `repeats`.
    ///
    /// The vectors are as wide as OpenBLAS's kernels: 16 lanes (32 flops per FMA) when it runs its
    /// AVX-512 kernels (``BLAS/usesAVX512``), otherwise 8 lanes (16 flops).
    public static func fmaGFLOPS(threads: Int, seconds: Double = 0.3, repeats: Int = 3) -> Double {
        let wide = BLAS.usesAVX512 && BLAS.cpuHasAVX512  // never run AVX-512 on a CPU without it
        let iterations = 4_000_000, flopsPerRound = wide ? 12.0 * 32 : 12.0 * 16
        var best = 0.0
        for _ in 0..<repeats {
            let pool = ThreadPool(threads: threads)
            let sink = UnsafeMutablePointer<Float>.allocate(capacity: threads)
            defer { sink.deallocate() }
            let t0 = Clock.now()
            var rounds = 0
            repeat {
                pool.run(parts: threads) { p in
                    sink[p] += wide ? sp_fma_loop_avx512(iterations) : fmaLoop(iterations)
                }
                rounds += 1
            } while Clock.now() - t0 < seconds
            let dt = Clock.now() - t0
            let flops = Double(rounds * threads * iterations) * flopsPerRound
            best = max(best, flops / dt / 1e9)
        }
        return best
    }

    @inline(never)
    static func fmaLoop(_ n: Int) -> Float {
        typealias F8 = SIMD8<Float>
        let a = F8(repeating: 0.999_999), b = F8(repeating: 1e-7)
        var c0 = F8(repeating: 1), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0
        var c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0
        for _ in 0..<n {
            c0 = c0.addingProduct(c0, a) ; c1 = c1.addingProduct(c1, a) ; c2 = c2.addingProduct(c2, a)
            c3 = c3.addingProduct(c3, a) ; c4 = c4.addingProduct(c4, a) ; c5 = c5.addingProduct(c5, a)
            c6 = c6.addingProduct(c6, b) ; c7 = c7.addingProduct(c7, b) ; c8 = c8.addingProduct(c8, b)
            c9 = c9.addingProduct(c9, b) ; c10 = c10.addingProduct(c10, b) ; c11 = c11.addingProduct(c11, b)
        }
        let s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11
        return s.sum()
    }
}

/// Monotonic wall clock in seconds.
public enum Clock {
    /// Seconds since an arbitrary fixed point.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
