import SPTestSupport
import Testing
@testable import SPTensor

@Suite struct GatedMLPTests {
    /// SwiGLU (silu), GeGLU (gelu, erf) and T5 gated-gelu (gelu_new) against torch autograd.
    @Test(arguments: [("swiglu", Activation.silu), ("geglu", .gelu), ("geglu_tanh", .geluTanh)])
    func matchesTorch(_ name: String, _ act: Activation) throws {
        let fx = try Fixture("gated_mlp")
        let gate = fx.floats("gate"), up = fx.floats("up"), dh = fx.floats("dh")
        let (rows, cols) = (5, 33)
        var h = [Float](repeating: 0, count: gate.count), dg = h, du = h
        GatedMLP.forward(gate: gate, up: up, &h, rows: rows, cols: cols, activation: act)
        GatedMLP.backward(dh, gate: gate, up: up, dGate: &dg, dUp: &du, rows: rows, cols: cols, activation: act)
        assertClose(h, fx.floats("\(name).h"), .relative(1e-5), "\(name).h")
        assertClose(dg, fx.floats("\(name).dgate"), .relative(1e-5), "\(name).dgate")
        assertClose(du, fx.floats("\(name).dup"), .relative(1e-5), "\(name).dup")
    }

    /// A fused `[gate | up]` buffer (Phi-3 gate_up_proj + chunk) with strides gives the same result
    /// as separate buffers, and the gradients land in a fused `[dGate | dUp]` buffer.
    @Test func fusedLayoutEqualsSeparate() {
        let (rows, cols) = (4, 13)
        let gate = randomValues(rows * cols, seed: 1, scale: 3), up = randomValues(rows * cols, seed: 2)
        let dh = randomValues(rows * cols, seed: 3)
        var fused = [Float](repeating: 0, count: rows * 2 * cols)
        for r in 0..<rows {
            for j in 0..<cols {
                fused[r * 2 * cols + j] = gate[r * cols + j]
                fused[r * 2 * cols + cols + j] = up[r * cols + j]
            }
        }
        var h = [Float](repeating: 0, count: rows * cols), hf = h, dg = h, du = h
        var dFused = [Float](repeating: 0, count: fused.count)
        GatedMLP.forward(gate: gate, up: up, &h, rows: rows, cols: cols, activation: .silu)
        GatedMLP.backward(dh, gate: gate, up: up, dGate: &dg, dUp: &du, rows: rows, cols: cols, activation: .silu)
        fused.withUnsafeBufferPointer { f in
            let p = f.baseAddress!
            GatedMLP.forward(gate: p, up: p + cols, &hf, rows: rows, cols: cols, activation: .silu,
                             gateStride: 2 * cols, upStride: 2 * cols)
            dFused.withUnsafeMutableBufferPointer { d in
                let q = d.baseAddress!
                GatedMLP.backward(dh, gate: p, up: p + cols, dGate: q, dUp: q + cols, rows: rows, cols: cols,
                                  activation: .silu, gateStride: 2 * cols, upStride: 2 * cols)
            }
        }
        #expect(h == hf)
        var ok = true
        for r in 0..<rows {
            for j in 0..<cols {
                ok = ok && dFused[r * 2 * cols + j] == dg[r * cols + j]
                    && dFused[r * 2 * cols + cols + j] == du[r * cols + j]
            }
        }
        #expect(ok)
    }

    /// In-place backward (dGate over gate, dUp over up) and accumulate.
    @Test func inPlaceAndAccumulate() {
        let (rows, cols) = (3, 21)
        let gate = randomValues(rows * cols, seed: 4, scale: 2), up = randomValues(rows * cols, seed: 5)
        let dh = randomValues(rows * cols, seed: 6)
        var dg = [Float](repeating: 0, count: gate.count), du = dg
        GatedMLP.backward(dh, gate: gate, up: up, dGate: &dg, dUp: &du, rows: rows, cols: cols, activation: .gelu)
        let g = Tensor(shape: [rows, cols], values: gate), u = Tensor(shape: [rows, cols], values: up)
        GatedMLP.backward(dh, gate: g.data, up: u.data, dGate: g.data, dUp: u.data, rows: rows, cols: cols,
                          activation: .gelu)
        #expect(g.array == dg && u.array == du)
        var acc = [Float](repeating: 2, count: gate.count), acc2 = acc
        GatedMLP.backward(dh, gate: gate, up: up, dGate: &acc, dUp: &acc2, rows: rows, cols: cols,
                          activation: .gelu, accumulate: true)
        #expect(acc == dg.map { $0 + 2 } && acc2 == du.map { $0 + 2 })
    }

    @Test(arguments: [Activation.silu, .gelu, .geluTanh])
    func finiteDifference(_ act: Activation) {
        let (rows, cols) = (3, 11)
        let n = rows * cols
        // input = [gate ; up], output h
        let input = randomValues(n, seed: 7, scale: 2.5) + randomValues(n, seed: 8)
        let worst = gradCheck(input: input, outputCount: n, forward: { v in
            var h = [Float](repeating: 0, count: n)
            v.withUnsafeBufferPointer { p in
                GatedMLP.forward(gate: p.baseAddress!, up: p.baseAddress! + n, &h, rows: rows, cols: cols,
                                 activation: act)
            }
            return h
        }, analytic: { v, dh in
            var d = [Float](repeating: 0, count: 2 * n)
            v.withUnsafeBufferPointer { p in
                d.withUnsafeMutableBufferPointer { q in
                    GatedMLP.backward(dh, gate: p.baseAddress!, up: p.baseAddress! + n, dGate: q.baseAddress!,
                                      dUp: q.baseAddress! + n, rows: rows, cols: cols, activation: act)
                }
            }
            return d
        })
        #expect(worst < 2e-3, "\(act): worst relative FD error \(worst)")
    }
}
