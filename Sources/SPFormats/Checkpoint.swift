// Choosing the weights of an HF directory in transformers' order: safetensors first (single or
// sharded), then `pytorch_model.bin` (single or sharded, see ShardedSource.swift).

import Foundation

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
