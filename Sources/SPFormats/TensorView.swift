// Zero-copy views of stored tensors, and the `TensorSource` protocol model loaders read weights from.

import SPTensor

/// Anything that serves named tensors: a safetensors file, a sharded safetensors checkpoint, a GGUF file.
public protocol TensorSource: Sendable {
    /// All tensor names, in the source's order.
    var tensorNames: [String] { get }
    /// The shape of `name`, outermost first (torch order).
    func shape(of name: String) throws -> [Int]
    /// `name` as a float32 tensor (a copy, dequantized or widened as needed).
    func tensor(_ name: String) throws -> Tensor
    /// `name` as a frozen 2-D weight, zero-copy where the storage allows it (see ``TensorView/weight(transposed:)``).
    func weight(_ name: String, transposed: Bool) throws -> Weight
}

extension TensorSource {
    /// True when the source has a tensor called `name`.
    public func contains(_ name: String) -> Bool { tensorNames.contains(name) }
}

/// A view of one stored tensor: its raw bytes in place (memory-mapped), with the object that keeps
/// them alive. Copy-free; converting to float happens only in ``tensor()`` / ``floats()``.
public struct TensorView: @unchecked Sendable {
    /// The tensor's key.
    public let name: String
    /// Element type as stored.
    public let dtype: SafetensorsDType
    /// Dimensions, outermost first.
    public let shape: [Int]
    /// First byte of the tensor's data (no alignment guaranteed beyond what the file gives).
    public let data: UnsafeRawPointer
    /// Size of the data in bytes.
    public let byteCount: Int
    /// Keeps ``data`` valid (the ``MappedFile``).
    public let owner: AnyObject
    /// The file the tensor comes from (for error messages).
    public let file: String

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    private func floatDType() throws -> DType {
        guard let d = dtype.dtype else {
            throw FormatError.unsupportedDType(file: file, tensor: name, dtype: dtype.rawValue, wanted: "float")
        }
        return d
    }

    /// Widens the elements to float32 into `dst` (``count`` floats). Throws for non-float dtypes.
    public func copyFloats(into dst: UnsafeMutablePointer<Float>) throws {
        let n = count
        switch try floatDType() {
        case .float32:
            UnsafeMutableRawPointer(dst).copyMemory(from: data, byteCount: n * 4)
        case .float16, .bfloat16:
            let widen = dtype == .F16 ? Convert.f16ToF32 : Convert.bf16ToF32
            if Int(bitPattern: data) % 2 == 0 {
                widen(data.assumingMemoryBound(to: UInt16.self), dst, n)
            } else {
                let tmp = HalfBuffer(count: n)
                UnsafeMutableRawPointer(tmp.data).copyMemory(from: data, byteCount: n * 2)
                widen(tmp.data, dst, n)
            }
        }
    }

    /// The tensor as an owned float32 ``SPTensor/Tensor`` of the same shape (a copy).
    public func tensor() throws -> Tensor {
        _ = try floatDType()
        let t = Tensor(shape: shape)
        try copyFloats(into: t.data)
        return t
    }

    /// The elements as float32 values (a copy).
    public func floats() throws -> [Float] {
        _ = try floatDType()
        return try [Float](unsafeUninitializedCapacity: count) { buf, n in
            if let p = buf.baseAddress { try copyFloats(into: p) }
            n = count
        }
    }

    /// The tensor as a frozen weight `[out, in]` (or `[in, out]` with `transposed`, GPT-2 Conv1D).
    ///
    /// F32, F16 and BF16 data is used in place (zero-copy, the weight keeps the file mapped) when it
    /// is aligned to its element size; misaligned data is copied once. Half-precision weights cannot
    /// be `transposed` (``SPTensor/Weight`` widens them by rows), so those are widened to float32.
    public func weight(transposed: Bool = false) throws -> Weight {
        guard shape.count == 2 else {
            throw FormatError.shapeMismatch(file: file, tensor: name, expected: "a 2-D weight matrix", actual: shape)
        }
        let dt = try floatDType()
        let (rows, cols) = (shape[0], shape[1])
        let (out, inp) = transposed ? (cols, rows) : (rows, cols)
        let aligned = Int(bitPattern: data) % dt.size == 0
        switch dt {
        case .float32 where aligned:
            return Weight(outFeatures: out, inFeatures: inp,
                          storage: .f32(data.assumingMemoryBound(to: Float.self)), transposed: transposed, owner: owner)
        case .float16 where aligned && !transposed, .bfloat16 where aligned && !transposed:
            let p = data.assumingMemoryBound(to: UInt16.self)
            return Weight(outFeatures: out, inFeatures: inp, storage: dt == .float16 ? .f16(p) : .bf16(p),
                          owner: owner)
        case .float16 where !transposed, .bfloat16 where !transposed:
            let buf = HalfBuffer(count: count)
            UnsafeMutableRawPointer(buf.data).copyMemory(from: data, byteCount: byteCount)
            let p = UnsafePointer(buf.data)
            return Weight(outFeatures: out, inFeatures: inp, storage: dt == .float16 ? .f16(p) : .bf16(p), owner: buf)
        default:
            return Weight(try tensor(), transposed: transposed)
        }
    }
}
