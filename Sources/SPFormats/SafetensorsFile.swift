// Memory-mapped safetensors files (zero copy) and HF checkpoint directories.

import Foundation
import SPJSON
import SPTensor
import Synchronization

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

/// A sharded checkpoint described by `model.safetensors.index.json`
/// (`{"metadata": {...}, "weight_map": {tensor: shard file}}`). Shards are opened on first use.
public final class SafetensorsShards: TensorSource {
    /// The index file's path.
    public let indexPath: String
    /// The directory holding the shards.
    public let directory: String
    /// Tensor name → shard file name (relative to ``directory``), in index order.
    public let weightMap: [(tensor: String, shard: String)]
    /// The index's `metadata` object (e.g. `total_size`), as parsed.
    public let metadata: JSONObject
    private let shardOf: [String: String]
    private let files = Mutex<[String: SafetensorsFile]>([:])

    /// Reads the index at `indexPath`. Shard names must be plain file names in the same directory.
    public init(indexPath: String) throws {
        self.indexPath = indexPath
        directory = (indexPath as NSString).deletingLastPathComponent
        let map = try MappedFile(path: indexPath)
        let parsed: JSONValue
        do { parsed = try JSONParser.parse(map.bytes, file: indexPath) } catch JSONError.syntax(_, let at, let why) {
            throw FormatError.invalidJSON(file: indexPath, offset: at, reason: why)
        }
        guard case .object(let root) = parsed else {
            throw FormatError.invalidHeader(file: indexPath, offset: nil, field: "index", reason: "not a JSON object")
        }
        if case .object(let m)? = root["metadata"] { metadata = m } else { metadata = JSONObject() }
        guard case .object(let wm)? = root["weight_map"] else {
            throw FormatError.missingField(file: indexPath, field: "weight_map (an object tensor → shard file)")
        }
        var list: [(tensor: String, shard: String)] = []
        for (tensor, v) in wm.entries {
            guard case .string(let shard) = v else {
                throw FormatError.wrongType(file: indexPath, field: "weight_map.\(tensor)", expected: "a file name",
                                            found: v.kindDescription)
            }
            guard !shard.isEmpty, !shard.contains("/"), shard != ".", shard != ".." else {
                throw FormatError.invalidHeader(file: indexPath, offset: nil, field: "weight_map.\(tensor)",
                                                reason: "shard \"\(shard)\" is not a file name in the index's directory")
            }
            list.append((tensor, shard))
        }
        weightMap = list
        shardOf = Dictionary(list.map { ($0.tensor, $0.shard) }, uniquingKeysWith: { _, b in b })
    }

    /// Tensor names in index order.
    public var tensorNames: [String] { weightMap.map(\.tensor) }

    /// Distinct shard file names, in first-use order of the index.
    public var shardNames: [String] {
        var seen = Set<String>()
        return weightMap.compactMap { seen.insert($0.shard).inserted ? $0.shard : nil }
    }

    /// The opened shard holding `name` (opened and validated on first use, then cached).
    public func shard(for name: String) throws -> SafetensorsFile {
        guard let s = shardOf[name] else { throw FormatError.tensorNotFound(file: indexPath, tensor: name) }
        let path = directory.isEmpty ? s : directory + "/" + s
        return try files.withLock { files in
            if let f = files[s] { return f }
            let f = try SafetensorsFile(path: path)
            files[s] = f
            return f
        }
    }

    /// A zero-copy view of `name` from its shard.
    public func view(_ name: String) throws -> TensorView { try shard(for: name).view(name) }

    /// The shape of `name` (opens its shard).
    public func shape(of name: String) throws -> [Int] { try shard(for: name).shape(of: name) }
    /// `name` widened to float32 from its shard.
    public func tensor(_ name: String) throws -> Tensor { try view(name).tensor() }
    /// `name` as a weight from its shard, zero-copy when possible.
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
