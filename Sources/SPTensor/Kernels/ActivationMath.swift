// Per-lane math of each Activation case: f(x) and f′(x) on SIMD8<Float>. The loops that apply
// them (Activation.swift, GatedMLP.swift) are generic over these types and get specialised.
//
// Sigmoid-based forms use VectorMath.logistic: s = σ(a·x) and 1 − s computed as e·s, with no
// cancellation for either sign of x.

private typealias F8 = SIMD8<Float>

/// The lane math of one activation.
protocol PointwiseActivation {
    /// f(x)
    static func value(_ x: SIMD8<Float>) -> SIMD8<Float>
    /// (f(x), f′(x)), sharing the transcendental work.
    static func valueAndDerivative(_ x: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>)
}

extension PointwiseActivation {
    /// f′(x)
    @inline(__always)
    static func derivative(_ x: SIMD8<Float>) -> SIMD8<Float> { valueAndDerivative(x).1 }
}

@inline(__always) private func ones(where m: SIMDMask<SIMD8<Int32>>) -> F8 {
    F8(repeating: 0).replacing(with: 1, where: m)
}

/// ½x(1 + erf(x/√2)) = ½x·erfc(−x/√2); f′ = Φ(x) + x·φ(x).
struct GeluErf: PointwiseActivation {
    @inline(__always) static func value(_ x: SIMD8<Float>) -> SIMD8<Float> {
        0.5 * x * VectorMath.erfc(x * -0.70710678118654752)
    }
    @inline(__always) static func valueAndDerivative(_ x: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        let cdf = 0.5 * VectorMath.erfc(x * -0.70710678118654752)
        let pdf = VectorMath.exp(x * x * -0.5) * 0.39894228040143268   // 1/√(2π)
        return (x * cdf, cdf.addingProduct(x, pdf))
    }
}

/// ½x(1 + tanh(u)), u = √(2/π)(x + 0.044715x³), computed as x·σ(2u).
/// f′ = s + 2x·s(1 − s)·√(2/π)(1 + 3·0.044715x²) with s = σ(2u).
struct GeluTanh: PointwiseActivation {
    static let c: Float = 0.79788456080286536, k: Float = 0.044715
    @inline(__always) static func inner(_ x: SIMD8<Float>) -> SIMD8<Float> {
        c * x.addingProduct(k, x * x * x)
    }
    @inline(__always) static func value(_ x: SIMD8<Float>) -> SIMD8<Float> {
        x * VectorMath.logistic(2 * inner(x)).0
    }
    @inline(__always) static func valueAndDerivative(_ x: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        let (s, oneMinusS) = VectorMath.logistic(2 * inner(x))
        let du = c * F8(repeating: 1).addingProduct(3 * k, x * x)
        return (x * s, s.addingProduct(2 * x * s * oneMinusS, du))
    }
}

/// clip(gelu(x), −10, 10) (transformers `ClippedGELUActivation(-10, 10)` over the erf GELU).
struct Gelu10: PointwiseActivation {
    @inline(__always) static func value(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var g = GeluErf.value(x)
        g.replace(with: 10, where: g .> 10)
        g.replace(with: -10, where: g .< -10)
        return g
    }
    @inline(__always) static func valueAndDerivative(_ x: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        var (g, d) = GeluErf.valueAndDerivative(x)
        // torch clamp backward passes the gradient where min ≤ g ≤ max.
        d.replace(with: 0, where: (g .> 10) .| (g .< -10))
        g.replace(with: 10, where: g .> 10)
        g.replace(with: -10, where: g .< -10)
        return (g, d)
    }
}

/// x·σ(1.702x).
struct QuickGelu: PointwiseActivation {
    @inline(__always) static func value(_ x: SIMD8<Float>) -> SIMD8<Float> {
        x * VectorMath.logistic(1.702 * x).0
    }
    @inline(__always) static func valueAndDerivative(_ x: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        let (s, oneMinusS) = VectorMath.logistic(1.702 * x)
        return (x * s, s.addingProduct(1.702 * x * s, oneMinusS))
    }
}

/// max(x, 0); f′(0) = 0 as in torch's `threshold_backward`.
struct Relu: PointwiseActivation {
    @inline(__always) static func value(_ x: SIMD8<Float>) -> SIMD8<Float> {
        x.replacing(with: 0, where: x .< 0)
    }
    @inline(__always) static func valueAndDerivative(_ x: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        (value(x), ones(where: x .> 0))
    }
}

/// max(x, 0)² (transformers `ReLUSquaredActivation`).
struct Relu2: PointwiseActivation {
    @inline(__always) static func value(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let r = Relu.value(x)
        return r * r
    }
    @inline(__always) static func valueAndDerivative(_ x: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        let r = Relu.value(x)
        return (r * r, 2 * r)
    }
}

/// min(max(x, 0), 6); f′ = 1 only for 0 < x < 6 (torch `hardtanh_backward`).
struct Relu6: PointwiseActivation {
    @inline(__always) static func value(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var r = x.replacing(with: 0, where: x .< 0)
        r.replace(with: 6, where: r .> 6)
        return r
    }
    @inline(__always) static func valueAndDerivative(_ x: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        (value(x), ones(where: (x .> 0) .& (x .< 6)))
    }
}

/// x·σ(x) (SiLU / swish).
struct Silu: PointwiseActivation {
    @inline(__always) static func value(_ x: SIMD8<Float>) -> SIMD8<Float> {
        x * VectorMath.logistic(x).0
    }
    @inline(__always) static func valueAndDerivative(_ x: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        let (s, oneMinusS) = VectorMath.logistic(x)
        return (x * s, s.addingProduct(x * s, oneMinusS))
    }
}

/// σ(x); f′ = σ(x)(1 − σ(x)) with 1 − σ from e·σ (torch's `(1 − y)·y` cancels for large x).
struct Sigmoid: PointwiseActivation {
    @inline(__always) static func value(_ x: SIMD8<Float>) -> SIMD8<Float> { VectorMath.logistic(x).0 }
    @inline(__always) static func valueAndDerivative(_ x: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        let (s, oneMinusS) = VectorMath.logistic(x)
        return (s, s * oneMinusS)
    }
}

/// tanh(x); f′ = 1 − tanh²(x), computed as 4σ(2x)(1 − σ(2x)) (no cancellation for large |x|,
/// where torch's `1 − y²` loses digits).
struct Tanh: PointwiseActivation {
    @inline(__always) static func value(_ x: SIMD8<Float>) -> SIMD8<Float> { VectorMath.tanh(x) }
    @inline(__always) static func valueAndDerivative(_ x: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        let (s, c) = VectorMath.logistic(2 * x)
        return (VectorMath.tanh(x, s, c), 4 * s * c)
    }
}

/// x (transformers `linear`).
struct Identity: PointwiseActivation {
    @inline(__always) static func value(_ x: SIMD8<Float>) -> SIMD8<Float> { x }
    @inline(__always) static func valueAndDerivative(_ x: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        (x, F8(repeating: 1))
    }
}
