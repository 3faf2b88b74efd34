// `pytorch_model.bin` as a TensorSource: the file is memory-mapped, the pickle is read by the
// restricted unpickler, and each tensor is a view into its storage (a record stored uncompressed
// and 64-byte aligned in the zip format; raw bytes after the pickles in the legacy format):
// zero-copy when the view is contiguous, gathered once when it has strides. Tensors that share a
// storage share its bytes.

import Foundation
import SPTensor

/// A torch checkpoint (`pytorch_model.bin`, `*.pt`) served as memory-mapped tensor views: the zip
/// format torch ≥ 1.6 writes, and the legacy format before it (see `TorchLegacy.swift`).
public final class TorchCheckpoint: TensorSource, @unchecked Sendable {
    /// The file's path.
    public let path: String
    /// The tensors in the file's order.
    public let records: [TorchTensorRecord]
    /// True for the legacy (pre-1.6, non-zip) serialization format.
    public let isLegacyFormat: Bool
    private let map: MappedFile
    /// Storage key → its bytes inside ``map``.
    private let storages: [String: UnsafeRawBufferPointer]
    private let byName: [String: Int]

    /// Maps and reads `path`. Throws ``FormatError`` for a malformed archive, a pickle holding
    /// anything but tensors (refused, never executed), or a view outside its storage.
    public init(path: String) throws {
        self.path = path
        map = try MappedFile(path: path)
        let head = map.bytes.prefix(4)
        var regions: [String: UnsafeRawBufferPointer] = [:]
        if TorchLegacy.isLegacy(map.bytes) {
            isLegacyFormat = true
            (records, regions) = try TorchLegacy.read(map.bytes, file: path)
        } else {
            guard head.elementsEqual([0x50, 0x4B, 0x03, 0x04]) else {
                throw FormatError.badMagic(file: path, expected: "torch checkpoint (zip or legacy pickle)",
                                           found: head.map { String(format: "%02x", $0) }.joined(separator: " "))
            }
            isLegacyFormat = false
            let zip = try ZipReader(map)
            let prefix = try zip.torchArchivePrefix(what: "torch checkpoint")
            records = try TorchPickle.tensorRecords(try zip.region(prefix + "data.pkl"), file: path)
            for r in records where regions[r.storageKey] == nil {
                regions[r.storageKey] = try zip.region("\(prefix)data/\(r.storageKey)")
            }
        }
        var index: [String: Int] = [:]
        for (k, r) in records.enumerated() {
            index[r.name] = k
            let region = regions[r.storageKey]!
            guard r.storageCount * r.elementSize <= region.count else {
                throw FormatError.offsetsOutOfRange(file: path, tensor: r.name, begin: 0, end: r.storageCount * r.elementSize,
                                                    limit: region.count)
            }
        }
        storages = regions
        byName = index
    }

    /// Tensor names in the file's order.
    public var tensorNames: [String] { records.map(\.name) }

    /// The record of `name`.
    public func record(_ name: String) throws -> TorchTensorRecord {
        guard let k = byName[name] else { throw FormatError.tensorNotFound(file: path, tensor: name) }
        return records[k]
    }

    /// A view of `name`: in place when contiguous, else its elements gathered into an owned buffer.
    public func view(_ name: String) throws -> TensorView {
        let r = try record(name)
        let storage = storages[r.storageKey]!
        let bytes = r.count * r.elementSize
        if r.isContiguous || r.count == 0 {
            let start = storage.baseAddress.map { UnsafeRawPointer($0 + r.offset * r.elementSize) }
            return TensorView(name: name, dtype: r.dtype, shape: r.shape, data: start ?? map.base, byteCount: bytes,
                              owner: map, file: path)
        }
        let box = ByteBox(count: bytes)
        TorchPickle.gather(r, from: storage.baseAddress!, into: box.buffer.baseAddress!)
        return TensorView(name: name, dtype: r.dtype, shape: r.shape, data: UnsafeRawPointer(box.buffer.baseAddress!),
                          byteCount: bytes, owner: box, file: path)
    }

    /// The shape of `name`.
    public func shape(of name: String) throws -> [Int] { try record(name).shape }
    /// `name` widened to float32 (a copy).
    public func tensor(_ name: String) throws -> Tensor { try view(name).tensor() }
    /// `name` as a weight, zero-copy when contiguous and aligned.
    public func weight(_ name: String, transposed: Bool = false) throws -> Weight {
        try view(name).weight(transposed: transposed)
    }
}
