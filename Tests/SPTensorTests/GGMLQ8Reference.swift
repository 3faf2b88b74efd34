// A scalar Swift re-derivation of ggml-cpu's Q8 activation quantizers (x86 `quantize_row_q8_0`,
// `quantize_row_q8_1`, `quantize_row_q8_K_ref`) and of its `ggml_vec_dot_*_q8_*_generic` dot
// products (llama-cpp-python 0.3.36's vendor/llama.cpp, ggml/src/ggml-cpu/quants.c), written from
// their structure (aux8 unpacking, the kmask scale decode, aux16/aux32 lanes) rather than from ours,
// for the bitwise checks of Sources/CBLAS/quant_dot_q8.c. Swift never fuses a·b + c, so each float
// step rounds as ggml's scalar C does.

@testable import SPTensor

enum GGMLQ8Reference {
    static func half(_ b: [UInt8], _ o: Int) -> Float { Float(Float16(bitPattern: UInt16(b[o]) | UInt16(b[o + 1]) << 8)) }
    static func putHalf(_ v: Float, _ out: inout [UInt8], _ o: Int) {
        let h = Float16(v).bitPattern
        out[o] = UInt8(h & 0xff); out[o + 1] = UInt8(h >> 8)
    }

    /// One activation row quantized for `format` (the bytes ggml would hold).
    static func quantize(_ format: BlockFormat, _ x: [Float]) -> [UInt8] {
        switch format {
        case .q4_0, .q5_0, .q8_0: return q8_32(x, withSum: false)
        case .q4_1, .q5_1: return q8_32(x, withSum: true)
        case .q4_K, .q5_K, .q6_K: return q8_K(x)
        }
    }

    static func q8_32(_ x: [Float], withSum: Bool) -> [UInt8] {
        let bytes = withSum ? 36 : 34, off = withSum ? 4 : 2
        var out = [UInt8](repeating: 0, count: x.count / 32 * bytes)
        for b in 0..<(x.count / 32) {
            let v = Array(x[(32 * b)..<(32 * b + 32)])
            let maxScalar = v.map { abs($0) }.max()!
            let d = maxScalar / 127, id: Float = maxScalar != 0 ? 127 / maxScalar : 0
            var sum = 0
            for j in 0..<32 {
                let q = Int((v[j] * id).rounded(.toNearestOrEven))
                sum += q
                out[bytes * b + off + j] = UInt8(bitPattern: Int8(q))
            }
            putHalf(d, &out, bytes * b)
            if withSum { putHalf(d * Float(sum), &out, bytes * b + 2) }
        }
        return out
    }

    static func q8_K(_ x: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: x.count / 256 * 292)
        for b in 0..<(x.count / 256) {
            let v = Array(x[(256 * b)..<(256 * b + 256)])
            var amax: Float = 0, maxv: Float = 0
            for e in v where abs(e) > amax { amax = abs(e); maxv = e }
            var d: Float = 0
            var q = [Int](repeating: 0, count: 256)
            if amax != 0 {
                let iscale = -127 / maxv
                for j in 0..<256 { q[j] = min(127, Int((iscale * v[j]).rounded(.toNearestOrEven))) }
                d = 1 / iscale
            }
            let o = 292 * b
            withUnsafeBytes(of: d.bitPattern.littleEndian) { for i in 0..<4 { out[o + i] = $0[i] } }
            for j in 0..<256 { out[o + 4 + j] = UInt8(bitPattern: Int8(q[j])) }
            for j in 0..<16 {
                let s = Int16(q[(16 * j)..<(16 * j + 16)].reduce(0, +))
                out[o + 260 + 2 * j] = UInt8(UInt16(bitPattern: s) & 0xff)
                out[o + 261 + 2 * j] = UInt8(UInt16(bitPattern: s) >> 8)
            }
        }
        return out
    }

    static func i8(_ b: [UInt8], _ o: Int) -> Int { Int(Int8(bitPattern: b[o])) }

    /// ggml_vec_dot_<format>_q8_* of one weight row `w` and one quantized activation row `y`.
    static func dot(_ format: BlockFormat, _ w: [UInt8], _ y: [UInt8], k: Int) -> Float {
        var sumf: Float = 0
        if format == .q4_1 || format == .q8_0 { return x86Dot(format, w, y, k: k) }
        switch format {
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0:
            for ib in 0..<(k / 32) {
                let xo = ib * format.blockBytes
                let yb = format == .q4_1 || format == .q5_1 ? 36 : 34, yo = ib * yb, yq = yo + (yb == 36 ? 4 : 2)
                var sumi0 = 0, sumi1 = 0
                switch format {
                case .q8_0:
                    for j in 0..<32 { sumi0 += i8(w, xo + 2 + j) * i8(y, yq + j) }
                    sumf += Float(sumi0 + sumi1) * (half(w, xo) * half(y, yo))
                    continue
                case .q4_0, .q4_1:
                    let qs = xo + (format == .q4_0 ? 2 : 4), bias = format == .q4_0 ? 8 : 0
                    for j in 0..<16 {
                        sumi0 += (Int(w[qs + j] & 0x0F) - bias) * i8(y, yq + j)
                        sumi1 += (Int(w[qs + j] >> 4) - bias) * i8(y, yq + j + 16)
                    }
                default:  // q5_0, q5_1
                    let hoff = format == .q5_0 ? 2 : 4, qs = xo + (format == .q5_0 ? 6 : 8)
                    let qh = UInt32(w[xo + hoff]) | UInt32(w[xo + hoff + 1]) << 8 | UInt32(w[xo + hoff + 2]) << 16 | UInt32(w[xo + hoff + 3]) << 24
                    for j in 0..<16 {
                        let xh0 = Int(((qh & (1 << UInt32(j))) >> UInt32(j)) << 4)
                        let xh1 = Int((qh & (1 << UInt32(j + 16))) >> UInt32(j + 12))
                        let bias = format == .q5_0 ? 16 : 0
                        sumi0 += ((Int(w[qs + j] & 0x0F) | xh0) - bias) * i8(y, yq + j)
                        sumi1 += ((Int(w[qs + j] >> 4) | xh1) - bias) * i8(y, yq + j + 16)
                    }
                }
                let sumi = Float(sumi0 + sumi1)
                switch format {
                case .q4_0: sumf += sumi * half(w, xo) * half(y, yo)
                case .q5_0: sumf += (half(w, xo) * half(y, yo)) * sumi
                default: sumf += (half(w, xo) * half(y, yo)) * sumi + half(w, xo + 2) * half(y, yo + 2)
                }
            }
            return sumf
        case .q4_K, .q5_K, .q6_K:
            var sums = [Float](repeating: 0, count: 8)
            for i in 0..<(k / 256) {
                let xo = i * format.blockBytes, yo = i * 292
                let yd = Float(bitPattern: UInt32(y[yo]) | UInt32(y[yo + 1]) << 8 | UInt32(y[yo + 2]) << 16 | UInt32(y[yo + 3]) << 24)
                var aux8 = [Int](repeating: 0, count: 256)
                var scales = [Int](repeating: 0, count: 16), mins = [Int](repeating: 0, count: 8)
                if format == .q6_K {
                    var a = 0, ql = xo, qh = xo + 128
                    for _ in stride(from: 0, to: 256, by: 128) {
                        for l in 0..<32 {
                            aux8[a + l] = Int(w[ql + l] & 0xF | ((w[qh + l] >> 0) & 3) << 4) - 32
                            aux8[a + l + 32] = Int(w[ql + l + 32] & 0xF | ((w[qh + l] >> 2) & 3) << 4) - 32
                            aux8[a + l + 64] = Int(w[ql + l] >> 4 | ((w[qh + l] >> 4) & 3) << 4) - 32
                            aux8[a + l + 96] = Int(w[ql + l + 32] >> 4 | ((w[qh + l] >> 6) & 3) << 4) - 32
                        }
                        a += 128; ql += 64; qh += 32
                    }
                    for j in 0..<16 { scales[j] = i8(w, xo + 192 + j) }
                } else {
                    let five = format == .q5_K, qs = xo + (five ? 48 : 16), hm = xo + 16
                    var a = 0, q4 = qs, m: UInt8 = 1
                    for _ in 0..<4 {
                        for l in 0..<32 { aux8[a + l] = Int(w[q4 + l] & 0xF) + (five && w[hm + l] & m != 0 ? 16 : 0) }
                        a += 32; m <<= 1
                        for l in 0..<32 { aux8[a + l] = Int(w[q4 + l] >> 4) + (five && w[hm + l] & m != 0 ? 16 : 0) }
                        a += 32; m <<= 1; q4 += 32
                    }
                    // utmp: the kmask decode of the 12 scale bytes
                    var u = (0..<3).map { j in (0..<4).reduce(UInt32(0)) { $0 | UInt32(w[xo + 4 + 4 * j + $1]) << (8 * UInt32($1)) } }
                    u.append(0)
                    let k1: UInt32 = 0x3f3f3f3f, k2: UInt32 = 0x0f0f0f0f, k3: UInt32 = 0x03030303
                    u[3] = ((u[2] >> 4) & k2) | (((u[1] >> 6) & k3) << 4)
                    let uaux = u[1] & k1
                    u[1] = (u[2] & k2) | (((u[0] >> 6) & k3) << 4)
                    u[2] = uaux
                    u[0] &= k1
                    let b8 = u.flatMap { v in (0..<4).map { Int((v >> (8 * UInt32($0))) & 0xff) } }
                    for j in 0..<8 { scales[j] = b8[j]; mins[j] = b8[8 + j] }
                }
                var aux32 = [Int](repeating: 0, count: 8)
                let group = format == .q6_K ? 16 : 32
                for e in 0..<256 { aux32[e % 8] += scales[e / group] * (i8(y, yo + 4 + e) * aux8[e]) }
                let d = (format == .q6_K ? half(w, xo + 208) : half(w, xo)) * yd
                for l in 0..<8 { sums[l] += d * Float(aux32[l]) }
                if format != .q6_K {
                    var sumi = 0
                    for j in 0..<16 {
                        let bs = Int(Int16(bitPattern: UInt16(y[yo + 260 + 2 * j]) | UInt16(y[yo + 261 + 2 * j]) << 8))
                        sumi += bs * mins[j / 2]
                    }
                    let dmin = half(w, xo + 2) * yd
                    sumf -= dmin * Float(sumi)
                }
            }
            for l in 0..<8 { sumf += sums[l] }
            return sumf
        }
    }

    /// Q4_1 · Q8_1 and Q8_0 · Q8_0 as llama.cpp's x86 build computes them (`ggml_vec_dot_q4_1_q8_1`'s
    /// AVX2 branch; llamafile's `tinyBLAS_Q0_AVX` for Q8_0): 8 float lanes, lane l = Σ of elements
    /// 4l..4l+3 of a block, acc_l = fma(dx·dy, lane_l, acc_l); Q4_1 adds Σ fma(mx, sy, ·) after
    /// `hsum_float_8` = (a4+a0 + a6+a2) + (a5+a1 + a7+a3).
    static func x86Dot(_ format: BlockFormat, _ w: [UInt8], _ y: [UInt8], k: Int) -> Float {
        var acc = [Float](repeating: 0, count: 8), summs: Float = 0
        for ib in 0..<(k / 32) {
            let xo = ib * format.blockBytes, yb = format == .q4_1 ? 36 : 34, yo = ib * yb, yq = yo + (yb == 36 ? 4 : 2)
            let d = half(w, xo) * half(y, yo)
            if format == .q4_1 { summs = summs.addingProduct(half(w, xo + 2), half(y, yo + 2)) }
            for l in 0..<8 {
                var s = 0
                for e in (4 * l)..<(4 * l + 4) {
                    let q = format == .q8_0 ? i8(w, xo + 2 + e) : Int(e < 16 ? w[xo + 4 + e] & 0x0F : w[xo + 4 + e - 16] >> 4)
                    s += q * i8(y, yq + e)
                }
                acc[l] = acc[l].addingProduct(d, Float(s))
            }
        }
        let r0 = acc[4] + acc[0], r1 = acc[5] + acc[1], r2 = acc[6] + acc[2], r3 = acc[7] + acc[3]
        let t0 = r0 + r2, t1 = r1 + r3
        return t0 + t1 + summs
    }
}
