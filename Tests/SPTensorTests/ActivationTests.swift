import Foundation
import SPTestSupport
import Testing
@testable import SPTensor

@Suite struct ActivationTests {
    @Test func parsesEveryTransformersName() throws {
        #expect(try Activation(configName: "gelu") == .gelu)
        #expect(try Activation(configName: "gelu_new") == .geluTanh)
        #expect(try Activation(configName: "gelu_fast") == .geluTanh)
        #expect(try Activation(configName: "gelu_pytorch_tanh") == .geluTanh)
        #expect(try Activation(configName: "swish") == .silu)
        #expect(try Activation(configName: "linear") == .identity)
        for c in Activation.allCases { #expect(Activation.configNames.contains(c.rawValue), "\(c)") }
    }

    @Test func unknownAndUnsupportedNamesThrow() {
        #expect(throws: KernelInputError.unknownActivation(name: "Gelu", field: "activation_function")) {
            try Activation(configName: "Gelu", field: "activation_function")
        }
        #expect(throws: KernelInputError.unsupportedActivation(name: "mish", field: "hidden_act")) {
            try Activation(configName: "mish")
        }
        let msg = KernelInputError.unknownActivation(name: "foo", field: "hidden_act").description
        #expect(msg.contains("hidden_act") && msg.contains("foo") && msg.contains("gelu_new"))
    }

    /// Every accepted config name against the transformers module of that name (ACT2FN[name]):
    /// a moderate range with points near 0 and at the ReLU6 kink, and a large-|x| range.
    @Test(arguments: Activation.configNames)
    func matchesTorch(_ name: String) throws {
        let fx = try Fixture("activations")
        let act = try Activation(configName: name)
        for part in ["", "big."] {
            let x = fx.floats(part + "x"), dy = fx.floats(part + "dy")
            var y = [Float](repeating: 0, count: x.count), dx = y
            act.forward(x, &y, count: x.count)
            act.backward(dy, x, &dx, count: x.count)
            if part.isEmpty {
                assertClose(y, fx.floats("\(name).y"), .relative(1e-5), "\(name).y")
                assertClose(dx, fx.floats("\(name).dx"), .relative(1e-5), "\(name).dx")
            } else {
                tailGolden(y, name + ".big.y", fx)
                tailGolden(dx, name + ".big.dx", fx)
            }
        }
    }

    /// Large |x|: within 1e-5 of float32 torch, or within 2e-6 of float64 torch where float32
    /// torch itself loses digits (e.g. sigmoid′ = (1 − y)·y at x = 7 is off by 6e-5 relative).
    private func tailGolden(_ a: [Float], _ key: String, _ fx: Fixture) {
        let e32 = Closeness(a, fx.floats(key)).error(.relative(0)), e64 = Closeness(a, fx.floats(key + "64")).error(.relative(0))
        if ProcessInfo.processInfo.environment["SOFTPROMPT_PRINT_ERRORS"] != nil { print("golden \(key): \(e32) (f64 \(e64))") }
        #expect(!fx.floats(key).isEmpty && (e32 <= 1e-5 || e64 <= 2e-6), "\(key): error \(e32) vs float32 torch, \(e64) vs float64 torch")
    }

    /// Elementwise relative accuracy against the Double formula (libm) over a dense sweep, for the
    /// activations built on exp / erfc / tanh polynomials. The bound is 2e-6 plus what rounding
    /// the float32 input alone can cause, 1.2e-7·κ with κ = |x·f′/f| (|x·f″/f′| for f′): in the far
    /// tails (GELU at x = −12, κ ≈ 144) no float32 kernel can do better.
    @Test(arguments: [Activation.gelu, .geluTanh, .quickGelu, .silu, .sigmoid, .tanh])
    func denseSweepAccuracy(_ act: Activation) {
        let x = stride(from: -16.0, through: 16.0, by: 1.0 / 256).map { Float($0) }
            + stride(from: -1e-3, through: 1e-3, by: 1e-5).map { Float($0) }
        var y = [Float](repeating: 0, count: x.count), d = y
        let ones = [Float](repeating: 1, count: x.count)
        act.forward(x, &y, count: x.count)
        act.backward(ones, x, &d, count: x.count)
        var worstY = 0.0, worstD = 0.0   // error / allowed
        var atY: Float = 0, atD: Float = 0
        for i in 0..<x.count {
            let v = Double(x[i]), (fy, fd) = reference(act, v)
            let h = max(1e-6, abs(v) * 1e-6)
            let f2 = (reference(act, v + h).1 - reference(act, v - h).1) / (2 * h)
            if abs(fy) > 1e-30 {
                let allowed = 2e-6 + 1.2e-7 * abs(v * fd / fy)
                let r = abs(Double(y[i]) - fy) / abs(fy) / allowed
                if r > worstY { worstY = r; atY = x[i] }
            }
            if abs(fd) > 1e-30 {
                let allowed = 2e-6 + 1.2e-7 * abs(v * f2 / fd)
                // f′ crosses zero (GELU′ at x ≈ −0.75, SiLU′ at −1.28) as a difference of O(1)
                // terms: there the error is judged against 0.02, not against |f′|.
                let r = abs(Double(d[i]) - fd) / max(abs(fd), 0.02) / allowed
                if r > worstD { worstD = r; atD = x[i] }
            }
        }
        if ProcessInfo.processInfo.environment["SOFTPROMPT_PRINT_ERRORS"] != nil {
            print("sweep \(act): value \(worstY) at \(atY), derivative \(worstD) at \(atD)")
        }
        #expect(worstY <= 1, "\(act) value: worst error / allowed = \(worstY) at x = \(atY)")
        #expect(worstD <= 1, "\(act) derivative: worst error / allowed = \(worstD) at x = \(atD)")
    }

    /// (f(x), f′(x)) in Double with libm, in forms without cancellation.
    private func reference(_ act: Activation, _ x: Double) -> (Double, Double) {
        func sig(_ v: Double) -> Double { 1 / (1 + Foundation.exp(-v)) }
        switch act {
        case .gelu:
            let cdf = 0.5 * Foundation.erfc(-x / 2.0.squareRoot())
            return (x * cdf, cdf + x * Foundation.exp(-x * x / 2) / (2 * Double.pi).squareRoot())
        case .geluTanh:
            // ½x(1 + tanh u) = x·σ(2u);  ½(1 − tanh²u) = 2σ(2u)(1 − σ(2u))
            let c = (2 / Double.pi).squareRoot(), u = c * (x + 0.044715 * x * x * x)
            let s = sig(2 * u), oneMinus = sig(-2 * u)
            return (x * s, s + 2 * x * s * oneMinus * c * (1 + 3 * 0.044715 * x * x))
        case .quickGelu:
            let s = sig(1.702 * x), oneMinus = sig(-1.702 * x)
            return (x * s, s + 1.702 * x * s * oneMinus)
        case .silu:
            let s = sig(x), oneMinus = sig(-x)
            return (x * s, s + x * s * oneMinus)
        case .sigmoid:
            return (sig(x), sig(x) * sig(-x))
        case .tanh:
            return (Foundation.tanh(x), 4 * sig(2 * x) * sig(-2 * x))
        default:
            return (.nan, .nan)
        }
    }

    @Test func finiteDifferenceBackward() {
        // Away from the kinks of relu / relu6 / gelu_10 (the step is h = 1e-2).
        var x = randomValues(203, seed: 5, scale: 5)
        x = x.map { abs($0) < 0.05 || abs($0 - 6) < 0.05 ? $0 + 0.2 : $0 } + [11.5, 12.5, -9, 9]
        for act in Activation.allCases {
            let worst = gradCheck(input: x, outputCount: x.count, h: 1e-2, forward: { x in
                var y = [Float](repeating: 0, count: x.count)
                act.forward(x, &y, count: x.count)
                return y
            }, analytic: { x, dy in
                var dx = [Float](repeating: 0, count: x.count)
                act.backward(dy, x, &dx, count: x.count)
                return dx
            })
            #expect(worst < 2e-3, "\(act): worst relative FD error \(worst)")
        }
    }

    @Test func specialValues() {
        let x: [Float] = [.nan, .infinity, -.infinity, 1e30, -1e30, 0]
        var y = [Float](repeating: 0, count: x.count)
        for act in [Activation.gelu, .geluTanh, .silu, .quickGelu] {
            act.forward(x, &y, count: x.count)
            #expect(y[0].isNaN, "\(act)(nan)")
            #expect(y[3] == 1e30 && y[4] == 0 && y[5] == 0, "\(act): \(y)")
            #expect(y[1] == .infinity, "\(act)(inf) = \(y[1])")
        }
    }

    /// The thread-pool path (≥ 64K elements, chunked) must equal the single-chunk result, and
    /// `accumulate` adds.
    @Test func largeInputsAndAccumulate() {
        let n = 100_003
        let x = randomValues(n, seed: 9, scale: 6), dy = randomValues(n, seed: 10)
        var y = [Float](repeating: 0, count: n), dx = [Float](repeating: 0.5, count: n)
        Activation.gelu.forward(x, &y, count: n)
        Activation.gelu.backward(dy, x, &dx, count: n, accumulate: true)
        var ySmall = [Float](repeating: 0, count: 1000), dxSmall = ySmall
        let tailStart = n - 1000
        Array(x[tailStart...]).withUnsafeBufferPointer { xs in
            Activation.gelu.forward(xs.baseAddress!, &ySmall, count: 1000)
            Array(dy[tailStart...]).withUnsafeBufferPointer { ds in
                Activation.gelu.backward(ds.baseAddress!, xs.baseAddress!, &dxSmall, count: 1000)
            }
        }
        #expect(Array(y[tailStart...]) == ySmall)
        #expect(Array(dx[tailStart...]) == dxSmall.map { $0 + 0.5 })
    }
}
