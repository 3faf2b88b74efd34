// GGUF v2/v3 container (llama.cpp `gguf.cpp`, the `gguf` Python package's GGUFReader):
//   "GGUF" u32 version, u64 tensor_count, u64 kv_count,
//   kv_count × { string key, u32 type, value },
//   tensor_count × { string name, u32 n_dims, n_dims × u64 ne, u32 ggml_type, u64 offset },
//   padding to `general.alignment` (default 32), then the data section; offsets are relative to it.
// Strings are u64 length + UTF-8 bytes; arrays are u32 element type + u64 count + elements.
// Everything is little-endian (big-endian files exist for s390x and are rejected with a hint).

/// One tensor of a GGUF file.
///
/// GGUF stores dimensions innermost-first (`ne[0]` is the row length, as in ggml). ``shape`` gives
/// them in torch order, outermost first: a GGUF `ne = [576, 49152]` embedding is `shape = [49152, 576]`.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// The tensor's name (`blk.0.attn_q.weight`, …).
    public let name: String
    /// Element type.
    public let type: GGMLType
    /// Dimensions as stored, innermost first (`ne[0]` = row length).
    public let ne: [Int]
    /// Offset of the data relative to the data section.
    public let offset: Int
    /// Number of bytes of data; nil when the type is unknown.
    public let byteCount: Int?

    /// Dimensions outermost first (torch order): `ne.reversed()`.
    public var shape: [Int] { ne.reversed() }
    /// Number of elements.
    public var count: Int { ne.reduce(1, *) }
}

/// A parsed GGUF header: version, metadata and tensor infos, all bounds-checked against the file.
public struct GGUFHeader: Sendable {
    /// Versions this reader handles (v1 used 32-bit counts and is obsolete).
    public static let supportedVersions = [2, 3]
    /// Deepest array nesting accepted.
    public static let maxArrayDepth = 32

    /// Format version (2 or 3).
    public let version: Int
    /// Metadata in file order.
    public let metadata: GGUFMetadata
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// Data alignment (`general.alignment`, default 32).
    public let alignment: Int
    /// Byte offset of the data section in the file.
    public let dataOffset: Int
    private let index: [String: Int]

    /// The info for `name`, or nil.
    public subscript(name: String) -> GGUFTensorInfo? { index[name].map { tensors[$0] } }

    /// Parses the header of a whole GGUF file held in `file`; `name` is used in error messages.
    public static func parse(_ file: UnsafeRawBufferPointer, name: String) throws -> GGUFHeader {
        var r = ByteReader(file, file: name)
        let magic = try r.read(UInt32.self, "GGUF magic")
        guard magic == 0x4655_4747 else {
            let shown = withUnsafeBytes(of: magic.littleEndian) { Array($0) }
                .map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }
            throw FormatError.badMagic(file: name, expected: "GGUF", found: "\"" + shown.joined() + "\"")
        }
        let rawVersion = try r.read(UInt32.self, "GGUF version")
        if rawVersion & 0xFFFF == 0 && rawVersion != 0 {
            throw FormatError.invalidHeader(file: name, offset: 4, field: "version",
                                            reason: "big-endian GGUF (version \(rawVersion.byteSwapped)) is not supported; "
                                                + "convert the model on a little-endian machine")
        }
        let version = Int(rawVersion)
        guard supportedVersions.contains(version) else {
            throw FormatError.unsupportedVersion(file: name, version: version, supported: supportedVersions)
        }
        let tensorCount = try r.readLength("tensor count")
        let kvCount = try r.readLength("metadata count")
        // Each kv needs ≥ 13 bytes and each tensor info ≥ 24: reject absurd counts before allocating.
        try r.need(kvCount / 13, "\(kvCount) metadata entries")
        var md = GGUFMetadata(file: name)
        for k in 0..<kvCount {
            let at = r.offset
            let key = try readString(&r, "key of metadata entry \(k)")
            let t = try read(UInt32.self, &r, "type of metadata \(key)")
            guard let type = GGUFValueType(rawValue: t) else {
                throw FormatError.invalidHeader(file: name, offset: r.offset - 4, field: "metadata \(key)",
                                                reason: "unknown value type \(t)")
            }
            let value = try readValue(&r, type: type, key: key, depth: 0)
            guard md.append(key, value) else {
                throw FormatError.invalidHeader(file: name, offset: at, field: "metadata \(key)", reason: "duplicate key")
            }
        }
        var alignment = 32
        if let a = md["general.alignment"] {
            guard case .uint32(let v) = a, v > 0, v & (v - 1) == 0 else {
                throw FormatError.wrongType(file: name, field: "general.alignment", expected: "a uint32 power of two",
                                            found: a.kindDescription)
            }
            alignment = Int(v)
        }
        try r.need(tensorCount / 24, "\(tensorCount) tensor infos")
        var raw: [(name: String, type: GGMLType, ne: [Int], offset: Int, at: Int)] = []
        raw.reserveCapacity(tensorCount)
        for k in 0..<tensorCount {
            let at = r.offset
            let tname = try readString(&r, "name of tensor info \(k)")
            let nd = try read(UInt32.self, &r, "n_dims of tensor \(tname)")
            guard nd <= 4 else {
                throw FormatError.invalidHeader(file: name, offset: r.offset - 4, field: "tensor \(tname)",
                                                reason: "\(nd) dimensions (GGUF allows at most 4)")
            }
            var ne: [Int] = []
            for d in 0..<Int(nd) {
                let v = try read(UInt64.self, &r, "ne[\(d)] of tensor \(tname)")
                guard let i = Int(exactly: v), i <= Int(Int64.max) else {
                    throw FormatError.shapeOverflow(file: name, tensor: tname, shape: [Int(truncatingIfNeeded: v)])
                }
                ne.append(i)
            }
            let type = GGMLType(rawValue: try read(UInt32.self, &r, "type of tensor \(tname)"))
            let off = try r.readLength("data offset of tensor \(tname)")
            raw.append((tname, type, ne, off, at))
        }
        let pad = (alignment - r.offset % alignment) % alignment
        let dataOffset = r.offset + pad
        let dataSize = file.count - min(file.count, dataOffset)
        var tensors: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        for t in raw {
            guard index[t.name] == nil else {
                throw FormatError.invalidHeader(file: name, offset: t.at, field: "tensor \(t.name)", reason: "duplicate tensor name")
            }
            let shape = Array(t.ne.reversed())
            guard let count = checkedProduct(t.ne) else {
                throw FormatError.shapeOverflow(file: name, tensor: t.name, shape: shape)
            }
            guard t.offset % alignment == 0 else {
                throw FormatError.invalidHeader(file: name, offset: t.at, field: "tensor \(t.name)",
                                                reason: "data offset \(t.offset) is not a multiple of the alignment \(alignment)")
            }
            var bytes: Int?
            if let bs = t.type.blockSize, let ts = t.type.typeSize {
                let row = t.ne.first ?? 1
                guard row % bs == 0 else {
                    throw FormatError.shapeMismatch(file: name, tensor: t.name,
                                                    expected: "a row length (ne[0]) divisible by the \(t.type) block size \(bs)",
                                                    actual: shape)
                }
                let (b, o) = (count / bs).multipliedReportingOverflow(by: ts)
                guard !o else { throw FormatError.shapeOverflow(file: name, tensor: t.name, shape: shape) }
                guard t.offset <= dataSize, b <= dataSize - t.offset else {
                    throw FormatError.offsetsOutOfRange(file: name, tensor: t.name, begin: t.offset,
                                                        end: t.offset &+ b, limit: dataSize)
                }
                bytes = b
            }
            index[t.name] = tensors.count
            tensors.append(GGUFTensorInfo(name: t.name, type: t.type, ne: t.ne, offset: t.offset, byteCount: bytes))
        }
        // Even zero-byte tensors need their data section to start inside the file.
        if let first = tensors.first, dataOffset > file.count {
            throw FormatError.offsetsOutOfRange(file: name, tensor: first.name, begin: dataOffset, end: dataOffset,
                                                limit: file.count)
        }
        let byOffset = tensors.filter { $0.byteCount != nil }.sorted { $0.offset < $1.offset }
        for (a, b) in zip(byOffset, byOffset.dropFirst()) where b.offset < a.offset + a.byteCount! {
            throw FormatError.overlap(file: name, tensor: b.name, other: a.name, offset: b.offset)
        }
        return GGUFHeader(version: version, metadata: md, tensors: tensors, alignment: alignment,
                          dataOffset: dataOffset, index: index)
    }

    private static func read<T: FixedWidthInteger>(_: T.Type, _ r: inout ByteReader, _ what: String) throws -> T {
        try r.read(T.self, what)
    }

    /// A u64-length-prefixed string. Invalid UTF-8 is repaired with U+FFFD (as lenient readers do).
    static func readString(_ r: inout ByteReader, _ what: @autoclosure () -> String) throws -> String {
        let n = try r.readLength("length of " + what())
        let s = try r.slice(n, what())
        return String(decoding: s, as: UTF8.self)
    }

    private static func readValue(_ r: inout ByteReader, type: GGUFValueType, key: String, depth: Int) throws -> GGUFValue {
        let what = "value of metadata \(key)"
        switch type {
        case .uint8: return .uint8(try r.read(UInt8.self, what))
        case .int8: return .int8(try r.read(Int8.self, what))
        case .uint16: return .uint16(try r.read(UInt16.self, what))
        case .int16: return .int16(try r.read(Int16.self, what))
        case .uint32: return .uint32(try r.read(UInt32.self, what))
        case .int32: return .int32(try r.read(Int32.self, what))
        case .float32: return .float32(try r.readFloat(what))
        case .bool: return .bool(try r.read(UInt8.self, what) != 0)
        case .string: return .string(try readString(&r, what))
        case .uint64: return .uint64(try r.read(UInt64.self, what))
        case .int64: return .int64(try r.read(Int64.self, what))
        case .float64: return .float64(try r.readDouble(what))
        case .array: return .array(try readArray(&r, key: key, depth: depth))
        }
    }

    private static func readArray(_ r: inout ByteReader, key: String, depth: Int) throws -> GGUFArray {
        let at = r.offset
        guard depth < maxArrayDepth else {
            throw FormatError.invalidHeader(file: r.file, offset: at, field: "metadata \(key)",
                                            reason: "arrays nested deeper than \(maxArrayDepth)")
        }
        let t = try r.read(UInt32.self, "element type of array \(key)")
        guard let et = GGUFValueType(rawValue: t) else {
            throw FormatError.invalidHeader(file: r.file, offset: at, field: "metadata \(key)",
                                            reason: "unknown array element type \(t)")
        }
        let n = try r.readLength("length of array \(key)")
        // Minimum encoded size per element: scalars their size, strings 8, arrays 12.
        let minSize = et.scalarSize ?? (et == .string ? 8 : 12)
        guard n <= r.remaining / minSize else {
            throw FormatError.truncated(file: r.file, what: "\(n) elements of array \(key)", offset: r.offset,
                                        needed: n &* minSize, available: r.remaining)
        }
        func scalars<T: FixedWidthInteger>(_: T.Type) throws -> [T] {
            let s = try r.slice(n * MemoryLayout<T>.size, "elements of array \(key)")
            return (0..<n).map { T(littleEndian: s.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
        }
        switch et {
        case .uint8: return .uint8(try scalars(UInt8.self))
        case .int8: return .int8(try scalars(Int8.self))
        case .uint16: return .uint16(try scalars(UInt16.self))
        case .int16: return .int16(try scalars(Int16.self))
        case .uint32: return .uint32(try scalars(UInt32.self))
        case .int32: return .int32(try scalars(Int32.self))
        case .uint64: return .uint64(try scalars(UInt64.self))
        case .int64: return .int64(try scalars(Int64.self))
        case .float32: return .float32(try scalars(UInt32.self).map { Float(bitPattern: $0) })
        case .float64: return .float64(try scalars(UInt64.self).map { Double(bitPattern: $0) })
        case .bool: return .bool(try scalars(UInt8.self).map { $0 != 0 })
        case .string:
            var a: [String] = []
            a.reserveCapacity(n)
            for i in 0..<n { a.append(try readString(&r, "element \(i) of array \(key)")) }
            return .string(a)
        case .array:
            var a: [GGUFArray] = []
            a.reserveCapacity(n)
            for _ in 0..<n { a.append(try readArray(&r, key: key, depth: depth + 1)) }
            return .array(a)
        }
    }
}
