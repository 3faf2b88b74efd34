// libFuzzer entry point: the safetensors header parser (length prefix, JSON, validation) on arbitrary
// bytes must either return a header whose tensors lie inside the buffer or throw a FormatError.

import SPFormats
import SPJSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensorsHeader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    do {
        let h = try SafetensorsHeader.parse(bytes, name: "fuzz")
        for t in h.tensors {
            precondition(t.begin >= 0 && t.begin <= t.end && h.dataStart + t.end <= size, "tensor outside the file")
        }
        _ = h.metadataDictionary
    } catch is FormatError {
    } catch {
        preconditionFailure("unexpected error type \(error)")
    }
    // The same bytes as JSON text and as a config must not crash either.
    _ = try? JSONParser.parse(bytes, file: "fuzz")
    _ = try? JSONConfig(bytes: bytes, file: "fuzz").ropeTheta()
    return 0
}
