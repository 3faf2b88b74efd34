// Shared helpers: fixture paths, temporary directories, error-case matching (SHA-256 is in SPTestSupport).

import Foundation
import SPJSON
import SPTestSupport
import Testing
@testable import SPFormats

/// Path of a committed fixture under `Fixtures/` (written by scripts/reference/*.py); throws naming
/// it when it is missing or not declared in Tests/fixtures.sha256.
func fixturePath(_ relative: String) throws -> String {
    try FixtureRoot(target: "SPFormatsTests").file(relative).path
}

/// Bytes of a committed fixture.
func fixtureBytes(_ relative: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: try fixturePath(relative))))
}

/// A parsed JSON fixture.
func fixtureJSON(_ relative: String) throws -> JSONValue {
    try JSONParser.parse(try fixtureBytes(relative), file: relative)
}

/// A fresh temporary directory, removed when the returned object is released.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "spformats-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to `name` inside the directory and returns the full path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path))?.sorted() ?? [] }
}

/// The case name of a `FormatError` (`"overlap"`, `"truncated"`, …).
func caseName(_ e: Error) -> String {
    guard let f = e as? FormatError else { return "not a FormatError: \(type(of: e))" }
    return Mirror(reflecting: f).children.first?.label ?? "\(f)"
}

/// Runs `body`, expecting a `FormatError` of case `expected`; returns the error for further checks.
@discardableResult
func expectFormatError(_ expected: String, sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: () throws -> Void) -> FormatError? {
    do {
        try body()
        Issue.record("expected FormatError.\(expected), nothing was thrown", sourceLocation: sourceLocation)
    } catch {
        #expect(caseName(error) == expected, "got \(error)", sourceLocation: sourceLocation)
        return error as? FormatError
    }
    return nil
}

// JSON fixture accessors (fail the test rather than crash on a malformed fixture).
extension JSONValue {
    subscript(key: String) -> JSONValue {
        if case .object(let o) = self, let v = o[key] { return v }
        return .null
    }
    var array: [JSONValue] { if case .array(let a) = self { return a }; return [] }
    var string: String { if case .string(let s) = self { return s }; return "" }
    var int: Int { if case .int(let i) = self { return i }; if case .double(let d) = self { return Int(d) }; return -1 }
    var double: Double {
        if case .double(let d) = self { return d }
        if case .int(let i) = self { return Double(i) }
        return .nan
    }
    var ints: [Int] { array.map(\.int) }
}

/// Little-endian bytes of an integer.
func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
