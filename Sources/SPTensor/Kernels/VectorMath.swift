// SIMD8 building blocks shared by the elementwise kernels: unaligned and partial loads/stores,
// polynomial exp / erfc / tanh, and the rule for when a kernel goes parallel.
//
// Why polynomials: libm `expf`/`tanhf` through Glibc cost 20–35 ns per element, the polynomial forms
// ~1 ns (docs/ARCHITECTURE.md "Kernels"; cpu_numerics §4.3–4.4). The module is compiled for
// x86-64-v3, so `addingProduct` is one `vfmadd` (without FMA it would be a libm call per lane).
// The transcendental helpers are `@_transparent`: with `@inline(__always)` the optimiser left
// `exp` as an out-of-line call inside the specialised activation loops (SIMD8 then crosses the
// call as two xmm halves), which cost ~40 % in GELU.

private typealias F8 = SIMD8<Float>

/// Vector math on `SIMD8<Float>` used by the kernels (internal).
enum VectorMath {
    /// Lanes `i..<i+8` of `p` (no alignment needed).
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Lanes `i..<i+count` of `p` (`count < 8`), the other lanes set to `fill`.
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int, count: Int, fill: Float) -> SIMD8<Float> {
        var v = SIMD8<Float>(repeating: fill)
        for j in 0..<count { v[j] = p[i + j] }
        return v
    }

    /// Stores all 8 lanes at `p + i`.
    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// Stores the first `count` lanes at `p + i`.
    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int, count: Int) {
        for j in 0..<count { p[i + j] = v[j] }
    }

    /// |x| by clearing the sign bit.
    @_transparent
    static func abs(_ x: SIMD8<Float>) -> SIMD8<Float> {
        unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: SIMD8<Float>.self)
    }

    /// eˣ, Cephes `expf` polynomial (≤ 2 ulp on the normal range).
    ///
    /// Inputs below −87.34 (where eˣ leaves the normal range) give exactly 0, so masked `-inf` logits
    /// contribute nothing; inputs above 88.38 saturate at ≈ 2.4e38 instead of `inf`, which keeps
    /// `1/(1+e)` and `e·s` finite in the sigmoid-based derivatives. NaN stays NaN.
    @_transparent
    static func exp(_ xIn: SIMD8<Float>) -> SIMD8<Float> {
        let lo: Float = -87.3365447504019, hi: Float = 88.3762626647949
        var x = xIn
        x.replace(with: lo, where: x .< lo)
        x.replace(with: hi, where: x .> hi)
        // t = 1.5·2²³ + x·log2(e): the float addition rounds x·log2(e) to the integer n held in t's
        // low mantissa bits, with no float→int conversion (which would block vectorisation).
        let t = F8(repeating: 12_582_912).addingProduct(x, 1.44269504088896341)
        let n = t - 12_582_912
        // r = x − n·ln2, ln2 split in two parts so the product is exact.
        let r = x.addingProduct(n, -0.693359375).addingProduct(n, 2.12194440e-4)
        var p = F8(repeating: 1.9875691500e-4)
        p = F8(repeating: 1.3981999507e-3).addingProduct(p, r)
        p = F8(repeating: 8.3334519073e-3).addingProduct(p, r)
        p = F8(repeating: 4.1665795894e-2).addingProduct(p, r)
        p = F8(repeating: 1.6666665459e-1).addingProduct(p, r)
        p = F8(repeating: 5.0000001201e-1).addingProduct(p, r)
        p = (r + 1).addingProduct(p, r * r)
        // 2ⁿ from the integer bits of t: (n + 127) << 23.
        let bits = (unsafeBitCast(t, to: SIMD8<UInt32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        var y = p * unsafeBitCast(bits, to: F8.self)
        y.replace(with: 0, where: xIn .< lo)
        return y
    }

    /// erfc(z) with fractional error ≈ 3e-7 in float32 for every z (Numerical Recipes `erfcc`,
    /// a Chebyshev fit t·exp(−z² + P(t)), t = 1/(1 + |z|/2), fractional error < 1.2e-7 in exact
    /// arithmetic). Being accurate *relative to erfc* keeps GELU's left tail (x·erfc(−x/√2) with
    /// x ≪ 0) accurate, where 1 + erf(x) would cancel.
    @_transparent
    static func erfc(_ z: SIMD8<Float>) -> SIMD8<Float> {
        let a = abs(z)
        let t = 1 / F8(repeating: 1).addingProduct(a, 0.5)
        var p = F8(repeating: 0.17087277)
        p = F8(repeating: -0.82215223).addingProduct(p, t)
        p = F8(repeating: 1.48851587).addingProduct(p, t)
        p = F8(repeating: -1.13520398).addingProduct(p, t)
        p = F8(repeating: 0.27886807).addingProduct(p, t)
        p = F8(repeating: -0.18628806).addingProduct(p, t)
        p = F8(repeating: 0.09678418).addingProduct(p, t)
        p = F8(repeating: 0.37409196).addingProduct(p, t)
        p = F8(repeating: 1.00002368).addingProduct(p, t)
        p = F8(repeating: -1.26551223).addingProduct(p, t)
        let e = t * exp(p.addingProduct(-a, a))          // exponent −z² + P(t), one rounding
        return e.replacing(with: 2 - e, where: z .< 0)   // erfc(−z) = 2 − erfc(z)
    }

    /// tanh(x): Cephes `tanhf` odd polynomial for |x| < 0.625 (no cancellation near 0), else
    /// σ(2x) − (1 − σ(2x)) from ``logistic(_:)`` (accurate for both signs, exactly ±1 far out).
    @_transparent
    static func tanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let (s, c) = logistic(2 * x)
        return tanh(x, s, c)
    }

    /// tanh(x) given (s, c) = logistic(2x).
    @_transparent
    static func tanh(_ x: SIMD8<Float>, _ s: SIMD8<Float>, _ c: SIMD8<Float>) -> SIMD8<Float> {
        let z = x * x
        var p = F8(repeating: -5.70498872745e-3)
        p = F8(repeating: 2.06390887954e-2).addingProduct(p, z)
        p = F8(repeating: -5.37397155531e-2).addingProduct(p, z)
        p = F8(repeating: 1.33314422036e-1).addingProduct(p, z)
        p = F8(repeating: -3.33332819422e-1).addingProduct(p, z)
        let small = x.addingProduct(x * z, p)
        return (s - c).replacing(with: small, where: abs(x) .< 0.625)
    }

    /// (σ(a), 1 − σ(a)) without cancellation for either sign: e = e^(−a), σ = 1/(1 + e),
    /// 1 − σ = e·σ. Where e saturates (a < −88.38) the pair is exactly (0, 1), which also keeps
    /// denormals out of the products.
    @_transparent
    static func logistic(_ a: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        let e = exp(-a)
        var s = 1 / (1 + e)
        var c = e * s
        let saturated = a .< -88.3762626647949
        s.replace(with: 0, where: saturated)
        c.replace(with: 1, where: saturated)
        return (s, c)
    }
}

/// When a kernel goes parallel: at ≥ 64 Ki elements of work (below that the pool's wake-up costs
/// more than the second core saves; cpu_numerics §5.1).
enum Chunking {
    /// Elements of work from which a kernel uses the thread pool.
    static let parallelThreshold = 1 << 16

    /// Runs `body` over row ranges of a `[rows, cols]` problem: one call on the caller's thread when
    /// the problem is small, else contiguous row blocks of at least ~32 Ki elements on the pool.
    @inline(__always)
    static func rows(_ rows: Int, cols: Int, _ body: (Range<Int>) -> Void) {
        if rows * cols < parallelThreshold || rows < 2 {
            if rows > 0 { body(0..<rows) }
            return
        }
        Parallel.forRange(rows, grain: max(1, (parallelThreshold / 2) / max(1, cols)), body)
    }

    /// Runs `body` over element ranges of `0..<n` whose bounds are multiples of 8 (except `n`).
    @inline(__always)
    static func elements(_ n: Int, _ body: (Range<Int>) -> Void) {
        if n < parallelThreshold {
            if n > 0 { body(0..<n) }
            return
        }
        let blocks = (n + 7) / 8
        Parallel.forRange(blocks, grain: parallelThreshold / 16) { b in
            body((b.lowerBound * 8)..<Swift.min(n, b.upperBound * 8))
        }
    }
}

/// Row reductions with 8-lane accumulators (a plain Swift float sum does not vectorise).
enum RowMath {
    /// Σ x[0..<n]
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var a = SIMD8<Float>(), b = SIMD8<Float>()
        var i = 0
        while i + 16 <= n { a += VectorMath.load(x, i); b += VectorMath.load(x, i + 8); i += 16 }
        if i + 8 <= n { a += VectorMath.load(x, i); i += 8 }
        if i < n { b += VectorMath.load(x, i, count: n - i, fill: 0) }
        return (a + b).sum()
    }

    /// max x[0..<n] (NaN lanes may be skipped; callers see NaN through the exponentials instead).
    /// Compare-and-blend rather than stdlib `pointwiseMax`, which is not inlined (a call per vector).
    @inline(__always)
    static func max(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var a = SIMD8<Float>(repeating: -.infinity), b = a
        var i = 0
        while i + 16 <= n {
            let u = VectorMath.load(x, i), v = VectorMath.load(x, i + 8)
            a.replace(with: u, where: u .> a)
            b.replace(with: v, where: v .> b)
            i += 16
        }
        if i + 8 <= n { let u = VectorMath.load(x, i); a.replace(with: u, where: u .> a); i += 8 }
        if i < n {
            let v = VectorMath.load(x, i, count: n - i, fill: -.infinity)
            b.replace(with: v, where: v .> b)
        }
        a.replace(with: b, where: b .> a)
        var m = a[0]
        for j in 1..<8 where a[j] > m { m = a[j] }
        return m
    }

    /// Σ (x − m)²
    @inline(__always)
    static func sumSquaredDeviation(_ x: UnsafePointer<Float>, _ n: Int, from m: Float) -> Float {
        var a = SIMD8<Float>()
        var i = 0
        while i + 8 <= n { let d = VectorMath.load(x, i) - m; a = a.addingProduct(d, d); i += 8 }
        if i < n {
            let d = (VectorMath.load(x, i, count: n - i, fill: m) - m)
            a = a.addingProduct(d, d)
        }
        return a.sum()
    }

    /// Σ x²
    @inline(__always)
    static func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        sumSquaredDeviation(x, n, from: 0)
    }

    /// Σ a·b
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var s = SIMD8<Float>(), t = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            s = s.addingProduct(VectorMath.load(a, i), VectorMath.load(b, i))
            t = t.addingProduct(VectorMath.load(a, i + 8), VectorMath.load(b, i + 8))
            i += 16
        }
        if i + 8 <= n { s = s.addingProduct(VectorMath.load(a, i), VectorMath.load(b, i)); i += 8 }
        if i < n {
            t = t.addingProduct(VectorMath.load(a, i, count: n - i, fill: 0),
                                VectorMath.load(b, i, count: n - i, fill: 0))
        }
        return (s + t).sum()
    }
}
