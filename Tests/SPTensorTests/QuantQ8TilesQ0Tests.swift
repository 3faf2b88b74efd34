// The AVX-512 VNNI tiles of `--activations q8` for the 32-element formats (Sources/CBLAS/quant_q8_tiles_q0.c):
// the best level (the tiles on a VNNI CPU) against the generic scalar kernels, bitwise, over the shapes the
// tiles cut differently — 16-row groups with padded tails, 1/2/4-row activation groups with tails, one
// block to many, accumulate, ldy wider than the rows, a row offset — on realistic and extreme blocks.

import Testing
@testable import SPTensor

@Suite struct QuantQ8TilesQ0Tests {
    static let formats: [BlockFormat] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0]

    /// `blocks` weight blocks: random quants, f16 scales (and mins) of realistic size or, when `extreme`,
    /// quants at their limits (Q8_0 −128/127, every nibble 0 or 15, all fifth bits set or clear) and
    /// scales near the f16 maximum, subnormal or zero.
    static func weights(_ f: BlockFormat, blocks: Int, extreme: Bool, rng: inout SplitMix) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: blocks * f.blockBytes)
        for b in 0..<blocks {
            let o = b * f.blockBytes
            for i in 0..<f.blockBytes {
                let v = rng.next()
                out[o + i] = extreme ? (v & 1 == 0 ? 0xFF : (v & 2 == 0 ? 0x80 : 0x00)) : UInt8(truncatingIfNeeded: v)
            }
            let scales = (f == .q4_1 || f == .q5_1) ? 2 : 1
            for s in 0..<scales {
                let h = half(extreme ? Self.extremeScale(&rng) : Float(Int(rng.next() % 2001) - 1000) * 2e-5)
                out[o + 2 * s] = UInt8(h & 0xFF)
                out[o + 2 * s + 1] = UInt8(h >> 8)
            }
        }
        return out
    }

    static func extremeScale(_ rng: inout SplitMix) -> Float {
        switch rng.next() % 4 {
        case 0: return 65504
        case 1: return -60000
        case 2: return 3e-7  // f16 subnormal
        default: return 0
        }
    }

    static func half(_ x: Float) -> UInt16 { Float16(x).bitPattern }

    /// m activation rows of `k` elements in the format's Q8 kind, row stride `stride` (≥ the row's bytes):
    /// ggml's quantizer on random floats, or raw q = ±127/−128 with large d (and s) when `extreme`.
    static func activations(_ f: BlockFormat, m: Int, k: Int, stride: Int, extreme: Bool, rng: inout SplitMix) -> [UInt8] {
        var out = [UInt8](repeating: 0x5A, count: m * stride)
        let bytes = QuantDotQ8.activationBytes(f, k: k), q8_1 = QuantDotQ8.activationKind(f) == 1
        let xb = q8_1 ? 36 : 34, qs = q8_1 ? 4 : 2
        for i in 0..<m {
            if extreme {
                for b in 0..<(k / 32) {
                    let o = i * stride + b * xb
                    for j in 0..<32 { out[o + qs + j] = rng.next() & 1 == 0 ? 0x7F : 0x80 }
                    let d = half(Float(rng.next() % 1000 + 1) * 0.5), s = half(Float(Int(rng.next() % 2001) - 1000) * 20)
                    out[o] = UInt8(d & 0xFF); out[o + 1] = UInt8(d >> 8)
                    if q8_1 { out[o + 2] = UInt8(s & 0xFF); out[o + 3] = UInt8(s >> 8) }
                }
            } else {
                let x = rng.floats(k).enumerated().map { j, v in v * Float(1 + j % 5) }
                var row = [UInt8](repeating: 0, count: bytes)
                x.withUnsafeBufferPointer { xp in row.withUnsafeMutableBytes { QuantDotQ8.quantize(f, xp.baseAddress!, k: k, into: $0.baseAddress!) } }
                for j in 0..<bytes { out[i * stride + j] = row[j] }
            }
        }
        return out
    }

    @Test("VNNI tiles equal the generic q8 kernels bitwise over m, rows, k, accumulate, ldy and offsets",
          arguments: formats)
    func tilesEqualGeneric(_ f: BlockFormat) throws {
        var rng = SplitMix(0x51 &+ UInt64(f.cFormat))
        var cases = 0
        for extreme in [false, true] {
            for k in [32, 64, 2048, 8192] {
                let ms = k == 8192 ? [1, 3, 17] : [1, 2, 3, 5, 8, 17]
                let rowCounts = k == 8192 ? [1, 5, 9, 33] : Array(1...9) + [16, 17, 33]
                for m in ms {
                    for rows in rowCounts {
                        let r0 = 2, ldy = r0 + rows + 3, rb = f.rowBytes(k)
                        let stride = QuantDotQ8.activationBytes(f, k: k) + 6
                        let w = Self.weights(f, blocks: (r0 + rows) * k / 32, extreme: extreme, rng: &rng)
                        let xq = Self.activations(f, m: m, k: k, stride: stride, extreme: extreme, rng: &rng)
                        #expect(w.count == (r0 + rows) * rb)
                        let start = (0..<(m * ldy)).map { Float($0 % 13) * 0.25 - 1 }
                        for accumulate in [false, true] {
                            var want = start, got = start
                            w.withUnsafeBytes { wp in
                                xq.withUnsafeBytes { xp in
                                    QuantDotQ8.rows(f, wp.baseAddress!, r0, r0 + rows, k: k, xq: xp.baseAddress!, xqStride: stride,
                                                    m: m, y: &want, ldy: ldy, accumulate: accumulate, level: 0)
                                    QuantDotQ8.rows(f, wp.baseAddress!, r0, r0 + rows, k: k, xq: xp.baseAddress!, xqStride: stride,
                                                    m: m, y: &got, ldy: ldy, accumulate: accumulate, level: -1)
                                }
                            }
                            let diff = zip(got, want).enumerated().first { $0.element.0.bitPattern != $0.element.1.bitPattern }
                            #expect(diff == nil, """
                                \(f) extreme \(extreme) k \(k) m \(m) rows \(rows) accumulate \(accumulate): \
                                y[\(diff?.offset ?? -1)] \(diff?.element.0 ?? 0) vs generic \(diff?.element.1 ?? 0)
                                """)
                            // untouched outside columns r0..<r0+rows
                            for i in 0..<m {
                                for j in 0..<ldy where j < r0 || j >= r0 + rows {
                                    #expect(got[i * ldy + j] == start[i * ldy + j], "\(f): wrote outside its rows at [\(i), \(j)]")
                                }
                            }
                            cases += 1
                        }
                    }
                }
            }
        }
        #expect(cases > 400)
    }
}
