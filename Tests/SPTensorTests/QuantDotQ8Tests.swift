// llama.cpp's arithmetic (`--activations q8`, Sources/CBLAS/quant_dot_q8.c): the activation
// quantizers and the integer block dots bitwise against the scalar re-derivation of ggml
// (GGMLQ8Reference), at every kernel level this CPU runs; Linear's routing of a q8-activation
// weight; and the approximation against the float32 product.

import SPTestSupport
import Testing
@testable import SPTensor

@Suite struct QuantDotQ8Tests {
    /// Activations with a spread of magnitudes, exact halves after scaling (ties), zeros and one all-zero block.
    static func activations(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix(seed)
        var x = rng.floats(n).enumerated().map { i, v in v * Float(1 + i % 7) }
        for i in stride(from: 3, to: n, by: 29) { x[i] = 0 }
        if n >= 512 { for i in 256..<512 { x[i] = 0 } }      // a whole zero Q8_K (and Q8_0) block
        if n >= 64 { for i in 32..<64 { x[i] = Float(i - 48) * 0.5 } }  // 127/max·x lands on .5 values
        return x
    }

    @Test("activation quantization equals ggml's x86 quantizers bitwise", arguments: BlockFormat.allCases)
    func quantize(_ f: BlockFormat) throws {
        let k = 1024
        let x = Self.activations(k, seed: 21)
        var out = [UInt8](repeating: 0xAB, count: QuantDotQ8.activationBytes(f, k: k))
        x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBytes { QuantDotQ8.quantize(f, xp.baseAddress!, k: k, into: $0.baseAddress!) } }
        let want = GGMLQ8Reference.quantize(f, x)
        #expect(out.count == want.count)
        let firstDiff = zip(out, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDiff == nil, "\(f): first differing byte \(firstDiff ?? -1)")
    }

    @Test("integer block dots equal ggml's scalar reference bitwise at every kernel level", arguments: BlockFormat.allCases)
    func dots(_ f: BlockFormat) throws {
        let blocksPerRow = f.blockElements == 32 ? 40 : 5
        let r = RandomBlocks(f, rows: 9, blocksPerRow: blocksPerRow, seed: 17)
        let k = r.cols, rb = f.rowBytes(k), m = 3
        let xs = (0..<m).map { Self.activations(k, seed: 30 + UInt64($0)) }
        let stride = QuantDotQ8.activationBytes(f, k: k)
        let xq = xs.flatMap { GGMLQ8Reference.quantize(f, $0) }
        let wBytes = (0..<(r.rows * rb)).map { r.bytes.data.load(fromByteOffset: $0, as: UInt8.self) }
        var want = [Float](repeating: 0, count: m * r.rows)
        for i in 0..<m {
            for j in 0..<r.rows {
                want[i * r.rows + j] = GGMLQ8Reference.dot(f, Array(wBytes[(j * rb)..<((j + 1) * rb)]),
                                                           Array(xq[(i * stride)..<((i + 1) * stride)]), k: k)
            }
        }
        for level in 0...QuantDot.maxLevel {
            var y = [Float](repeating: .nan, count: m * r.rows)
            xq.withUnsafeBytes { q in
                QuantDotQ8.rows(f, UnsafeRawPointer(r.bytes.data), 0, r.rows, k: k, xq: q.baseAddress!, xqStride: stride, m: m,
                                y: &y, ldy: r.rows, level: level)
            }
            #expect(y.map(\.bitPattern) == want.map(\.bitPattern), "\(f) level \(level): \(y.prefix(4)) vs \(want.prefix(4))")
            // accumulate adds onto y
            var acc = [Float](repeating: 1, count: m * r.rows)
            xq.withUnsafeBytes { q in
                QuantDotQ8.rows(f, UnsafeRawPointer(r.bytes.data), 0, r.rows, k: k, xq: q.baseAddress!, xqStride: stride, m: m,
                                y: &acc, ldy: r.rows, accumulate: true, level: level)
            }
            #expect(acc == want.map { 1 + $0 }, "\(f) level \(level) accumulate")
        }
    }

    @Test("Linear on a q8-activation weight: the quantized product, close to the float32 one", arguments: BlockFormat.allCases)
    func linearRoutes(_ f: BlockFormat) throws {
        let r = RandomBlocks(f, rows: 70, blocksPerRow: f.blockElements == 32 ? 24 : 3, seed: 5)
        let w = try #require(r.weight.withQ8Activations())
        #expect(w.q8Activations && !r.weight.q8Activations)
        #expect(r.dequantized.withQ8Activations() == nil, "float32 storage has no blocks to quantize against")
        let k = r.cols
        for m in [1, 6] {  // decoding and a prefill-sized batch take the same path
            let x = (0..<m).flatMap { Self.activations(k, seed: 40 + UInt64($0)) }
            var y = [Float](repeating: 0, count: m * r.rows), yf = y
            Linear.forward(x, w, bias: nil, &y, m: m)
            Linear.forward(x, r.dequantized, bias: nil, &yf, m: m)
            let stride = QuantDotQ8.activationBytes(f, k: k)
            let wBytes = (0..<(r.rows * f.rowBytes(k))).map { r.bytes.data.load(fromByteOffset: $0, as: UInt8.self) }
            for i in 0..<m {
                let xq = GGMLQ8Reference.quantize(f, Array(x[(i * k)..<((i + 1) * k)]))
                #expect(xq.count == stride)
                for j in [0, 33, r.rows - 1] {
                    let rb = f.rowBytes(k)
                    let want = GGMLQ8Reference.dot(f, Array(wBytes[(j * rb)..<((j + 1) * rb)]), xq, k: k)
                    #expect(y[i * r.rows + j].bitPattern == want.bitPattern, "\(f) m=\(m) row \(i) col \(j)")
                }
            }
            // Q8 activations are approximate: within a few % of the largest float32 output.
            let scale = yf.map { abs($0) }.max()!
            let worst = zip(y, yf).map { abs($0 - $1) }.max()!
            #expect(worst <= 0.03 * scale, "\(f) m=\(m): worst |q8 − f32| \(worst) vs max |y| \(scale)")
            #expect(worst > 0, "\(f): the q8 path must differ from float32 somewhere (it quantizes x)")
        }
    }
}
