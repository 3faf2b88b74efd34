// libFuzzer entry point: the restricted torch unpickler on arbitrary bytes (a `data.pkl` record)
// must either return tensor records whose views lie inside their storages or throw a FormatError;
// it never traps, recurses without bound or allocates far beyond the input. Inputs that start like
// a zip also go through the whole `.pt` decoder (zip reader, unpickler, strided gather); inputs that
// start with torch's legacy magic pickle are written to a file and opened as a legacy checkpoint,
// and every tensor is read.

import Foundation
import SPFormats

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorchPickle(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    do {
        for r in try TorchPickle.tensorRecords(bytes, file: "fuzz") {
            precondition(r.shape.count == r.strides.count, "rank mismatch")
            guard r.count > 0 else { continue }
            var last = r.offset
            for (n, s) in zip(r.shape, r.strides) { last += (n - 1) * s }
            precondition(last < r.storageCount, "view outside its storage")
        }
    } catch is FormatError {
    } catch {
        preconditionFailure("unexpected error type \(error)")
    }
    if size >= 4, bytes[0] == 0x50, bytes[1] == 0x4B {
        do { _ = try TorchPT.decode(Data(bytes), file: "fuzz") } catch is FormatError {} catch {
            preconditionFailure("unexpected error type \(error)")
        }
    }
    let legacyMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
    if bytes.starts(with: legacyMagic) {
        let path = "/dev/shm/fuzz-torch-legacy-\(getpid()).bin"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let c = try TorchCheckpoint(path: path)
            for name in c.tensorNames where (try? c.record(name).count) ?? 0 <= 1 << 16 {
                let v = try c.view(name)
                if v.dtype.dtype != nil { _ = try v.floats() }
            }
        } catch is FormatError {} catch {
            preconditionFailure("unexpected error type \(error)")
        }
    }
    return 0
}
