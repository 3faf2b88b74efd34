// Rotary position embeddings (RoPE): inverse frequencies for the rope types of transformers'
// modeling_rope_utils.py (v5.23), the cos/sin tables its `*RotaryEmbedding.forward` builds, and the
// rotation applied in place to q/k (forward) or to their gradients (backward = rotation by −θ).
// Every step is done in float32 in the same operation order as PyTorch, so tables match to the ulp.

#if canImport(Glibc)
import Glibc
#endif

/// The `rope_parameters` / `rope_scaling` of a model config, already decoded (the config reader fills it).
public struct RopeScaling: Sendable, Equatable {
    /// `rope_type` values this package implements.
    public enum Kind: String, Sendable, CaseIterable {
        case `default`, linear, dynamic, llama3
    }

    /// The rope type.
    public var kind: Kind
    /// `factor` (linear, dynamic, llama3).
    public var factor: Double
    /// `low_freq_factor` (llama3).
    public var lowFreqFactor: Double
    /// `high_freq_factor` (llama3).
    public var highFreqFactor: Double
    /// `original_max_position_embeddings` (llama3).
    public var originalMaxPositionEmbeddings: Int

    /// Plain RoPE without scaling.
    public static let none = RopeScaling(kind: .default)

    /// A scaling value; fields a kind does not use are ignored.
    public init(kind: Kind, factor: Double = 1, lowFreqFactor: Double = 1, highFreqFactor: Double = 4,
                originalMaxPositionEmbeddings: Int = 8192) {
        self.kind = kind
        self.factor = factor
        self.lowFreqFactor = lowFreqFactor
        self.highFreqFactor = highFreqFactor
        self.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings
    }

    /// Validates decoded config fields: `type` is the `rope_type` (or legacy `type`) string and every
    /// field the type needs must be present.
    ///
    /// - Throws: ``RopeScalingError`` naming the missing or invalid field.
    public init(type: String, factor: Double?, lowFreqFactor: Double? = nil, highFreqFactor: Double? = nil,
                originalMaxPositionEmbeddings: Int? = nil) throws(RopeScalingError) {
        guard let kind = Kind(rawValue: type) else { throw .unsupportedType(type) }
        func need<V>(_ v: V?, _ name: String) throws(RopeScalingError) -> V {
            guard let v else { throw .missingField(type: type, field: name) }
            return v
        }
        switch kind {
        case .default:
            self.init(kind: .default)
        case .linear, .dynamic:
            let f = try need(factor, "factor")
            guard f > 0, f.isFinite else { throw .invalidField(field: "factor", value: "\(f)") }
            self.init(kind: kind, factor: f)
        case .llama3:
            let f = try need(factor, "factor")
            let lo = try need(lowFreqFactor, "low_freq_factor")
            let hi = try need(highFreqFactor, "high_freq_factor")
            let om = try need(originalMaxPositionEmbeddings, "original_max_position_embeddings")
            guard f > 0, lo > 0, hi > lo, om > 0 else {
                throw .invalidField(field: "llama3 rope parameters",
                                    value: "factor \(f), low \(lo), high \(hi), original_max \(om)")
            }
            self.init(kind: .llama3, factor: f, lowFreqFactor: lo, highFreqFactor: hi,
                      originalMaxPositionEmbeddings: om)
        }
    }
}

/// A rope configuration that cannot be used.
public enum RopeScalingError: Error, Equatable, CustomStringConvertible {
    /// `rope_type` is not one of ``RopeScaling/Kind``.
    case unsupportedType(String)
    /// The type needs a field the config lacks.
    case missingField(type: String, field: String)
    /// A field has an impossible value.
    case invalidField(field: String, value: String)

    /// The message: the field at fault and what config.json needs.
    public var description: String {
        switch self {
        case .unsupportedType(let t):
            return "rope_scaling: unsupported rope_type '\(t)' (supported: "
                + RopeScaling.Kind.allCases.map(\.rawValue).joined(separator: ", ") + ")"
        case .missingField(let t, let f):
            return "rope_scaling: rope_type '\(t)' needs field '\(f)' in config.json"
        case .invalidField(let f, let v):
            return "rope_scaling: invalid \(f): \(v)"
        }
    }
}

/// Rotary position embeddings.
public enum Rotary {
    /// How the rotated pairs are laid out in a head vector.
    public enum Style: Sendable {
        /// transformers' `rotate_half` (Llama, GPT-NeoX, Mistral…): pairs `(d, d + R/2)`.
        case halves
        /// GPT-J / `rotate_every_two`: pairs `(2k, 2k + 1)`.
        case interleaved
    }

    /// `int(head_dim * partial_rotary_factor)`, the number of rotated dimensions R.
    public static func rotaryDim(headDim: Int, partialRotaryFactor: Double = 1) -> Int {
        Int(Double(headDim) * partialRotaryFactor)
    }

    /// inv_freq[R/2] for the given rope type, as transformers computes it.
    ///
    /// - Parameters:
    ///   - rotaryDim: R (even); the exponents are `arange(0, R, 2) / R`.
    ///   - base: `rope_theta`.
    ///   - maxPositionEmbeddings: `max_position_embeddings` (used by `dynamic`).
    ///   - seqLen: for `dynamic`, `max(position_ids) + 1` of the current forward. transformers keeps the
    ///     largest seq_len seen so far (`max_seq_len_cached`) and resets once it drops below the
    ///     original length; pass that tracked value to reproduce a long-running module exactly. At or
    ///     below `maxPositionEmbeddings` the result equals the unscaled frequencies.
    public static func inverseFrequencies(rotaryDim: Int, base: Double, scaling: RopeScaling = .none,
                                          maxPositionEmbeddings: Int = 2048, seqLen: Int? = nil) -> [Float] {
        inverseFrequencies(rotaryDim: rotaryDim, base: base, scaling: scaling,
                           maxPositionEmbeddings: maxPositionEmbeddings, seqLen: seqLen, chunk: TorchPow.vectorChunk)
    }

    /// The same with PyTorch's pow vector chunk given (tests replay fixtures made on another CPU).
    static func inverseFrequencies(rotaryDim: Int, base: Double, scaling: RopeScaling, maxPositionEmbeddings: Int,
                                   seqLen: Int?, chunk: Int) -> [Float] {
        precondition(rotaryDim > 0 && rotaryDim % 2 == 0, "rotary dim \(rotaryDim) must be even and > 0")
        let dim = rotaryDim
        // torch.arange(0, dim, 2).float() / dim
        let exponents = stride(from: 0, to: dim, by: 2).map { Float($0) / Float(dim) }
        // 1.0 / (base ** exponents)   (Python's 1.0 / t is t.reciprocal() * 1.0)
        func invFreq(_ b: Float) -> [Float] {
            TorchPow.pow(base: b, exponents: exponents, chunk: chunk).map { 1 / $0 }
        }

        switch scaling.kind {
        case .default:
            return invFreq(Float(base))
        case .linear:
            let f = Float(scaling.factor)
            return invFreq(Float(base)).map { $0 / f }
        case .dynamic:
            let maxPos = maxPositionEmbeddings
            guard let seqLen, seqLen > maxPos else {
                // At init (seq_len = max_position_embeddings) the rescale is computed in Python floats.
                let d = Double(dim), f = scaling.factor
                let b = base * Glibc.pow(f * Double(maxPos) / Double(maxPos) - (f - 1), d / (d - 2))
                return invFreq(Float(b))
            }
            // In the forward pass seq_len is an int64 tensor, so the rescale runs in float32:
            // base * ((factor * seq_len / max_pos) - (factor - 1)) ** (dim / (dim - 2))
            let f = Float(scaling.factor)
            let ratio = f * Float(seqLen) / Float(maxPos) - Float(scaling.factor - 1)
            // Tensor ** Python float on one element takes PyTorch's scalar path, std::pow(float, double),
            // which computes in double and rounds once.
            let p = Float(Glibc.pow(Double(ratio), Double(dim) / Double(dim - 2)))
            return invFreq(Float(base) * p)
        case .llama3:
            return llama3(invFreq(Float(base)), scaling)
        }
    }

    /// transformers `_compute_llama3_parameters` after the plain inv_freq, op by op in float32.
    private static func llama3(_ inv: [Float], _ s: RopeScaling) -> [Float] {
        let factor = Float(s.factor)
        let old = Float(s.originalMaxPositionEmbeddings)
        let lowWavelen = Float(Double(s.originalMaxPositionEmbeddings) / s.lowFreqFactor)
        let highWavelen = Float(Double(s.originalMaxPositionEmbeddings) / s.highFreqFactor)
        let twoPi = Float(2 * Double.pi)
        let lowF = Float(s.lowFreqFactor), span = Float(s.highFreqFactor - s.lowFreqFactor)
        return inv.map { f in
            let wavelen = (1 / f) * twoPi                          // 2 * math.pi / inv_freq
            var g = wavelen > lowWavelen ? f / factor : f           // torch.where(wavelen > low, inv/factor, inv)
            let smooth = ((1 / wavelen) * old - lowF) / span        // (old / wavelen - low) / (high - low)
            let smoothed = (1 - smooth) * g / factor + smooth * g
            if !(wavelen < highWavelen) && !(wavelen > lowWavelen) { g = smoothed }
            return g
        }
    }

    /// cos[N, R/2], sin[N, R/2] for N = B·T positions: θ = Float(position)·inv_freq (float32 product),
    /// then cos/sin in float32. transformers concatenates (freqs, freqs); the halves are identical, so
    /// only one is stored.
    public static func cosSin(inverseFrequencies inv: [Float], positions: UnsafePointer<Int32>, count: Int,
                              cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>) {
        let half = inv.count
        inv.withUnsafeBufferPointer { f in
            Parallel.forRange(count, grain: max(1, 4096 / max(1, half))) { range in
                for n in range {
                    let p = Float(positions[n])
                    for k in 0..<half {
                        let theta = p * f[k]
                        cos[n * half + k] = Glibc.cosf(theta)
                        sin[n * half + k] = Glibc.sinf(theta)
                    }
                }
            }
        }
    }

    /// In place: x(b,t,h,:R) ← rotate by θ(b,t)   x [B, T, H, HD] strided, cos/sin [B·T, R/2]
    ///
    /// `q_embed = q·cos + rotate_half(q)·sin` on the first R dims; dims R..<HD are untouched.
    /// - Parameters:
    ///   - x: the heads to rotate, e.g. the q or k slice of a fused qkv buffer.
    ///   - batch, tokens, heads, headDim: B, T, H, HD.
    ///   - rotaryDim: R ≤ HD, even.
    ///   - cos, sin: tables from ``cosSin(inverseFrequencies:positions:count:cos:sin:)`` for the B·T
    ///     positions in (b, t) order.
    ///   - bf16: as transformers rotates bf16 q/k (a model cast to bfloat16): cos and sin rounded to
    ///     bf16 (`cos.to(x.dtype)`), each of the two products rounded, their sum rounded.
    public static func forward(_ x: MutableHeadsView, batch: Int, tokens: Int, heads: Int, headDim: Int,
                               rotaryDim: Int, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
                               style: Style = .halves, bf16: Bool = false) {
        if bf16 {
            rotateBF16(x, batch, tokens, heads, headDim, rotaryDim, cos, sin, style)
        } else {
            rotate(x, batch, tokens, heads, headDim, rotaryDim, cos, sin, style, sign: 1)
        }
    }

    /// ``forward(_:batch:tokens:heads:headDim:rotaryDim:cos:sin:style:bf16:)`` with `bf16`:
    /// x1' = bf16(bf16(x1·c) + bf16(−x2·s)), x2' = bf16(bf16(x2·c) + bf16(x1·s)), c and s bf16.
    private static func rotateBF16(_ x: MutableHeadsView, _ B: Int, _ T: Int, _ H: Int, _ HD: Int, _ R: Int,
                                   _ cos: UnsafePointer<Float>, _ sin: UnsafePointer<Float>, _ style: Style) {
        precondition(R > 0 && R % 2 == 0 && R <= HD, "rotary dim \(R) for head dim \(HD)")
        let half = R / 2
        @inline(__always) func r(_ v: Float) -> Float { BF16Compute.round(v) }
        Parallel.forRange(B * T, grain: max(1, 2048 / max(1, H * R))) { range in
            for n in range {
                let (b, t) = n.quotientAndRemainder(dividingBy: T)
                let c = cos + n * half, s = sin + n * half
                for h in 0..<H {
                    let v = x.data + b * x.layout.batch + t * x.layout.token + h * x.layout.head
                    // (i, j): the pair rotated together; halves: (k, k + half), interleaved: (2k, 2k + 1).
                    for k in 0..<half {
                        let (i, j) = style == .halves ? (k, k + half) : (2 * k, 2 * k + 1)
                        let x1 = v[i], x2 = v[j], ck = r(c[k]), sk = r(s[k])
                        v[i] = r(r(x1 * ck) + r(-x2 * sk))
                        v[j] = r(r(x2 * ck) + r(x1 * sk))
                    }
                }
            }
        }
    }

    /// In place: dx ← rotate dy by −θ   (the transpose of the forward rotation)
    ///
    /// The rotation is orthogonal, so the input gradient is the upstream gradient rotated back; the
    /// untouched dims R..<HD pass through. Same arguments as the forward.
    public static func backward(_ dx: MutableHeadsView, batch: Int, tokens: Int, heads: Int, headDim: Int,
                                rotaryDim: Int, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
                                style: Style = .halves) {
        rotate(dx, batch, tokens, heads, headDim, rotaryDim, cos, sin, style, sign: -1)
    }

    private static func rotate(_ x: MutableHeadsView, _ B: Int, _ T: Int, _ H: Int, _ HD: Int, _ R: Int,
                               _ cos: UnsafePointer<Float>, _ sin: UnsafePointer<Float>, _ style: Style,
                               sign: Float) {
        precondition(R > 0 && R % 2 == 0 && R <= HD, "rotary dim \(R) for head dim \(HD)")
        let half = R / 2
        Parallel.forRange(B * T, grain: max(1, 2048 / max(1, H * R))) { range in
            for n in range {
                let (b, t) = n.quotientAndRemainder(dividingBy: T)
                let c = cos + n * half, s = sin + n * half
                for h in 0..<H {
                    let v = x.data + b * x.layout.batch + t * x.layout.token + h * x.layout.head
                    switch style {
                    case .halves:
                        // (x1, x2) ← (x1·c + (−x2)·s, x2·c + x1·s): rotate_half = cat(−x2, x1)
                        for k in 0..<half {
                            let x1 = v[k], x2 = v[k + half], sk = sign * s[k]
                            v[k] = x1 * c[k] + (-x2) * sk
                            v[k + half] = x2 * c[k] + x1 * sk
                        }
                    case .interleaved:
                        // rotate_every_two: (x[2k], x[2k+1]) ← (x0·c − x1·s, x1·c + x0·s)
                        for k in 0..<half {
                            let x0 = v[2 * k], x1 = v[2 * k + 1], sk = sign * s[k]
                            v[2 * k] = x0 * c[k] + (-x1) * sk
                            v[2 * k + 1] = x1 * c[k] + x0 * sk
                        }
                    }
                }
            }
        }
    }
}
