// float32 `pow` exactly as PyTorch's CPU kernel computes it, for the few places where a model derives
// constants with `base ** tensor` (RoPE inverse frequencies, ALiBi slopes) and a 1-ulp difference
// would be amplified (an inverse frequency is multiplied by positions in the thousands).
//
// PyTorch's elementwise CPU loop (aten/src/ATen/native/cpu/Loops.h, `vectorized_loop`) runs the
// vector kernel over whole chunks of 2·Vec::size() elements and the scalar kernel over the rest.
// For float `pow` the vector kernel is SLEEF's `xpowf` (u10, FMA build; sleef src/libm/sleefsimdsp.c)
// and the scalar kernel is `std::pow(float, float)`, i.e. glibc `powf`. The two differ by one ulp on
// ~1 % of inputs, so which element lands in which part matters. Vec::size() is 16 floats with
// AVX-512 and 8 with AVX2 (identical SLEEF results, measured); the DEFAULT build has no SLEEF.

#if canImport(Glibc)
import Glibc
#endif

/// PyTorch-compatible float32 power functions (internal to the kernels).
enum TorchPow {
    /// Elements per vectorised chunk of PyTorch's CPU loops on this machine (32 with AVX-512, 16 with
    /// AVX2+FMA, 0 without SLEEF), detected like PyTorch's `get_cpu_capability()`; the
    /// `ATEN_CPU_CAPABILITY` environment variable lowers it as it does for PyTorch.
    static let vectorChunk: Int = detectChunk()

    /// `base ** exponents` for a float32 tensor of exponents (or a 0-dim float32 base broadcast over
    /// them), element by element as PyTorch computes it.
    static func pow(base: Float, exponents: [Float], chunk: Int = vectorChunk) -> [Float] {
        let vectorized = chunk > 0 ? exponents.count / chunk * chunk : 0
        return exponents.enumerated().map { i, e in
            i < vectorized ? sleefPowf(base, e) : Glibc.powf(base, e)
        }
    }

    // MARK: SLEEF xpowf, scalar transcription of the FMA (AVX2/AVX-512) build

    /// A double-float value `x + y` (|y| ≤ ulp(x)/2).
    private struct DF { var x: Float; var y: Float }

    private static func f(_ bits: UInt32) -> Float { Float(bitPattern: bits) }

    /// SLEEF `xpowf` for the inputs PyTorch feeds it here: finite `x`, finite `y`.
    static func sleefPowf(_ x: Float, _ y: Float) -> Float {
        if y == 0 || x == 1 { return 1 }
        if x.isNaN || y.isNaN { return .nan }
        if x == 0 || x.isInfinite || y.isInfinite { return Glibc.powf(x, y) }  // SLEEF agrees with C99 here
        let yIsInt = y.rounded(.towardZero) == y || abs(y) > Float(1 << 24)
        let yIsOdd = yIsInt && abs(y) < Float(1 << 24) && (Int32(y) & 1) == 1
        var r = expk(dfmul(logk(abs(x)), y))
        if r.isNaN { r = .infinity }
        if x < 0 { r *= yIsInt ? (yIsOdd ? -1 : 1) : .nan }
        return r
    }

    private static func logk(_ dIn: Float) -> DF {
        var d = dIn
        let tiny = d < Float.leastNormalMagnitude
        if tiny { d *= Float(1 << 32) * Float(1 << 32) }
        var e = ilogb2k(d * f(0x3FAA_AAAB))               // d · (1.0f/0.75f)
        let m = Float(bitPattern: UInt32(bitPattern: Int32(bitPattern: d.bitPattern) &+ ((-e) &<< 23)))
        if tiny { e -= 64 }
        let x = dfdiv(dfadd2(-1, m), dfadd2(1, m))
        let x2 = dfsqu(x)
        var t = f(0x3E76_168A)                              // 0.240320354700088500976562
        t = f(0x3E91_FA4A).addingProduct(t, x2.x)          // 0.285112679004669189453125
        t = f(0x3ECC_CDD9).addingProduct(t, x2.x)          // 0.400007992982864379882812
        let c = DF(x: f(0x3F2A_AAAA), y: f(0x317D_B383))     // 0.66666662693, 3.6918386e-09
        var s = dfmul(DF(x: f(0x3F31_7218), y: f(0xB102_E308)), Float(e))   // ln 2 as a double-float
        s = dfadd(s, DF(x: x.x * 2, y: x.y * 2))
        s = dfadd(s, dfmul(dfmul(x2, x), dfadd2(dfmul(x2, t), c)))
        return s
    }

    private static func expk(_ d: DF) -> Float {
        let u0 = (d.x + d.y) * f(0x3FB8_AA3B)              // R_LN2f = 1/ln 2
        let q = Int32(u0.rounded(.toNearestOrEven))
        var s = dfadd2(d, Float(q) * -f(0x3F31_7200))      // L2Uf
        s = dfadd2(s, Float(q) * -f(0x35BF_BE8E))          // L2Lf
        s = dfnormalize(s)
        var u = f(0x3AB2_AEF6)
        u = f(0x3C09_116B).addingProduct(u, s.x)
        u = f(0x3D2A_AF4C).addingProduct(u, s.x)
        u = f(0x3E2A_AA5E).addingProduct(u, s.x)
        u = f(0x3EFF_FFFB).addingProduct(u, s.x)
        var t = dfadd(s, dfmul(dfsqu(s), u))
        t = dfadd(1, t)
        let r = ldexp(t.x + t.y, q)
        return d.x < -104 ? 0 : r
    }

    // SLEEF's vilogb2k: the biased exponent field minus 127 (d is normal here).
    private static func ilogb2k(_ d: Float) -> Int32 { Int32((d.bitPattern >> 23) & 0xFF) - 0x7F }

    // SLEEF's vldexp_vf_vf_vi2, exact for every result that is not subnormal.
    private static func ldexp(_ x: Float, _ q: Int32) -> Float {
        var m = q >> 31
        m = (((m &+ q) >> 6) &- m) &<< 4
        let qq = q &- (m &<< 2)
        m = m &+ 0x7F
        m = m > 0 ? m : 0
        m = m > 0xFF ? 0xFF : m
        var u = Float(bitPattern: UInt32(m) << 23)
        var r = x * u * u * u * u
        u = Float(bitPattern: UInt32(bitPattern: (qq &+ 0x7F) &<< 23))
        r = r * u
        return r
    }

    // MARK: double-float arithmetic (sleef src/common/df.h, ENABLE_FMA_SP branch)

    private static func dfnormalize(_ t: DF) -> DF {
        let s = t.x + t.y
        return DF(x: s, y: (t.x - s) + t.y)
    }
    private static func dfadd2(_ x: Float, _ y: Float) -> DF {
        let s = x + y, v = s - x
        return DF(x: s, y: (x - (s - v)) + (y - v))
    }
    private static func dfadd2(_ x: DF, _ y: Float) -> DF {
        let s = x.x + y, v = s - x.x
        let t = (x.x - (s - v)) + (y - v)
        return DF(x: s, y: t + x.y)
    }
    private static func dfadd2(_ x: DF, _ y: DF) -> DF {
        let s = x.x + y.x, v = s - x.x
        let t = (x.x - (s - v)) + (y.x - v)
        return DF(x: s, y: t + (x.y + y.y))
    }
    private static func dfadd(_ x: Float, _ y: DF) -> DF {
        let s = x + y.x
        return DF(x: s, y: ((x - s) + y.x) + y.y)
    }
    private static func dfadd(_ x: DF, _ y: DF) -> DF {
        let s = x.x + y.x
        return DF(x: s, y: (((x.x - s) + y.x) + x.y) + y.y)
    }
    private static func dfdiv(_ n: DF, _ d: DF) -> DF {
        let t = 1 / d.x
        let s = n.x * t
        let u = (-s).addingProduct(t, n.x)                          // fmapn(t, n.x, s)
        let v = Float(1).addingProduct(-d.x, t)                     // fmanp(d.x, t, 1)
        let v2 = v.addingProduct(-d.y, t)                           // fmanp(d.y, t, v)
        return DF(x: s, y: u.addingProduct(n.y, t).addingProduct(s, v2))
    }
    private static func dfsqu(_ x: DF) -> DF {
        let s = x.x * x.x
        return DF(x: s, y: ((-s).addingProduct(x.x, x.x)).addingProduct(x.x + x.x, x.y))
    }
    private static func dfmul(_ x: DF, _ y: DF) -> DF {
        let s = x.x * y.x
        let inner = (-s).addingProduct(x.x, y.x)
        return DF(x: s, y: inner.addingProduct(x.y, y.x).addingProduct(x.x, y.y))
    }
    private static func dfmul(_ x: DF, _ y: Float) -> DF {
        let s = x.x * y
        return DF(x: s, y: ((-s).addingProduct(x.x, y)).addingProduct(x.y, y))
    }

    // MARK: CPU capability

    private static func detectChunk() -> Int {
        let flags = cpuFlags()
        var level = 0
        if flags.contains("avx2") && flags.contains("fma") { level = 1 }
        if level == 1 && ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(flags.contains) {
            level = 2
        }
        if let raw = getenv("ATEN_CPU_CAPABILITY") {
            switch String(cString: raw).lowercased() {
            case "default": level = 0
            case "avx2": level = min(level, 1)
            default: break
            }
        }
        return [0, 16, 32][level]
    }

    private static func cpuFlags() -> Set<String> {
        guard let file = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var cap = 0
        defer { free(line) }
        while getline(&line, &cap, file) > 0, let line {
            let text = String(cString: line)
            if text.hasPrefix("flags") {
                let parts = text.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { return [] }
                return Set(parts[1].split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
            }
        }
        return []
    }
}
