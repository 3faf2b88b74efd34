// llama.cpp's float arithmetic outside the weight products (`--activations q8`): the F16 KV cache
// and ggml-cpu's flash-attention kernel (Sources/CBLAS/ggml_ops.c), as llama.cpp's default context
// runs them on the CPU. Approximate like the Q8 activations themselves: results are llama.cpp's.
// Every op runs the best kernel set (AVX-512, AVX2 + FMA + F16C, or the baseline ISA: same bits) and
// splits its rows (attention: its (token, head) pairs) over the pool when they are many; a `level`
// argument forces one set (tests).

import CBLAS

/// ggml-cpu's float kernels, re-derived from llama.cpp's source, for ``Weight/q8Activations`` models.
public enum GGMLArithmetic {
    /// The best kernel set this CPU runs: 2 AVX-512, 1 AVX2 + FMA + F16C, 0 the baseline ISA (the
    /// scalar definition: soft-float half conversions, libm `fmaf`).
    public static var maxLevel: Int { Int(sp_ggml_max_level()) }

    /// x[0..<n] rounded to IEEE half and back, to nearest even (llama.cpp's F16 K/V cache entries).
    public static func roundF16(_ x: UnsafeMutablePointer<Float>, count n: Int, level: Int = -1) {
        sp_ggml_round_f16_at(Int32(level), x, n)
    }

    /// ggml-cpu's flash attention over an F16 KV cache for one batch row: q rounded to f16, scores by
    /// `ggml_vec_dot_f16` (its AVX-512 lane order), online softmax with `expf`, the output accumulated
    /// in f16 (`ggml_vec_scale_f16`, `ggml_vec_mad_f16`), then divided by the sum.
    ///
    /// Query i (absolute position `past + i`) and head h see keys j ≤ past + i with `keyMask[j] ≠ 0`
    /// (nil: all) and, with a `window`, j > past + i − window; head h reads kv head h / (heads / kvHeads).
    ///
    /// `ggufRotary` r > 0: q and k are the HF-order rows of a llama GGUF (whose converter made rotary
    /// pairs adjacent); the scores are summed in the file's order (dim 2i + j ↔ HF dim j·r/2 + i), as
    /// llama.cpp sums them.
    ///
    /// The (token, head) pairs are independent: with enough work they are split over the pool in parts
    /// of equal key counts; the bits do not depend on it. `parts` (tests) cuts them into that many parts
    /// the same way and runs them one after another on the calling thread.
    ///
    /// Shapes: q `[tokens, qStride]` (heads · headDim used, head-major), k and v `[keys, kvStride]`
    /// (values already f16, see ``roundF16(_:count:level:)``), out `[tokens, outStride]`. `out` may be `q`.
    public static func flashAttention(q: UnsafePointer<Float>, qStride: Int, tokens: Int, heads: Int, kvHeads: Int,
                                      headDim: Int, k: UnsafePointer<Float>, v: UnsafePointer<Float>, kvStride: Int,
                                      keyMask: UnsafePointer<Float>?, past: Int, window: Int?, scale: Float,
                                      ggufRotary: Int = 0, out: UnsafeMutablePointer<Float>, outStride: Int,
                                      level: Int = -1, parts forced: Int? = nil) {
        let pairs = tokens * heads
        guard pairs > 0 else { return }
        func run(_ p0: Int, _ p1: Int) {
            sp_ggml_flash_attn_f16_pairs(Int32(level), q, qStride, Int32(heads), Int32(kvHeads), Int32(headDim), k, v,
                                         kvStride, keyMask, Int32(past), Int32(window ?? 0), scale, Int32(ggufRotary), out,
                                         outStride, p0, p1)
        }
        // Work of pair p (token i): the keys it visits, past + i + 1 (fewer with a window).
        func keys(_ p: Int) -> Int {
            let a = past + p / heads + 1
            if let window, window > 0 { return min(a, window) }
            return a
        }
        let total = tokens == 1 ? heads * keys(0) : (0..<tokens).reduce(0) { $0 + heads * keys($1 * heads) }
        let parts = min(forced ?? ThreadPool.shared.threads, pairs, forced != nil || total * headDim >= 1 << 16 ? pairs : 1)
        if parts <= 1 { return run(0, pairs) }
        // Cut the pairs where the running key count passes each part's share (later queries see more keys).
        var cuts = [Int](repeating: pairs, count: parts + 1)
        cuts[0] = 0
        var acc = 0, next = 1
        for p in 0..<pairs where next < parts {
            acc += keys(p)
            if acc * parts >= total * next { cuts[next] = p + 1; next += 1 }
        }
        if forced != nil {
            for i in 0..<parts { run(cuts[i], cuts[i + 1]) }
        } else {
            ThreadPool.shared.run(parts: parts) { i in run(cuts[i], cuts[i + 1]) }
        }
    }

    /// ggml's RMSNorm followed by its weight product, per row: squares summed in double, the mean
    /// rounded to float, y = x · (1 / sqrtf(mean + eps)) · w. Shapes: x, y `[rows, cols]`, w `[cols]`.
    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>,
                               rows: Int, cols: Int, eps: Float, level: Int = -1) {
        Parallel.forRange(rows, grain: max(1, (1 << 14) / max(1, cols))) { r in
            sp_ggml_rms_norm_rows(Int32(level), x, weight, y, r.lowerBound, r.upperBound, cols, eps)
        }
    }

    /// `ggml_vec_swiglu_f32` per row as llama.cpp's AVX-512 build runs it: y = silu(gate) · up with
    /// silu(x) = x / (1 + e(−x)), e = `ggml_v_expf` (a polynomial, not libm) on 16-lane blocks and libm
    /// `expf` on the leftover lanes. Shapes: gate, up, y `[rows, cols]`.
    public static func swiglu(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                              rows: Int, cols: Int, level: Int = -1) {
        Parallel.forRange(rows, grain: max(1, (1 << 14) / max(1, cols))) { r in
            sp_ggml_swiglu_rows(Int32(level), gate, up, y, r.lowerBound, r.upperBound, cols)
        }
    }

    /// ggml's rotary tables without scaling (`ggml_rope_cache_init`): theta = position, multiplied by
    /// powf(base, −2/dims) once per pair; `cosf`/`sinf`. Shapes: positions `[count]`, cos and sin
    /// `[count, dims/2]`.
    public static func ropeTables(positions: UnsafePointer<Int32>, count: Int, dims: Int, base: Float,
                                  cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>) {
        sp_ggml_rope_tables(positions, count, Int32(dims), base, cos, sin)
    }

    /// Rotates one head vector x[0..<dims] in place as ggml's `rotate_pairs`: pairs (i, i + dims/2)
    /// (`interleaved`: (2i, 2i + 1)); d0 = fma(x0, c, −x1·s), d1 = fma(x0, s, x1·c).
    public static func rope(_ x: UnsafeMutablePointer<Float>, dims: Int, interleaved: Bool,
                            cos: UnsafePointer<Float>, sin: UnsafePointer<Float>, level: Int = -1) {
        sp_ggml_rope_apply_at(Int32(level), x, Int32(dims), interleaved ? 1 : 0, cos, sin)
    }

    /// ``rope(_:dims:interleaved:cos:sin:level:)`` on every head of `rows` token rows: head h of row t at
    /// `x + t·tokenStride + h·headStride`, with the tables' row t (`[rows, dims/2]` each).
    public static func ropeRows(_ x: UnsafeMutablePointer<Float>, rows: Int, tokenStride: Int, heads: Int, headStride: Int,
                                dims: Int, interleaved: Bool, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
                                level: Int = -1) {
        Parallel.forRange(rows, grain: max(1, (1 << 13) / max(1, heads * dims))) { r in
            sp_ggml_rope_rows(Int32(level), x, tokenStride, headStride, Int32(heads), r.lowerBound, r.upperBound,
                              Int32(dims), interleaved ? 1 : 0, cos, sin)
        }
    }
}
