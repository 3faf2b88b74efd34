// Dequantization of ggml tensor data to float32, bit-identical to `gguf.quants.dequantize`
// (gguf 0.19, numpy float32 arithmetic). The block kernels are SPTensor's `BlockDequant` (shared with
// weights kept in block form, `Weight.Storage.blocks`); work is split over blocks with `Parallel.forRange`.

import SPTensor

/// Converts ggml-typed bytes to float32.
public enum GGUFDequant {
    /// Elements per parallel part: below this a tensor is converted on one thread.
    static let grainElements = 1 << 15

    /// Dequantizes `count` elements of `type` stored at `src` into `dst`.
    ///
    /// `count` must be a multiple of the type's block size and `src` must hold
    /// `count / blockSize * typeSize` bytes (``GGUFHeader`` checks both for every tensor of a file).
    /// Throws ``FormatError/unsupportedGGMLType(file:tensor:type:)`` (naming `tensor` and `file`) for
    /// types outside ``GGMLType/dequantizable``.
    public static func dequantize(_ type: GGMLType, _ src: UnsafeRawPointer, count: Int,
                                  into dst: UnsafeMutablePointer<Float>,
                                  tensor: String = "?", file: String = "?") throws {
        guard let kernel = kernel(for: type), let bs = type.blockSize else {
            throw FormatError.unsupportedGGMLType(file: file, tensor: tensor, type: type.name)
        }
        precondition(count % bs == 0, "\(count) elements is not a whole number of \(type) blocks")
        let blocks = count / bs
        Parallel.forRange(blocks, grain: max(1, grainElements / bs)) { range in kernel(src, dst, range) }
    }

    /// A kernel converting the blocks in `range`: reads `src + b·typeSize`, writes `dst + b·blockSize`.
    typealias Kernel = (UnsafeRawPointer, UnsafeMutablePointer<Float>, Range<Int>) -> Void

    static func kernel(for type: GGMLType) -> Kernel? {
        switch type {
        case .f32: return f32
        case .f16: return f16
        case .bf16: return bf16
        case .q4_0: return BlockDequant.q4_0
        case .q4_1: return BlockDequant.q4_1
        case .q5_0: return BlockDequant.q5_0
        case .q5_1: return BlockDequant.q5_1
        case .q8_0: return BlockDequant.q8_0
        case .q4_K: return BlockDequant.q4_K
        case .q5_K: return BlockDequant.q5_K
        case .q6_K: return BlockDequant.q6_K
        default: return nil
        }
    }

    /// An IEEE half at `p + offset` (any alignment), widened exactly.
    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    // F32: a copy. src[n] → dst[n]
    static func f32(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        UnsafeMutableRawPointer(dst + r.lowerBound).copyMemory(from: src + 4 * r.lowerBound, byteCount: 4 * r.count)
    }

    // F16: IEEE half → float (exact; F16C). src[n] u16 → dst[n]
    static func f16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        if Int(bitPattern: src) % 2 == 0 {
            Convert.f16ToF32(src.assumingMemoryBound(to: UInt16.self) + r.lowerBound, dst + r.lowerBound, r.count)
        } else {
            for i in r { dst[i] = half(src, 2 * i) }
        }
    }

    // BF16: the 16 bits are the high half of the float32. src[n] u16 → dst[n]
    static func bf16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        if Int(bitPattern: src) % 2 == 0 {
            Convert.bf16ToF32(src.assumingMemoryBound(to: UInt16.self) + r.lowerBound, dst + r.lowerBound, r.count)
        } else {
            for i in r {
                dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
            }
        }
    }
}
