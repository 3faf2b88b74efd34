// Writing safetensors files byte-identical to the Python library (safetensors 0.8, `save_file`):
// tensors sorted by dtype (F32, then BF16, then F16 — the library's descending dtype order) and then
// by name bytes; header `{"__metadata__":…, name: {"dtype","shape","data_offsets"}, …}` in compact
// serde_json form, padded with spaces to a multiple of 8 bytes. The library writes `__metadata__`
// keys in hash-map order (different from run to run); we write them sorted by key.

import SPJSON
import SPTensor
#if canImport(Glibc)
import Glibc
#endif

/// One tensor to write: name, storage dtype, shape and little-endian element bytes.
public struct SafetensorsEntry: Sendable {
    /// The tensor's key.
    public let name: String
    /// Storage dtype (F32, F16 or BF16).
    public let dtype: DType
    /// Dimensions, outermost first.
    public let shape: [Int]
    /// The elements' bytes, little-endian, `shape` product × `dtype.size` long.
    public let bytes: [UInt8]

    /// An entry from float32 values, rounded to `dtype` (round-to-nearest-even, as torch's `.to()`).
    public init(name: String, shape: [Int], values: [Float], dtype: DType = .float32) throws {
        guard let n = checkedProduct(shape), n == values.count else {
            throw FormatError.invalidArgument("safetensors entry \(name): \(values.count) values for shape \(shape)")
        }
        var out = [UInt8](repeating: 0, count: n * dtype.size)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBytes { raw in
                guard let s = src.baseAddress, let d = raw.baseAddress, n > 0 else { return }
                switch dtype {
                case .float32: d.copyMemory(from: s, byteCount: n * 4)
                case .float16: Convert.f32ToF16(s, d.assumingMemoryBound(to: UInt16.self), n)
                case .bfloat16: Convert.f32ToBF16(s, d.assumingMemoryBound(to: UInt16.self), n)
                }
            }
        }
        self.init(name: name, dtype: dtype, shape: shape, bytes: out, validated: ())
    }

    /// An entry from a float32 tensor, rounded to `dtype`.
    public init(name: String, tensor: Tensor, dtype: DType = .float32) throws {
        try self.init(name: name, shape: tensor.shape, values: tensor.array, dtype: dtype)
    }

    /// An entry from raw little-endian element bytes already in `dtype`.
    public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) throws {
        guard let n = checkedProduct(shape), n * dtype.size == bytes.count else {
            throw FormatError.invalidArgument(
                "safetensors entry \(name): \(bytes.count) bytes for \(dtype) shape \(shape)")
        }
        self.init(name: name, dtype: dtype, shape: shape, bytes: bytes, validated: ())
    }

    private init(name: String, dtype: DType, shape: [Int], bytes: [UInt8], validated: Void) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }
}

/// Serializes and writes safetensors files.
public enum SafetensorsWriter {
    /// Rank of a dtype in the library's sort (higher first).
    private static func rank(_ d: DType) -> Int {
        switch d {
        case .float32: return 2
        case .bfloat16: return 1
        case .float16: return 0
        }
    }

    /// The complete file contents. `metadata` nil writes no `__metadata__` entry.
    public static func serialize(_ entries: [SafetensorsEntry], metadata: [String: String]? = nil) throws -> [UInt8] {
        var seen = Set<String>()
        for e in entries where !seen.insert(e.name).inserted {
            throw FormatError.invalidArgument("safetensors: duplicate tensor name \(e.name)")
        }
        if entries.contains(where: { $0.name == "__metadata__" }) {
            throw FormatError.invalidArgument("safetensors: \"__metadata__\" is reserved and cannot name a tensor")
        }
        let sorted = entries.sorted { a, b in
            if rank(a.dtype) != rank(b.dtype) { return rank(a.dtype) > rank(b.dtype) }
            return Array(a.name.utf8).lexicographicallyPrecedes(Array(b.name.utf8))
        }
        var header = JSONObject()
        if let metadata {
            var m = JSONObject()
            for k in metadata.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                m.append(k, .string(metadata[k]!))
            }
            header.append("__metadata__", .object(m))
        }
        var offset = 0
        for e in sorted {
            var t = JSONObject()
            t.set("dtype", .string(SafetensorsDType(e.dtype).rawValue))
            t.set("shape", .array(e.shape.map { .int($0) }))
            t.set("data_offsets", .array([.int(offset), .int(offset + e.bytes.count)]))
            header.append(e.name, .object(t))
            offset += e.bytes.count
        }
        var json = JSONValue.object(header).serialized()
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        for e in sorted { out.append(contentsOf: e.bytes) }
        return out
    }

    /// Writes a safetensors file atomically: the bytes go to a temporary file in the same directory,
    /// which is flushed and then renamed over `path`, so readers never see a partial file.
    public static func write(_ entries: [SafetensorsEntry], metadata: [String: String]? = nil, to path: String) throws {
        try writeAtomically(try serialize(entries, metadata: metadata), to: path)
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and `rename(2)`.
public func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    let dir: String
    let base: String
    if let slash = path.lastIndex(of: "/") {
        dir = String(path[..<slash]).isEmpty ? "/" : String(path[..<slash])
        base = String(path[path.index(after: slash)...])
    } else {
        (dir, base) = (".", path)
    }
    var template = Array((dir + "/." + base + ".tmp-XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { throw FormatError.io(file: path, operation: "create temporary file", message: errnoMessage(errno)) }
    let tmp = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    var ok = false
    defer {
        if !ok { unlink(tmp) }
    }
    do {
        defer { close(fd) }
        var done = 0
        try bytes.withUnsafeBytes { raw in
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FormatError.io(file: tmp, operation: "write", message: errnoMessage(errno))
                }
                done += n
            }
        }
        fchmod(fd, 0o644)
        guard fsync(fd) == 0 else { throw FormatError.io(file: tmp, operation: "fsync", message: errnoMessage(errno)) }
    }
    guard rename(tmp, path) == 0 else {
        throw FormatError.io(file: path, operation: "rename", message: errnoMessage(errno))
    }
    ok = true
}
