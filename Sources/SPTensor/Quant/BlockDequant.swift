// Block dequantization to float32, bit-identical to `gguf.quants.dequantize` (gguf 0.19, numpy
// float32 arithmetic) and to ggml's `dequantize_row_*` reference functions. Each block format is
// re-derived from its layout (ggml-common.h); products and sums are plain float32 operations in the
// reference's order (Swift never contracts `a * b + c` into an FMA, so rounding matches numpy's
// two-step evaluation). Shared by GGUF loading (SPFormats) and weights kept in block form (Weight).

/// Per-format kernels: each converts the blocks in `r`, reading `src + b·blockBytes` and writing
/// `dst + b·blockElements`.
public enum BlockDequant {
    /// An IEEE half at `p + offset` (any alignment), widened exactly.
    @inline(__always)
    public static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    // Q4_0, 18 bytes per 32 weights: f16 d, u8 qs[16].
    // y[j] = d·((qs[j] & 15) − 8), y[j+16] = d·((qs[j] >> 4) − 8)
    public static func q4_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        for b in r {
            let p = src + 18 * b, y = dst + 32 * b
            let d = half(p, 0)
            let qs = (p + 2).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                y[j] = d * Float(Int32(qs[j] & 15) - 8)
                y[j + 16] = d * Float(Int32(qs[j] >> 4) - 8)
            }
        }
    }

    // Q4_1, 20 bytes per 32 weights: f16 d, f16 m, u8 qs[16].
    // y[j] = d·(qs[j] & 15) + m, y[j+16] = d·(qs[j] >> 4) + m
    public static func q4_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        for b in r {
            let p = src + 20 * b, y = dst + 32 * b
            let d = half(p, 0), m = half(p, 2)
            let qs = (p + 4).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                y[j] = d * Float(qs[j] & 15) + m
                y[j + 16] = d * Float(qs[j] >> 4) + m
            }
        }
    }

    // Q5_0, 22 bytes per 32 weights: f16 d, u32 qh (bit j = 5th bit of weight j), u8 qs[16].
    // y[j] = d·(((qs[j] & 15) | bit(qh, j) << 4) − 16), y[j+16] = d·(((qs[j] >> 4) | bit(qh, j+16) << 4) − 16)
    public static func q5_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        for b in r {
            let p = src + 22 * b, y = dst + 32 * b
            let d = half(p, 0)
            let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            let qs = (p + 6).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                let lo = Int32(qs[j] & 15) | Int32((qh >> UInt32(j)) & 1) << 4
                let hi = Int32(qs[j] >> 4) | Int32((qh >> UInt32(j + 16)) & 1) << 4
                y[j] = d * Float(lo - 16)
                y[j + 16] = d * Float(hi - 16)
            }
        }
    }

    // Q5_1, 24 bytes per 32 weights: f16 d, f16 m, u32 qh, u8 qs[16].
    // y[j] = d·((qs[j] & 15) | bit(qh, j) << 4) + m, y[j+16] likewise with the high nibble and bit j+16.
    public static func q5_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        for b in r {
            let p = src + 24 * b, y = dst + 32 * b
            let d = half(p, 0), m = half(p, 2)
            let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            let qs = (p + 8).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                let lo = UInt32(qs[j] & 15) | ((qh >> UInt32(j)) & 1) << 4
                let hi = UInt32(qs[j] >> 4) | ((qh >> UInt32(j + 16)) & 1) << 4
                y[j] = d * Float(lo) + m
                y[j + 16] = d * Float(hi) + m
            }
        }
    }

    // Q8_0, 34 bytes per 32 weights: f16 d, i8 qs[32]. y[j] = qs[j]·d
    public static func q8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        for b in r {
            let p = src + 34 * b, y = dst + 32 * b
            let d = half(p, 0)
            let qs = (p + 2).assumingMemoryBound(to: Int8.self)
            for j in 0..<32 { y[j] = Float(qs[j]) * d }
        }
    }
}
