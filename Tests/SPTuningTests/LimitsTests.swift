// ResourceLimits, OutputPath and FileInput at the library level (the CLI cases are in
// softpromptTests/BadInputTests+*.swift).

import Foundation
import Testing
@testable import SPPrompt
@testable import SPTuning

@Suite struct LimitsTests {
    func params(_ nvt: Int, batch: Int = 8) throws -> (TuningParameters, ResolvedTuning) {
        var p = TuningParameters(baseModel: "m", tuningConfig: TuningConfig(numVirtualTokens: nvt))
        p.batchSize = batch
        return (p, try p.validate(trainCount: 8, modelKind: .causalLM))
    }

    @Test func memoryAndPositionsAreCheckedWithTheLimitNamed() throws {
        let (p, r) = try params(100_000)
        expectTuningError(["num_virtual_tokens", "positions", "2048"]) {
            try ResourceLimits.checkTraining(p, resolved: r, longestExample: 10, tokenDim: 4096, hidden: 4096, layers: 32,
                                             heads: 32, vocab: 128_000, maxPositions: 2048)
        }
        expectTuningError(["GiB", "this machine has 1.0 GiB"]) {
            try ResourceLimits.checkTraining(p, resolved: r, longestExample: 10, tokenDim: 4096, hidden: 4096, layers: 32,
                                             heads: 32, vocab: 128_000, maxPositions: nil, memory: 1 << 30)
        }
        let (q, s) = try params(20)
        #expect(throws: Never.self) {
            try ResourceLimits.checkTraining(q, resolved: s, longestExample: 100, tokenDim: 576, hidden: 576, layers: 30,
                                             heads: 9, vocab: 49_152, maxPositions: 8192, memory: 8 << 30)
        }
        let (h, t) = try params(1 << 40)
        expectTuningError(["num_virtual_tokens", "at most"]) { try ResourceLimits.checkTraining(h, resolved: t) }
        expectTuningError(["threads"]) { try ResourceLimits.checkThreads(100_000) }
        expectTuningError(["threads"]) { try ResourceLimits.checkThreads(0) }
        #expect(throws: Never.self) { try ResourceLimits.checkThreads(4) }
    }

    @Test func outputPathPolicy() throws {
        let tmp = try TempDir()
        defer { tmp.cleanup() }
        let data = try tmp.file("train.jsonl", "{}")
        expectTuningError(["output", "empty"]) { _ = try OutputPath.check("", inputs: [], overwrite: true) }
        expectTuningError(["output", "root"]) { _ = try OutputPath.check("/", inputs: [], overwrite: true) }
        expectTuningError(["output", "home"]) { _ = try OutputPath.check(tmp.url.path, inputs: [], overwrite: true, home: tmp.url.path) }
        expectTuningError(["output", "reads"]) { _ = try OutputPath.check(tmp.url.path, inputs: [data], overwrite: true) }
        expectTuningError(["output", "not a directory"]) { _ = try OutputPath.check(data.path, inputs: [], overwrite: true) }
        let fresh = tmp.url.appendingPathComponent("new").path
        #expect(try OutputPath.check(fresh, inputs: [data], overwrite: false).path == fresh)
        // A symlink to the data directory is the data directory.
        let link = tmp.url.appendingPathComponent("link")
        try FileManager.default.createDirectory(at: tmp.url.appendingPathComponent("d"), withIntermediateDirectories: true)
        let inner = try tmp.file("d/x.csv", "input,output\n")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: tmp.url.appendingPathComponent("d"))
        expectTuningError(["output"]) { _ = try OutputPath.check(link.path, inputs: [inner], overwrite: true) }
    }

    @Test func fileKinds() throws {
        #expect(try FileInput.kind(URL(fileURLWithPath: "/dev/null"), what: "x") == .special("a device"))
        #expect(try FileInput.kind(URL(fileURLWithPath: "/"), what: "x") == .directory)
        expectTuningError(["/dev/zero", "device"]) { _ = try FileInput.read(URL(fileURLWithPath: "/dev/zero"), what: "data") }
        let tmp = try TempDir()
        defer { tmp.cleanup() }
        let big = try tmp.file("big", String(repeating: "x", count: 100))
        expectTuningError(["over the limit of 10 bytes"]) { _ = try FileInput.read(big, what: "data", maxBytes: 10) }
    }
}
