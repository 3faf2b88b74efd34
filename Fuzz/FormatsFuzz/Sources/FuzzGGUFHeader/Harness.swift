// libFuzzer entry point: the GGUF header/metadata/tensor-info parser on arbitrary bytes must either
// return a header whose tensors lie inside the buffer or throw a FormatError. Accepted files are also
// dequantized (tensors are small because the input is).

import SPFormats

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUFHeader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    do {
        let h = try GGUFHeader.parse(bytes, name: "fuzz")
        for t in h.tensors {
            guard let n = t.byteCount else { continue }
            precondition(h.dataOffset + t.offset + n <= size, "tensor outside the file")
            guard t.type.isDequantizable, t.count > 0, t.count <= 1 << 20, let base = bytes.baseAddress else { continue }
            let out = UnsafeMutablePointer<Float>.allocate(capacity: t.count)
            defer { out.deallocate() }
            try GGUFDequant.dequantize(t.type, base + h.dataOffset + t.offset, count: t.count, into: out)
        }
        _ = try? h.metadata.architecture()
    } catch is FormatError {
    } catch {
        preconditionFailure("unexpected error type \(error)")
    }
    return 0
}
