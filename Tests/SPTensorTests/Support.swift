// Shared test helpers: golden fixtures written by scripts/reference/*.py and finite-difference checks.

import Foundation
import SPTestSupport
import Testing
@testable import SPTensor

/// Golden tensors from `Fixtures/<name>.json`: `{"tensor_name": {"shape": [..], "data": [..]}, ...}`
/// (scalars are stored with shape `[]`). Written by the scripts under `scripts/reference/`.
struct Fixture {
    let tensors: [String: (shape: [Int], data: [Float])]

    static let root = FixtureRoot(target: "SPTensorTests")

    init(_ name: String) throws {
        let obj = try Self.root.jsonObject("\(name).json")
        var t: [String: (shape: [Int], data: [Float])] = [:]
        for (k, v) in obj {
            guard let d = v as? [String: Any], let shape = d["shape"] as? [Int],
                  let data = (d["data"] as? [NSNumber])?.map(\.doubleValue), data.count == shape.reduce(1, *) else {
                throw FixtureError.malformed(path: "Tests/SPTensorTests/Fixtures/\(name).json",
                                             reason: "\(k) is not {shape, data} with shape.product values")
            }
            t[k] = (shape, data.map { Float($0) })
        }
        tensors = t
    }

    /// The named tensor as a `Tensor` (fails the test if absent).
    func tensor(_ key: String) -> Tensor {
        guard let e = tensors[key] else { Issue.record("fixture has no tensor \(key)"); return Tensor(shape: [0]) }
        return Tensor(shape: e.shape, values: e.data)
    }

    /// A scalar stored under `key`.
    func scalar(_ key: String) -> Float { tensors[key]?.data.first ?? .nan }
}

/// Deterministic pseudo-random floats in [-scale, scale) (SplitMix64).
func randomValues(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var s = seed
    return (0..<n).map { _ in
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (Float(z >> 40) / Float(1 << 24) * 2 - 1) * scale
    }
}

/// Central finite-difference check of an input gradient.
///
/// With a fixed random cotangent `r`, the scalar loss is `L(x) = Σ f(x)·r` (accumulated in Double).
/// `analytic` must return dL/dx given `r`. Each input element is perturbed by ±h.
/// Returns the worst relative error over the checked elements.
func gradCheck(input: [Float], outputCount: Int, h: Float = 1e-2,
               forward: ([Float]) -> [Float], analytic: ([Float], [Float]) -> [Float]) -> Double {
    let r = randomValues(outputCount, seed: 991)
    func loss(_ x: [Float]) -> Double {
        let y = forward(x)
        var s = 0.0
        for i in 0..<y.count { s += Double(y[i]) * Double(r[i]) }
        return s
    }
    let g = analytic(input, r)
    var worst = 0.0
    var scale = 1e-3
    for v in g { scale = max(scale, Double(abs(v))) }
    for i in 0..<input.count {
        var xp = input, xm = input
        xp[i] += h; xm[i] -= h
        let fd = (loss(xp) - loss(xm)) / (2 * Double(h))
        worst = max(worst, abs(fd - Double(g[i])) / scale)
    }
    return worst
}
