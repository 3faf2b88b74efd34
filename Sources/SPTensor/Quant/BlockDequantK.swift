// K-quant super-blocks (256 weights): Q4_K, Q5_K, Q6_K. Layouts from ggml-common.h (`block_q4_K`, …);
// arithmetic in the order of `gguf.quants` so the float32 results are bit-identical.

extension BlockDequant {
    /// Unpacks the 6-bit scale and min of sub-block `j` (0..<8) from the 12 packed bytes `s` of a
    /// Q4_K/Q5_K super-block: bytes 0–3 hold scales 0–3 (low 6 bits) and the top 2 bits of scales 4–7,
    /// bytes 4–7 the same for the mins, bytes 8–11 the low 4 bits of scale (low nibble) and min (high nibble) 4–7.
    @inline(__always)
    static func scaleMin(_ s: UnsafePointer<UInt8>, _ j: Int) -> (scale: UInt8, min: UInt8) {
        if j < 4 { return (s[j] & 63, s[j + 4] & 63) }
        return ((s[j + 4] & 15) | ((s[j - 4] >> 6) << 4), (s[j + 4] >> 4) | ((s[j] >> 6) << 4))
    }

    // Q4_K, 144 bytes per 256 weights: f16 d, f16 dmin, u8 scales[12], u8 qs[128].
    // Sub-block s = 2c + k (c = 0..<4 chunks of 32 bytes, k = nibble 0/1) has 32 weights:
    // y[32s + l] = (d·sc[s])·((qs[32c + l] >> 4k) & 15) − dmin·mn[s]
    public static func q4_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        for b in r {
            let p = src + 144 * b, y = dst + 256 * b
            let d = half(p, 0), dmin = half(p, 2)
            let sc = (p + 4).assumingMemoryBound(to: UInt8.self)
            let qs = (p + 16).assumingMemoryBound(to: UInt8.self)
            for c in 0..<4 {
                let (s0, m0) = scaleMin(sc, 2 * c), (s1, m1) = scaleMin(sc, 2 * c + 1)
                let d0 = d * Float(s0), d1 = d * Float(s1)
                let n0 = dmin * Float(m0), n1 = dmin * Float(m1)
                let q = qs + 32 * c, o = y + 64 * c
                for l in 0..<32 {
                    o[l] = d0 * Float(q[l] & 15) - n0
                    o[l + 32] = d1 * Float(q[l] >> 4) - n1
                }
            }
        }
    }

    // Q5_K, 176 bytes per 256 weights: f16 d, f16 dmin, u8 scales[12], u8 qh[32], u8 qs[128].
    // As Q4_K, with the 5th bit of weight 32s + l in bit s of qh[l]:
    // y[32s + l] = (d·sc[s])·(((qs[32c + l] >> 4k) & 15) | ((qh[l] >> s) & 1) << 4) − dmin·mn[s]
    public static func q5_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        for b in r {
            let p = src + 176 * b, y = dst + 256 * b
            let d = half(p, 0), dmin = half(p, 2)
            let sc = (p + 4).assumingMemoryBound(to: UInt8.self)
            let qh = (p + 16).assumingMemoryBound(to: UInt8.self)
            let qs = (p + 48).assumingMemoryBound(to: UInt8.self)
            for c in 0..<4 {
                let (s0, m0) = scaleMin(sc, 2 * c), (s1, m1) = scaleMin(sc, 2 * c + 1)
                let d0 = d * Float(s0), d1 = d * Float(s1)
                let n0 = dmin * Float(m0), n1 = dmin * Float(m1)
                let q = qs + 32 * c, o = y + 64 * c
                let sh0 = UInt8(2 * c), sh1 = UInt8(2 * c + 1)
                for l in 0..<32 {
                    let lo = (q[l] & 15) | ((qh[l] >> sh0) & 1) << 4
                    let hi = (q[l] >> 4) | ((qh[l] >> sh1) & 1) << 4
                    o[l] = d0 * Float(lo) - n0
                    o[l + 32] = d1 * Float(hi) - n1
                }
            }
        }
    }

    // Q6_K, 210 bytes per 256 weights: u8 ql[128] (low 4 bits), u8 qh[64] (high 2 bits),
    // i8 scales[16] (one per 16 weights), f16 d. For half h = 0/1 and r = 0..<128 (e = 128h + r):
    // q = ((ql[64h + r % 64] >> 4·(r / 64)) & 15) | ((qh[32h + r % 32] >> 2·(r / 32)) & 3) << 4
    // y[e] = (d·scales[e / 16])·(q − 32)
    public static func q6_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        for b in r {
            let p = src + 210 * b, y = dst + 256 * b
            let ql = p.assumingMemoryBound(to: UInt8.self)
            let qh = (p + 128).assumingMemoryBound(to: UInt8.self)
            let sc = (p + 192).assumingMemoryBound(to: Int8.self)
            let d = half(p, 208)
            for h in 0..<2 {
                let l4 = ql + 64 * h, h2 = qh + 32 * h, o = y + 128 * h
                for g in 0..<8 {  // 8 groups of 16 weights in this half
                    let ds = d * Float(sc[8 * h + g])
                    let shiftL = UInt8(4 * (g / 4)), shiftH = UInt8(2 * (g / 2))
                    let baseL = (16 * g) % 64, baseH = (16 * g) % 32
                    for l in 0..<16 {
                        let q = ((l4[baseL + l] >> shiftL) & 15) | ((h2[baseH + l] >> shiftH) & 3) << 4
                        o[16 * g + l] = ds * Float(Int32(q) - 32)
                    }
                }
            }
        }
    }
}
