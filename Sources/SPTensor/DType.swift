// Storage dtypes for frozen weights and the conversions between them. Compute is always float32.

/// The element type a weight is stored in. Computation is always in float32.
public enum DType: String, Sendable, CaseIterable, Codable {
    case float32, float16, bfloat16

    /// Bytes per element.
    public var size: Int { self == .float32 ? 4 : 2 }

    /// Parses torch-style names (`float32`, `torch.bfloat16`, `fp16`, `half`, …); nil if unknown.
    public init?(torchName: String) {
        var s = torchName.lowercased()
        if s.hasPrefix("torch.") { s.removeFirst(6) }
        switch s {
        case "float32", "float", "fp32", "f32": self = .float32
        case "float16", "half", "fp16", "f16": self = .float16
        case "bfloat16", "bf16": self = .bfloat16
        default: return nil
        }
    }
}

/// Vectorised dtype conversions (the module is built with F16C, so `Float(Float16)` is one instruction).
public enum Convert {
    /// dst[i] = Float(src[i]) for bf16 bit patterns.
    @inlinable
    public static func bf16ToF32(_ src: UnsafePointer<UInt16>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { dst[i] = Float(bitPattern: UInt32(src[i]) &<< 16) }
    }

    /// Round-to-nearest-even float32 → bf16 bit patterns (NaN stays NaN).
    @inlinable
    public static func f32ToBF16(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<UInt16>, _ n: Int) {
        for i in 0..<n { dst[i] = bf16Bits(src[i]) }
    }

    /// One float32 → bf16 bit pattern, round-to-nearest-even as torch does.
    @inlinable
    public static func bf16Bits(_ x: Float) -> UInt16 {
        let b = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: (b >> 16) | 0x40) }
        return UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
    }

    /// dst[i] = Float(src[i]) for IEEE half bit patterns.
    @inlinable
    public static func f16ToF32(_ src: UnsafePointer<UInt16>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        src.withMemoryRebound(to: Float16.self, capacity: n) { h in
            for i in 0..<n { dst[i] = Float(h[i]) }
        }
    }

    /// float32 → IEEE half bit patterns (round-to-nearest-even).
    @inlinable
    public static func f32ToF16(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<UInt16>, _ n: Int) {
        for i in 0..<n { dst[i] = Float16(src[i]).bitPattern }
    }

    /// Rounds float32 values in place to the precision of `dtype` (identity for float32).
    public static func roundTrip(_ p: UnsafeMutablePointer<Float>, _ n: Int, through dtype: DType) {
        switch dtype {
        case .float32: return
        case .bfloat16: for i in 0..<n { p[i] = Float(bitPattern: UInt32(bf16Bits(p[i])) << 16) }
        case .float16: for i in 0..<n { p[i] = Float(Float16(p[i])) }
        }
    }
}
