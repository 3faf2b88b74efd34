import SPTestSupport
import Testing
@testable import SPTensor

/// Attention inputs in one of two layouts: separate dense tensors, or q/k/v slices of one fused
/// `[B, T, (NH + 2·NKV)·HD]` buffer (GPT-2's c_attn output) when T = S.
final class AttentionInputs {
    let shape: AttentionShape
    let storage: Tensor, qp: Int, kp: Int, vp: Int
    let qL: HeadLayout, kL: HeadLayout, vL: HeadLayout

    init(shape s: AttentionShape, q: [Float], k: [Float], v: [Float], fused: Bool) {
        shape = s
        let (B, T, S, NH, NKV, HD) = (s.batch, s.queries, s.keys, s.heads, s.kvHeads, s.headDim)
        if fused {
            precondition(T == S)
            let W = (NH + 2 * NKV) * HD
            storage = Tensor(shape: [B, T, W])
            (qp, kp, vp) = (0, NH * HD, (NH + NKV) * HD)
            qL = .rows(tokens: T, rowWidth: W, headDim: HD)
            kL = qL
            vL = qL
        } else {
            storage = Tensor(shape: [B * (T * NH + 2 * S * NKV) * HD])
            (qp, kp, vp) = (0, B * T * NH * HD, B * (T * NH + S * NKV) * HD)
            qL = .contiguous(tokens: T, heads: NH, headDim: HD)
            kL = .contiguous(tokens: S, heads: NKV, headDim: HD)
            vL = kL
        }
        scatter(q, qp, qL, T, NH)
        scatter(k, kp, kL, S, NKV)
        scatter(v, vp, vL, S, NKV)
    }

    var q: HeadsView { HeadsView(storage.data + qp, qL) }
    var k: HeadsView { HeadsView(storage.data + kp, kL) }
    var v: HeadsView { HeadsView(storage.data + vp, vL) }

    func mutable(_ p: Int, _ l: HeadLayout) -> MutableHeadsView { MutableHeadsView(storage.data + p, l) }
    func gather(_ p: Int, _ l: HeadLayout, tokens: Int, heads: Int) -> [Float] {
        var out: [Float] = []
        for b in 0..<shape.batch { for t in 0..<tokens { for h in 0..<heads { for d in 0..<shape.headDim {
            out.append(storage.data[p + b * l.batch + t * l.token + h * l.head + d])
        } } } }
        return out
    }
    var dq: [Float] { gather(qp, qL, tokens: shape.queries, heads: shape.heads) }
    var dk: [Float] { gather(kp, kL, tokens: shape.keys, heads: shape.kvHeads) }
    var dv: [Float] { gather(vp, vL, tokens: shape.keys, heads: shape.kvHeads) }

    private func scatter(_ x: [Float], _ p: Int, _ l: HeadLayout, _ tokens: Int, _ heads: Int) {
        var i = 0
        for b in 0..<shape.batch { for t in 0..<tokens { for h in 0..<heads { for d in 0..<shape.headDim {
            storage.data[p + b * l.batch + t * l.token + h * l.head + d] = x[i]
            i += 1
        } } } }
    }
}

/// Runs forward (+ backward with `dOut`) and returns out, probs, dq, dk, dv.
func runAttention(_ s: AttentionShape, q: [Float], k: [Float], v: [Float], dOut: [Float], options: AttentionOptions,
                  fused: Bool, saveProbs: Bool) -> (out: [Float], probs: [Float], dq: [Float], dk: [Float], dv: [Float]) {
    let inp = AttentionInputs(shape: s, q: q, k: k, v: v, fused: fused)
    let out = Tensor(shape: [s.batch, s.queries, s.heads, s.headDim])
    let probs = Tensor(shape: [s.batch, s.heads, s.queries, s.keys])
    let oL = HeadLayout.contiguous(tokens: s.queries, heads: s.heads, headDim: s.headDim)
    Attention.forward(out: MutableHeadsView(out.data, oL), probs: saveProbs ? probs.data : nil,
                      q: inp.q, k: inp.k, v: inp.v, shape: s, options: options)
    let grads = AttentionInputs(shape: s, q: q.map { _ in 0 }, k: k.map { _ in 0 }, v: v.map { _ in 0 }, fused: fused)
    let dO = Tensor(shape: [dOut.count], values: dOut)
    Attention.backward(dq: grads.mutable(grads.qp, grads.qL), dk: grads.mutable(grads.kp, grads.kL),
                       dv: grads.mutable(grads.vp, grads.vL), dOut: HeadsView(dO.data, oL),
                       q: inp.q, k: inp.k, v: inp.v, probs: saveProbs ? UnsafePointer(probs.data) : nil,
                       shape: s, options: options)
    return (out.array, probs.array, grads.dq, grads.dk, grads.dv)
}

@Suite struct AttentionTests {
    static let cases = ["causal_pad", "gqa", "mqa", "sliding", "offset1", "offset2", "offset3", "offset_window",
                        "bidir", "alibi6", "alibi8", "t5enc", "t5dec"]

    @Test(arguments: cases) func matchesTransformers(_ name: String) throws {
        let f = try Fixture("attention")
        let c = f.tensor("\(name).config").array.map(Double.init)
        let s = AttentionShape(batch: Int(c[0]), queries: Int(c[1]), keys: Int(c[2]), heads: Int(c[3]),
                               kvHeads: Int(c[4]), headDim: Int(c[5]))
        let mask = f.tensor("\(name).keymask")
        var biasT: Tensor?
        var bias: AttentionBias?
        if name.hasPrefix("alibi") {
            biasT = f.tensor("\(name).alibi")
            bias = ALiBi.attentionBias(biasT!.data, heads: s.heads, keys: s.keys)
        } else if name.hasPrefix("t5") {
            biasT = f.tensor("\(name).bias")
            bias = RelativeBias.attentionBias(biasT!.data, queries: s.queries, keys: s.keys)
        }
        let opts = AttentionOptions(scale: Float(c[9]), causal: c[7] != 0, queryOffset: Int(c[6]),
                                    slidingWindow: c[8] > 0 ? Int(c[8]) : nil, keyMask: mask.data, bias: bias)
        let (q, k, v, dOut) = (f.tensor("\(name).q").array, f.tensor("\(name).k").array, f.tensor("\(name).v").array,
                               f.tensor("\(name).dout").array)
        for fused in s.queries == s.keys ? [false, true] : [false] {
            for save in [true, false] {
                let r = runAttention(s, q: q, k: k, v: v, dOut: dOut, options: opts, fused: fused, saveProbs: save)
                let label = "\(name) fused=\(fused) saved=\(save)"
                assertClose(r.out, f.tensor("\(name).out").array, .relative(1e-5), "\(label) out")
                if save { assertClose(r.probs, f.tensor("\(name).probs").array, .relative(1e-5), "\(label) probs") }
                assertClose(r.dq, f.tensor("\(name).dq").array, .relative(1e-5), "\(label) dq")
                assertClose(r.dk, f.tensor("\(name).dk").array, .relative(1e-5), "\(label) dk")
                assertClose(r.dv, f.tensor("\(name).dv").array, .relative(1e-5), "\(label) dv")
            }
        }
        _ = biasT
    }

    /// Long sequences cross query-block boundaries, and single-token decode steps take the
    /// grouped / matrix-vector path; compare against the naive reference.
    @Test(arguments: [
        (AttentionShape(batch: 2, queries: 150, keys: 150, heads: 4, kvHeads: 2, headDim: 8), true, 0, 0),
        (AttentionShape(batch: 2, queries: 130, keys: 130, heads: 2, kvHeads: 1, headDim: 5), true, 0, 40),
        (AttentionShape(batch: 1, queries: 70, keys: 100, heads: 3, kvHeads: 3, headDim: 4), true, 30, 0),
        (AttentionShape(batch: 2, queries: 90, keys: 77, heads: 2, kvHeads: 2, headDim: 6), false, 0, 0),
        (AttentionShape(batch: 3, queries: 1, keys: 40, heads: 3, kvHeads: 3, headDim: 8), true, 39, 0),
        (AttentionShape(batch: 3, queries: 1, keys: 40, heads: 4, kvHeads: 1, headDim: 8), true, 39, 16),
        (AttentionShape(batch: 2, queries: 1, keys: 200, heads: 6, kvHeads: 2, headDim: 16), true, 199, 0),
        (AttentionShape(batch: 4, queries: 1, keys: 600, heads: 8, kvHeads: 2, headDim: 32), true, 599, 0),
    ])
    func blockedMatchesNaive(_ s: AttentionShape, _ causal: Bool, _ offset: Int, _ window: Int) {
        let nq = s.batch * s.queries * s.heads * s.headDim, nk = s.batch * s.keys * s.kvHeads * s.headDim
        let q = randomValues(nq, seed: 1), k = randomValues(nk, seed: 2), v = randomValues(nk, seed: 3)
        let dOut = randomValues(nq, seed: 4)
        var mask = [Float](repeating: 1, count: s.batch * s.keys)
        if s.batch > 1 { for j in 0..<min(13, s.keys) { mask[s.keys + j] = 0 } }      // left padding in batch 1
        let bias = randomValues(s.batch * s.heads * s.keys, seed: 5)
        mask.withUnsafeBufferPointer { m in
            bias.withUnsafeBufferPointer { bp in
                let opts = AttentionOptions(causal: causal, queryOffset: offset, slidingWindow: window > 0 ? window : nil,
                                            keyMask: m.baseAddress,
                                            bias: ALiBi.attentionBias(bp.baseAddress!, heads: s.heads, keys: s.keys))
                let ref = NaiveAttention(shape: s, options: opts)
                let (out, dq, dk, dv) = ref.run(q: q, k: k, v: v, dOut: dOut)
                for save in [true, false] {
                    let r = runAttention(s, q: q, k: k, v: v, dOut: dOut, options: opts, fused: false, saveProbs: save)
                    assertClose(r.out, out, .relative(1e-5), "naive out")
                    assertClose(r.dq, dq, .relative(1e-5), "naive dq")
                    assertClose(r.dk, dk, .relative(1e-5), "naive dk")
                    assertClose(r.dv, dv, .relative(1e-5), "naive dv")
                }
            }
        }
    }

    /// Central finite differences of the backward w.r.t. q, k and v together, with every option on.
    @Test(arguments: [false, true]) func gradientMatchesFiniteDifferences(_ withBias: Bool) {
        let s = AttentionShape(batch: 2, queries: 4, keys: 5, heads: 4, kvHeads: 2, headDim: 3)
        let nq = s.batch * s.queries * s.heads * s.headDim, nk = s.batch * s.keys * s.kvHeads * s.headDim
        let mask: [Float] = [0, 1, 1, 1, 1, 1, 1, 1, 1, 0]
        let bias = randomValues(s.batch * s.heads * s.keys, seed: 9)
        let x0 = randomValues(nq + 2 * nk, seed: 7)
        mask.withUnsafeBufferPointer { m in
            bias.withUnsafeBufferPointer { bp in
                let opts = AttentionOptions(causal: true, queryOffset: 1, slidingWindow: 3, keyMask: m.baseAddress,
                                            bias: withBias ? ALiBi.attentionBias(bp.baseAddress!, heads: 4, keys: 5) : nil)
                func split(_ x: [Float]) -> ([Float], [Float], [Float]) {
                    (Array(x[0..<nq]), Array(x[nq..<(nq + nk)]), Array(x[(nq + nk)...]))
                }
                let worst = gradCheck(input: x0, outputCount: nq, h: 1e-2, forward: { x in
                    let (q, k, v) = split(x)
                    return runAttention(s, q: q, k: k, v: v, dOut: [Float](repeating: 0, count: nq), options: opts,
                                        fused: false, saveProbs: false).out
                }, analytic: { x, r in
                    let (q, k, v) = split(x)
                    let g = runAttention(s, q: q, k: k, v: v, dOut: r, options: opts, fused: false, saveProbs: true)
                    return g.dq + g.dk + g.dv
                })
                #expect(worst < 2e-3, "worst relative FD error \(worst)")
            }
        }
    }

    /// A row that sees no key: uniform probabilities over all S keys (transformers' eager result), finite.
    @Test func deadRowIsUniformAndFinite() {
        let s = AttentionShape(batch: 1, queries: 3, keys: 3, heads: 1, headDim: 2)
        let mask: [Float] = [0, 0, 1]
        let v: [Float] = [1, 2, 3, 4, 5, 6]
        mask.withUnsafeBufferPointer { m in
            let r = runAttention(s, q: randomValues(6, seed: 1), k: randomValues(6, seed: 2), v: v,
                                 dOut: [1, 1, 1, 1, 1, 1], options: AttentionOptions(causal: true, keyMask: m.baseAddress),
                                 fused: false, saveProbs: true)
            #expect(r.out[0] == 3 && r.out[1] == 4)          // mean of V rows (1,2), (3,4), (5,6)
            #expect(r.out[4] == 5 && r.out[5] == 6)          // row 2 sees key 2 only
            #expect(r.probs[0..<3].allSatisfy { abs($0 - 1.0 / 3) < 1e-7 })
            #expect(r.dq.allSatisfy(\.isFinite) && r.dk.allSatisfy(\.isFinite))
            #expect(r.dq[0] == 0 && r.dq[1] == 0)            // dead rows are constant in q
        }
    }

    /// BLAS.threads is global: the kernels must leave it as they found it.
    @Test func restoresBLASThreads() {
        let s = AttentionShape(batch: 2, queries: 3, keys: 3, heads: 2, headDim: 2)
        _ = runAttention(s, q: randomValues(24, seed: 1), k: randomValues(24, seed: 2), v: randomValues(24, seed: 3),
                         dOut: randomValues(24, seed: 4), options: AttentionOptions(causal: true), fused: false,
                         saveProbs: false)
        // Other suites run attention concurrently, so compare under BLAS's own lock.
        #expect(BLAS.threadCountIsConsistent)
    }
}
