// docs/ARCHITECTURE.md's target table cannot drift: for every library and executable target, the
// "depends on" column must name exactly the package's own targets that Package.swift lists as its
// dependencies, and those must be exactly the package targets its sources import.

import Foundation
import Testing

@Suite struct DependencyTableTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Target name → (sources directory, the package targets it depends on), from Package.swift.
    static func manifestTargets() throws -> [String: (path: String, dependencies: Set<String>)] {
        let text = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let decl = try Regex(#"\.(target|executableTarget)\(\s*name:\s*"([^"]+)""#)
        let starts = text.matches(of: decl).map { ($0.range, String($0.output[2].substring ?? "")) }
        var out: [String: (String, Set<String>)] = [:]
        for (i, (range, name)) in starts.enumerated() {
            let end = text[range.upperBound...].firstRange(of: ".testTarget(")?.lowerBound ?? text.endIndex
            let stop = i + 1 < starts.count ? min(starts[i + 1].0.lowerBound, end) : end
            let body = String(text[range.upperBound..<max(range.upperBound, stop)])
            var deps = Set<String>()
            if let open = body.firstRange(of: "dependencies: [") {
                let list = body[open.upperBound...].prefix { $0 != "]" }
                let local = list.replacing(try Regex(#"\.product\([^)]*\)"#), with: "")
                for m in local.matches(of: try Regex(#""([A-Za-z0-9_-]+)""#)) { deps.insert(String(m.output[1].substring ?? "")) }
            }
            var path = "Sources/" + name
            if let p = body.firstMatch(of: try Regex(#"path:\s*"([^"]+)""#)) { path = String(p.output[1].substring ?? "") }
            out[name] = (path, deps)
        }
        return out
    }

    /// Target name → the names in its "depends on" cell, from docs/ARCHITECTURE.md's "## Targets" table.
    static func documentedTargets() throws -> [String: Set<String>] {
        let doc = try String(contentsOf: root.appendingPathComponent("docs/ARCHITECTURE.md"), encoding: .utf8)
        guard let section = doc.range(of: "## Targets") else { return [:] }
        var out: [String: Set<String>] = [:]
        for line in doc[section.upperBound...].split(separator: "\n").prefix(while: { !$0.hasPrefix("## ") }) {
            guard line.hasPrefix("| `"), let close = line.dropFirst(3).firstIndex(of: "`"),
                  let last = line.dropLast().lastIndex(of: "|") else { continue }
            let name = String(line[line.index(line.startIndex, offsetBy: 3)..<close])
            let cell = line[line.index(after: last)...]
            let words = cell.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "_" && $0 != "-" }).map(String.init)
            out[name] = Set(words)
        }
        return out
    }

    /// The modules imported by the Swift files under `path`.
    static func imports(under path: String) throws -> Set<String> {
        var out = Set<String>()
        let dir = root.appendingPathComponent(path)
        guard let files = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return out }
        let pattern = try Regex(#"^(?:@testable |@_exported )?import (?:struct |enum |class |func )?([A-Za-z0-9_]+)"#)
        for case let url as URL in files where url.pathExtension == "swift" {
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
                if let m = line.firstMatch(of: pattern) { out.insert(String(m.output[1].substring ?? "")) }
            }
        }
        return out
    }

    @Test func tableMatchesManifestAndImports() throws {
        let manifest = try Self.manifestTargets(), documented = try Self.documentedTargets()
        let local = Set(manifest.keys)
        #expect(local.count >= 8, "Package.swift parsed to \(local.sorted())")
        for name in local.sorted() where !name.hasPrefix("bench-") {
            guard let doc = documented[name] else {
                Issue.record("docs/ARCHITECTURE.md: no row for target `\(name)` in the Targets table")
                continue
            }
            let declared = manifest[name]!.dependencies
            let written = doc.intersection(local)
            #expect(written == declared, """
                docs/ARCHITECTURE.md says `\(name)` depends on \(written.sorted()), Package.swift on \(declared.sorted()) \
                (missing in the doc: \(declared.subtracting(written).sorted()); extra: \(written.subtracting(declared).sorted()))
                """)
            let imported = try Self.imports(under: manifest[name]!.path).intersection(local)
            #expect(imported == declared, """
                `\(name)` imports \(imported.sorted()) but Package.swift lists \(declared.sorted()) \
                (imported, not listed: \(imported.subtracting(declared).sorted()); listed, never imported: \(declared.subtracting(imported).sorted()))
                """)
        }
        for name in Set(documented.keys).subtracting(local).sorted() {
            Issue.record("docs/ARCHITECTURE.md has a row for `\(name)`, which Package.swift does not declare")
        }
    }
}
