// libFuzzer entry point: the training data readers (JSON array, JSON lines, header CSV, and the
// extension-less guess) on arbitrary bytes must either return records or throw a TuningError; the
// default verbalizer must render every record it returns.

import Foundation
import SPTuning

let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("fuzz-data-\(getpid())")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDataReaders(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let verbalizer = try! Verbalizer("{{input}}")
    for name in ["d.json", "d.jsonl", "d.csv", "d"] {
        let url = dir.appendingPathComponent(name)
        precondition((try? bytes.write(to: url)) != nil, "cannot write \(url.path)")
        do {
            for r in try TrainingDataReader.readFile(url) { _ = try verbalizer.render(r) }
        } catch is TuningError {
        } catch {
            preconditionFailure("unexpected error type \(error) for \(name)")
        }
    }
    return 0
}
