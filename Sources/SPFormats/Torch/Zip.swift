// The subset of ZIP that torch's serialization uses: STORED (uncompressed) entries whose data starts
// on a 64-byte boundary. Alignment is padded, as torch's PyTorchStreamWriter does, with an extra
// field tagged "FB" filled with 'Z' bytes. The reader also understands ZIP64 records.

import Foundation

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as ZIP uses it.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ data: Data) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        data.withUnsafeBytes { raw in
            for b in raw.bindMemory(to: UInt8.self) { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        return c ^ 0xFFFF_FFFF
    }
}

extension Data {
    mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }
}

/// Writes a STORED zip archive with 64-byte-aligned entry data.
struct ZipWriter {
    private(set) var data = Data()
    private var central = Data()
    private var entryCount = 0
    /// torch's `kFieldAlignment`.
    static let alignment = 64

    /// Appends one entry.
    mutating func add(_ name: String, _ content: Data) {
        let nameBytes = Data(name.utf8)
        let offset = data.count
        // Local header is 30 bytes, then the name, then the 4-byte "FB" extra header and padding.
        let unpadded = offset + 30 + nameBytes.count + 4
        let pad = (Self.alignment - unpadded % Self.alignment) % Self.alignment
        let crc = CRC32.checksum(content)
        data.appendLE(UInt32(0x0403_4B50))
        writeCommon(&data, crc: crc, size: content.count, nameLength: nameBytes.count, extraLength: 4 + pad)
        data.append(nameBytes)
        data.append(contentsOf: [UInt8(ascii: "F"), UInt8(ascii: "B")])
        data.appendLE(UInt16(pad))
        data.append(Data(repeating: UInt8(ascii: "Z"), count: pad))
        data.append(content)

        central.appendLE(UInt32(0x0201_4B50))
        central.appendLE(UInt16(20))  // version made by
        writeCommon(&central, crc: crc, size: content.count, nameLength: nameBytes.count, extraLength: 0)
        central.appendLE(UInt16(0))   // comment length
        central.appendLE(UInt16(0))   // disk number
        central.appendLE(UInt16(0))   // internal attributes
        central.appendLE(UInt32(0))   // external attributes
        central.appendLE(UInt32(offset))
        central.append(nameBytes)
        entryCount += 1
    }

    private func writeCommon(_ d: inout Data, crc: UInt32, size: Int, nameLength: Int, extraLength: Int) {
        d.appendLE(UInt16(20))        // version needed to extract
        d.appendLE(UInt16(0))         // flags
        d.appendLE(UInt16(0))         // method: stored
        d.appendLE(UInt16(0))         // mod time (torch writes 0)
        d.appendLE(UInt16(0))         // mod date
        d.appendLE(crc)
        d.appendLE(UInt32(size))      // compressed size
        d.appendLE(UInt32(size))      // uncompressed size
        d.appendLE(UInt16(nameLength))
        d.appendLE(UInt16(extraLength))
    }

    /// The finished archive (central directory and end record appended).
    mutating func finish() -> Data {
        let cdOffset = data.count
        data.append(central)
        data.appendLE(UInt32(0x0605_4B50))
        data.appendLE(UInt16(0))
        data.appendLE(UInt16(0))
        data.appendLE(UInt16(entryCount))
        data.appendLE(UInt16(entryCount))
        data.appendLE(UInt32(central.count))
        data.appendLE(UInt32(cdOffset))
        data.appendLE(UInt16(0))
        return data
    }
}

/// Owned bytes that outlive the `Data` they were copied from (the zip reader's buffer).
final class ByteBox: @unchecked Sendable {
    let buffer: UnsafeMutableRawBufferPointer
    init(_ data: Data) {
        buffer = .allocate(byteCount: max(1, data.count), alignment: 64)
        data.withUnsafeBytes { buffer.copyMemory(from: $0) }
    }
    init(count: Int) { buffer = .allocate(byteCount: max(1, count), alignment: 64) }
    deinit { buffer.deallocate() }
}

/// Reads the entries of a zip archive (STORED entries only, as torch writes), from memory or a
/// memory-mapped file: entries are served in place.
struct ZipReader: @unchecked Sendable {
    /// The archive's bytes (valid while ``owner`` lives).
    let bytes: UnsafeRawBufferPointer
    /// Keeps ``bytes`` alive (a ``ByteBox`` or the ``MappedFile``).
    let owner: AnyObject
    let file: String
    /// Entry name → (data offset, size, crc).
    private(set) var entries: [String: (offset: Int, size: Int, crc: UInt32)] = [:]
    /// Entry names in central-directory order.
    private(set) var names: [String] = []

    init(_ data: Data, file: String) throws {
        let box = ByteBox(data)
        try self.init(UnsafeRawBufferPointer(rebasing: box.buffer[0..<data.count]), owner: box, file: file)
    }

    init(_ map: MappedFile) throws { try self.init(map.bytes, owner: map, file: map.path) }

    private init(_ bytes: UnsafeRawBufferPointer, owner: AnyObject, file: String) throws {
        self.bytes = bytes
        self.owner = owner
        self.file = file
        guard let eocd = findEndRecord() else { throw bad("not a zip archive (no end-of-central-directory record)") }
        var count = Int(try u16(eocd + 10))
        var cdOffset = Int(try u32(eocd + 16))
        if cdOffset == 0xFFFF_FFFF || count == 0xFFFF, eocd >= 20, try u32(eocd - 20) == 0x0706_4B50 {
            let z64 = try int(try u64(eocd - 20 + 8))
            guard try u32(z64) == 0x0606_4B50 else { throw bad("broken ZIP64 end record") }
            count = try int(try u64(z64 + 32))
            cdOffset = try int(try u64(z64 + 48))
        }
        var p = cdOffset
        for _ in 0..<count {
            guard try u32(p) == 0x0201_4B50 else { throw bad("broken central directory at offset \(p)") }
            let method = try u16(p + 10)
            let crc = try u32(p + 16)
            var size = Int(try u32(p + 24))
            let nameLen = Int(try u16(p + 28)), extraLen = Int(try u16(p + 30)), commentLen = Int(try u16(p + 32))
            var local = Int(try u32(p + 42))
            let name = String(decoding: try slice(p + 46, nameLen), as: UTF8.self)
            // ZIP64 extra field (tag 1): the 64-bit values of the fields that read 0xFFFFFFFF, in order.
            var e = p + 46 + nameLen
            while e + 4 <= p + 46 + nameLen + extraLen {
                let tag = try u16(e), len = Int(try u16(e + 2))
                if tag == 1 {
                    var q = e + 4
                    if try u32(p + 24) == 0xFFFF_FFFF { size = try int(try u64(q)); q += 8 }
                    if try u32(p + 20) == 0xFFFF_FFFF { q += 8 }
                    if try u32(p + 42) == 0xFFFF_FFFF { local = try int(try u64(q)) }
                }
                e += 4 + len
            }
            guard method == 0 else { throw bad("entry \(name) is compressed (method \(method)); torch writes stored entries") }
            guard try u32(local) == 0x0403_4B50 else { throw bad("broken local header of \(name)") }
            let start = local + 30 + Int(try u16(local + 26)) + Int(try u16(local + 28))
            guard size <= bytes.count, start <= bytes.count - size else { throw bad("entry \(name) runs past the end of the file") }
            entries[name] = (start, size, crc)
            names.append(name)
            p += 46 + nameLen + extraLen + commentLen
        }
    }

    /// The content of entry `name`, CRC-checked (a copy).
    func read(_ name: String) throws -> Data {
        let d = Data(try region(name))
        guard CRC32.checksum(d) == entries[name]!.crc else { throw bad("CRC mismatch in \(name): the file is corrupt") }
        return d
    }

    /// The bytes of entry `name` in place (not CRC-checked: checking would read every page of a
    /// multi-GB checkpoint at open).
    func region(_ name: String) throws -> UnsafeRawBufferPointer {
        guard let e = entries[name] else { throw bad("missing record \(name)") }
        return UnsafeRawBufferPointer(rebasing: bytes[e.offset..<(e.offset + e.size)])
    }

    /// The record prefix (`<archive>/`) of a torch.save archive: the folder of its one top-level
    /// `data.pkl`, whose `byteorder` record, when present, must say little-endian.
    /// - Parameter what: the kind of file, for the error (`"torch checkpoint"`, `"torch file"`).
    /// - Throws: ``FormatError/malformed(file:what:reason:hint:)`` naming the file otherwise.
    func torchArchivePrefix(what: String) throws -> String {
        guard let pkl = names.first(where: { $0.hasSuffix("/data.pkl") && $0.split(separator: "/").count == 2 }) else {
            throw FormatError.malformed(file: file, what: what, reason: "no <archive>/data.pkl record",
                                        hint: "the file is not written by torch.save (legacy pre-1.6 .pt files: save it again with a current torch)")
        }
        let prefix = String(pkl.dropLast("data.pkl".count))
        if entries["\(prefix)byteorder"] != nil,
           String(decoding: try read("\(prefix)byteorder"), as: UTF8.self) != "little" {
            throw FormatError.malformed(file: file, what: what, reason: "big-endian storage is not supported",
                                        hint: "save it again on a little-endian machine")
        }
        return prefix
    }

    private func findEndRecord() -> Int? {
        guard bytes.count >= 22 else { return nil }
        var i = bytes.count - 22
        let stop = max(0, bytes.count - 22 - 65_535)
        while i >= stop {
            if bytes[i] == 0x50, bytes[i + 1] == 0x4B, bytes[i + 2] == 0x05, bytes[i + 3] == 0x06 { return i }
            i -= 1
        }
        return nil
    }

    private func bad(_ reason: String) -> FormatError {
        .malformed(file: file, what: "zip archive", reason: reason,
                   hint: "the torch file is truncated or corrupt (torch.save writes an uncompressed zip)")
    }
    private func int(_ v: UInt64) throws -> Int {
        guard v <= UInt64(bytes.count) else { throw bad("offset or size \(v) exceeds the file") }
        return Int(v)
    }
    private func slice(_ at: Int, _ n: Int) throws -> Slice<UnsafeRawBufferPointer> {
        guard at >= 0, n >= 0, at <= bytes.count - n else { throw bad("truncated zip archive") }
        return bytes[at..<(at + n)]
    }
    private func u16(_ at: Int) throws -> UInt16 { try slice(at, 2).reversed().reduce(0) { $0 << 8 | UInt16($1) } }
    private func u32(_ at: Int) throws -> UInt32 { try slice(at, 4).reversed().reduce(0) { $0 << 8 | UInt32($1) } }
    private func u64(_ at: Int) throws -> UInt64 { try slice(at, 8).reversed().reduce(0) { $0 << 8 | UInt64($1) } }
}
