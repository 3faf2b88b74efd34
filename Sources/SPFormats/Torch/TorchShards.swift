// Sharded torch checkpoints (`pytorch_model.bin.index.json`), and choosing the weights of an HF
// directory in transformers' order: safetensors first, then `pytorch_model.bin`.

import Foundation
import SPJSON
import SPTensor
import Synchronization

/// A sharded torch checkpoint described by `pytorch_model.bin.index.json`
/// (`{"metadata": {...}, "weight_map": {tensor: shard file}}`). Shards are opened on first use.
public final class TorchShards: TensorSource {
    /// The index file's path.
    public let indexPath: String
    /// Tensor name → shard file name (in the index's directory), in index order.
    public let weightMap: [(tensor: String, shard: String)]
    private let directory: String
    private let shardOf: [String: String]
    private let files = Mutex<[String: TorchCheckpoint]>([:])

    /// Reads the index at `indexPath`. Shard names must be plain file names in the same directory.
    public init(indexPath: String) throws {
        self.indexPath = indexPath
        directory = (indexPath as NSString).deletingLastPathComponent
        let map = try MappedFile(path: indexPath)
        guard case .object(let root) = try JSONParser.parse(map.bytes, file: indexPath),
              case .object(let wm)? = root["weight_map"] else {
            throw FormatError.missingField(file: indexPath, field: "weight_map (an object tensor → shard file)")
        }
        var list: [(tensor: String, shard: String)] = []
        for (tensor, v) in wm.entries {
            guard case .string(let shard) = v, !shard.isEmpty, !shard.contains("/"), shard != ".", shard != ".." else {
                throw FormatError.invalidHeader(file: indexPath, offset: nil, field: "weight_map.\(tensor)",
                                                reason: "must name a shard file in the index's directory")
            }
            list.append((tensor, shard))
        }
        weightMap = list
        shardOf = Dictionary(list.map { ($0.tensor, $0.shard) }, uniquingKeysWith: { _, b in b })
    }

    /// Tensor names in index order.
    public var tensorNames: [String] { weightMap.map(\.tensor) }

    /// The opened shard holding `name` (opened on first use, then cached). The shard must hold it.
    public func shard(for name: String) throws -> TorchCheckpoint {
        guard let s = shardOf[name] else { throw FormatError.tensorNotFound(file: indexPath, tensor: name) }
        return try files.withLock { files in
            if let f = files[s] { return f }
            let f = try TorchCheckpoint(path: directory.isEmpty ? s : directory + "/" + s)
            files[s] = f
            return f
        }
    }

    /// A view of `name` from its shard.
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

/// Opening the weights of an HF model directory, whatever format they are in.
public enum Checkpoint {
    /// The files looked for, in transformers' order of preference.
    public static let fileNames = ["model.safetensors", "model.safetensors.index.json",
                                   "pytorch_model.bin", "pytorch_model.bin.index.json"]

    /// Safetensors (single or sharded) when present, else `pytorch_model.bin` (single or sharded).
    public static func open(directory: String) throws -> TensorSource {
        let fm = FileManager.default
        let present = fileNames.filter { fm.fileExists(atPath: directory + "/" + $0) }
        switch present.first {
        case "model.safetensors"?, "model.safetensors.index.json"?: return try Safetensors.open(directory: directory)
        case "pytorch_model.bin"?: return try TorchCheckpoint(path: directory + "/pytorch_model.bin")
        case "pytorch_model.bin.index.json"?: return try TorchShards(indexPath: directory + "/pytorch_model.bin.index.json")
        default:
            throw FormatError.io(file: directory, operation: "open",
                                 message: "no weights found (looked for \(fileNames.joined(separator: ", ")))")
        }
    }
}
