import Foundation

/// The key-value metadata of a GGUF file (llama.cpp's format, versions 2 and 3). Only the header
/// and the KV section are read; tensors are not. Every length is checked against the file size,
/// so a truncated or hostile file throws `TokenizerError.gguf` instead of reading out of bounds.
public struct GGUFMetadata: Sendable {
    /// A metadata value.
    public enum Value: Sendable, Equatable {
        case uint(UInt64)
        case int(Int64)
        case float(Double)
        case bool(Bool)
        case string(String)
        case array([Value])
    }

    public let version: UInt32
    public let tensorCount: UInt64
    public private(set) var values: [String: Value] = [:]

    /// Reads the metadata of a GGUF file (memory-mapped; tensor data is never touched).
    public init(url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw TokenizerError.io(path: url.path, message: error.localizedDescription)
        }
        do {
            try self.init(data: data)
        } catch let e as TokenizerError {
            throw e.inFile(url.path)
        }
    }

    /// Reads the metadata from the bytes of a GGUF file (or just its beginning).
    public init(data: Data) throws {
        var r = Reader(data: data)
        guard try r.bytes(4) == [0x47, 0x47, 0x55, 0x46] else {
            throw TokenizerError.gguf(offset: 0, message: "not a GGUF file (bad magic)")
        }
        version = try r.u32()
        guard version == 2 || version == 3 else {
            throw TokenizerError.gguf(offset: 4, message: "unsupported GGUF version \(version) (2 and 3 are supported)")
        }
        tensorCount = try r.u64()
        let kvCount = try r.u64()
        // Each entry takes at least 12 bytes (key length, type), which bounds the count.
        guard kvCount <= UInt64(data.count / 12) else {
            throw TokenizerError.gguf(offset: 16, message: "metadata count \(kvCount) cannot fit in a \(data.count)-byte file")
        }
        for _ in 0..<kvCount {
            let keyAt = r.pos
            let key = try r.string()
            let type = try r.u32()
            let v = try r.value(type: type, depth: 0)
            if values[key] != nil { throw TokenizerError.gguf(offset: keyAt, message: "duplicate key \"\(key)\"") }
            values[key] = v
        }
    }

    public subscript(key: String) -> Value? { values[key] }

    public func string(_ key: String) -> String? {
        if case .string(let s) = values[key] { return s }
        return nil
    }

    public func integer(_ key: String) -> Int? {
        switch values[key] {
        case .uint(let u): return u <= UInt64(Int.max) ? Int(u) : nil
        case .int(let i): return Int(i)
        default: return nil
        }
    }

    public func bool(_ key: String) -> Bool? {
        if case .bool(let b) = values[key] { return b }
        return nil
    }

    public func strings(_ key: String) throws -> [String]? {
        guard let v = values[key] else { return nil }
        guard case .array(let items) = v else { throw TokenizerError.gguf(offset: 0, message: "\(key) is not an array") }
        return try items.map {
            guard case .string(let s) = $0 else { throw TokenizerError.gguf(offset: 0, message: "\(key) is not an array of strings") }
            return s
        }
    }

    public func numbers(_ key: String) throws -> [Double]? {
        guard let v = values[key] else { return nil }
        guard case .array(let items) = v else { throw TokenizerError.gguf(offset: 0, message: "\(key) is not an array") }
        return try items.map {
            switch $0 {
            case .float(let d): return d
            case .int(let i): return Double(i)
            case .uint(let u): return Double(u)
            default: throw TokenizerError.gguf(offset: 0, message: "\(key) is not an array of numbers")
            }
        }
    }

    /// A bounds-checked little-endian cursor.
    private struct Reader {
        let data: Data
        var pos = 0

        mutating func bytes(_ n: Int) throws -> [UInt8] {
            guard n >= 0, n <= data.count - pos else {
                throw TokenizerError.gguf(offset: pos, message: "needs \(n) bytes but only \(data.count - pos) remain")
            }
            let start = data.startIndex + pos
            pos += n
            return [UInt8](data[start..<(start + n)])
        }

        mutating func fixed<T: FixedWidthInteger>(_: T.Type) throws -> T {
            let b = try bytes(MemoryLayout<T>.size)
            var v: T = 0
            for (i, x) in b.enumerated() { v |= T(truncatingIfNeeded: x) << (8 * i) }
            return v
        }

        mutating func u32() throws -> UInt32 { try fixed(UInt32.self) }
        mutating func u64() throws -> UInt64 { try fixed(UInt64.self) }

        mutating func string() throws -> String {
            let at = pos
            let n = try u64()
            guard n <= UInt64(data.count - pos) else {
                throw TokenizerError.gguf(offset: at, message: "string of \(n) bytes runs past the end of the file")
            }
            let b = try bytes(Int(n))
            guard let s = String(validating: b, as: UTF8.self) else {
                throw TokenizerError.gguf(offset: at, message: "string is not valid UTF-8")
            }
            return s
        }

        mutating func value(type: UInt32, depth: Int) throws -> Value {
            switch type {
            case 0: return .uint(UInt64(try fixed(UInt8.self)))
            case 1: return .int(Int64(try fixed(Int8.self)))
            case 2: return .uint(UInt64(try fixed(UInt16.self)))
            case 3: return .int(Int64(try fixed(Int16.self)))
            case 4: return .uint(UInt64(try u32()))
            case 5: return .int(Int64(try fixed(Int32.self)))
            case 6: return .float(Double(Float(bitPattern: try u32())))
            case 7:
                let at = pos
                let b = try fixed(UInt8.self)
                guard b <= 1 else { throw TokenizerError.gguf(offset: at, message: "bool value \(b) is not 0 or 1") }
                return .bool(b == 1)
            case 8: return .string(try string())
            case 9:
                let at = pos
                guard depth < 4 else { throw TokenizerError.gguf(offset: at, message: "arrays nested too deeply") }
                let elemType = try u32()
                let count = try u64()
                let minSize: UInt64 = [0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 8: 8, 9: 12, 10: 8, 11: 8, 12: 8][elemType] ?? 1
                guard count <= UInt64(data.count - pos) / minSize else {
                    throw TokenizerError.gguf(offset: at, message: "array of \(count) elements runs past the end of the file")
                }
                var items: [Value] = []
                items.reserveCapacity(Int(count))
                for _ in 0..<count { items.append(try value(type: elemType, depth: depth + 1)) }
                return .array(items)
            case 10: return .uint(try u64())
            case 11: return .int(Int64(bitPattern: try u64()))
            case 12: return .float(Double(bitPattern: try u64()))
            default:
                throw TokenizerError.gguf(offset: pos - 4, message: "unknown value type \(type)")
            }
        }
    }
}
