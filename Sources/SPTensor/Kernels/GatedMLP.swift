// Gated MLP core: h = act(gate) ⊙ up, fused, forward and backward to gate and up.
// SwiGLU (Llama `down_proj(act_fn(gate_proj(x)) * up_proj(x))`, act = silu) and GeGLU
// (T5 gated-gelu `hidden_gelu = self.act(self.wi_0(h)); hidden_states = hidden_gelu * hidden_linear`,
// act = gelu_new) are the same kernel with a different ``Activation``.

/// Fused `act(gate) ⊙ up` for SwiGLU / GeGLU feed-forward blocks.
///
/// Layouts: gate and up are separate `[rows, cols]` matrices, each with its own row stride, so both
/// separate projections (`gate_proj`, `up_proj`) and one fused projection whose output rows are
/// `[gate | up]` (Phi-3 `gate_up_proj` followed by `chunk(2, dim=-1)`: gate = `p`, up = `p + cols`,
/// stride `2·cols`) are handled without copies. Element-interleaved layouts (`[g0, u0, g1, u1, …]`)
/// are not supported; no supported architecture uses them.
public enum GatedMLP {
    /// h[R,F] = act(gate[R,F]) ⊙ up[R,F]
    ///
    /// - Parameters:
    ///   - gate, up: inputs with row strides `gateStride`, `upStride` (default `cols`).
    ///   - h: output with row stride `outStride` (default `cols`); may alias `gate` or `up` when the
    ///     strides agree.
    public static func forward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                               _ h: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                               activation: Activation, gateStride: Int? = nil, upStride: Int? = nil,
                               outStride: Int? = nil) {
        let s = Strides(cols: cols, gate: gateStride, up: upStride, out: outStride)
        activation.dispatch(GatedForward(gate: gate, up: up, h: h, rows: rows, cols: cols, s: s))
    }

    /// h[n] = bf16(bf16(act(gate)) ⊙ up), dense: a bf16 model's `act_fn(gate_proj(x)) * up_proj(x)`
    /// (transformers' gated MLPs in bfloat16: the activation output is a bf16 tensor, and so is the
    /// product). `gate` and `up` should hold bf16 values (bf16 Linear outputs); `h` may alias neither.
    public static func forwardBF16(gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                                   _ h: UnsafeMutablePointer<Float>, count n: Int, activation: Activation) {
        activation.forward(gate, h, count: n)
        LinearBF16.roundToBF16(h, count: n)
        for i in 0..<n { h[i] *= up[i] }
        LinearBF16.roundToBF16(h, count: n)
    }

    /// dGate[R,F] (+)= dh ⊙ up ⊙ act′(gate),  dUp[R,F] (+)= dh ⊙ act(gate)
    ///
    /// - Parameters:
    ///   - dh: upstream gradient `[rows, cols]`, row stride `outStride` (default `cols`).
    ///   - gate, up: the forward inputs (strides as in ``forward(gate:up:_:rows:cols:activation:gateStride:upStride:outStride:)``).
    ///   - dGate, dUp: gradients, written with the gate / up strides (so a fused `[dGate | dUp]`
    ///     buffer feeds the fused projection's backward directly). They may alias `gate` / `up`
    ///     (each element is read before it is written). Overwritten unless `accumulate`.
    public static func backward(_ dh: UnsafePointer<Float>, gate: UnsafePointer<Float>,
                                up: UnsafePointer<Float>, dGate: UnsafeMutablePointer<Float>,
                                dUp: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                                activation: Activation, gateStride: Int? = nil, upStride: Int? = nil,
                                outStride: Int? = nil, accumulate: Bool = false) {
        let s = Strides(cols: cols, gate: gateStride, up: upStride, out: outStride)
        activation.dispatch(GatedBackward(dh: dh, gate: gate, up: up, dGate: dGate, dUp: dUp,
                                          rows: rows, cols: cols, s: s, accumulate: accumulate))
    }
}

private struct Strides {
    let gate: Int, up: Int, out: Int
    init(cols: Int, gate: Int?, up: Int?, out: Int?) {
        self.gate = gate ?? cols
        self.up = up ?? cols
        self.out = out ?? cols
        precondition(self.gate >= cols && self.up >= cols && self.out >= cols,
                     "row strides must be ≥ cols (\(cols))")
    }
}

private struct GatedForward: ActivationVisitor {
    let gate: UnsafePointer<Float>, up: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>
    let rows: Int, cols: Int, s: Strides
    func visit<A: PointwiseActivation>(_ a: A.Type) {
        Chunking.rows(rows, cols: cols) { range in
            for r in range {
                let g = gate + r * s.gate, u = up + r * s.up, o = h + r * s.out
                var i = 0
                while i + 8 <= cols {
                    VectorMath.store(A.value(VectorMath.load(g, i)) * VectorMath.load(u, i), o, i)
                    i += 8
                }
                let rest = cols - i
                if rest > 0 {
                    let gv = VectorMath.load(g, i, count: rest, fill: 0)
                    let uv = VectorMath.load(u, i, count: rest, fill: 0)
                    VectorMath.store(A.value(gv) * uv, o, i, count: rest)
                }
            }
        }
    }
}

private struct GatedBackward: ActivationVisitor {
    let dh: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>
    let dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>
    let rows: Int, cols: Int, s: Strides, accumulate: Bool

    @inline(__always)
    func lanes<A: PointwiseActivation>(_ a: A.Type, _ dhv: SIMD8<Float>, _ gv: SIMD8<Float>,
                                       _ uv: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        let (f, fp) = A.valueAndDerivative(gv)
        return ((dhv * uv) * fp, dhv * f)   // autograd order: (dh·up)·act′(gate), dh·act(gate)
    }

    func visit<A: PointwiseActivation>(_ a: A.Type) {
        Chunking.rows(rows, cols: cols) { range in
            for r in range {
                let d = dh + r * s.out, g = gate + r * s.gate, u = up + r * s.up
                let dg = dGate + r * s.gate, du = dUp + r * s.up
                var i = 0
                while i + 8 <= cols {
                    var (vg, vu) = lanes(A.self, VectorMath.load(d, i), VectorMath.load(g, i),
                                         VectorMath.load(u, i))
                    if accumulate {
                        vg += VectorMath.load(dg, i)
                        vu += VectorMath.load(du, i)
                    }
                    VectorMath.store(vg, dg, i)
                    VectorMath.store(vu, du, i)
                    i += 8
                }
                let rest = cols - i
                if rest > 0 {
                    var (vg, vu) = lanes(A.self, VectorMath.load(d, i, count: rest, fill: 0),
                                         VectorMath.load(g, i, count: rest, fill: 0),
                                         VectorMath.load(u, i, count: rest, fill: 0))
                    if accumulate {
                        vg += VectorMath.load(dg, i, count: rest, fill: 0)
                        vu += VectorMath.load(du, i, count: rest, fill: 0)
                    }
                    VectorMath.store(vg, dg, i, count: rest)
                    VectorMath.store(vu, du, i, count: rest)
                }
            }
        }
    }
}
