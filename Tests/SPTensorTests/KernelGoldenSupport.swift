// Helpers for the pointwise / normalisation kernel tests (goldens from
// scripts/reference/kernel_goldens_norms.py).

import Foundation
import Testing
@testable import SPTensor

extension Fixture {
    /// The flat values of `key` (records an issue and returns [] if the fixture lacks it).
    func floats(_ key: String) -> [Float] {
        guard let e = tensors[key] else { Issue.record("fixture has no tensor \(key)"); return [] }
        return e.data
    }

    /// Integer ids / labels stored as floats.
    func int32s(_ key: String) -> [Int32] { floats(key).map { Int32($0) } }
}

/// Expects `relativeError(actual, expected) ≤ tol`; on failure names the tensor, the error, the
/// worst index and both values there.
func expectGolden(_ actual: [Float], _ expected: [Float], tol: Float = 1e-5, _ label: String,
                  sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count, !expected.isEmpty else {
        Issue.record("\(label): \(actual.count) values vs \(expected.count) expected", sourceLocation: sourceLocation)
        return
    }
    let err = relativeError(actual, expected)
    if ProcessInfo.processInfo.environment["SOFTPROMPT_PRINT_ERRORS"] != nil { print("golden \(label): \(err)") }
    if !(err <= tol) {
        var worst = 0
        for i in 0..<actual.count where !(abs(actual[i] - expected[i]) <= abs(actual[worst] - expected[worst])) {
            worst = i
        }
        let msg = "\(label): relative error \(err) > \(tol); worst at [\(worst)]: \(actual[worst]) vs \(expected[worst])"
        Issue.record(Comment(rawValue: msg), sourceLocation: sourceLocation)
    }
}
