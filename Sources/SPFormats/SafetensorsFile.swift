// Memory-mapped safetensors files (zero copy) and HF checkpoint directories.

import Foundation
import SPTensor

/// A safetensors file, memory-mapped and validated at open; tensors are served as views into the map.
public final class SafetensorsFile: TensorSource {
    /// The file's path.
    public let path: String
    /// The validated header.
    public let header: SafetensorsHeader
    /// The mapping every view points into.
    public let map: MappedFile

    /// Maps and validates `path`. Throws ``FormatError`` for unreadable, truncated or malformed files.
    public init(path: String) throws {
        self.path = path
        map = try MappedFile(path: path)
        header = try SafetensorsHeader.parse(map.bytes, name: path)
    }

    /// Tensor names in data order.
    /// Tensor names in file order.
    public var tensorNames: [String] { header.tensors.map(\.name) }

    /// `__metadata__` (empty when the file has none).
    public var metadata: [String: String] { header.metadataDictionary }

    /// The header entry for `name`.
    public func info(_ name: String) throws -> SafetensorsTensorInfo {
        guard let t = header[name] else { throw FormatError.tensorNotFound(file: path, tensor: name) }
        return t
    }

    /// A zero-copy view of `name`.
    public func view(_ name: String) throws -> TensorView {
        let t = try info(name)
        return TensorView(name: name, dtype: t.dtype, shape: t.shape, data: map.base + header.dataStart + t.begin,
                          byteCount: t.byteCount, owner: map, file: path)
    }

    /// The shape of `name`, outermost first (torch order).
    public func shape(of name: String) throws -> [Int] { try info(name).shape }

    /// `name` widened to float32 (F32/F16/BF16 only; other dtypes throw ``FormatError/unsupportedDType``).
    public func tensor(_ name: String) throws -> Tensor { try view(name).tensor() }

    /// `name` as a weight, zero-copy when possible (see ``TensorView/weight(transposed:)``).
    public func weight(_ name: String, transposed: Bool = false) throws -> Weight {
        try view(name).weight(transposed: transposed)
    }
}

/// Opening the weights of an HF model directory.
public enum Safetensors {
    /// `model.safetensors.index.json` (sharded) if present, else `model.safetensors`.
    public static func open(directory: String) throws -> TensorSource {
        let fm = FileManager.default
        let index = directory + "/model.safetensors.index.json"
        if fm.fileExists(atPath: index) { return try SafetensorsShards(indexPath: index) }
        let single = directory + "/model.safetensors"
        guard fm.fileExists(atPath: single) else {
            throw FormatError.io(file: directory, operation: "open",
                                 message: "neither model.safetensors.index.json nor model.safetensors found")
        }
        return try SafetensorsFile(path: single)
    }
}
