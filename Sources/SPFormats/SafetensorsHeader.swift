// The safetensors container: `u64 LE n`, then `n` bytes of JSON
// `{"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}`
// (padded with spaces), then the data section; offsets are relative to its start. Validation follows
// the Python library (safetensors 0.8): every tensor's bytes match shape × dtype, tensors neither
// overlap nor leave holes, and the data section ends with the last tensor.

import SPJSON
import SPTensor

/// Element types of the safetensors format, spelled as in the header.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case BOOL, F4, F6_E2M3, F6_E3M2, U8, I8, F8_E5M2, F8_E4M3, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ
    case I16, U16, F16, BF16, I32, U32, F32, C64, F64, I64, U64

    /// Bits per element (4 and 6 for the sub-byte float formats).
    public var bits: Int {
        switch self {
        case .F4: return 4
        case .F6_E2M3, .F6_E3M2: return 6
        case .BOOL, .U8, .I8, .F8_E5M2, .F8_E4M3, .F8_E8M0, .F8_E4M3FNUZ, .F8_E5M2FNUZ: return 8
        case .I16, .U16, .F16, .BF16: return 16
        case .I32, .U32, .F32: return 32
        case .C64, .F64, .I64, .U64: return 64
        }
    }

    /// The matching storage dtype for the three float types SoftPrompt computes with; nil otherwise.
    public var dtype: DType? {
        switch self {
        case .F32: return .float32
        case .F16: return .float16
        case .BF16: return .bfloat16
        default: return nil
        }
    }

    /// The safetensors dtype of a storage dtype.
    public init(_ dtype: DType) {
        switch dtype {
        case .float32: self = .F32
        case .float16: self = .F16
        case .bfloat16: self = .BF16
        }
    }
}

/// One tensor entry of a safetensors header.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    /// The tensor's key.
    public let name: String
    /// Element type.
    public let dtype: SafetensorsDType
    /// Dimensions, outermost first (row-major, as torch).
    public let shape: [Int]
    /// Byte range `[begin, end)` relative to the start of the data section.
    public let begin: Int, end: Int

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// Number of bytes.
    public var byteCount: Int { end - begin }
}

/// A parsed and validated safetensors header.
public struct SafetensorsHeader: Sendable {
    /// The largest header the Python library accepts (100 MB).
    public static let maxHeaderLength = 100_000_000

    /// Header JSON length `n` (as stored, padding included).
    public let headerLength: Int
    /// Byte offset of the data section in the file (`8 + n`).
    public var dataStart: Int { 8 + headerLength }
    /// Tensors in data order (ascending offsets).
    public let tensors: [SafetensorsTensorInfo]
    /// `__metadata__` as key/value pairs in file order; nil when the header has none.
    public let metadata: [(key: String, value: String)]?
    private let index: [String: Int]

    /// The entry for `name`, or nil.
    public subscript(name: String) -> SafetensorsTensorInfo? { index[name].map { tensors[$0] } }

    /// `__metadata__` as a dictionary (empty when absent).
    public var metadataDictionary: [String: String] {
        Dictionary(metadata ?? [], uniquingKeysWith: { _, b in b })
    }

    /// Parses and validates the header of a whole safetensors file held in `file` (normally a
    /// ``MappedFile``'s bytes). `name` is used in error messages.
    public static func parse(_ file: UnsafeRawBufferPointer, name: String) throws -> SafetensorsHeader {
        var r = ByteReader(file, file: name)
        let n64 = try r.read(UInt64.self, "safetensors header length (8 bytes)")
        guard n64 <= UInt64(maxHeaderLength) else {
            throw FormatError.invalidHeader(file: name, offset: 0, field: "header length",
                                            reason: "\(n64) bytes exceeds the limit of \(maxHeaderLength)")
        }
        let n = Int(n64)
        let json = try r.slice(n, "safetensors JSON header of \(n) bytes")
        guard n > 0, json[0] == UInt8(ascii: "{") else {
            throw FormatError.invalidHeader(file: name, offset: 8, field: "header",
                                            reason: "the JSON header must start with '{'")
        }
        let root: JSONValue
        do {
            root = try JSONParser.parse(json, file: name, rejectDuplicateKeys: true)
        } catch JSONError.syntax(_, let at, let why) {
            throw FormatError.invalidJSON(file: name, offset: 8 + at, reason: why)
        }
        guard case .object(let obj) = root else {
            throw FormatError.invalidHeader(file: name, offset: 8, field: "header", reason: "not a JSON object")
        }
        let dataSize = file.count - 8 - n
        var infos: [SafetensorsTensorInfo] = []
        var metadata: [(key: String, value: String)]?
        for (key, value) in obj.entries {
            if key == "__metadata__" {
                metadata = try parseMetadata(value, file: name)
                continue
            }
            infos.append(try parseTensor(key, value, file: name, dataSize: dataSize))
        }
        infos.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var cursor = 0
        for (k, t) in infos.enumerated() {
            if t.begin < cursor {
                throw FormatError.overlap(file: name, tensor: t.name, other: infos[k - 1].name, offset: t.begin)
            }
            if t.begin > cursor { throw FormatError.unindexedBytes(file: name, begin: cursor, end: t.begin) }
            cursor = t.end
        }
        if cursor != dataSize { throw FormatError.unindexedBytes(file: name, begin: cursor, end: dataSize) }
        var index: [String: Int] = [:]
        for (k, t) in infos.enumerated() { index[t.name] = k }
        return SafetensorsHeader(headerLength: n, tensors: infos, metadata: metadata, index: index)
    }

    private static func parseMetadata(_ value: JSONValue, file: String) throws -> [(key: String, value: String)] {
        guard case .object(let m) = value else {
            throw FormatError.invalidHeader(file: file, offset: nil, field: "__metadata__",
                                            reason: "must be an object of strings, found \(value.kindDescription)")
        }
        return try m.entries.map { e in
            guard case .string(let s) = e.value else {
                throw FormatError.invalidHeader(file: file, offset: nil, field: "__metadata__.\(e.key)",
                                                reason: "must be a string, found \(e.value.kindDescription)")
            }
            return (e.key, s)
        }
    }

    private static func parseTensor(_ name: String, _ value: JSONValue, file: String,
                                    dataSize: Int) throws -> SafetensorsTensorInfo {
        func bad(_ field: String, _ why: String) -> FormatError {
            .invalidHeader(file: file, offset: nil, field: "tensor \(name): \(field)", reason: why)
        }
        guard case .object(let o) = value else { throw bad("entry", "must be an object, found \(value.kindDescription)") }
        guard let dv = o["dtype"] else { throw bad("dtype", "missing") }
        guard case .string(let ds) = dv else { throw bad("dtype", "must be a string, found \(dv.kindDescription)") }
        guard let dtype = SafetensorsDType(rawValue: ds) else {
            throw FormatError.unknownDType(file: file, tensor: name, dtype: ds)
        }
        func ints(_ field: String) throws -> [Int] {
            guard let v = o[field] else { throw bad(field, "missing") }
            guard case .array(let a) = v else { throw bad(field, "must be an array, found \(v.kindDescription)") }
            return try a.map {
                guard case .int(let x) = $0, x >= 0 else {
                    throw bad(field, "entries must be non-negative integers, found \($0.kindDescription)")
                }
                return x
            }
        }
        let shape = try ints("shape")
        let offsets = try ints("data_offsets")
        guard offsets.count == 2 else { throw bad("data_offsets", "must hold [begin, end], found \(offsets.count) values") }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else { throw bad("data_offsets", "begin \(begin) is after end \(end)") }
        guard let count = checkedProduct(shape) else {
            throw FormatError.shapeOverflow(file: file, tensor: name, shape: shape)
        }
        let (bits, o1) = count.multipliedReportingOverflow(by: dtype.bits)
        guard !o1 else { throw FormatError.shapeOverflow(file: file, tensor: name, shape: shape) }
        guard bits % 8 == 0 else {
            throw bad("shape", "\(count) elements of \(dtype.rawValue) do not end on a byte boundary")
        }
        guard end <= dataSize else {
            throw FormatError.offsetsOutOfRange(file: file, tensor: name, begin: begin, end: end, limit: dataSize)
        }
        guard bits / 8 == end - begin else {
            throw FormatError.sizeMismatch(file: file, tensor: name, shape: shape, dtype: dtype.rawValue,
                                           expected: bits / 8, actual: end - begin)
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }
}
