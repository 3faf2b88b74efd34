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
