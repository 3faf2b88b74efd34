// GGUF element types (ggml tensor types) and metadata values.

/// A ggml tensor element type, as stored in GGUF tensor infos (`enum ggml_type` in ggml.h).
/// Unknown ids are kept (their tensors can be listed but not read).
public struct GGMLType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The `ggml_type` id.
    public let rawValue: UInt32
    /// The type with id `rawValue` (any id; unknown ones report `type <id>`).
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The ggml types by name (ids from ggml.h).
    public static let f32 = GGMLType(rawValue: 0), f16 = GGMLType(rawValue: 1)
    public static let q4_0 = GGMLType(rawValue: 2), q4_1 = GGMLType(rawValue: 3)
    public static let q5_0 = GGMLType(rawValue: 6), q5_1 = GGMLType(rawValue: 7)
    public static let q8_0 = GGMLType(rawValue: 8), q8_1 = GGMLType(rawValue: 9)
    public static let q2_K = GGMLType(rawValue: 10), q3_K = GGMLType(rawValue: 11)
    public static let q4_K = GGMLType(rawValue: 12), q5_K = GGMLType(rawValue: 13)
    public static let q6_K = GGMLType(rawValue: 14), q8_K = GGMLType(rawValue: 15)
    public static let bf16 = GGMLType(rawValue: 30)

    /// Name, block size (elements) and type size (bytes per block) of every type ggml defines
    /// (`GGML_QUANT_SIZES` of the `gguf` Python package 0.19).
    static let table: [UInt32: (name: String, block: Int, bytes: Int)] = [
        0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
        6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 40),
        10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176),
        14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292), 16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74),
        18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110),
        22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136), 24: ("I8", 1, 1), 25: ("I16", 1, 2),
        26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8), 29: ("IQ1_M", 256, 56),
        30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66), 39: ("MXFP4", 32, 17),
        40: ("NVFP4", 64, 36), 41: ("Q1_0", 128, 18),
    ]

    /// The ggml name (`Q4_K`, `BF16`, …) or `type <id>` when unknown.
    public var name: String { GGMLType.table[rawValue]?.name ?? "type \(rawValue)" }
    /// Same as ``name``.
    public var description: String { name }
    /// Elements per block (1 for plain types); nil for an unknown type.
    public var blockSize: Int? { GGMLType.table[rawValue]?.block }
    /// Bytes per block; nil for an unknown type.
    public var typeSize: Int? { GGMLType.table[rawValue]?.bytes }

    /// The types ``GGUFDequant`` converts to float32.
    public static let dequantizable: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0,
                                                   .q4_K, .q5_K, .q6_K]
    /// True when ``GGUFDequant`` can convert this type to float32.
    public var isDequantizable: Bool { GGMLType.dequantizable.contains(self) }
}

/// The value-type tags of GGUF metadata (`enum gguf_type`).
public enum GGUFValueType: UInt32, Sendable {
    case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64

    /// Encoded size of one scalar value (nil for string and array).
    var scalarSize: Int? {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string, .array: return nil
        }
    }
}

/// A GGUF metadata value.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String), array(GGUFArray)
    case uint64(UInt64), int64(Int64), float64(Double)

    /// The type tag.
    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        case .uint64: return .uint64
        case .int64: return .int64
        case .float64: return .float64
        }
    }

    /// The value as an `Int` when it is an integer of any width that fits.
    public var intValue: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        default: return nil
        }
    }

    /// The value as a `Double` when it is a float or an integer.
    public var doubleValue: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        case .uint64(let v): return Double(v)
        default: return intValue.map(Double.init)
        }
    }

    /// A short description for error messages.
    public var kindDescription: String {
        switch self {
        case .string(let s): return "string \"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\""
        case .array(let a): return "array of \(a.count) \(a.elementType)"
        case .bool(let b): return "bool \(b)"
        default: return "\(type) \(doubleValue.map { "\($0)" } ?? "")"
        }
    }
}

/// A GGUF metadata array: homogeneous, stored typed (token lists hold ~10⁵ entries).
public enum GGUFArray: Sendable, Equatable {
    case uint8([UInt8]), int8([Int8]), uint16([UInt16]), int16([Int16]), uint32([UInt32]), int32([Int32])
    case float32([Float]), bool([Bool]), string([String]), uint64([UInt64]), int64([Int64]), float64([Double])
    /// An array of arrays; `elementType` is `.array`.
    case array([GGUFArray])

    /// Number of elements.
    public var count: Int {
        switch self {
        case .uint8(let a): return a.count
        case .int8(let a): return a.count
        case .uint16(let a): return a.count
        case .int16(let a): return a.count
        case .uint32(let a): return a.count
        case .int32(let a): return a.count
        case .float32(let a): return a.count
        case .bool(let a): return a.count
        case .string(let a): return a.count
        case .uint64(let a): return a.count
        case .int64(let a): return a.count
        case .float64(let a): return a.count
        case .array(let a): return a.count
        }
    }

    /// The element type tag.
    public var elementType: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .bool: return .bool
        case .string: return .string
        case .uint64: return .uint64
        case .int64: return .int64
        case .float64: return .float64
        case .array: return .array
        }
    }

    /// Integer elements as `Int` (nil if the array is not of integers or a value does not fit).
    public var ints: [Int]? {
        switch self {
        case .uint8(let a): return a.map(Int.init)
        case .int8(let a): return a.map(Int.init)
        case .uint16(let a): return a.map(Int.init)
        case .int16(let a): return a.map(Int.init)
        case .uint32(let a): return a.map(Int.init)
        case .int32(let a): return a.map(Int.init)
        case .int64(let a): return a.map(Int.init)
        case .uint64(let a):
            let v = a.compactMap { Int(exactly: $0) }
            return v.count == a.count ? v : nil
        default: return nil
        }
    }

    /// Float elements as `Double` (float32/float64 arrays only).
    public var doubles: [Double]? {
        switch self {
        case .float32(let a): return a.map(Double.init)
        case .float64(let a): return a
        default: return nil
        }
    }
}
