// Q8_0 weight blocks, the layout of GGUF/llama.cpp `GGML_TYPE_Q8_0`: each run of 32 consecutive
// elements of a row is one 34-byte block { float16 d; int8 q[32] }, element = d·q. Only the
// weights are 8-bit: activations stay float32 and every product is accumulated in float32, so a
// Q8_0 weight computes exactly the dequantized values (unlike llama.cpp, which also quantizes x).
// Quantizing costs ~0.4 % relative error per element (round to 1/127 of each block's max |w|).

/// How the 2-D weights of a model are stored other than as a plain ``DType``.
public enum WeightQuantization: String, Sendable, CaseIterable {
    /// 8-bit blocks of 32 with a float16 scale (GGUF Q8_0), ~1.06 bytes per weight, re-quantized at
    /// load (inference only: approximate).
    case q8_0
    /// The file's own storage (`--dtype native`): a GGUF's quantized tensors stay in their ggml blocks
    /// in the memory map (``Weight/Storage/blocks(_:_:)``), F16/BF16/F32 data as stored. Compute is
    /// float32 on exactly the dequantized values, so training works on it too.
    case native
    /// ``native`` with llama.cpp's arithmetic for the block weights (`--activations q8`): activations
    /// quantized to Q8 per block and integer dot products (``QuantDotQ8``). Inference only, approximate.
    case nativeQ8 = "native+q8"

    /// True when the file's own storage is kept (``native`` and ``nativeQ8``).
    public var keepsFileStorage: Bool { self == .native || self == .nativeQ8 }
}

/// Quantization and float32 dot products for Q8_0 rows.
public enum Q8_0 {
    /// Elements per block.
    public static let blockElements = 32
    /// Bytes per block: a float16 scale then 32 int8 values.
    public static let blockBytes = 34

    /// Bytes of one row of `cols` elements (`cols` must be a multiple of 32).
    @inlinable public static func rowBytes(_ cols: Int) -> Int { cols / blockElements * blockBytes }

    /// Quantizes `n` floats (a multiple of 32) into `n / 32` blocks at `dst`, as gguf-py's
    /// `quants.quantize(…, Q8_0)` does: d = max|x| / 127 in float32, q = x·(1/d) rounded half away
    /// from zero, d stored rounded to float16.
    public static func quantize(_ src: UnsafePointer<Float>, _ n: Int, into dst: UnsafeMutableRawPointer) {
        precondition(n % blockElements == 0, "Q8_0 rows must be a multiple of 32 elements")
        for b in 0..<(n / blockElements) {
            let x = src + b * blockElements
            var amax: Float = 0
            for i in 0..<blockElements { amax = Swift.max(amax, abs(x[i])) }
            let d = amax / 127
            let id: Float = d == 0 ? 0 : 1 / d
            let block = dst + b * blockBytes
            block.storeBytes(of: Float16(d).bitPattern, as: UInt16.self)
            for i in 0..<blockElements {
                let v = x[i] * id
                let a = abs(v), f = a.rounded(.down)
                let r = f + (2 * (a - f)).rounded(.down)      // numpy np_roundf: half away from zero
                block.storeBytes(of: Int8(v < 0 ? -r : r), toByteOffset: 2 + i, as: Int8.self)
            }
        }
    }

    /// dst[0..<n] = the dequantized values of `n / 32` blocks at `src`.
    public static func dequantize(_ src: UnsafeRawPointer, _ n: Int, into dst: UnsafeMutablePointer<Float>) {
        let out = UnsafeMutableRawPointer(dst)
        for b in 0..<(n / blockElements) {
            let block = src + b * blockBytes
            let d = SIMD8<Float>(repeating: Float(Float16(bitPattern: block.loadUnaligned(as: UInt16.self))))
            let o = out + b * blockElements * 4
            for u in 0..<4 { o.storeBytes(of: d * widen(block, 2 + 8 * u), toByteOffset: 32 * u, as: SIMD8<Float>.self) }
        }
    }

    /// Σ row[i]·x[i] over one row of `n` elements (`n / 32` blocks) in float32.
    ///
    /// Per block: four 8-wide int8→float32 widenings times x, summed, then scaled by d.
    @inlinable
    public static func dot(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        let xr = UnsafeRawPointer(x)
        var b = 0
        let blocks = n / blockElements
        while b < blocks {
            let block = row + b * blockBytes
            let d = Float(Float16(bitPattern: block.loadUnaligned(as: UInt16.self)))
            let xb = xr + b * blockElements * 4
            var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
            s0.addProduct(widen(block, 2), xb.loadUnaligned(as: SIMD8<Float>.self))
            s1.addProduct(widen(block, 10), xb.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
            s0.addProduct(widen(block, 18), xb.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
            s1.addProduct(widen(block, 26), xb.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
            if b & 1 == 0 { acc0.addProduct(s0 + s1, SIMD8(repeating: d)) } else { acc1.addProduct(s0 + s1, SIMD8(repeating: d)) }
            b += 1
        }
        return (acc0 + acc1).sum()
    }

    /// Eight int8 values at `p + offset` as float32.
    @inlinable @inline(__always)
    static func widen(_ p: UnsafeRawPointer, _ offset: Int) -> SIMD8<Float> {
        let q = p.loadUnaligned(fromByteOffset: offset, as: SIMD8<Int8>.self)
        return SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: q))
    }
}

/// Owned, 64-byte-aligned bytes (quantized weight storage).
public final class ByteBuffer: @unchecked Sendable {
    public let data: UnsafeMutableRawPointer
    public let count: Int
    public init(count: Int) {
        self.count = count
        data = .allocate(byteCount: max(1, count), alignment: 64)
        data.initializeMemory(as: UInt8.self, repeating: 0, count: max(1, count))
    }
    deinit { data.deallocate() }
}

extension Weight {
    /// This weight quantized to Q8_0 blocks ([out, in] layout), or nil when `inFeatures` is not a
    /// multiple of 32. A weight that is already Q8_0 is returned as is.
    public func quantizedQ8_0() -> Weight? {
        if case .q8_0 = storage { return self }
        let k = inFeatures
        guard k % Q8_0.blockElements == 0, k > 0 else { return nil }
        let rowBytes = Q8_0.rowBytes(k)
        let buf = ByteBuffer(count: outFeatures * rowBytes)
        let chunk = max(1, (1 << 18) / k)
        let tmp = UnsafeMutablePointer<Float>.allocate(capacity: chunk * k)
        defer { tmp.deallocate() }
        var r0 = 0
        while r0 < outFeatures {
            let r1 = min(outFeatures, r0 + chunk)
            rows(r0, r1, into: tmp)
            Q8_0.quantize(tmp, (r1 - r0) * k, into: buf.data + r0 * rowBytes)
            r0 = r1
        }
        return Weight(outFeatures: outFeatures, inFeatures: k, storage: .q8_0(UnsafeRawPointer(buf.data)), owner: buf)
    }
}
