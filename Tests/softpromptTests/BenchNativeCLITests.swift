// `bench native --gguf FILE` checks FILE (exists, is a GGUF, loads) before part 1's panel-speed table,
// so a wrong path fails in a moment instead of after the timings.

import Foundation
import Testing

@Suite(.serialized) struct BenchNativeCLITests {
    private func temp(_ bytes: [UInt8]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bench-native-\(UUID().uuidString).gguf")
        try Data(bytes).write(to: url)
        return url
    }

    @Test func missingFileIsRefusedBeforeThePanelTable() throws {
        let r = try CLI.run(["bench", "native", "--gguf", "/no/such/dir/model.gguf"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--gguf: no file at /no/such/dir/model.gguf"), "\(r.stderr)")
        #expect(!r.stdout.contains("SGEMM") && !r.stdout.contains("C panel"), "\(r.stdout)")
    }

    @Test func directoryIsRefused() throws {
        let r = try CLI.run(["bench", "native", "--gguf", FileManager.default.temporaryDirectory.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--gguf: no file at"), "\(r.stderr)")
    }

    @Test func nonGGUFIsRefusedWithWhatItStartsWith() throws {
        let url = try temp(Array("PK\u{3}\u{4}not a gguf".utf8))
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CLI.run(["bench", "native", "--gguf", url.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("is not a GGUF file (starts with \"PK\\x03\\x04\""), "\(r.stderr)")
        #expect(!r.stdout.contains("SGEMM"), "\(r.stdout)")
    }

    @Test func truncatedGGUFFailsToLoadBeforeThePanelTable() throws {
        // The magic, version 3, then the header cut short: GGUFFile refuses it.
        let url = try temp(Array("GGUF".utf8) + [3, 0, 0, 0, 5, 0])
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CLI.run(["bench", "native", "--gguf", url.path])
        #expect(r.status != 0)
        #expect(!r.stderr.isEmpty)
        #expect(!r.stdout.contains("SGEMM") && !r.stdout.contains("C panel"), "\(r.stdout)")
    }
}
