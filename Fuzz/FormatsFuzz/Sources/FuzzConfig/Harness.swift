// libFuzzer entry point: the train config readers (YAML and JSON, through JSONValue and the strict
// field reader) and the saved prompt's config.yml reader on arbitrary bytes must either return a
// value or throw a TuningError — no trap, no other error type, no runaway expansion (libFuzzer's
// -timeout and -rss_limit_mb catch YAML alias bombs that escape the node budget).

import Foundation
import SPJSON
import SPPrompt
import SPTuning

func expectTuningError(_ body: () throws -> Void) {
    do { try body() } catch is TuningError {} catch { preconditionFailure("unexpected error type \(error)") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    expectTuningError {
        let v = try JSONValue.parse(json: bytes, source: "fuzz.json")
        let p = try TuningParameters(json: v, source: "fuzz.json")
        _ = try p.validate(trainCount: 4, valCount: nil, modelKind: .causalLM)
    }
    guard let text = String(data: bytes, encoding: .utf8) else { return 0 }
    expectTuningError {
        let v = try JSONValue.parse(yaml: text, source: "fuzz.yml")
        let p = try TuningParameters(json: v, source: "fuzz.yml")
        let r = try p.validate(trainCount: 4, valCount: 1, modelKind: .causalLM)
        try ResourceLimits.checkTraining(p, resolved: r)
        try ResourceLimits.checkTraining(p, resolved: r, tokenDim: 64, hidden: 64, layers: 2, heads: 4, vocab: 1000,
                                         maxPositions: 2048)
    }
    expectTuningError { _ = try CaikitPromptConfig(yaml: text, source: "config.yml") }
    return 0
}
