// The directory replace is recoverable at every point a kill can stop it: after recovery the
// target holds a complete prompt (the new one once the swap happened, else the old one), and no
// temporary directory is left. Kills are simulated in process: `writeDirectory(stopAfter:)` returns
// at that step without any cleanup, as a SIGKILL would leave things.

import Foundation
import SPFormats
import SPJSON
import Testing
@testable import SPPrompt
@testable import SPTuning

@Suite struct AtomicRecoveryTests {
    func write(_ dir: URL, _ content: String) throws {
        try content.write(to: dir.appendingPathComponent("config.yml"), atomically: false, encoding: .utf8)
        try Data(repeating: 7, count: 100).write(to: dir.appendingPathComponent("decoder.pt"))
    }

    func content(_ dir: URL) -> String? { try? String(contentsOf: dir.appendingPathComponent("config.yml"), encoding: .utf8) }

    @Test(arguments: [true, false])
    func everyKillPointRecovers(exchange: Bool) throws {
        for step in AtomicFile.Step.allCases {
            for hadOld in [true, false] {
                let tmp = try TempDir()
                defer { tmp.cleanup() }
                let out = tmp.url.appendingPathComponent("prompt")
                if hadOld { try AtomicFile.writeDirectory(at: out) { try write($0, "old") } }
                try AtomicFile.writeDirectory(at: out, overwrite: true, stopAfter: step, exchange: exchange) {
                    try write($0, "new")
                }
                let before = try FileManager.default.contentsOfDirectory(atPath: tmp.url.path)
                let messages = try AtomicFile.recoverDirectory(at: out)
                let names = try FileManager.default.contentsOfDirectory(atPath: tmp.url.path)
                let label = "step \(step), exchange \(exchange), old \(hadOld)"
                #expect(names.allSatisfy { $0 == "prompt" }, "\(label): leftovers \(names)")
                let c = content(out)
                // Complete at every point: the old prompt, or the new one once it was installed.
                if hadOld {
                    #expect(c == "old" || c == "new", "\(label): \(c ?? "nothing")")
                    if step.rawValue >= AtomicFile.Step.exchanged.rawValue && (exchange || step != .exchanged)
                        && step != .movedOldAside {
                        #expect(c == "new", "\(label): the swap happened, so the new prompt must stay")
                    }
                } else {
                    #expect(c == nil || c == "new", "\(label)")
                }
                #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("decoder.pt").path) == (c != nil))
                #expect(messages.isEmpty == before.allSatisfy { $0 == "prompt" }, "\(label): \(before) → \(messages)")
                // The next save works normally.
                try AtomicFile.writeDirectory(at: out, overwrite: true) { try write($0, "next") }
                #expect(content(out) == "next")
                #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path) == ["prompt"])
            }
        }
    }

    @Test func legacyLeftoversAreRestoredOrRemoved() throws {
        let tmp = try TempDir()
        defer { tmp.cleanup() }
        let out = tmp.url.appendingPathComponent("p")
        let old = tmp.url.appendingPathComponent(".p.old-1234"), partial = tmp.url.appendingPathComponent(".p.tmp-5678")
        for d in [old, partial] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        try write(old, "last good")
        let messages = try AtomicFile.recoverDirectory(at: out)
        #expect(content(out) == "last good")
        #expect(messages.count == 2, "\(messages)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path) == ["p"])
    }

    @Test func sameSeedSameBytes() throws {
        let a = TorchPT.encode(values: [1, 2, 3, 4], shape: [2, 2], dtype: .float32, archiveName: "decoder")
        let b = TorchPT.encode(values: [1, 2, 3, 4], shape: [2, 2], dtype: .float32, archiveName: "decoder")
        let c = TorchPT.encode(values: [1, 2, 3, 5], shape: [2, 2], dtype: .float32, archiveName: "decoder")
        #expect(a == b)
        #expect(a != c)
    }

    /// Fuzzer find (FuzzConfig, crash-d00416542be76a01f54dd4b06972fa2fd5248983): Yams trapped on an
    /// overflowing YAML 1.1 sexagesimal integer.
    @Test func overflowingSexagesimalIntIsAnError() throws {
        let crash = "5:5:5:55:5:5:55:5:5:5:5"   // the fuzzer's input, byte for byte
        #expect(throws: Never.self) { _ = try JSONValue.parse(yaml: crash, source: "fuzz.yml") }
        expectTuningError(["out of range"]) { _ = try JSONValue.parse(yaml: crash + ":5:5", source: "fuzz.yml") }
        #expect(try JSONValue.parse(yaml: "a: 1:30\nb: -2:00:01", source: "s.yml") == .object(["a": .int(90), "b": .int(-7201)]))
    }

    @Test func yamlAliasBombAndDeepJSONAreRefused() throws {
        var yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<12 { yaml += "\(Character(UnicodeScalar(97 + i)!)): &\(Character(UnicodeScalar(97 + i)!)) "
            + "[" + Array(repeating: "*\(Character(UnicodeScalar(96 + i)!))", count: 10).joined(separator: ", ") + "]\n" }
        let start = Date()
        expectTuningError(["expands to more than"]) { _ = try JSONValue.parse(yaml: yaml, source: "bomb.yml") }
        #expect(Date().timeIntervalSince(start) < 20)
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        expectTuningError(["nesting deeper than 256"]) { _ = try JSONValue.parse(json: Data(deep.utf8), source: "deep.json") }
        let ok = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: Never.self) { _ = try JSONValue.parse(json: Data(ok.utf8), source: "ok.json") }
    }
}
