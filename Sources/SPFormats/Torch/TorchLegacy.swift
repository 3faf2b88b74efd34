// The legacy torch serialization format (torch < 1.6, or `_use_new_zipfile_serialization=False`):
// five pickles back to back — the magic number, the protocol version (1001), `sys_info`, the
// object (persistent ids `('storage', type, key, location, numel, None)`), the sorted storage keys —
// then, for each key in that order, an int64 element count and the storage's raw bytes.
// (torch/serialization.py `_legacy_save`, `_legacy_load`.)

/// Reads legacy-format torch files through the restricted unpickler.
enum TorchLegacy {
    /// `pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)`: torch's MAGIC_NUMBER.
    static let magic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]

    static func isLegacy(_ bytes: UnsafeRawBufferPointer) -> Bool { bytes.prefix(magic.count).elementsEqual(magic) }

    /// The tensor records and each storage's bytes (in place in `bytes`).
    static func read(_ bytes: UnsafeRawBufferPointer, file: String) throws
        -> (records: [TorchTensorRecord], storages: [String: UnsafeRawBufferPointer]) {
        func bad(_ r: String) -> FormatError {
            .malformed(file: file, what: "legacy torch checkpoint", reason: r,
                       hint: "the file is truncated or corrupt; save it again with torch.save")
        }
        var at = magic.count
        func nextPickle() throws -> PickleValue {
            var reader = PickleReader(UnsafeRawBufferPointer(rebasing: bytes[at...]), file: file)
            let v = try reader.load()
            at += reader.position
            return v
        }
        guard case .int(1001) = try nextPickle() else { throw bad("protocol version is not 1001") }
        guard case .dict(let info) = try nextPickle() else { throw bad("sys_info is not a dict") }
        for (k, v) in info where k == .string("little_endian") && v != .bool(true) {
            throw FormatError.malformed(file: file, what: "legacy torch checkpoint", reason: "big-endian storage is not supported",
                                        hint: "save the checkpoint on a little-endian machine")
        }
        let records = try TorchPickle.records(of: try nextPickle(), file: file)
        guard case .list(let keyValues) = try nextPickle() else { throw bad("the storage key list is not a list") }
        var elementSize: [String: Int] = [:]
        for r in records { elementSize[r.storageKey] = r.elementSize }
        var storages: [String: UnsafeRawBufferPointer] = [:]
        for kv in keyValues {
            guard case .string(let key) = kv else { throw bad("a storage key is not a string") }
            guard let size = elementSize[key] else { throw bad("storage \(key) is used by no tensor") }
            guard bytes.count - at >= 8 else { throw bad("storage \(key) is missing") }
            let count = bytes.loadUnaligned(fromByteOffset: at, as: Int64.self).littleEndian
            at += 8
            guard count >= 0, count <= (bytes.count - at) / size else {
                throw bad("storage \(key) of \(count) elements runs past the end of the file")
            }
            let n = Int(count) * size
            storages[key] = UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)])
            at += n
        }
        for r in records where storages[r.storageKey] == nil { throw bad("tensor \(r.name)'s storage \(r.storageKey) is missing") }
        return (records, storages)
    }
}
