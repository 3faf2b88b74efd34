// llama.cpp's arithmetic on block weights (`--activations q8`): each activation row is quantized
// per block to the weight format's ggml `vec_dot_type` (Q8_0, Q8_1 or Q8_K), then every product is
// an integer block dot product with ggml-cpu's float steps (Sources/CBLAS/quant_dot_q8.c). Faster
// to decode and approximate: results are llama.cpp's, not the dequantized float32 model's.

import CBLAS
import Synchronization

/// Products of Q8-quantized activations with ggml block weight rows.
public enum QuantDotQ8 {
    /// The activation block kind of a weight format: 0 Q8_0 (Q4_0, Q5_0, Q8_0), 1 Q8_1 (Q4_1, Q5_1),
    /// 2 Q8_K (Q4_K, Q5_K, Q6_K), as ggml-cpu's type traits pair them.
    public static func activationKind(_ format: BlockFormat) -> Int { Int(sp_q8_act_kind(format.cFormat)) }

    /// Bytes of one activation row of `k` elements quantized for `format`.
    public static func activationBytes(_ format: BlockFormat, k: Int) -> Int {
        Int(sp_q8_act_bytes(sp_q8_act_kind(format.cFormat), k))
    }

    /// Quantizes x[0..<k] for `format` into `out` (``activationBytes(_:k:)`` bytes), as ggml-cpu does
    /// on x86: Q8_0/Q8_1 d = max|x|/127 (f16), q = round-half-even(x·127/max|x|), Q8_1 s = f16(d·Σq);
    /// Q8_K `quantize_row_q8_K_ref` (f32 d, per-16 sums).
    /// `level` forces a kernel set (tests: 2 AVX-512, 0 the scalar definition); -1 = best. Every level
    /// gives the same bytes.
    public static func quantize(_ format: BlockFormat, _ x: UnsafePointer<Float>, k: Int, into out: UnsafeMutableRawPointer,
                                level: Int = -1) {
        sp_q8_quantize_at(Int32(level), sp_q8_act_kind(format.cFormat), x, k, out)
    }

    /// y[i·ldy + j] (+)= dot(W row r0 + j, activation row i) for j in 0..<(r1 − r0), i in 0..<m, one
    /// thread. `level` forces a kernel set (tests); -1 = best. Every level gives the same bits.
    ///
    /// Shapes: w `[rows, k]` in `format` blocks; xq m rows of ``activationBytes(_:k:)`` bytes, stride
    /// `xqStride`; y `[m, ldy]`.
    public static func rows(_ format: BlockFormat, _ w: UnsafeRawPointer, _ r0: Int, _ r1: Int, k: Int,
                            xq: UnsafeRawPointer, xqStride: Int, m: Int, y: UnsafeMutablePointer<Float>, ldy: Int,
                            accumulate: Bool = false, level: Int = -1) {
        guard r1 > r0, m > 0 else { return }
        let rb = format.rowBytes(k)
        sp_qdot_q8_rows(format.cFormat, Int32(level), w + r0 * rb, rb, r1 - r0, xq, xqStride, m, k, y + r0, ldy,
                        accumulate ? 1 : 0)
    }

    /// y[m, n] (+)= Q8(x)[m, k]·Wᵀ for a block weight `[n, k]`: the m rows of x quantized once (into a
    /// reused buffer), then the rows of W split over the pool in contiguous runs of whole 16-row tiles
    /// (decoding, m = 1: one run per thread once W has ≥ 64 rows per thread), each W row multiplied
    /// with every x row while it is in cache.
    ///
    /// Shapes: x `[m, k]` (row stride k), y `[m, n]` (row stride `ldy`).
    static func product(_ format: BlockFormat, _ w: UnsafeRawPointer, n: Int, k: Int, x: UnsafePointer<Float>,
                        m: Int, y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool) {
        let stride = activationBytes(format, k: k)
        let xq = Q8ActivationScratch.shared.take(max(1, m * stride))
        defer { Q8ActivationScratch.shared.give(xq) }
        Parallel.forRange(m, grain: max(1, 8192 / max(1, k))) { r in
            for i in r { quantize(format, x + i * k, k: k, into: xq.pointer + i * stride) }
        }
        let tiles = (n + 15) / 16
        let parts = min(ThreadPool.shared.threads, tiles, m == 1 ? max(1, n / 64) : tiles)
        func run(_ p: Int) {
            let r0 = min(n, tiles * p / parts * 16), r1 = p == parts - 1 ? n : min(n, tiles * (p + 1) / parts * 16)
            rows(format, w, r0, r1, k: k, xq: UnsafeRawPointer(xq.pointer), xqStride: stride, m: m, y: y, ldy: ldy,
                 accumulate: accumulate)
        }
        if parts <= 1 { return run(0) }
        ThreadPool.shared.run(parts: parts, run)
    }
}

extension QuantDotQ8 {
    /// y_i[m, n_i] = Q8(x)[m, k]·W_iᵀ for weights sharing one input (q/k/v, gate/up): x quantized once,
    /// then one pool run over all their rows, cut into contiguous runs of whole 16-row tiles. The
    /// same bits as one ``product`` per weight. Returns false (nothing computed) unless every weight
    /// is a ``Weight/q8Activations`` block weight of `k` inputs with the same activation kind.
    ///
    /// Shapes: x `[m, k]`; `outputs[i]` = (y_i, its row stride), y_i `[m, n_i]`.
    public static func products(_ weights: [Weight], x: UnsafePointer<Float>, m: Int, k: Int,
                                outputs: [(UnsafeMutablePointer<Float>, Int)]) -> Bool {
        var parts: [(BlockFormat, UnsafeRawPointer, Int)] = []
        for w in weights {
            guard w.q8Activations, w.inFeatures == k, case .blocks(let f, let q) = w.storage else { return false }
            parts.append((f, q, w.outFeatures))
        }
        guard let first = parts.first, weights.count == outputs.count, m > 0,
              parts.allSatisfy({ activationKind($0.0) == activationKind(first.0) }) else { return false }
        let stride = activationBytes(first.0, k: k)
        let xq = Q8ActivationScratch.shared.take(max(1, m * stride))
        defer { Q8ActivationScratch.shared.give(xq) }
        Parallel.forRange(m, grain: max(1, 8192 / max(1, k))) { r in
            for i in r { quantize(first.0, x + i * k, k: k, into: xq.pointer + i * stride) }
        }
        // Tile t of the concatenated rows: weight `owner`, rows from `start`.
        let tiles = parts.map { ($0.2 + 15) / 16 }, total = tiles.reduce(0, +), rowsAll = parts.reduce(0) { $0 + $1.2 }
        let runs = min(ThreadPool.shared.threads, total, m == 1 ? max(1, rowsAll / 64) : total)
        func run(_ p: Int) {
            var t0 = total * p / runs, t1 = total * (p + 1) / runs
            for (i, (f, w, n)) in parts.enumerated() {
                defer { t0 = max(0, t0 - tiles[i]); t1 = max(0, t1 - tiles[i]) }
                guard t0 < tiles[i], t1 > 0 else { continue }
                rows(f, w, t0 * 16, min(n, min(t1, tiles[i]) * 16), k: k, xq: UnsafeRawPointer(xq.pointer), xqStride: stride,
                     m: m, y: outputs[i].0, ldy: outputs[i].1)
            }
        }
        if runs <= 1 { run(0) } else { ThreadPool.shared.run(parts: runs, run) }
        return true
    }
}

/// Buffers for quantized activation rows, reused across products (a decoding step runs hundreds):
/// each product takes one and gives it back; concurrent products take different ones.
final class Q8ActivationScratch: Sendable {
    struct Buffer: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
        let bytes: Int
    }

    static let shared = Q8ActivationScratch()
    private let free = Mutex<[Buffer]>([])

    /// A buffer of at least `bytes` bytes, 64-byte aligned.
    func take(_ bytes: Int) -> Buffer {
        if let b = free.withLock({ $0.popLast() }) {
            if b.bytes >= bytes { return b }
            b.pointer.deallocate()
        }
        return Buffer(pointer: .allocate(byteCount: bytes, alignment: 64), bytes: bytes)
    }

    /// Returns `b` for reuse (at most 4 kept, none over 16 MiB).
    func give(_ b: Buffer) {
        let kept = b.bytes <= 16 << 20 && free.withLock { list in
            guard list.count < 4 else { return false }
            list.append(b)
            return true
        }
        if !kept { b.pointer.deallocate() }
    }
}

extension Weight {
    /// This weight with llama.cpp's arithmetic (``q8Activations``): the same block storage (shared,
    /// kept alive by the new weight), products through ``QuantDotQ8``. Nil unless stored in blocks.
    public func withQ8Activations() -> Weight? {
        guard case .blocks = storage else { return nil }
        return Weight(outFeatures: outFeatures, inFeatures: inFeatures, storage: storage, owner: self, q8Activations: true)
    }
}
