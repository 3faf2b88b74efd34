// Every committed fixture is declared in Tests/fixtures.sha256 with its digest: a deleted fixture,
// a fixture with a case removed or changed, and a new undeclared fixture each fail here by name.

import Foundation
import SPTestSupport
import Testing

@Suite struct FixtureManifestTests {
    @Test func everyDeclaredFixtureIsPresentAndUnchanged() throws {
        let manifest = try FixtureManifest.shared()
        #expect(manifest.entries.count >= 140, "\(FixtureManifest.path) lists only \(manifest.entries.count) files")
        for (path, digest) in manifest.entries.sorted(by: { $0.key < $1.key }) {
            let url = SourceTree.root.appendingPathComponent(path)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                Issue.record(Comment(rawValue: FixtureError.missing(path: path).description))
                continue
            }
            let got = SHA256.hex(data)
            #expect(got == digest, Comment(rawValue: "fixture \(path) differs from \(FixtureManifest.path) (sha256 \(got), "
                + "declared \(digest)): a case was removed or changed; if it was regenerated on purpose, run "
                + "scripts/update_fixture_manifest.sh"))
        }
    }

    @Test func everyFixtureOnDiskIsDeclared() throws {
        let manifest = try FixtureManifest.shared()
        let onDisk = FixtureManifest.filesOnDisk()
        #expect(!onDisk.isEmpty)
        for path in onDisk where manifest.entries[path] == nil {
            Issue.record(Comment(rawValue: FixtureError.undeclared(path: path).description))
        }
    }

    @Test func fixtureRootRefusesMissingAndUndeclaredFiles() throws {
        let root = FixtureRoot(target: "SPModelsTests")
        #expect(try root.file("index.json").lastPathComponent == "index.json")
        do {
            _ = try root.file("no_such_fixture.json")
            Issue.record("a missing fixture was returned")
        } catch let e as FixtureError {
            #expect(e.description.contains("Tests/SPModelsTests/Fixtures/no_such_fixture.json is missing"), "\(e)")
        }
        // README.md exists but is documentation, not a declared fixture.
        do {
            _ = try root.file("README.md")
            Issue.record("an undeclared file was returned as a fixture")
        } catch let e as FixtureError {
            #expect(e.description.contains("not declared in Tests/fixtures.sha256"), "\(e)")
        }
    }

    @Test func manifestParsingRejectsMalformedLines() {
        #expect(throws: FixtureError.self) { try FixtureManifest(text: "abc  Tests/x.json\n") }
        let ok = try? FixtureManifest(text: String(repeating: "a", count: 64) + "  Tests/x.json\n")
        #expect(ok?.entries["Tests/x.json"] == String(repeating: "a", count: 64))
    }

    @Test func sha256KnownAnswers() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256.hex(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}
