// Scalar float64 attention with a bf16 model's roundings (AttentionOptions.bf16), for testing the
// bf16 products: probabilities from q, k; output and gradients from given probabilities.

import Foundation
@testable import SPTensor

struct BF16NaiveAttention {
    let shape: AttentionShape
    let options: AttentionOptions

    private var dims: (B: Int, T: Int, S: Int, NH: Int, NKV: Int, HD: Int) {
        (shape.batch, shape.queries, shape.keys, shape.heads, shape.kvHeads, shape.headDim)
    }
    private func qi(_ b: Int, _ t: Int, _ h: Int, _ d: Int) -> Int { ((b * dims.T + t) * dims.NH + h) * dims.HD + d }
    private func ki(_ b: Int, _ j: Int, _ g: Int, _ d: Int) -> Int { ((b * dims.S + j) * dims.NKV + g) * dims.HD + d }
    private func pi(_ b: Int, _ h: Int, _ i: Int, _ j: Int) -> Int { ((b * dims.NH + h) * dims.T + i) * dims.S + j }

    /// Keys query row i of batch b sees (causal, key mask; no window or bias in these cases).
    private func visible(_ b: Int, _ i: Int) -> [Bool] {
        let a = options.queryOffset + i
        return (0..<dims.S).map { j in
            (!options.causal || j <= a) && (options.keyMask.map { $0[b * (options.keyMaskStride ?? dims.S) + j] != 0 } ?? true)
        }
    }

    /// [B, NH, T, S]: bf16(softmax(bf16(bf16(q·k)·scale))), masked 0; a dead row bf16(1/S).
    func probabilities(q: [Float], k: [Float]) -> [Float] {
        let (B, T, S, NH, NKV, HD) = dims
        let scale = options.scale ?? 1 / Float(HD).squareRoot()
        var p = [Float](repeating: 0, count: B * NH * T * S)
        for b in 0..<B {
            for h in 0..<NH {
                let g = h / (NH / NKV)
                for i in 0..<T {
                    let vis = visible(b, i)
                    if !vis.contains(true) {
                        for j in 0..<S { p[pi(b, h, i, j)] = BF16Compute.round(1 / Float(S)) }
                        continue
                    }
                    var sc = [Double](repeating: -.infinity, count: S)
                    for j in 0..<S where vis[j] {
                        var dot = 0.0
                        for d in 0..<HD { dot += Double(q[qi(b, i, h, d)]) * Double(k[ki(b, j, g, d)]) }
                        sc[j] = Double(BF16Compute.round(BF16Compute.round(Float(dot)) * scale))
                    }
                    let m = sc.max()!
                    let e = sc.map { $0 == -.infinity ? 0 : exp($0 - m) }
                    let z = e.reduce(0, +)
                    for j in 0..<S { p[pi(b, h, i, j)] = BF16Compute.round(Float(e[j] / z)) }
                }
            }
        }
        return p
    }

    /// out = bf16(P·V) and the gradients (float64, with each one's Σ|terms|) from probabilities `p`.
    func fromProbabilities(_ p: [Float], q: [Float], k: [Float], v: [Float], dOut: [Float])
        -> (out: [Float], dq: [Double], dk: [Double], dv: [Double], dqSize: [Double], dkSize: [Double], dvSize: [Double]) {
        let (B, T, S, NH, NKV, HD) = dims
        let scale = Double(options.scale ?? 1 / Float(HD).squareRoot())
        var out = [Float](repeating: 0, count: q.count)
        var dq = [Double](repeating: 0, count: q.count), dqSize = dq
        var dk = [Double](repeating: 0, count: k.count), dv = dk, dkSize = dk, dvSize = dk
        for b in 0..<B {
            for h in 0..<NH {
                let g = h / (NH / NKV)
                for i in 0..<T {
                    let row = (0..<S).map { Double(p[pi(b, h, i, $0)]) }
                    var dp = [Double](repeating: 0, count: S)
                    for d in 0..<HD {
                        var o = 0.0
                        for j in 0..<S {
                            let (vj, dO) = (Double(v[ki(b, j, g, d)]), Double(dOut[qi(b, i, h, d)]))
                            o += row[j] * vj
                            dv[ki(b, j, g, d)] += row[j] * dO
                            dvSize[ki(b, j, g, d)] += abs(row[j] * dO)
                            dp[j] += dO * vj
                        }
                        out[qi(b, i, h, d)] = BF16Compute.round(Float(o))
                    }
                    if !visible(b, i).contains(true) { continue }   // dead row: no score gradient
                    let pdp = zip(row, dp).map(*).reduce(0, +)
                    for j in 0..<S {
                        let ds = Double(BF16Compute.round(Float(row[j] * (dp[j] - pdp) * scale)))
                        for d in 0..<HD {
                            let (kj, qv) = (Double(k[ki(b, j, g, d)]), Double(q[qi(b, i, h, d)]))
                            dq[qi(b, i, h, d)] += ds * kj
                            dqSize[qi(b, i, h, d)] += abs(ds * kj)
                            dk[ki(b, j, g, d)] += ds * qv
                            dkSize[ki(b, j, g, d)] += abs(ds * qv)
                        }
                    }
                }
            }
        }
        return (out, dq, dk, dv, dqSize, dkSize, dvSize)
    }
}
