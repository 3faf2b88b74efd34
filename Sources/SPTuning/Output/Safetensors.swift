// The adapter_model.safetensors writer for prompt tensors, byte-identical to what the Python
// `safetensors` library (0.8, the Rust core) writes for PEFT's save_pretrained:
//   u64 little-endian header length N, then N bytes of compact JSON
//   {"__metadata__":{"format":"pt"},"<name>":{"dtype":"F32","shape":[..],"data_offsets":[a,b]},…}
//   padded with spaces so that 8 + N is a multiple of 8, then the tensors' bytes back to back.
// Tensors are laid out by dtype (F32, then BF16, then F16, as the library's dtype order puts them)
// and then by name, which is the order of both the header and the data.

import Foundation
import SPTensor

/// One tensor to store in a safetensors file.
public struct SafetensorsTensor: Sendable, Equatable {
    /// Tensor name (`prompt_embeddings`, `prefix_task_cols`, `prefix_task_rows`).
    public var name: String
    /// Storage dtype; values are rounded to it (round-to-nearest-even).
    public var dtype: DType
    /// Dimensions.
    public var shape: [Int]
    /// Row-major float32 values.
    public var values: [Float]

    /// Creates a tensor entry.
    public init(name: String, dtype: DType, shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.values = values
    }
}

/// Writes safetensors files of prompt tensors.
public enum SafetensorsWriter {
    /// The metadata PEFT's `save_pretrained` passes.
    public static let peftMetadata: [(String, String)] = [("format", "pt")]

    /// The file bytes for `tensors`; `metadata` keys are written in the given order.
    public static func encode(_ tensors: [SafetensorsTensor],
                              metadata: [(String, String)]? = peftMetadata) -> Data {
        let ordered = tensors.sorted { a, b in
            a.dtype == b.dtype ? a.name < b.name : rank(a.dtype) > rank(b.dtype)
        }
        var header = "{"
        if let metadata {
            header += "\"__metadata__\":{"
                + metadata.map { jsonString($0.0) + ":" + jsonString($0.1) }.joined(separator: ",") + "}"
        }
        var offset = 0
        for t in ordered {
            let n = t.values.count * t.dtype.size
            if header.count > 1 { header += "," }
            header += jsonString(t.name) + ":{\"dtype\":\"\(code(t.dtype))\",\"shape\":["
                + t.shape.map(String.init).joined(separator: ",") + "],\"data_offsets\":[\(offset),\(offset + n)]}"
            offset += n
        }
        header += "}"
        var h = Data(header.utf8)
        h.append(Data(repeating: 0x20, count: (8 - h.count % 8) % 8))
        var out = Data()
        out.appendLE(UInt64(h.count))
        out.append(h)
        for t in ordered { out.append(TorchPT.storageBytes(t.values, t.dtype)) }
        return out
    }

    /// Writes ``encode(_:metadata:)`` to `url` atomically.
    public static func write(_ tensors: [SafetensorsTensor], to url: URL,
                             metadata: [(String, String)]? = peftMetadata) throws {
        try AtomicFile.write(encode(tensors, metadata: metadata), to: url)
    }

    /// The safetensors dtype code.
    public static func code(_ dtype: DType) -> String {
        switch dtype {
        case .float32: return "F32"
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        }
    }

    /// Position in the library's `Dtype` enum (… F16 < BF16 < F32 …); larger comes first.
    private static func rank(_ dtype: DType) -> Int {
        switch dtype {
        case .float16: return 0
        case .bfloat16: return 1
        case .float32: return 2
        }
    }

    /// serde_json's string escaping (UTF-8 kept, control characters escaped).
    private static func jsonString(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if c.value < 0x20 {
                    let hex = String(c.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out + "\""
    }
}
