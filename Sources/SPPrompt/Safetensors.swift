// The adapter_model.safetensors tensors for prompts, written byte-identical to what the Python
// `safetensors` library (0.8, the Rust core) writes for PEFT's save_pretrained:
//   u64 little-endian header length N, then N bytes of compact JSON
//   {"__metadata__":{"format":"pt"},"<name>":{"dtype":"F32","shape":[..],"data_offsets":[a,b]},…}
//   padded with spaces so that 8 + N is a multiple of 8, then the tensors' bytes back to back.
// Tensors are laid out by dtype (F32, then BF16, then F16, as the library's dtype order puts them)
// and then by name, which is the order of both the header and the data.

import Foundation
import SPFormats
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

/// Writes safetensors files of prompt tensors (through SPFormats' writer, which is byte-identical
/// to the Python library).
public enum SafetensorsWriter {
    /// The metadata PEFT's `save_pretrained` passes.
    public static let peftMetadata: [(String, String)] = [("format", "pt")]

    /// The file bytes for `tensors`. `metadata` keys are written sorted (the Python library writes
    /// them in hash-map order, which differs from run to run); nil writes no `__metadata__`.
    /// Throws on a duplicate or reserved tensor name.
    public static func encode(_ tensors: [SafetensorsTensor],
                              metadata: [(String, String)]? = peftMetadata) throws -> Data {
        let entries = try tensors.map {
            try SafetensorsEntry(name: $0.name, shape: $0.shape, values: $0.values, dtype: $0.dtype)
        }
        let meta = metadata.map { Dictionary($0, uniquingKeysWith: { _, last in last }) }
        return Data(try SPFormats.SafetensorsWriter.serialize(entries, metadata: meta))
    }

    /// Writes ``encode(_:metadata:)`` to `url` atomically.
    public static func write(_ tensors: [SafetensorsTensor], to url: URL,
                             metadata: [(String, String)]? = peftMetadata) throws {
        try AtomicFile.write(encode(tensors, metadata: metadata), to: url)
    }
}
