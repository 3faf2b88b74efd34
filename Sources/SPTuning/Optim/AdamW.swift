// AdamW as torch.optim.AdamW runs it on CPU tensors (the single-tensor path of
// torch/optim/adam.py `_single_tensor_adam`, decoupled_weight_decay=True), in float32 with the
// scalars computed in Double exactly where Python computes them, and the fused multiply-adds where
// ATen's vectorised CPU kernels use them. Checked bit-for-bit against torch 2.13 (all of m, v and
// the parameter) with torch's own sqrt; our sqrt is correctly rounded while ATen's may be 1 ulp
// off, so trajectories agree to ~1e-7 relative rather than bitwise.

import Foundation

/// The AdamW optimizer over one contiguous float32 parameter (the soft prompt `[T, D]`).
///
/// torch defaults: betas (0.9, 0.999), eps 1e-8, weight_decay 0.01 (what caikit gets from
/// `AdamW(params, lr=learning_rate)`). Moment buffers are allocated once in `init`; ``step(param:grad:lr:)``
/// does not allocate.
///
/// ```swift
/// let opt = AdamW(count: prompt.count)
/// opt.step(param: prompt.data, grad: grad.data, lr: schedule.learningRate(atStep: k))
/// ```
public final class AdamW: @unchecked Sendable {
    /// Number of parameters.
    public let count: Int
    /// β₁ (first-moment decay).
    public let beta1: Double
    /// β₂ (second-moment decay).
    public let beta2: Double
    /// ε added to the denominator.
    public let eps: Double
    /// Decoupled weight decay λ.
    public let weightDecay: Double
    /// Steps taken (torch's `state["step"]`).
    public private(set) var stepCount = 0
    /// First moment `exp_avg[count]`.
    public let expAvg: UnsafeMutablePointer<Float>
    /// Second moment `exp_avg_sq[count]`.
    public let expAvgSq: UnsafeMutablePointer<Float>

    /// Creates the optimizer with zeroed moments.
    public init(count: Int, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
                weightDecay: Double = 0.01) {
        precondition(count > 0, "AdamW over an empty parameter")
        self.count = count
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        expAvg = .allocate(capacity: count)
        expAvgSq = .allocate(capacity: count)
        reset()
    }

    deinit {
        expAvg.deallocate()
        expAvgSq.deallocate()
    }

    /// Zeroes the moments and the step counter.
    public func reset() {
        expAvg.initialize(repeating: 0, count: count)
        expAvgSq.initialize(repeating: 0, count: count)
        stepCount = 0
    }

    /// Restores the moments and the step counter from a checkpoint (`expAvg` and `expAvgSq` have
    /// ``count`` values each).
    public func restore(expAvg m: [Float], expAvgSq v: [Float], stepCount t: Int) {
        precondition(m.count == count && v.count == count && t >= 0, "AdamW state of \(m.count)/\(v.count) for \(count)")
        m.withUnsafeBufferPointer { expAvg.update(from: $0.baseAddress!, count: count) }
        v.withUnsafeBufferPointer { expAvgSq.update(from: $0.baseAddress!, count: count) }
        stepCount = t
    }

    /// One AdamW step: `param[count]` is updated in place from `grad[count]` with learning rate `lr`.
    ///
    /// Per element, in torch's order (scalars in Double, then rounded to Float as ATen does):
    /// ```
    /// p ← p · (1 − lr·λ)
    /// m ← m + (1−β₁)·(g − m)                    lerp, fused
    /// v ← v·β₂;  v ← fma((1−β₂)·g, g, v)         mul_ then addcmul_
    /// denom ← √v / √(1 − β₂ᵗ) + ε
    /// p ← p + (−lr/(1 − β₁ᵗ) · m) / denom        addcdiv_
    /// ```
    public func step(param: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, lr: Double) {
        stepCount += 1
        let t = Double(stepCount)
        let decay = Float(1 - lr * weightDecay)
        let w = Float(1 - beta1)             // lerp weight
        let oneMinusW = Float(1) - w         // ATen computes 1 - weight in the scalar type
        let b2 = Float(beta2)
        let c2 = Float(1 - beta2)
        let biasCorrection1 = 1 - pow(beta1, t)
        let biasCorrection2 = 1 - pow(beta2, t)
        let negStepSize = Float(-(lr / biasCorrection1))
        let bc2Sqrt = Float(pow(biasCorrection2, 0.5))
        let epsF = Float(eps)
        let m = expAvg, v = expAvgSq
        let applyDecay = weightDecay != 0
        for i in 0..<count {
            var p = param[i]
            if applyDecay { p *= decay }
            let g = grad[i]
            // at::lerp: weight < 0.5 ? self + weight·(end − self) : end − (end − self)·(1 − weight)
            m[i] = abs(w) < 0.5 ? m[i].addingProduct(w, g - m[i]) : g.addingProduct(-(g - m[i]), oneMinusW)
            v[i] = (v[i] * b2).addingProduct(c2 * g, g)
            let denom = v[i].squareRoot() / bc2Sqrt + epsF
            param[i] = p + (negStepSize * m[i]) / denom
        }
    }
}
