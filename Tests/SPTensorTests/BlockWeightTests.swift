// Weights kept in ggml blocks (Weight.Storage.blocks): the C block dot products against the
// dequantized rows, and Linear's block paths (few-row block dots, many-row panels, dY·W) against the
// same weight dequantized to float32. Dequantization itself is checked bitwise against gguf-py in
// SPFormatsTests (GGUFBlockWeightTests).

import SPTestSupport
import Testing
@testable import SPTensor

/// Random blocks of `format`: random bytes with every float16 scale/min set to a finite value.
struct RandomBlocks {
    let format: BlockFormat, rows: Int, cols: Int
    let bytes: ByteBuffer

    init(_ format: BlockFormat, rows: Int, blocksPerRow: Int, seed: UInt64) {
        self.format = format
        self.rows = rows
        cols = blocksPerRow * format.blockElements
        var rng = SplitMix(seed)
        let n = rows * blocksPerRow
        bytes = ByteBuffer(count: n * format.blockBytes)
        for i in 0..<(n * format.blockBytes) { bytes.data.storeBytes(of: UInt8(truncatingIfNeeded: rng.next()), toByteOffset: i, as: UInt8.self) }
        let halves: [Int]
        switch format {
        case .q4_0, .q5_0, .q8_0: halves = [0]
        case .q4_1, .q5_1, .q4_K, .q5_K: halves = [0, 2]
        case .q6_K: halves = [208]
        }
        for b in 0..<n {
            for (j, off) in halves.enumerated() {
                let u = Float(rng.next() % 2001) / 1000 - 1   // [-1, 1]
                let v = Float16(j == 0 ? u * 0.02 : u * 0.01)
                bytes.data.storeBytes(of: v.bitPattern, toByteOffset: b * format.blockBytes + off, as: UInt16.self)
            }
        }
    }

    var weight: Weight {
        Weight(outFeatures: rows, inFeatures: cols, storage: .blocks(format, UnsafeRawPointer(bytes.data)), owner: bytes)
    }

    /// The same weight dequantized to float32.
    var dequantized: Weight {
        let t = Tensor(shape: [rows, cols])
        weight.rows(0, rows, into: t.data)
        return Weight(t)
    }
}

/// A tiny deterministic generator (tests only).
struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func floats(_ n: Int) -> [Float] { (0..<n).map { _ in Float(next() % 20001) / 10000 - 1 } }
}

@Suite struct BlockWeightTests {
    static let formats = BlockFormat.allCases

    @Test("block dots equal dequantized row dots (every kernel set this CPU runs)", arguments: formats)
    func blockDots(_ f: BlockFormat) throws {
        let blocks = f.blockElements == 32 ? 37 : 5
        let r = RandomBlocks(f, rows: 7, blocksPerRow: blocks, seed: 11)
        var rng = SplitMix(5)
        let x = rng.floats(r.cols)
        let deq = r.dequantized
        for level in 0...QuantDot.maxLevel {
            var y = [Float](repeating: 0, count: r.rows)
            x.withUnsafeBufferPointer { xp in
                QuantDot.rows(f, UnsafeRawPointer(r.bytes.data), 0, r.rows, k: r.cols, x: xp.baseAddress!, y: &y, level: level)
            }
            for j in 0..<r.rows {
                let row = deq.row(j)
                var want = 0.0, mag = 0.0
                for i in 0..<r.cols { want += Double(row[i]) * Double(x[i]); mag += abs(Double(row[i]) * Double(x[i])) }
                #expect(abs(Double(y[j]) - want) <= 1e-5 * mag, "\(f) level \(level) row \(j): \(y[j]) vs \(want) (Σ|w·x| \(mag))")
            }
        }
    }

    @Test("every pass size of the 4-row kernels: rows r0..<r1 for 1…9 rows, plain and accumulated, every level",
          arguments: formats)
    func rowPasses(_ f: BlockFormat) throws {
        let r = RandomBlocks(f, rows: 11, blocksPerRow: f.blockElements == 32 ? 5 : 2, seed: 29)
        var rng = SplitMix(31)
        let x = rng.floats(r.cols)
        let deq = r.dequantized
        let want = (0..<r.rows).map { j in
            let row = deq.row(j)
            return (0..<r.cols).reduce(0.0) { $0 + Double(row[$1]) * Double(x[$1]) }
        }
        let mag = (0..<r.rows).map { j in
            let row = deq.row(j)
            return (0..<r.cols).reduce(0.0) { $0 + abs(Double(row[$1]) * Double(x[$1])) }
        }
        for level in 0...QuantDot.maxLevel {
            for count in 1...9 {
                let r0 = 11 - count - (count % 2)   // odd and even starting rows
                var y = [Float](repeating: .nan, count: count), acc = [Float](repeating: 2, count: count)
                QuantDot.rows(f, UnsafeRawPointer(r.bytes.data), r0, r0 + count, k: r.cols, x: x, y: &y, level: level)
                QuantDot.rows(f, UnsafeRawPointer(r.bytes.data), r0, r0 + count, k: r.cols, x: x, y: &acc,
                              accumulate: true, level: level)
                for j in 0..<count {
                    #expect(abs(Double(y[j]) - want[r0 + j]) <= 1e-5 * mag[r0 + j], "\(f) level \(level) rows \(count) row \(j)")
                    #expect(acc[j] == 2 + y[j], "\(f) level \(level) rows \(count) accumulate row \(j)")
                }
            }
        }
    }

    @Test("accumulate adds to y, and rows past r0 index the right memory", arguments: [BlockFormat.q4_K, .q8_0])
    func accumulateAndOffset(_ f: BlockFormat) throws {
        let r = RandomBlocks(f, rows: 6, blocksPerRow: 2, seed: 3)
        var rng = SplitMix(9)
        let x = rng.floats(r.cols)
        var all = [Float](repeating: 0, count: 6), part = [Float](repeating: 1, count: 3)
        QuantDot.rows(f, UnsafeRawPointer(r.bytes.data), 0, 6, k: r.cols, x: x, y: &all)
        QuantDot.rows(f, UnsafeRawPointer(r.bytes.data), 2, 5, k: r.cols, x: x, y: &part, accumulate: true)
        for j in 0..<3 { #expect(part[j] == all[j + 2] + 1) }
    }

    @Test("Linear on block weights equals Linear on the dequantized float32 weight", arguments: formats)
    func linear(_ f: BlockFormat) throws {
        let blocks = f.blockElements == 32 ? 12 : 2
        let r = RandomBlocks(f, rows: 70, blocksPerRow: blocks, seed: 21)
        let (w, d) = (r.weight, r.dequantized)
        let (n, k) = (r.rows, r.cols)
        var rng = SplitMix(8)
        let bias = rng.floats(n)
        for m in [1, 3, 9] {   // 1 and 3: block dots; 9: dequantized panels + sgemm
            let x = rng.floats(m * k)
            var got = [Float](repeating: 0, count: m * n), want = got
            Linear.forward(x, w, bias: bias, &got, m: m)
            Linear.forward(x, d, bias: bias, &want, m: m)
            assertClose(got, want, .relative(1e-5), "\(f) forward m=\(m)")
            let dy = rng.floats(m * n)
            var gx = [Float](repeating: 0, count: m * k), wx = gx
            Linear.backwardInput(dy, w, &gx, m: m)
            Linear.backwardInput(dy, d, &wx, m: m)
            assertClose(gx, wx, .relative(1e-5), "\(f) dY·W m=\(m)")
        }
        #expect(w.storageBytes == n * f.rowBytes(k))
        #expect(w.dtype == nil && w.blockFormat == f)
        var sum = [Float](repeating: 0.5, count: k)
        w.addRow(3, into: &sum)
        let row3 = d.row(3)
        #expect(sum == row3.map { 0.5 + $0 })
    }
}
