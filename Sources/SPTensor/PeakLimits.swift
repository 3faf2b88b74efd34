// The machine's other limits: the bf16 dot-product peak and the read bandwidth (`bench peak`).

import CBLAS

extension Peak {
    /// True when the CPU runs AVX512-BF16 (`vdpbf16ps`).
    public static var cpuHasBF16: Bool { LinearBF16.isAvailable }

    /// GFLOPS of a register-resident loop of 12 independent 512-bit `vdpbf16ps` chains (64 flops
    /// each: 16 lanes × 2 products × multiply-add) on `threads` threads; nil without AVX512-BF16.
    ///
    /// Measured in short bursts (about a millisecond each) for `seconds`, the best burst kept: on a
    /// shared machine a long run measures the other processes too.
    public static func bf16GFLOPS(threads: Int, seconds: Double = 0.5) -> Double? {
        guard cpuHasBF16 else { return nil }
        return bestBurst(threads: threads, seconds: seconds, flopsPerCall: 100_000 * 12 * 64) { _ in
            sp_bf16_dp_loop(100_000)
        }
    }

    /// The float32 FMA peak measured like ``bf16GFLOPS(threads:seconds:)`` (short bursts, best
    /// kept), with the vector width ``fmaGFLOPS(threads:seconds:repeats:)`` uses.
    public static func fmaBurstGFLOPS(threads: Int, seconds: Double = 0.5) -> Double {
        let wide = BLAS.usesAVX512 && BLAS.cpuHasAVX512
        let n = 100_000
        return bestBurst(threads: threads, seconds: seconds, flopsPerCall: Double(n) * 12 * (wide ? 32 : 16)) { _ in
            wide ? sp_fma_loop_avx512(n) : fmaLoop(n)
        }
    }

    /// Read bandwidth in GB/s (10⁹ bytes/s): `threads` threads each summing its own buffer of
    /// `bytesPerThread` (default 64 MiB, beyond the caches) with 256-bit loads; best pass of `seconds`.
    public static func readBandwidthGBs(threads: Int, bytesPerThread: Int = 64 << 20, seconds: Double = 1) -> Double {
        let floats = max(64, bytesPerThread / 4 / 64 * 64)
        let buffers = (0..<threads).map { _ in
            UnsafeMutableRawPointer.allocate(byteCount: floats * 4, alignment: 64).bindMemory(to: Float.self,
                                                                                          capacity: floats)
        }
        defer { for b in buffers { b.deallocate() } }
        let pool = ThreadPool(threads: threads)
        pool.run(parts: threads) { p in buffers[p].initialize(repeating: 1, count: floats) }  // touch every page
        let avx2 = sp_cpu_has_avx2() != 0
        return bestBurst(threads: threads, seconds: seconds, flopsPerCall: Double(floats * 4), pool: pool) { p in
            avx2 ? sp_read_sum_avx2(buffers[p], floats) : UnsafeBufferPointer(start: buffers[p], count: floats).reduce(0, +)
        }
    }

    /// Runs `body` on `threads` threads at once, repeatedly for `seconds`; returns the best rate in
    /// units of 10⁹ per second, `flopsPerCall` counted per thread per call.
    static func bestBurst(threads: Int, seconds: Double, flopsPerCall: Double, pool: ThreadPool? = nil,
                          _ body: (Int) -> Float) -> Double {
        let pool = pool ?? ThreadPool(threads: threads)
        let sink = UnsafeMutablePointer<Float>.allocate(capacity: threads)
        sink.initialize(repeating: 0, count: threads)
        defer { sink.deallocate() }
        var best = 0.0
        let start = Clock.now()
        var rounds = 0
        repeat {
            let t0 = Clock.now()
            pool.run(parts: threads) { p in sink[p] += body(p) }
            best = max(best, flopsPerCall * Double(threads) / (Clock.now() - t0) / 1e9)
            rounds += 1
        } while rounds < 3 || Clock.now() - start < seconds
        return best
    }
}
