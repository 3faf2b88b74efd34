// Naive attention in Double with the same masking rules as Attention, for testing the blocked kernel.

import Foundation
@testable import SPTensor

struct NaiveAttention {
    let shape: AttentionShape
    let options: AttentionOptions

    /// out, dq, dk, dv for dense token-major q [B,T,NH,HD], k/v [B,S,NKV,HD] and dOut [B,T,NH,HD].
    func run(q: [Float], k: [Float], v: [Float], dOut: [Float]) -> ([Float], [Float], [Float], [Float]) {
        let (B, T, S, NH, NKV, HD) = (shape.batch, shape.queries, shape.keys, shape.heads, shape.kvHeads, shape.headDim)
        let scale = Double(options.scale ?? 1 / Float(HD).squareRoot())
        func qi(_ b: Int, _ t: Int, _ h: Int, _ d: Int) -> Int { ((b * T + t) * NH + h) * HD + d }
        func ki(_ b: Int, _ j: Int, _ g: Int, _ d: Int) -> Int { ((b * S + j) * NKV + g) * HD + d }
        var out = [Double](repeating: 0, count: q.count), dq = out
        var dk = [Double](repeating: 0, count: k.count), dv = dk
        for b in 0..<B {
            for h in 0..<NH {
                let g = h / (NH / NKV)
                for i in 0..<T {
                    let a = options.queryOffset + i
                    let visible = (0..<S).map { j in
                        (!options.causal || j <= a) && (options.slidingWindow.map { j > a - $0 } ?? true)
                            && (options.keyMask.map { $0[b * (options.keyMaskStride ?? S) + j] != 0 } ?? true)
                    }
                    let dead = !visible.contains(true)
                    var p = [Double](repeating: dead ? 1 / Double(S) : 0, count: S)
                    if !dead {
                        var sc = [Double](repeating: -.infinity, count: S)
                        for j in 0..<S where visible[j] {
                            var dot = 0.0
                            for d in 0..<HD { dot += Double(q[qi(b, i, h, d)]) * Double(k[ki(b, j, g, d)]) }
                            sc[j] = dot * scale
                            if let bias = options.bias {
                                sc[j] += Double(bias.data[b * bias.batchStride + h * bias.headStride
                                                          + i * bias.rowStride + j])
                            }
                        }
                        let m = sc.max()!
                        let e = sc.map { $0 == -.infinity ? 0 : exp($0 - m) }
                        let z = e.reduce(0, +)
                        p = e.map { $0 / z }
                    }
                    var dp = [Double](repeating: 0, count: S)
                    for j in 0..<S {
                        for d in 0..<HD {
                            out[qi(b, i, h, d)] += p[j] * Double(v[ki(b, j, g, d)])
                            dv[ki(b, j, g, d)] += p[j] * Double(dOut[qi(b, i, h, d)])
                            dp[j] += Double(dOut[qi(b, i, h, d)]) * Double(v[ki(b, j, g, d)])
                        }
                    }
                    if dead { continue }
                    let pdp = zip(p, dp).map(*).reduce(0, +)
                    for j in 0..<S {
                        let ds = p[j] * (dp[j] - pdp) * scale
                        for d in 0..<HD {
                            dq[qi(b, i, h, d)] += ds * Double(k[ki(b, j, g, d)])
                            dk[ki(b, j, g, d)] += ds * Double(q[qi(b, i, h, d)])
                        }
                    }
                }
            }
        }
        let f = { (x: [Double]) in x.map(Float.init) }
        return (f(out), f(dq), f(dk), f(dv))
    }
}
