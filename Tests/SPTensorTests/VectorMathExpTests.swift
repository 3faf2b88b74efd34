// The one SIMD exp (VectorMath.exp), used by softmax, attention rows, cross-entropy and the
// activations: accuracy against libm and its edge cases.

import Foundation
import Testing
@testable import SPTensor

@Suite struct VectorMathExpTests {
    /// Distance in units in the last place between two positive floats.
    func ulps(_ a: Float, _ b: Float) -> Int { abs(Int(a.bitPattern) - Int(b.bitPattern)) }

    @Test func withinTwoUlpsOnTheNormalRange() {
        var worst = 0
        var x: Float = -87.0
        while x < 88.0 {
            let v = SIMD8<Float>((0..<8).map { x + Float($0) * 0.0013 })
            let e = VectorMath.exp(v)
            for k in 0..<8 { worst = max(worst, ulps(e[k], Float(Foundation.exp(Double(v[k]))))) }
            x += 0.0111
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
    }

    @Test func edges() {
        let v = SIMD8<Float>(-.infinity, -1000, -87.34, 0, 88.5, .infinity, .nan, -0.0)
        let e = VectorMath.exp(v)
        #expect(e[0] == 0 && e[1] == 0 && e[2] == 0, "below the normal range: exactly 0 (masked logits)")
        #expect(e[3] == 1 && e[7] == 1)
        #expect(e[4].isFinite && e[4] > 2e38 && e[5].isFinite, "saturates instead of inf")
        #expect(e[6].isNaN)
    }
}
