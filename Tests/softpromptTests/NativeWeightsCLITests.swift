// `--dtype native` (generate) and `--weights native` (train): a GGUF's blocks kept as stored.

import Foundation
import SPTestSupport
import Testing

@Suite(.serialized) struct NativeWeightsCLITests {
    @Test("SmolLM2 Q4_1 with native blocks answers like float32, and --verbose reports the blocks", .requires(.smolLM2))
    func smolLM2NativeChat() throws {
        let r = try CLI.run(["generate", "--model", ExternalFile.smolLM2.require().path, "--dtype", "native", "--verbose",
                             "--chat", "--text", "What is the capital of France?"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "The capital of France is Paris.\n")
        #expect(r.stderr.contains("210 × Q4_1") && r.stderr.contains("1 × Q8_0"), "\(r.stderr)")
    }

    @Test func trainRefusesOtherWeightStorages() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("native-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["train", "--base-model", "no-such-model", "--output", dir.path, "--weights", "q8_0"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--weights must be native"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path), "nothing written")
    }
}
