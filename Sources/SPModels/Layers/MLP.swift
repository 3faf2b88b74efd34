// The feed-forward sub-layer: plain (fc → act → fc) or gated (act(gate)·up → down).

import SPTensor

/// A frozen feed-forward block.
public struct MLPLayer: @unchecked Sendable {
    public enum Kind: @unchecked Sendable {
        /// out = fc2(act(fc1(x) + b1)) + b2   (GPT-2, OPT, BLOOM, NeoX, BigCode)
        case plain(fc1: Weight, b1: Tensor?, fc2: Weight, b2: Tensor?)
        /// out = down(act(gate(x)) ⊙ up(x))   (Llama, Mistral, Qwen2, Granite)
        case gated(gate: Weight, up: Weight, down: Weight, gb: Tensor? = nil, ub: Tensor? = nil, db: Tensor? = nil)
    }
    public let kind: Kind
    public let activation: Activation
    /// Inner width F.
    public let inner: Int
    /// Model width C.
    public let width: Int

    public init(kind: Kind, activation: Activation) {
        self.kind = kind
        self.activation = activation
        switch kind {
        case .plain(let fc1, _, _, _): inner = fc1.outFeatures; width = fc1.inFeatures
        case .gated(let gate, _, _, _, _, _): inner = gate.outFeatures; width = gate.inFeatures
        }
    }

    /// out[N,C] = mlp(x[N,C]).  saveA/saveB [N,F]: the pre-activations backward needs
    /// (plain: fc1 output in A; gated: gate in A, up in B). `scratch` [N,F].
    public func forward(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows n: Int,
                        saveA: UnsafeMutablePointer<Float>, saveB: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>) {
        switch kind {
        case .plain(let fc1, let b1, let fc2, let b2):
            Linear.forward(x, fc1, bias: b1.map { UnsafePointer($0.data) }, saveA, m: n)
            activation.forward(saveA, scratch, count: n * inner)
            Linear.forward(scratch, fc2, bias: b2.map { UnsafePointer($0.data) }, out, m: n)
        case .gated(let gate, let up, let down, let gb, let ub, let db):
            Linear.forward(x, gate, bias: gb.map { UnsafePointer($0.data) }, saveA, m: n)
            Linear.forward(x, up, bias: ub.map { UnsafePointer($0.data) }, saveB, m: n)
            if BF16Compute.isOn {
                // A bf16 model: act(gate) is a bf16 tensor before its product with up.
                GatedMLP.forwardBF16(gate: saveA, up: saveB, scratch, count: n * inner, activation: activation)
            } else {
                GatedMLP.forward(gate: saveA, up: saveB, scratch, rows: n, cols: inner, activation: activation)
            }
            Linear.forward(scratch, down, bias: db.map { UnsafePointer($0.data) }, out, m: n)
        }
    }

    /// dx[N,C] (+)= d mlp/dx · dOut. Consumes (overwrites) the saved pre-activations.
    public func backward(_ dOut: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, rows n: Int,
                         savedA: UnsafeMutablePointer<Float>, savedB: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, accumulate: Bool) {
        switch kind {
        case .plain(let fc1, _, let fc2, _):
            Linear.backwardInput(dOut, fc2, scratch, m: n)                       // d act [N,F]
            activation.backward(scratch, savedA, savedA, count: n * inner)       // d pre-act, in place
            Linear.backwardInput(savedA, fc1, dx, m: n, accumulate: accumulate)
        case .gated(let gate, let up, let down, _, _, _):
            Linear.backwardInput(dOut, down, scratch, m: n)                      // dh [N,F]
            GatedMLP.backward(scratch, gate: savedA, up: savedB, dGate: savedA, dUp: savedB,
                              rows: n, cols: inner, activation: activation)
            Linear.backwardInput(savedA, gate, dx, m: n, accumulate: accumulate)
            Linear.backwardInput(savedB, up, dx, m: n, accumulate: true)
        }
    }
}

extension MLPLayer {
    /// True for a plain ReLU block (T5 v1.0, OPT): its backward needs only the sign of the
    /// pre-activation, so training can keep one byte per element instead of a float.
    public var backwardNeedsOnlySign: Bool {
        if case .plain = kind { return activation == .relu }
        return false
    }

    /// The forward of a ``backwardNeedsOnlySign`` block: as ``forward(_:_:rows:saveA:saveB:scratch:)``
    /// (the same bits), saving `sign[N,F]` = 1 where the pre-activation is > 0, else 0. `scratch` `[N,F]`.
    ///
    /// - Precondition: ``backwardNeedsOnlySign`` (a plain ReLU block; the caller checks it).
    public func forward(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows n: Int,
                        saveSign sign: UnsafeMutablePointer<UInt8>, scratch: UnsafeMutablePointer<Float>) {
        guard case .plain(let fc1, let b1, let fc2, let b2) = kind else {
            preconditionFailure("sign-only MLP forward on a gated block")
        }
        Linear.forward(x, fc1, bias: b1.map { UnsafePointer($0.data) }, scratch, m: n)   // pre-act [N,F]
        for i in 0..<(n * inner) { sign[i] = scratch[i] > 0 ? 1 : 0 }
        activation.forward(scratch, scratch, count: n * inner)
        Linear.forward(scratch, fc2, bias: b2.map { UnsafePointer($0.data) }, out, m: n)
    }

    /// The backward of ``forward(_:_:rows:saveSign:scratch:)``: dx[N,C] (+)= d mlp/dx · dOut, with
    /// d pre-act = d act · (sign ? 1 : 0), the product ReLU's own derivative gives.
    ///
    /// - Precondition: ``backwardNeedsOnlySign``.
    public func backward(_ dOut: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, rows n: Int,
                         savedSign sign: UnsafePointer<UInt8>, scratch: UnsafeMutablePointer<Float>,
                         accumulate: Bool) {
        guard case .plain(let fc1, _, let fc2, _) = kind else {
            preconditionFailure("sign-only MLP backward on a gated block")
        }
        Linear.backwardInput(dOut, fc2, scratch, m: n)                           // d act [N,F]
        for i in 0..<(n * inner) { scratch[i] *= sign[i] != 0 ? 1 : 0 }          // d pre-act
        Linear.backwardInput(scratch, fc1, dx, m: n, accumulate: accumulate)
    }
}
