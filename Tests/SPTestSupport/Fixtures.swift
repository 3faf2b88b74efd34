// Committed fixtures: read from the source tree (Tests/<target>/Fixtures), each one declared in
// Tests/fixtures.sha256. A missing or undeclared fixture is an error that names the file; it never
// turns a check into a pass.

import Foundation

/// A fixture that cannot be used; the description names the file and what to do.
public enum FixtureError: Error, CustomStringConvertible, Sendable {
    case missing(path: String)
    case undeclared(path: String)
    case malformed(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let p):
            return "fixture \(p) is missing: restore it (git checkout -- \(p)) or re-run the script under "
                + "scripts/reference/ that writes it"
        case .undeclared(let p):
            return "fixture \(p) is not declared in \(FixtureManifest.path): add it with scripts/update_fixture_manifest.sh"
        case .malformed(let p, let reason):
            return "fixture \(p): \(reason)"
        }
    }
}

/// Paths in the source tree.
public enum SourceTree {
    /// The package root (the directory holding Package.swift).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `path` relative to the package root, for messages.
    public static func relative(_ url: URL) -> String {
        let r = root.standardizedFileURL.path + "/", p = url.standardizedFileURL.path
        return p.hasPrefix(r) ? String(p.dropFirst(r.count)) : p
    }
}

/// The committed fixtures of one test target: `Tests/<target>/Fixtures`.
public struct FixtureRoot: Sendable {
    /// The test target, e.g. `"SPModelsTests"`.
    public let target: String
    /// `Tests/<target>/Fixtures` in the source tree.
    public let url: URL

    public init(target: String) {
        self.target = target
        url = SourceTree.root.appendingPathComponent("Tests/\(target)/Fixtures")
    }

    /// The file `relative` (e.g. `"gpt2/golden.json"`). Throws ``FixtureError/missing(path:)`` when it
    /// is absent and ``FixtureError/undeclared(path:)`` when the manifest does not list it.
    public func file(_ relative: String) throws -> URL {
        try Self.declared(url.appendingPathComponent(relative))
    }

    /// `u` itself, after checking that it exists and that the manifest declares it.
    public static func declared(_ u: URL) throws -> URL {
        let rel = SourceTree.relative(u)
        guard FileManager.default.fileExists(atPath: u.path) else { throw FixtureError.missing(path: rel) }
        guard try FixtureManifest.shared().entries[rel] != nil else { throw FixtureError.undeclared(path: rel) }
        return u
    }

    /// A directory of fixtures (it must exist; its files are checked one by one by `file`).
    public func directory(_ relative: String) throws -> URL {
        let u = url.appendingPathComponent(relative)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: u.path, isDirectory: &isDir), isDir.boolValue else {
            throw FixtureError.missing(path: SourceTree.relative(u))
        }
        return u
    }

    /// The bytes of `relative`.
    public func data(_ relative: String) throws -> Data { try Data(contentsOf: file(relative)) }

    /// `relative` parsed with JSONSerialization as a JSON object.
    public func jsonObject(_ relative: String) throws -> [String: Any] {
        let obj = try JSONSerialization.jsonObject(with: data(relative))
        guard let d = obj as? [String: Any] else {
            throw FixtureError.malformed(path: SourceTree.relative(url.appendingPathComponent(relative)),
                                         reason: "not a JSON object")
        }
        return d
    }
}

/// `Tests/fixtures.sha256`: every committed fixture file with its SHA-256 (`sha256sum` format, paths
/// relative to the package root). `scripts/update_fixture_manifest.sh` rewrites it.
public struct FixtureManifest: Sendable {
    public static let path = "Tests/fixtures.sha256"

    /// path → lowercase hex digest.
    public let entries: [String: String]

    public init(text: String) throws {
        var e: [String: String] = [:]
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 64 else {
                throw FixtureError.malformed(path: Self.path, reason: "line \(n + 1) is not '<sha256>  <path>'")
            }
            let p = parts[1].trimmingCharacters(in: .whitespaces)
            e[p.hasPrefix("*") ? String(p.dropFirst()) : p] = String(parts[0])
        }
        entries = e
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cached: FixtureManifest?

    /// The manifest of this source tree, read once.
    public static func shared() throws -> FixtureManifest {
        lock.lock(); defer { lock.unlock() }
        if let m = cached { return m }
        let u = SourceTree.root.appendingPathComponent(path)
        guard let d = FileManager.default.contents(atPath: u.path) else { throw FixtureError.missing(path: path) }
        let m = try FixtureManifest(text: String(decoding: d, as: UTF8.self))
        cached = m
        return m
    }

    /// Every file under `Tests/*/Fixtures` in the source tree except `*.md` documentation.
    public static func filesOnDisk() -> [String] {
        let tests = SourceTree.root.appendingPathComponent("Tests")
        let fm = FileManager.default
        var out: [String] = []
        for target in ((try? fm.contentsOfDirectory(atPath: tests.path)) ?? []).sorted() {
            let dir = tests.appendingPathComponent(target).appendingPathComponent("Fixtures")
            guard let walk = fm.enumerator(atPath: dir.path) else { continue }
            for case let rel as String in walk where !rel.hasSuffix(".md") {
                var isDir: ObjCBool = false
                if fm.fileExists(atPath: dir.appendingPathComponent(rel).path, isDirectory: &isDir), !isDir.boolValue {
                    out.append("Tests/\(target)/Fixtures/\(rel)")
                }
            }
        }
        return out.sorted()
    }
}
