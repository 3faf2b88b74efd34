// The one numeric comparison of the test suite: `assertClose` with an absolute or a scale-relative
// tolerance. Every golden comparison goes through it, so a tolerance means the same thing everywhere.

import Foundation
import Testing

/// How far `actual` may be from `expected`.
public enum Tolerance: Sendable, CustomStringConvertible {
    /// max |a − b| ≤ value.
    case absolute(Double)
    /// max |a − b| ≤ value · max(max |b|, 1e-30): relative to the reference tensor's scale, so one
    /// tolerance fits tensors of any magnitude. An error in a small element is judged against the
    /// largest one, so goldens should keep their values on one scale (or use `.absolute`).
    case relative(Double)

    public var description: String {
        switch self {
        case .absolute(let v): return "\(v) absolute"
        case .relative(let v): return "\(v) relative to max |expected|"
        }
    }
}

/// The measured distance between two float arrays, in the tolerance's own unit.
public struct Closeness: Sendable {
    /// max |a − b| (NaN where the values cannot be compared: lengths differ, or a NaN on either side).
    public let maxAbsDiff: Double
    /// max |b|.
    public let scale: Double
    /// Index of the largest |a − b| (or of the first NaN).
    public let worst: Int

    public init<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ actual: [A], _ expected: [B]) {
        guard actual.count == expected.count else {
            maxAbsDiff = .nan; scale = 0; worst = -1
            return
        }
        var m = 0.0, s = 0.0, w = 0
        for i in 0..<actual.count {
            let d = abs(Double(actual[i]) - Double(expected[i]))
            if d.isNaN {
                if !m.isNaN { w = i }
                m = .nan
            } else if !m.isNaN && d > m {
                m = d; w = i
            }
            s = max(s, abs(Double(expected[i])))
        }
        maxAbsDiff = m; scale = s; worst = w
    }

    /// The error as the tolerance measures it.
    public func error(_ tolerance: Tolerance) -> Double {
        switch tolerance {
        case .absolute: return maxAbsDiff
        case .relative: return maxAbsDiff / max(scale, 1e-30)
        }
    }

    /// False for NaN errors.
    public func within(_ tolerance: Tolerance) -> Bool {
        switch tolerance {
        case .absolute(let v), .relative(let v): return error(tolerance) <= v
        }
    }
}

/// Expects `actual` to be within `tolerance` of `expected` element by element. Fails (naming
/// `label`, the error, the worst index and both values there) when the lengths differ, when
/// `expected` is empty (an empty golden is a broken fixture, not a pass), on any NaN, or when the
/// error exceeds the tolerance. With `SOFTPROMPT_PRINT_ERRORS` set, prints every measured error.
/// Returns whether the check passed.
@discardableResult
public func assertClose<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(
    _ actual: [A], _ expected: [B], _ tolerance: Tolerance, _ label: String,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    guard actual.count == expected.count, !expected.isEmpty else {
        Issue.record(Comment(rawValue: "\(label): \(actual.count) values vs \(expected.count) expected"),
                     sourceLocation: sourceLocation)
        return false
    }
    let c = Closeness(actual, expected)
    let err = c.error(tolerance)
    if ProcessInfo.processInfo.environment["SOFTPROMPT_PRINT_ERRORS"] != nil {
        print("assertClose \(label): \(err) (\(tolerance))")
    }
    if c.within(tolerance) { return true }
    let at = ": worst at [\(c.worst)] \(actual[c.worst]) vs \(expected[c.worst])"
    Issue.record(Comment(rawValue: "\(label): error \(err) > \(tolerance)\(at)"), sourceLocation: sourceLocation)
    return false
}

/// `assertClose` for one value.
@discardableResult
public func assertClose<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(
    _ actual: A, _ expected: B, _ tolerance: Tolerance, _ label: String,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    assertClose([actual], [expected], tolerance, label, sourceLocation: sourceLocation)
}
