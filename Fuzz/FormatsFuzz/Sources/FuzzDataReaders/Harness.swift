// libFuzzer entry point: the training data readers (JSON array, JSON lines, header CSV, and the
// extension-less guess) on arbitrary bytes must either return records or throw a TuningError; the
// default verbalizer must render every record they return. The parsers are called on the decoded
// text in memory (`@testable`, run.sh builds with -enable-testing): no file I/O per input, so the
// fuzzer runs fast even when it gets little CPU; FileInput's file checks have their own tests.

import Foundation
@testable import SPTuning

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDataReaders(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    let verbalizer = try! Verbalizer("{{input}}")
    func check(_ name: String, _ parse: (String) throws -> [TrainRecord]) {
        do {
            let text = try TrainingDataReader.decodeUTF8(bytes, file: name)
            for r in try parse(text) { _ = try verbalizer.render(r) }
        } catch is TuningError {
        } catch {
            preconditionFailure("unexpected error type \(error) for \(name)")
        }
    }
    check("d.json") { try TrainingDataReader.parseJSON($0, file: "d.json") }
    check("d.jsonl") { try TrainingDataReader.parseJSONLines($0, file: "d.jsonl") }
    check("d.csv") { try CSV.records($0, file: "d.csv") }
    return 0
}
