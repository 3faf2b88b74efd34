// Frozen weight matrices: stored in the file's dtype or widened once at load.

import Synchronization

/// A frozen 2-D weight used as `y = x·Wᵀ`, logically `[outFeatures, inFeatures]` (torch `nn.Linear`).
///
/// GPT-2's `Conv1D` stores the transpose, `[in, out]`; pass `transposed: true` and every kernel
/// handles it here, in one place. Storage is float32, float16 or bfloat16; half-precision weights are
/// widened to float32 per row panel inside ``Linear`` (no float32 copy is kept).
public final class Weight: @unchecked Sendable {
    /// Element storage.
    public enum Storage: @unchecked Sendable {
        case f32(UnsafePointer<Float>)
        case f16(UnsafePointer<UInt16>)
        case bf16(UnsafePointer<UInt16>)
        /// GGUF Q8_0 blocks, rows of `inFeatures / 32` 34-byte blocks (see ``Q8_0``).
        case q8_0(UnsafeRawPointer)
        /// ggml blocks of `format` kept as stored (a GGUF file's own tensor data, `--dtype native`):
        /// rows of `inFeatures / format.blockElements` blocks, widened per row panel (see ``BlockFormat``).
        case blocks(BlockFormat, UnsafeRawPointer)
    }

    /// Output features (rows of the logical `[out, in]` matrix).
    public let outFeatures: Int
    /// Input features.
    public let inFeatures: Int
    /// The elements, in the layout given by ``transposed``.
    public let storage: Storage
    /// True when stored `[in, out]` (GPT-2 Conv1D). Only float32 storage may be transposed.
    public let transposed: Bool
    /// True when products with block storage quantize the activations to Q8 per block and use
    /// integer dot products, as llama.cpp does (`--activations q8`; see ``QuantDotQ8``). Only set on
    /// ``Storage/blocks(_:_:)`` weights, by ``withQ8Activations()``.
    public let q8Activations: Bool
    private let owner: AnyObject?

    /// Wraps existing memory; `owner` keeps it alive (a memory-mapped file, a `Tensor`, …).
    public init(outFeatures: Int, inFeatures: Int, storage: Storage, transposed: Bool = false,
                owner: AnyObject?, q8Activations: Bool = false) {
        if case .f32 = storage {} else {
            precondition(!transposed, "half-precision weights must be stored [out, in]")
        }
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.storage = storage
        self.transposed = transposed
        self.owner = owner
        if q8Activations, case .blocks = storage { self.q8Activations = true } else { self.q8Activations = false }
    }

    /// A float32 weight owning a copy of `tensor`'s data, shape `[out, in]` (or `[in, out]` if transposed).
    public convenience init(_ tensor: Tensor, transposed: Bool = false) {
        precondition(tensor.shape.count == 2, "weight must be 2-D, got \(tensor.shape)")
        let (r, c) = (tensor.shape[0], tensor.shape[1])
        self.init(outFeatures: transposed ? c : r, inFeatures: transposed ? r : c,
                  storage: .f32(UnsafePointer(tensor.data)), transposed: transposed, owner: tensor)
    }

    /// Storage dtype; nil for quantized (Q8_0) storage.
    public var dtype: DType? {
        switch storage {
        case .f32: return .float32
        case .f16: return .float16
        case .bf16: return .bfloat16
        case .q8_0, .blocks: return nil
        }
    }

    /// Bytes the elements occupy.
    public var storageBytes: Int {
        if case .q8_0 = storage { return outFeatures * Q8_0.rowBytes(inFeatures) }
        if case .blocks(let f, _) = storage { return outFeatures * f.rowBytes(inFeatures) }
        return outFeatures * inFeatures * (dtype?.size ?? 4)
    }

    /// Widens rows `[r0, r1)` of the logical `[out, in]` matrix into `dst` (`(r1-r0)·in` floats).
    /// For transposed storage the rows are gathered column-wise.
    public func rows(_ r0: Int, _ r1: Int, into dst: UnsafeMutablePointer<Float>) {
        let k = inFeatures
        switch storage {
        case .f32(let p):
            if transposed {
                for r in r0..<r1 { for i in 0..<k { dst[(r - r0) * k + i] = p[i * outFeatures + r] } }
            } else {
                dst.update(from: p + r0 * k, count: (r1 - r0) * k)
            }
        case .f16(let p): Convert.f16ToF32(p + r0 * k, dst, (r1 - r0) * k)
        case .bf16(let p): Convert.bf16ToF32(p + r0 * k, dst, (r1 - r0) * k)
        case .q8_0(let p): Q8_0.dequantize(p + r0 * Q8_0.rowBytes(k), (r1 - r0) * k, into: dst)
        case .blocks(let f, let p): f.dequantize(p + r0 * f.rowBytes(k), count: (r1 - r0) * k, into: dst)
        }
    }

    /// One logical row as a float32 array (slow path, for embedding lookups of single ids and tests).
    public func row(_ r: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: inFeatures) { buf, n in
            rows(r, r + 1, into: buf.baseAddress!); n = inFeatures
        }
    }

    /// Converts the weight to another storage dtype, returning a new owned weight ([out, in] layout).
    public func converted(to dtype: DType) -> Weight {
        let n = outFeatures * inFeatures
        let f = Tensor(shape: [outFeatures, inFeatures])
        rows(0, outFeatures, into: f.data)
        switch dtype {
        case .float32: return Weight(f)
        case .float16, .bfloat16:
            let buf = HalfBuffer(count: n)
            if dtype == .float16 { Convert.f32ToF16(f.data, buf.data, n) } else { Convert.f32ToBF16(f.data, buf.data, n) }
            let s: Storage = dtype == .float16 ? .f16(UnsafePointer(buf.data)) : .bf16(UnsafePointer(buf.data))
            return Weight(outFeatures: outFeatures, inFeatures: inFeatures, storage: s, owner: buf)
        }
    }
}

/// An owned buffer of 16-bit elements (half-precision weight storage).
public final class HalfBuffer: @unchecked Sendable {
    public let data: UnsafeMutablePointer<UInt16>
    public let count: Int
    public init(count: Int) {
        self.count = count
        data = .allocate(capacity: max(1, count))
        data.initialize(repeating: 0, count: max(1, count))
    }
    deinit { data.deallocate() }
}

/// Scratch memory for widening half-precision weight panels; one per process, reused by every call.
final class PanelScratch: @unchecked Sendable {
    static let shared = PanelScratch()
    /// Floats per panel (4 MiB): large enough for full-speed GEMM panels, small enough for L3.
    static let floats = 1 << 20
    let lock = Mutex(())
    let buffer = Tensor(shape: [PanelScratch.floats])
}

extension Weight {
    /// dst[0..<in] += logical row `r` (learned position embeddings).
    public func addRow(_ r: Int, into dst: UnsafeMutablePointer<Float>) {
        let k = inFeatures
        switch storage {
        case .f32(let p):
            if transposed { for i in 0..<k { dst[i] += p[i * outFeatures + r] } } else {
                let row = p + r * k
                for i in 0..<k { dst[i] += row[i] }
            }
        case .f16(let p):
            p.advanced(by: r * k).withMemoryRebound(to: Float16.self, capacity: k) { h in
                for i in 0..<k { dst[i] += Float(h[i]) }
            }
        case .bf16(let p):
            let row = p + r * k
            for i in 0..<k { dst[i] += Float(bitPattern: UInt32(row[i]) << 16) }
        case .q8_0(let p):
            let row = p + r * Q8_0.rowBytes(k)
            for b in 0..<(k / Q8_0.blockElements) {
                let block = row + b * Q8_0.blockBytes
                let d = Float(Float16(bitPattern: block.loadUnaligned(as: UInt16.self)))
                for i in 0..<Q8_0.blockElements {
                    dst[b * Q8_0.blockElements + i] += d * Float(block.load(fromByteOffset: 2 + i, as: Int8.self))
                }
            }
        case .blocks:
            withUnsafeTemporaryAllocation(of: Float.self, capacity: k) { buf in
                rows(r, r + 1, into: buf.baseAddress!)
                for i in 0..<k { dst[i] += buf[i] }
            }
        }
    }
}
