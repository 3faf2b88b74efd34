// Dequantization of ggml tensor data to float32, bit-identical to `gguf.quants.dequantize`
// (gguf 0.19, numpy float32 arithmetic) and to ggml's `dequantize_row_*` reference functions.
// Each block format is re-derived from its layout (ggml-common.h); products and sums are plain float32
// operations in the reference's order (Swift never contracts `a * b + c` into an FMA, so rounding
// matches numpy's two-step evaluation). Work is split over blocks with `Parallel.forRange`.

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
        case .q4_0: return q4_0
        case .q4_1: return q4_1
        case .q5_0: return q5_0
        case .q5_1: return q5_1
        case .q8_0: return q8_0
        case .q4_K: return q4_K
        case .q5_K: return q5_K
        case .q6_K: return q6_K
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

    // Q4_0, 18 bytes per 32 weights: f16 d, u8 qs[16].
    // y[j] = d·((qs[j] & 15) − 8), y[j+16] = d·((qs[j] >> 4) − 8)
    static func q4_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        for b in r {
            let p = src + 18 * b, y = dst + 32 * b
            let d = half(p, 0)
            let qs = (p + 2).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                y[j] = d * Float(Int32(qs[j] & 15) - 8)
                y[j + 16] = d * Float(Int32(qs[j] >> 4) - 8)
            }
        }
    }

    // Q4_1, 20 bytes per 32 weights: f16 d, f16 m, u8 qs[16].
    // y[j] = d·(qs[j] & 15) + m, y[j+16] = d·(qs[j] >> 4) + m
    static func q4_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        for b in r {
            let p = src + 20 * b, y = dst + 32 * b
            let d = half(p, 0), m = half(p, 2)
            let qs = (p + 4).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                y[j] = d * Float(qs[j] & 15) + m
                y[j + 16] = d * Float(qs[j] >> 4) + m
            }
        }
    }

    // Q5_0, 22 bytes per 32 weights: f16 d, u32 qh (bit j = 5th bit of weight j), u8 qs[16].
    // y[j] = d·(((qs[j] & 15) | bit(qh, j) << 4) − 16), y[j+16] = d·(((qs[j] >> 4) | bit(qh, j+16) << 4) − 16)
    static func q5_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        for b in r {
            let p = src + 22 * b, y = dst + 32 * b
            let d = half(p, 0)
            let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            let qs = (p + 6).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                let lo = Int32(qs[j] & 15) | Int32((qh >> UInt32(j)) & 1) << 4
                let hi = Int32(qs[j] >> 4) | Int32((qh >> UInt32(j + 16)) & 1) << 4
                y[j] = d * Float(lo - 16)
                y[j + 16] = d * Float(hi - 16)
            }
        }
    }

    // Q5_1, 24 bytes per 32 weights: f16 d, f16 m, u32 qh, u8 qs[16].
    // y[j] = d·((qs[j] & 15) | bit(qh, j) << 4) + m, y[j+16] likewise with the high nibble and bit j+16.
    static func q5_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        for b in r {
            let p = src + 24 * b, y = dst + 32 * b
            let d = half(p, 0), m = half(p, 2)
            let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            let qs = (p + 8).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                let lo = UInt32(qs[j] & 15) | ((qh >> UInt32(j)) & 1) << 4
                let hi = UInt32(qs[j] >> 4) | ((qh >> UInt32(j + 16)) & 1) << 4
                y[j] = d * Float(lo) + m
                y[j + 16] = d * Float(hi) + m
            }
        }
    }

    // Q8_0, 34 bytes per 32 weights: f16 d, i8 qs[32]. y[j] = qs[j]·d
    static func q8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        for b in r {
            let p = src + 34 * b, y = dst + 32 * b
            let d = half(p, 0)
            let qs = (p + 2).assumingMemoryBound(to: Int8.self)
            for j in 0..<32 { y[j] = Float(qs[j]) * d }
        }
    }
}
