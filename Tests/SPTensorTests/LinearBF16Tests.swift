// LinearBF16 (AVX512-BF16 vdpbf16ps GEMM) against PyTorch's bf16 Linear
// (scripts/reference/kernel_goldens_linear_bf16.py) and against a float64 product of the same
// bf16-rounded operands. Disabled (Swift Testing reports it skipped) on CPUs without AVX512-BF16.

import Foundation
import SPTestSupport
import Testing
@testable import SPTensor

@Suite struct LinearBF16Tests {
    /// The fixture script's input generator (an integer hash; exact in float64, rounded once to float32).
    static func values(_ n: Int, seed: Int, scale: Double) -> [Float] {
        (0..<n).map { i in
            let h = (UInt64(i + 1) &* 2_654_435_761 &+ UInt64(seed) &* 40503) % 4_294_967_296
            return Float((Double(h) / 4_294_967_296.0 - 0.5) * scale)
        }
    }

    static func bf16(_ x: Float) -> Float {
        var v = x
        LinearBF16.roundToBF16(&v, count: 1)
        return v
    }

    /// |a − b| ≤ one bf16 ulp of the larger: the two sides may round float32 sums that differ in
    /// their last bits (different summation orders) to neighbouring bf16 values.
    static func withinOneULP(_ a: Float, _ b: Float) -> Bool {
        let big = max(abs(a), abs(b))
        if big == 0 { return true }
        return abs(a - b) <= Float(sign: .plus, exponent: big.exponent - 7, significand: 1)
    }

    @Test func roundingMatchesTorch() {
        // Ties to even, NaN to 0x7FC0 (torch's quiet NaN), infinities and subnormals kept.
        let cases: [(Float, UInt32)] = [
            (Float(bitPattern: 0x3F80_8000), 0x3F80_0000), (Float(bitPattern: 0x3F81_8000), 0x3F82_0000),
            (Float(bitPattern: 0x3F80_8001), 0x3F81_0000), (.infinity, 0x7F80_0000), (-.infinity, 0xFF80_0000),
            (Float(bitPattern: 0x0000_8001), 0x0001_0000), (-0.0, 0x8000_0000), (.nan, 0x7FC0_0000),
            (Float(bitPattern: 0x7F7F_FFFF), 0x7F80_0000),
        ]
        for (x, bits) in cases { #expect(Self.bf16(x).bitPattern == bits, "bf16(\(x.bitPattern))") }
    }

    @Test(.enabled(if: LinearBF16.isAvailable, "this CPU has no AVX512-BF16"))
    func matchesTorchBF16Linear() throws {
        let obj = try Fixture.root.jsonObject("linear_bf16.json")
        let cases = try #require(obj["cases"] as? [[String: Any]])
        #expect(cases.count == 2)
        for c in cases {
            let (m, k, n) = (c["m"] as! Int, c["k"] as! Int, c["n"] as! Int)
            let want = { (key: String) in (c[key] as! [NSNumber]).map { Float($0.doubleValue) } }
            let x = Self.values(m * k, seed: 1, scale: 4), wt = Self.values(n * k, seed: 2, scale: 0.25)
            let b = Self.values(n, seed: 3, scale: 1).map(Self.bf16), dy = Self.values(m * n, seed: 4, scale: 2)
            let w = Weight(Tensor(shape: [n, k], values: wt)).converted(to: .bfloat16)
            var y = [Float](repeating: 0, count: m * n), y0 = y, dx = [Float](repeating: 0, count: m * k)
            LinearBF16.forward(x, w, bias: b, &y, m: m)
            LinearBF16.forward(x, w, bias: nil, &y0, m: m)
            LinearBF16.backwardInput(dy, w, &dx, m: m)
            for (name, got, ref) in [("y", y, want("y")), ("y_nobias", y0, want("y_nobias")), ("dx", dx, want("dx"))] {
                #expect(got.count == ref.count)
                let bad = zip(got, ref).filter { !Self.withinOneULP($0, $1) }.count
                let exact = zip(got, ref).filter { $0 == $1 }.count
                #expect(bad == 0, "\(m)×\(k)×\(n) \(name): \(bad) values more than one bf16 ulp from torch (first: \(Array(got.prefix(3))) vs \(Array(ref.prefix(3))))")
                #expect(exact * 10 >= got.count * 9, "\(m)×\(k)×\(n) \(name): only \(exact)/\(got.count) identical")
                #expect(got.allSatisfy { Self.bf16($0) == $0 }, "\(name) is rounded to bf16")
            }
        }
    }

    /// Both products, every tail (rows past 12, columns past 32, K past 384 and odd), several
    /// threads, accumulate: the float32 sums against float64 sums of the same bf16 operands.
    @Test(.enabled(if: LinearBF16.isAvailable, "this CPU has no AVX512-BF16"),
          arguments: [(1, 5, 3), (12, 384, 32), (29, 771, 70), (64, 1000, 97), (50, 1700, 131)])
    func productsMatchFloat64(_ shape: (Int, Int, Int)) {
        let (m, k, n) = shape
        let x = randomValues(m * k, seed: 11), dy = randomValues(m * n, seed: 12)
        let w = Weight(Tensor(shape: [n, k], values: randomValues(n * k, seed: 13))).converted(to: .bfloat16)
        let wf = Tensor(shape: [n, k]); w.rows(0, n, into: wf.data)
        var y = [Float](repeating: 1, count: m * n), dx = [Float](repeating: 0.5, count: m * k)
        LinearBF16.forward(x, w, bias: nil, &y, m: m, accumulate: true, roundOutput: false)
        LinearBF16.backwardInput(dy, w, &dx, m: m, accumulate: true, roundOutput: false)
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var s = 1.0, mag = 1.0
                for p in 0..<k { let t = Double(Self.bf16(x[i * k + p])) * Double(wf.data[j * k + p]); s += t; mag += abs(t) }
                worst = max(worst, abs(Double(y[i * n + j]) - s) / mag)
            }
            for p in 0..<k {
                var s = 0.5, mag = 0.5
                for j in 0..<n { let t = Double(Self.bf16(dy[i * n + j])) * Double(wf.data[j * k + p]); s += t; mag += abs(t) }
                worst = max(worst, abs(Double(dx[i * k + p]) - s) / mag)
            }
        }
        #expect(worst < 1e-5, "\(m)×\(k)×\(n): worst error \(worst) of Σ|terms|")
    }

    /// The packed path (≥ `packedRows` rows: B packed once per chunk, shared by the threads, rows
    /// split) gives the bits of the per-part path run on row blocks below `packedRows`, also when
    /// B is cut into several chunks of reduction slices (k past 768, odd) or of 64-column groups.
    @Test(.enabled(if: LinearBF16.isAvailable, "this CPU has no AVX512-BF16"),
          arguments: [(true, 97, 1700, 150), (false, 60, 1701, 150), (true, 49, 800, 700), (false, 53, 700, 900)])
    func packedPathMatchesPerPartPath(_ shape: (Bool, Int, Int, Int)) {
        let (transB, m, k, n) = shape
        let a = randomValues(m * k, seed: 21)
        let w = Weight(Tensor(shape: [n, k], values: randomValues(n * k, seed: 22))).converted(to: .bfloat16)
        guard case .bf16(let b) = w.storage else { Issue.record("bf16 storage"); return }
        let ldb = transB ? k : n
        let block = LinearBF16.packedRows - 1
        var want = [Float](repeating: 0.25, count: m * n)
        a.withUnsafeBufferPointer { ap in
            want.withUnsafeMutableBufferPointer { c in
                for i0 in stride(from: 0, to: m, by: block) {
                    LinearBF16.gemm(transB: transB, m: min(block, m - i0), n: n, k: k, a: ap.baseAddress! + i0 * k,
                                    lda: k, b: b, ldb: ldb, c: c.baseAddress! + i0 * n, ldc: n, accumulate: true,
                                    round: true)
                }
            }
        }
        // Whole B in one chunk; one slice per chunk (three k groups); 64 columns × one slice per chunk.
        for chunk in [8 << 20, (n + 63) / 64 * 64 * 768 * 2, 1] {
            var got = [Float](repeating: 0.25, count: m * n)
            LinearBF16.gemm(transB: transB, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: ldb, c: &got, ldc: n,
                            accumulate: true, round: true, chunkBytes: chunk)
            #expect(got == want, "\(shape) chunk \(chunk): packed path differs from the per-part path")
        }
    }
    /// The dynamic row split (runs of blocks from a shared counter) gives the bits of the static one
    /// (one equal range per thread), with B in one chunk and in several.
    @Test(.enabled(if: LinearBF16.isAvailable, "this CPU has no AVX512-BF16"),
          arguments: [(true, 1104, 768, 256), (false, 491, 1537, 130), (true, 48, 64, 64), (false, 301, 800, 70)])
    func dynamicRowSplitMatchesStaticSplit(_ shape: (Bool, Int, Int, Int)) {
        let (transB, m, k, n) = shape
        let a = randomValues(m * k, seed: 31)
        let w = Weight(Tensor(shape: [n, k], values: randomValues(n * k, seed: 32))).converted(to: .bfloat16)
        guard case .bf16(let b) = w.storage else { Issue.record("bf16 storage"); return }
        let ldb = transB ? k : n
        for chunk in [8 << 20, 1] {
            var split: [[Float]] = []
            for dynamic in [false, true] {
                var c = [Float](repeating: 0.5, count: m * n)
                LinearBF16.gemm(transB: transB, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: ldb, c: &c, ldc: n,
                                accumulate: true, round: true, chunkBytes: chunk, dynamicRows: dynamic)
                split.append(c)
            }
            #expect(split[0] == split[1], "\(shape) chunk \(chunk): dynamic row split differs from the static split")
        }
    }

    /// The runs cover every block once, in order, none shorter than the minimum but the last, none
    /// longer than ``LinearBF16/RowClaims/largest(blocks:parts:)``, and shrinking.
    @Test(arguments: [(8, 2), (368, 2), (368, 3), (1000, 16), (5, 2)])
    func rowClaimsCoverEveryBlockOnce(_ c: (Int, Int)) {
        let (blocks, parts) = c
        let claims = LinearBF16.RowClaims(blocks: blocks, parts: parts)
        var runs: [Range<Int>] = []
        while let r = claims.next() { runs.append(r) }
        #expect(runs.first?.lowerBound == 0 && runs.last?.upperBound == blocks)
        for (x, y) in zip(runs, runs.dropFirst()) {
            #expect(x.upperBound == y.lowerBound && x.count >= y.count)
        }
        let largest = LinearBF16.RowClaims.largest(blocks: blocks, parts: parts)
        #expect(runs.allSatisfy { $0.count <= largest })
        #expect(runs.dropLast().allSatisfy { $0.count >= LinearBF16.RowClaims.minimum })
        #expect(claims.next() == nil)
    }
}
