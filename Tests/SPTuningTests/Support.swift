// Shared helpers for SPTuning tests: fixtures written by scripts/reference/*.py and temp dirs.

import Foundation
import SPJSON
@testable import SPPrompt
import SPTestSupport
import Testing
@testable import SPTuning

/// This target's committed fixtures (Tests/SPTuningTests/Fixtures) and the tiny models of SPModelsTests.
enum Fixtures {
    static let own = FixtureRoot(target: "SPTuningTests")
    static let models = FixtureRoot(target: "SPModelsTests")
}

/// The URL of a committed fixture under `Fixtures/` (throws naming it when missing or undeclared).
func fixtureURL(_ relativePath: String) throws -> URL {
    try Fixtures.own.file(relativePath)
}

/// A fixture parsed as JSON.
func fixtureJSON(_ relativePath: String) throws -> JSONValue {
    try JSONValue.parse(json: Data(contentsOf: fixtureURL(relativePath)), source: relativePath)
}

/// A fresh empty directory, removed by the caller with `cleanup()`.
struct TempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sptuning-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func file(_ name: String, _ content: String) throws -> URL {
        let u = url.appendingPathComponent(name)
        try Data(content.utf8).write(to: u)
        return u
    }
    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

extension JSONValue {
    var arrayValue: [JSONValue] { if case .array(let a) = self { return a } else { return [] } }
    var doubleValue: Double? {
        switch self { case .double(let d): return d; case .int(let i): return Double(i); default: return nil }
    }
    var intValue: Int? { if case .int(let i) = self { return i } else { return nil } }
    var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    var floats: [Float] { arrayValue.compactMap { $0.doubleValue.map(Float.init) } }
    var ints: [Int] { arrayValue.compactMap(\.intValue) }
}

/// Asserts that `body` throws a ``TuningError`` whose message contains every string in `contains`.
func expectTuningError(_ contains: [String], sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: () throws -> Void) {
    expectError(TuningError.self, contains, sourceLocation: sourceLocation, body)
}

/// Asserts that `body` throws an `E` whose message contains every string in `contains`.
func expectError<E: Error & CustomStringConvertible>(_ type: E.Type, _ contains: [String],
                                                     sourceLocation: SourceLocation = #_sourceLocation,
                                                     _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an error containing \(contains)", sourceLocation: sourceLocation)
    } catch let e as E {
        for s in contains where !e.description.contains(s) {
            Issue.record("error \"\(e.description)\" lacks \"\(s)\"", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("unexpected error type \(error)", sourceLocation: sourceLocation)
    }
}
