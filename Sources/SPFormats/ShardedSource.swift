// Sharded checkpoints: an index (`model.safetensors.index.json`, `pytorch_model.bin.index.json`)
// maps each tensor to a shard file in the same directory. One generic source serves both formats.

import Foundation
import SPJSON
import SPTensor
import Synchronization

/// A checkpoint file that can be one shard of a ``ShardedSource``.
public protocol ShardFile: TensorSource {
    /// Opens (maps and validates) the file at `path`.
    init(path: String) throws
    /// A view of `name` from this file.
    func view(_ name: String) throws -> TensorView
}

extension SafetensorsFile: ShardFile {}
extension TorchCheckpoint: ShardFile {}

/// A sharded safetensors checkpoint (`model.safetensors.index.json`).
public typealias SafetensorsShards = ShardedSource<SafetensorsFile>
/// A sharded torch checkpoint (`pytorch_model.bin.index.json`).
public typealias TorchShards = ShardedSource<TorchCheckpoint>

/// A sharded checkpoint described by an index file
/// (`{"metadata": {...}, "weight_map": {tensor: shard file}}`). Shards are opened on first use.
public final class ShardedSource<Shard: ShardFile>: TensorSource {
    /// The index file's path.
    public let indexPath: String
    /// The directory holding the shards.
    public let directory: String
    /// Tensor name → shard file name (relative to ``directory``), in index order.
    public let weightMap: [(tensor: String, shard: String)]
    /// The index's `metadata` object (e.g. `total_size`), as parsed.
    public let metadata: JSONObject
    private let shardOf: [String: String]
    private let files = Mutex<[String: Shard]>([:])

    /// Reads the index at `indexPath`. Shard names must be plain file names in the same directory.
    /// - Throws: ``FormatError`` naming the index and the field when it is not such an index.
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
    public func shard(for name: String) throws -> Shard {
        guard let s = shardOf[name] else { throw FormatError.tensorNotFound(file: indexPath, tensor: name) }
        let path = directory.isEmpty ? s : directory + "/" + s
        return try files.withLock { files in
            if let f = files[s] { return f }
            let f = try Shard(path: path)
            files[s] = f
            return f
        }
    }

    /// A view of `name` from its shard (zero-copy where the shard's storage allows it).
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
