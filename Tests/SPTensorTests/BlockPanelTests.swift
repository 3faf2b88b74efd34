// The C panel kernels (Sources/CBLAS/quant_panel.c) that widen block weights for the many-row
// products: every kernel set this CPU runs against the Swift reference (BlockDequant*.swift, itself
// checked bitwise against gguf-py in SPFormatsTests), on any block range; and Linear's chunked
// panels: bit-identical to the float32 weight while a weight fits one chunk, within summation order
// when it spans several.

import SPTestSupport
import Testing
@testable import SPTensor

@Suite struct BlockPanelTests {
    /// Blocks of `format` made of arbitrary bytes: scales and mins too (subnormal, infinite, NaN halves).
    static func rawBlocks(_ format: BlockFormat, count: Int, seed: UInt64) -> ByteBuffer {
        var rng = SplitMix(seed)
        let b = ByteBuffer(count: count * format.blockBytes)
        for i in 0..<(count * format.blockBytes) { b.data.storeBytes(of: UInt8(truncatingIfNeeded: rng.next()), toByteOffset: i, as: UInt8.self) }
        return b
    }

    @Test("C panels equal the Swift reference bit for bit, every kernel set, any block range",
          arguments: BlockFormat.allCases)
    func panelsEqualReference(_ f: BlockFormat) {
        let count = f.blockElements == 32 ? 203 : 29
        for (name, bytes) in [("finite scales", RandomBlocks(f, rows: 1, blocksPerRow: count, seed: 4).bytes),
                              ("arbitrary bytes", Self.rawBlocks(f, count: count, seed: 7))] {
            let src = UnsafeRawPointer(bytes.data), n = count * f.blockElements
            var want = [Float](repeating: 0, count: n)
            f.reference(src, blocks: 0..<count, into: &want)
            for level in 0...QuantDot.maxLevel {
                for r in [0..<count, 0..<1, 1..<count, 5..<(count - 3), (count - 1)..<count] {
                    var got = [Float](repeating: 7, count: n)   // untouched outside r
                    f.dequantize(src, blocks: r, into: &got, level: level)
                    let lo = r.lowerBound * f.blockElements, hi = r.upperBound * f.blockElements
                    // Bit for bit; with arbitrary bytes a NaN may also meet a NaN (d·q + m with d and m
                    // both NaN), and which payload survives depends on the operand order the compiler
                    // picked (IEEE leaves it open), so two NaNs count as equal there.
                    let differ = (lo..<hi).filter {
                        got[$0].bitPattern != want[$0].bitPattern && !(name == "arbitrary bytes" && got[$0].isNaN && want[$0].isNaN)
                    }
                    #expect(differ.isEmpty, "\(f) \(name) level \(level) blocks \(r): \(differ.count) values differ, first at \(differ.first ?? -1)")
                    #expect((0..<lo).allSatisfy { got[$0] == 7 } && (hi..<n).allSatisfy { got[$0] == 7 }, "\(f) writes only its blocks")
                }
            }
        }
    }

    @Test("one chunk: Linear on blocks is bit-identical to Linear on the dequantized weight",
          arguments: [BlockFormat.q4_0, .q4_K, .q6_K])
    func oneChunkBitwise(_ f: BlockFormat) {
        let r = RandomBlocks(f, rows: 300, blocksPerRow: f.blockElements == 32 ? 24 : 3, seed: 31)
        let (w, d, n, k) = (r.weight, r.dequantized, r.rows, r.cols)
        var rng = SplitMix(2)
        let bias = rng.floats(n)
        for m in [5, 40, 600] {
            let x = rng.floats(m * k), dy = rng.floats(m * n)
            var got = [Float](repeating: 0, count: m * n), want = got
            Linear.forward(x, w, bias: bias, &got, m: m)
            Linear.forward(x, d, bias: bias, &want, m: m)
            #expect(got == want, "\(f) forward m=\(m)")
            var gx = [Float](repeating: 0.25, count: m * k), wx = gx
            Linear.backwardInput(dy, w, &gx, m: m, accumulate: true)
            Linear.backwardInput(dy, d, &wx, m: m, accumulate: true)
            #expect(gx == wx, "\(f) dY·W m=\(m)")
        }
    }

    @Test("many rows: the column-split forward on a several-chunk weight equals float32 bit for bit")
    func manyRowsSeveralChunksBitwise() {
        // 2,100 × 2,048 (two 16 MiB chunks) at 512 rows: each pool thread widens its own panels.
        let r = RandomBlocks(.q8_0, rows: 2100, blocksPerRow: 64, seed: 9)
        let (w, d, n, k) = (r.weight, r.dequantized, r.rows, r.cols)
        #expect(n * k > BlockPanels.maxFloats)
        var rng = SplitMix(4)
        let m = 512, x = rng.floats(m * k), bias = rng.floats(n), ld = n + 5
        for (b, accumulate) in [(true, false), (false, false), (true, true)] {
            var got = [Float](repeating: 0.5, count: m * ld), want = got
            Linear.forward(x, w, bias: b ? bias : nil, &got, m: m, accumulate: accumulate, ldy: ld)
            Linear.forward(x, d, bias: b ? bias : nil, &want, m: m, accumulate: accumulate, ldy: ld)
            #expect(got == want, "bias \(b) accumulate \(accumulate)")
            #expect((0..<m).allSatisfy { i in (n..<ld).allSatisfy { got[i * ld + $0] == 0.5 } }, "columns past n untouched")
        }
    }

    @Test("several chunks: forward, accumulate and dY·W within float summation order of float32")
    func severalChunks() {
        // 2,100 × 2,048 = 4.3 M floats > one 16 MiB chunk (4 M): two chunks of 1,050 rows
        let r = RandomBlocks(.q4_1, rows: 2100, blocksPerRow: 64, seed: 5)
        let (w, d, n, k) = (r.weight, r.dequantized, r.rows, r.cols)
        #expect(n * k > BlockPanels.maxFloats)
        var rng = SplitMix(12)
        let m = 6, x = rng.floats(m * k), dy = rng.floats(m * n), bias = rng.floats(n)
        // y written into a wider buffer (ldy), with and without accumulation
        let ld = n + 3
        for accumulate in [false, true] {
            var got = [Float](repeating: 1, count: m * ld), want = got
            Linear.forward(x, w, bias: accumulate ? nil : bias, &got, m: m, accumulate: accumulate, ldy: ld)
            Linear.forward(x, d, bias: accumulate ? nil : bias, &want, m: m, accumulate: accumulate, ldy: ld)
            assertClose(got, want, .relative(1e-5), "Q4_1 chunked forward, accumulate \(accumulate)")
            #expect((0..<m).allSatisfy { i in (n..<ld).allSatisfy { got[i * ld + $0] == 1 } }, "columns past n untouched")
        }
        var gx = [Float](repeating: 0, count: m * k), wx = gx
        Linear.backwardInput(dy, w, &gx, m: m)
        Linear.backwardInput(dy, d, &wx, m: m)
        assertClose(gx, wx, .relative(1e-5), "Q4_1 chunked dY·W")
    }
}
