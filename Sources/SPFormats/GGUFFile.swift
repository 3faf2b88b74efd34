// Memory-mapped GGUF files: metadata, tensor infos, and tensors as float32 or as weights.

import SPTensor

/// A GGUF file (v2 or v3), memory-mapped and validated at open.
///
/// Shapes are exposed in torch order (outermost first, ``GGUFTensorInfo/shape``); GGUF's own
/// innermost-first dimensions are in ``GGUFTensorInfo/ne``. A 2-D GGUF tensor with `ne = [in, out]`
/// is therefore the `[out, in]` matrix of `nn.Linear`. (llama.cpp's converter permutes the rows of
/// llama's Q and K projections for its RoPE layout; undoing that is the model loader's job.)
public final class GGUFFile: TensorSource {
    /// The file's path.
    public let path: String
    /// The parsed header.
    public let header: GGUFHeader
    /// The mapping tensor data points into.
    public let map: MappedFile

    /// Maps and parses `path`. Throws ``FormatError`` for unreadable, truncated or malformed files.
    public init(path: String) throws {
        self.path = path
        map = try MappedFile(path: path)
        header = try GGUFHeader.parse(map.bytes, name: path)
    }

    /// Format version (2 or 3).
    public var version: Int { header.version }
    /// The metadata, with typed getters (`metadata.string("general.architecture")`).
    public var metadata: GGUFMetadata { header.metadata }
    /// Tensor infos in file order.
    public var tensors: [GGUFTensorInfo] { header.tensors }
    /// Tensor names in file order.
    public var tensorNames: [String] { header.tensors.map(\.name) }

    /// The info for `name`.
    public func info(_ name: String) throws -> GGUFTensorInfo {
        guard let t = header[name] else { throw FormatError.tensorNotFound(file: path, tensor: name) }
        return t
    }

    /// The shape of `name`, outermost first (torch order).
    public func shape(of name: String) throws -> [Int] { try info(name).shape }

    /// The raw bytes of a tensor in the mapping (valid while this file object lives).
    public func data(of info: GGUFTensorInfo) throws -> UnsafeRawBufferPointer {
        guard let n = info.byteCount else {
            throw FormatError.unsupportedGGMLType(file: path, tensor: info.name, type: info.type.name)
        }
        return UnsafeRawBufferPointer(start: map.base + header.dataOffset + info.offset, count: n)
    }

    /// Dequantizes `info`'s data to float32 into `dst` (``GGUFTensorInfo/count`` floats, row-major in
    /// torch order). Throws ``FormatError/unsupportedGGMLType(file:tensor:type:)`` for other types.
    public func dequantize(_ info: GGUFTensorInfo, into dst: UnsafeMutablePointer<Float>) throws {
        guard info.type.isDequantizable else {
            throw FormatError.unsupportedGGMLType(file: path, tensor: info.name, type: info.type.name)
        }
        let bytes = try data(of: info)
        guard info.count > 0, let base = bytes.baseAddress else { return }
        try GGUFDequant.dequantize(info.type, base, count: info.count, into: dst, tensor: info.name, file: path)
    }

    /// `name` dequantized to a float32 tensor of shape ``GGUFTensorInfo/shape``.
    public func tensor(_ name: String) throws -> Tensor {
        let i = try info(name)
        guard i.type.isDequantizable else {
            throw FormatError.unsupportedGGMLType(file: path, tensor: name, type: i.type.name)
        }
        let t = Tensor(shape: i.shape)
        try dequantize(i, into: t.data)
        return t
    }

    /// `name` as a frozen `[out, in]` weight (`ne = [in, out]`).
    ///
    /// F16 and BF16 data stays in the mapping (zero-copy, as ``SPTensor/Weight`` widens it per panel);
    /// F32 is used in place too; quantized types are dequantized once to an owned float32 copy.
    /// `transposed` (GPT-2 Conv1D layout) is only meaningful for float data and forces a float32 copy
    /// of half-precision data.
    public func weight(_ name: String, transposed: Bool = false) throws -> Weight {
        let i = try info(name)
        guard i.ne.count == 2 else {
            throw FormatError.shapeMismatch(file: path, tensor: name, expected: "a 2-D weight matrix", actual: i.shape)
        }
        let (rows, cols) = (i.ne[1], i.ne[0])
        let (out, inp) = transposed ? (cols, rows) : (rows, cols)
        switch i.type {
        case .f32, .f16, .bf16:
            let p = try data(of: i)
            guard let base = p.baseAddress else { return Weight(try tensor(name), transposed: transposed) }
            let size = i.type == .f32 ? 4 : 2
            guard Int(bitPattern: base) % size == 0, i.type == .f32 || !transposed else {
                return Weight(try tensor(name), transposed: transposed)
            }
            let storage: Weight.Storage
            switch i.type {
            case .f32: storage = .f32(base.assumingMemoryBound(to: Float.self))
            case .f16: storage = .f16(base.assumingMemoryBound(to: UInt16.self))
            default: storage = .bf16(base.assumingMemoryBound(to: UInt16.self))
            }
            return Weight(outFeatures: out, inFeatures: inp, storage: storage, transposed: transposed, owner: map)
        default:
            return Weight(try tensor(name), transposed: transposed)
        }
    }
}
