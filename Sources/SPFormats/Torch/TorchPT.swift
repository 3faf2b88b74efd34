// torch.save / torch.load for the prompt tensors caikit writes as encoder.pt / decoder.pt.
//
// torch's format (torch/serialization.py `_save`, caffe2 PyTorchStreamWriter): a STORED zip whose
// records live under `<name>/` (torch uses the file's stem): `data.pkl` (pickle protocol 2 of
// `torch._utils._rebuild_tensor_v2(persistent_id(('storage', torch.FloatStorage, '0', 'cpu', numel)),
// offset, size, stride, requires_grad, OrderedDict())`), `.format_version`, `.storage_alignment`,
// `byteorder`, `data/0` (raw little-endian elements, 64-byte aligned), `version`, and
// `.data/serialization_id`.

import Foundation
import SPTensor

/// A tensor stored in a torch `.pt` file, converted to float32 row-major values.
public struct TorchTensor: Sendable, Equatable {
    /// Dimensions, outermost first.
    public var shape: [Int]
    /// The storage dtype in the file.
    public var dtype: DType
    /// Elements in row-major order (exact: every stored dtype widens losslessly to Float).
    public var values: [Float]
    /// The storage location recorded by torch (`cpu`, `cuda:0`, …); data is always loaded to the CPU.
    public var location: String

    /// Creates a tensor description.
    public init(shape: [Int], dtype: DType, values: [Float], location: String = "cpu") {
        self.shape = shape
        self.dtype = dtype
        self.values = values
        self.location = location
    }
}

/// Reading and writing torch `.pt` files holding one tensor or a state dict of tensors.
public enum TorchPT {
    /// The bytes of `torch.save(tensor)` for a contiguous tensor of `shape` holding `values`
    /// (rounded to `dtype` round-to-nearest-even, as `tensor.to(dtype)` does).
    /// - Parameters:
    ///   - archiveName: the record prefix; torch uses the file's stem (`decoder` for `decoder.pt`).
    ///   - serializationID: torch's `.data/serialization_id` record (derived from the data when `nil`,
    ///     so equal tensors give byte-identical files).
    public static func encode(values: [Float], shape: [Int], dtype: DType, archiveName: String = "archive",
                              serializationID: String? = nil) -> Data {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        var p = PickleWriter()
        p.global("torch._utils", "_rebuild_tensor_v2")
        p.mark()
        p.mark()
        p.string("storage")
        p.global("torch", storageName(dtype))
        p.string("0")
        p.string("cpu")
        p.int(values.count)
        p.tuple(5)
        p.persistentID()
        p.int(0)                                   // storage_offset
        p.ints(shape)                              // size
        var strides = Array(repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        p.ints(strides)                            // stride
        p.bool(false)                              // requires_grad
        p.global("collections", "OrderedDict")     // backward_hooks
        p.emptyTuple()
        p.reduce()
        p.tuple(6)
        p.reduce()
        p.stop()

        var zip = ZipWriter()
        zip.add("\(archiveName)/data.pkl", Data(p.bytes))
        zip.add("\(archiveName)/.format_version", Data("1".utf8))
        zip.add("\(archiveName)/.storage_alignment", Data("64".utf8))
        zip.add("\(archiveName)/byteorder", Data("little".utf8))
        let storage = storageBytes(values, dtype)
        zip.add("\(archiveName)/data/0", storage)
        zip.add("\(archiveName)/version", Data("3\n".utf8))
        let id = serializationID ?? ReproducibleID.digits(of: storage)
        zip.add("\(archiveName)/.data/serialization_id", Data(id.utf8))
        return zip.finish()
    }

    /// Writes `torch.save(tensor, url)` atomically; the record prefix is the file's stem, as in torch.
    public static func write(values: [Float], shape: [Int], dtype: DType, to url: URL) throws {
        let stem = url.deletingPathExtension().lastPathComponent
        try writeAtomically([UInt8](encode(values: values, shape: shape, dtype: dtype,
                                           archiveName: stem.isEmpty ? "archive" : stem)), to: url.path)
    }

    /// Reads a file holding one tensor (or a state dict with exactly one tensor).
    /// - Throws: ``FormatError`` naming the file and what is wrong.
    public static func readTensor(contentsOf url: URL) throws -> TorchTensor {
        let dict = try readTensors(contentsOf: url)
        guard dict.count == 1, let only = dict.first else {
            throw FormatError.malformed(file: url.path, what: "torch file",
                                        reason: "holds \(dict.count) tensors (\(dict.map(\.name).joined(separator: ", "))), expected one",
                                        hint: "a prompt file is torch.save(tensor) of one tensor")
        }
        return only.tensor
    }

    /// Reads every tensor of a `.pt` file: a lone tensor comes back under the name `""`, a state
    /// dict (`dict` / `OrderedDict` of name → tensor) in its order.
    public static func readTensors(contentsOf url: URL) throws -> [(name: String, tensor: TorchTensor)] {
        // Mapped, not `Data(contentsOf:)`: a directory, a device such as /dev/zero or a FIFO is an
        // error naming it (``MappedFile`` opens without blocking and accepts regular files only).
        let file = try MappedFile(path: url.path)
        return try decode(Data(file.bytes), file: url.path)
    }

    /// Decodes the bytes of a `.pt` file (see ``readTensors(contentsOf:)``).
    public static func decode(_ data: Data, file: String) throws -> [(name: String, tensor: TorchTensor)] {
        let zip = try ZipReader(data, file: file)
        let prefix = try zip.torchArchivePrefix(what: "torch file")
        var reader = PickleReader(try zip.read(prefix + "data.pkl"), file: file)
        let root = try reader.load()
        func tensor(_ v: PickleValue) throws -> TorchTensor {
            try rebuild(v, file: file) { key in try zip.read("\(prefix)data/\(key)") }
        }
        if case .dict(let items) = root {
            return try items.map { k, v in
                guard case .string(let name) = k else {
                    throw FormatError.malformed(file: file, what: "torch file", reason: "state dict key is not a string",
                                                hint: "save a tensor or a dict of name → tensor")
                }
                return (name, try tensor(v))
            }
        }
        return [("", try tensor(root))]
    }

    static func storageName(_ dtype: DType) -> String {
        switch dtype {
        case .float32: return "FloatStorage"
        case .float16: return "HalfStorage"
        case .bfloat16: return "BFloat16Storage"
        }
    }

    static func storageBytes(_ values: [Float], _ dtype: DType) -> Data {
        var d = Data(capacity: values.count * dtype.size)
        switch dtype {
        case .float32: for v in values { d.appendLE(v.bitPattern) }
        case .float16: for v in values { d.appendLE(Float16(v).bitPattern) }
        case .bfloat16: for v in values { d.appendLE(Convert.bf16Bits(v)) }
        }
        return d
    }

    /// Interprets `_rebuild_tensor_v2(storage, offset, size, stride, …)` (or `_rebuild_parameter`
    /// wrapping it), gathering strided elements into row-major order.
    static func rebuild(_ v: PickleValue, file: String, storage: (String) throws -> Data) throws -> TorchTensor {
        let r = try TorchPickle.record(v, name: "", file: file)
        guard let dtype = r.dtype.dtype else {
            throw FormatError.unsupportedDType(file: file, tensor: r.name, dtype: r.dtype.rawValue, wanted: "float")
        }
        let raw = try storage(r.storageKey)
        guard raw.count >= r.storageCount * dtype.size else {
            throw FormatError.malformed(file: file, what: "torch tensor", reason: "storage \(r.storageKey) has \(raw.count) bytes, needs \(r.storageCount * dtype.size)",
                                        hint: "the file is truncated or corrupt; write it again")
        }
        let count = r.count
        var packed = [UInt8](repeating: 0, count: count * dtype.size)
        raw.withUnsafeBytes { src in
            packed.withUnsafeMutableBytes { dst in
                if count > 0 { TorchPickle.gather(r, from: src.baseAddress!, into: dst.baseAddress!) }
            }
        }
        let values = (0..<count).map { element(packed, $0, dtype) }
        return TorchTensor(shape: r.shape, dtype: dtype, values: values, location: r.location)
    }

    private static func element(_ raw: [UInt8], _ e: Int, _ dtype: DType) -> Float {
        switch dtype {
        case .float32:
            let o = 4 * e
            return Float(bitPattern: UInt32(raw[o]) | UInt32(raw[o + 1]) << 8 | UInt32(raw[o + 2]) << 16 | UInt32(raw[o + 3]) << 24)
        case .float16: return Float(Float16(bitPattern: UInt16(raw[2 * e]) | UInt16(raw[2 * e + 1]) << 8))
        case .bfloat16: return Float(bitPattern: (UInt32(raw[2 * e]) | UInt32(raw[2 * e + 1]) << 8) << 16)
        }
    }
}
