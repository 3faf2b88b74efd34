// Pointwise activations as transformers names them (`hidden_act` / `activation_function` in
// config.json; transformers/activations.py `ACT2CLS`), forward and backward to the input.
// The per-lane math is in ActivationMath.swift.

/// A pointwise activation function, parsed from a transformers config string.
///
/// Several transformers names share one formula and map to one case:
///
/// | case | transformers names | formula |
/// | --- | --- | --- |
/// | ``gelu`` | `gelu`, `gelu_python` | ½x(1 + erf(x/√2)) |
/// | ``geluTanh`` | `gelu_new`, `gelu_pytorch_tanh`, `gelu_python_tanh`, `gelu_fast`, `gelu_accurate` | ½x(1 + tanh(√(2/π)(x + 0.044715x³))) |
/// | ``gelu10`` | `gelu_10` | clip(gelu(x), −10, 10) |
/// | ``quickGelu`` | `quick_gelu` | x·σ(1.702x) |
/// | ``relu`` / ``relu2`` / ``relu6`` | `relu` / `relu2` / `relu6` | max(x,0) / max(x,0)² / min(max(x,0),6) |
/// | ``silu`` | `silu`, `swish` | x·σ(x) |
/// | ``sigmoid`` / ``tanh`` / ``identity`` | `sigmoid` / `tanh` / `linear` | σ(x) / tanh(x) / x |
///
/// (`gelu_fast` writes the tanh argument as `x·0.7978845608·(1 + 0.044715x²)`; the constant equals
/// √(2/π) in float32, so it is the same function up to rounding.) Transcendentals are float32
/// polynomials, within ~1e-6 relative of torch. Derivatives at kinks follow torch: ReLU′(0) = 0,
/// ReLU6′ is 1 only strictly inside (0, 6), `gelu_10` passes the gradient where −10 ≤ gelu(x) ≤ 10.
///
/// ```swift
/// let act = try Activation(configName: config.hiddenAct, field: "hidden_act")
/// act.forward(x, y, count: n)
/// act.backward(dy, x, dx, count: n)
/// ```
///
/// The raw value is one canonical transformers name per case; parse config strings with
/// ``init(configName:field:)``, which accepts every alias.
public enum Activation: String, Sendable, CaseIterable {
    /// Exact (erf) GELU: `gelu`, `gelu_python`.
    case gelu
    /// Tanh-approximated GELU: `gelu_new`, `gelu_pytorch_tanh`, `gelu_python_tanh`, `gelu_fast`, `gelu_accurate`.
    case geluTanh = "gelu_pytorch_tanh"
    /// Exact GELU clipped to [−10, 10]: `gelu_10`.
    case gelu10 = "gelu_10"
    /// x·σ(1.702x): `quick_gelu`.
    case quickGelu = "quick_gelu"
    /// max(x, 0): `relu`.
    case relu
    /// max(x, 0)²: `relu2`.
    case relu2
    /// min(max(x, 0), 6): `relu6`.
    case relu6
    /// x·σ(x): `silu`, `swish`.
    case silu
    /// σ(x): `sigmoid`.
    case sigmoid
    /// tanh(x): `tanh`.
    case tanh
    /// x: `linear`.
    case identity = "linear"

    /// Every config string accepted by ``init(configName:field:)``, with its case.
    public static let configNameTable: [(String, Activation)] = [
        ("gelu", .gelu), ("gelu_python", .gelu),
        ("gelu_new", .geluTanh), ("gelu_pytorch_tanh", .geluTanh), ("gelu_python_tanh", .geluTanh),
        ("gelu_fast", .geluTanh), ("gelu_accurate", .geluTanh),
        ("gelu_10", .gelu10), ("quick_gelu", .quickGelu),
        ("relu", .relu), ("relu2", .relu2), ("relu6", .relu6),
        ("silu", .silu), ("swish", .silu),
        ("sigmoid", .sigmoid), ("tanh", .tanh), ("linear", .identity),
    ]

    /// The accepted config strings, in table order.
    public static var configNames: [String] { configNameTable.map(\.0) }

    /// Names transformers defines that SoftPrompt does not implement (reported as unsupported
    /// rather than unknown).
    static let unsupportedNames: Set<String> = [
        "hardswish", "laplace", "leaky_relu", "mish", "prelu", "sqrtsoftplus", "xielu",
    ]

    /// Parses a transformers activation name exactly as `ACT2FN[name]` does (case-sensitive).
    ///
    /// - Parameters:
    ///   - configName: the string from config.json, e.g. `"gelu_new"`.
    ///   - field: the config key it came from, used in the error message.
    /// - Throws: ``KernelInputError/unknownActivation(name:field:)`` for a name transformers does not
    ///   know, ``KernelInputError/unsupportedActivation(name:field:)`` for one it knows but we do not.
    public init(configName: String, field: String = "hidden_act") throws(KernelInputError) {
        if let hit = Activation.configNameTable.first(where: { $0.0 == configName }) {
            self = hit.1
        } else if Activation.unsupportedNames.contains(configName) {
            throw .unsupportedActivation(name: configName, field: field)
        } else {
            throw .unknownActivation(name: configName, field: field)
        }
    }

    /// y[n] = f(x[n])   (`y` may be `x`)
    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        dispatch(ForwardVisitor(x: x, y: y, n: n))
    }

    /// dx[n] (+)= dy[n]·f′(x[n])   (`dx` may be `dy`; overwritten unless `accumulate`)
    ///
    /// - Parameters:
    ///   - dy: upstream gradient, `[n]`.
    ///   - x: the forward input, `[n]`.
    ///   - dx: input gradient, `[n]`.
    public func backward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>, count n: Int, accumulate: Bool = false) {
        dispatch(BackwardVisitor(dy: dy, x: x, dx: dx, n: n, accumulate: accumulate))
    }

    /// Calls `v.visit` with the lane-math type of this case, so every loop is specialised.
    func dispatch<V: ActivationVisitor>(_ v: V) {
        switch self {
        case .gelu: v.visit(GeluErf.self)
        case .geluTanh: v.visit(GeluTanh.self)
        case .gelu10: v.visit(Gelu10.self)
        case .quickGelu: v.visit(QuickGelu.self)
        case .relu: v.visit(Relu.self)
        case .relu2: v.visit(Relu2.self)
        case .relu6: v.visit(Relu6.self)
        case .silu: v.visit(Silu.self)
        case .sigmoid: v.visit(Sigmoid.self)
        case .tanh: v.visit(Tanh.self)
        case .identity: v.visit(Identity.self)
        }
    }
}

/// A loop to run with a concrete ``PointwiseActivation`` type.
protocol ActivationVisitor {
    func visit<A: PointwiseActivation>(_ a: A.Type)
}

private struct ForwardVisitor: ActivationVisitor {
    let x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, n: Int
    func visit<A: PointwiseActivation>(_ a: A.Type) {
        Chunking.elements(n) { r in
            var i = r.lowerBound
            while i + 8 <= r.upperBound { VectorMath.store(A.value(VectorMath.load(x, i)), y, i); i += 8 }
            let rest = r.upperBound - i
            if rest > 0 {
                VectorMath.store(A.value(VectorMath.load(x, i, count: rest, fill: 0)), y, i, count: rest)
            }
        }
    }
}

private struct BackwardVisitor: ActivationVisitor {
    let dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, n: Int
    let accumulate: Bool
    func visit<A: PointwiseActivation>(_ a: A.Type) {
        Chunking.elements(n) { r in
            var i = r.lowerBound
            while i + 8 <= r.upperBound {
                var g = VectorMath.load(dy, i) * A.derivative(VectorMath.load(x, i))
                if accumulate { g += VectorMath.load(dx, i) }
                VectorMath.store(g, dx, i)
                i += 8
            }
            let rest = r.upperBound - i
            if rest > 0 {
                let xv = VectorMath.load(x, i, count: rest, fill: 0)
                var g = VectorMath.load(dy, i, count: rest, fill: 0) * A.derivative(xv)
                if accumulate { g += VectorMath.load(dx, i, count: rest, fill: 0) }
                VectorMath.store(g, dx, i, count: rest)
            }
        }
    }
}
