// The hand-written VNNI tiles of `--activations q8` for the K-quants (Sources/CBLAS/quant_q8_tiles_k.c,
// taken at the best level on an AVX-512 VNNI + VBMI CPU) bitwise against the generic scalar kernels
// (level 0), over the shapes where tiling could change a result: decoding (m = 1) and every remainder
// of the 8-row register tile, weight-row groups, several super-blocks, accumulate, ldy > rows and a
// first row r0 > 0. On a CPU without the tiles both sides run scalar kernels and still must agree.

import SPTestSupport
import Testing
@testable import SPTensor

@Suite struct QuantDotQ8TilesTests {
    static let formats: [BlockFormat] = [.q4_K, .q5_K, .q6_K]

    /// Random super-blocks (realistic f16 d/dmin) with every third block pushed to an extreme: all
    /// 6-bit scales and mins 63 (Q6_K: int8 scales −128 or 127) and all quants at their top or bottom.
    static func blocks(_ f: BlockFormat, rows: Int, blocksPerRow: Int, seed: UInt64) -> RandomBlocks {
        let r = RandomBlocks(f, rows: rows, blocksPerRow: blocksPerRow, seed: seed)
        let p = r.bytes.data
        for b in stride(from: 0, to: rows * blocksPerRow, by: 3) {
            let base = b * f.blockBytes, top = b % 2 == 0
            switch f {
            case .q4_K, .q5_K:
                for i in 4..<16 { p.storeBytes(of: 0xFF, toByteOffset: base + i, as: UInt8.self) }
                for i in 16..<f.blockBytes { p.storeBytes(of: top ? 0xFF : 0x00, toByteOffset: base + i, as: UInt8.self) }
            case .q6_K:
                for i in 0..<192 { p.storeBytes(of: top ? 0xFF : 0x00, toByteOffset: base + i, as: UInt8.self) }
                for i in 192..<208 { p.storeBytes(of: (i + b) % 2 == 0 ? 0x80 : 0x7F, toByteOffset: base + i, as: UInt8.self) }
            default:
                break
            }
        }
        return r
    }

    /// m activation rows quantized to Q8_K; some rows carry a lone large value (quants ±127 around it).
    static func activations(_ f: BlockFormat, m: Int, k: Int) -> [UInt8] {
        (0..<m).flatMap { i -> [UInt8] in
            var x = QuantDotQ8Tests.activations(k, seed: 60 + UInt64(i))
            if i % 3 == 1 { x[(i * 37) % k] = -50 }
            if i % 4 == 2 { x[(i * 53) % k] = 50 }
            return GGMLQ8Reference.quantize(f, x)
        }
    }

    @Test("K-quant tiles equal the generic kernels bitwise (m, rows, k, accumulate, ldy, r0)", arguments: formats)
    func tilesEqualGeneric(_ f: BlockFormat) throws {
        for k in [256, 512, 2048] {
            let nb = k / 256
            let r = Self.blocks(f, rows: 40, blocksPerRow: nb, seed: 70 + UInt64(k))
            let stride = QuantDotQ8.activationBytes(f, k: k)
            let xq = Self.activations(f, m: 17, k: k)
            let w = UnsafeRawPointer(r.bytes.data)
            var mismatches: [String] = []
            for m in [1, 2, 3, 5, 8, 17] {
                for rows in Array(1...9) + [33] {
                    for accumulate in [false, true] {
                        let r0 = rows % 4, ldy = r0 + rows + 3
                        let start = (0..<(m * ldy)).map { Float($0 % 13) - 6 }
                        var want = start, got = start
                        xq.withUnsafeBytes { q in
                            QuantDotQ8.rows(f, w, r0, r0 + rows, k: k, xq: q.baseAddress!, xqStride: stride, m: m, y: &want,
                                            ldy: ldy, accumulate: accumulate, level: 0)
                            QuantDotQ8.rows(f, w, r0, r0 + rows, k: k, xq: q.baseAddress!, xqStride: stride, m: m, y: &got,
                                            ldy: ldy, accumulate: accumulate, level: -1)
                        }
                        if got.map(\.bitPattern) != want.map(\.bitPattern) {
                            mismatches.append("k=\(k) m=\(m) rows=\(rows) accumulate=\(accumulate)")
                        }
                        // Untouched outside the product's rows and columns.
                        for i in 0..<m {
                            for j in 0..<ldy where j < r0 || j >= r0 + rows {
                                #expect(got[i * ldy + j] == start[i * ldy + j], "\(f) k=\(k) m=\(m) wrote y[\(i), \(j)]")
                            }
                        }
                    }
                }
            }
            #expect(mismatches.isEmpty, "\(f): \(mismatches.prefix(5))")
        }
    }

    @Test("a row's result does not depend on m or on which rows share the call", arguments: formats)
    func independentOfTiling(_ f: BlockFormat) throws {
        let k = 512
        let r = Self.blocks(f, rows: 12, blocksPerRow: k / 256, seed: 91)
        let stride = QuantDotQ8.activationBytes(f, k: k)
        let m = 70  // more than one 64-row activation chunk
        let xq = Self.activations(f, m: m, k: k)
        let w = UnsafeRawPointer(r.bytes.data)
        var whole = [Float](repeating: 0, count: m * 12)
        xq.withUnsafeBytes { q in
            QuantDotQ8.rows(f, w, 0, 12, k: k, xq: q.baseAddress!, xqStride: stride, m: m, y: &whole, ldy: 12)
        }
        for i in [0, 7, 63, 64, 69] {
            for (a, b) in [(0, 1), (5, 12), (3, 7)] {
                var one = [Float](repeating: 0, count: b)  // rows(…) writes columns a..<b of y
                xq.withUnsafeBytes { q in
                    QuantDotQ8.rows(f, w, a, b, k: k, xq: q.baseAddress! + i * stride, xqStride: stride, m: 1, y: &one, ldy: b)
                }
                let fromWhole = (a..<b).map { whole[i * 12 + $0].bitPattern }
                #expect(one[a..<b].map(\.bitPattern) == fromWhole, "\(f) activation row \(i), weight rows \(a)..<\(b)")
            }
        }
    }
}
