// Python pickle, as far as torch.save needs it: a protocol-2 writer that emits byte for byte what
// CPython's pickler emits for `_rebuild_tensor_v2(...)`, and the value tree the restricted reader
// (Unpickler.swift) produces.

import Foundation

/// A value produced by the pickle VM.
indirect enum PickleValue: Equatable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list([PickleValue])
    case dict([(PickleValue, PickleValue)])
    /// `module.name` from GLOBAL / STACK_GLOBAL.
    case global(String, String)
    /// `callable(*args)` from REDUCE / NEWOBJ that the VM does not interpret.
    case call(PickleValue, [PickleValue])
    /// A BINPERSID reference (torch: the storage tuple).
    case persistent(PickleValue)

    static func == (a: PickleValue, b: PickleValue) -> Bool { String(describing: a) == String(describing: b) }
}

/// Protocol-2 pickle writer with CPython's memoisation (every non-empty tuple, string and global is
/// BINPUT into the memo in creation order).
struct PickleWriter {
    private(set) var bytes: [UInt8] = [0x80, 0x02]  // PROTO 2
    private var memo = 0

    private mutating func put() {
        if memo < 256 { bytes += [UInt8(ascii: "q"), UInt8(memo)] } else {
            bytes.append(UInt8(ascii: "r"))
            withUnsafeBytes(of: UInt32(memo).littleEndian) { bytes += $0 }
        }
        memo += 1
    }

    mutating func global(_ module: String, _ name: String) {
        bytes.append(UInt8(ascii: "c"))
        bytes += Array("\(module)\n\(name)\n".utf8)
        put()
    }

    mutating func string(_ s: String) {
        let u = Array(s.utf8)
        bytes.append(UInt8(ascii: "X"))
        withUnsafeBytes(of: UInt32(u.count).littleEndian) { bytes += $0 }
        bytes += u
        put()
    }

    /// CPython `save_long` for protocol ≥ 2.
    mutating func int(_ v: Int) {
        if v >= 0 && v <= 0xFF {
            bytes += [UInt8(ascii: "K"), UInt8(v)]
        } else if v >= 0 && v <= 0xFFFF {
            bytes.append(UInt8(ascii: "M"))
            withUnsafeBytes(of: UInt16(v).littleEndian) { bytes += $0 }
        } else if v >= Int(Int32.min) && v <= Int(Int32.max) {
            bytes.append(UInt8(ascii: "J"))
            withUnsafeBytes(of: Int32(v).littleEndian) { bytes += $0 }
        } else {
            // LONG1: minimal two's-complement little-endian bytes.
            var le: [UInt8] = []
            var x = v
            while true {
                let byte = UInt8(truncatingIfNeeded: x)
                le.append(byte)
                x >>= 8
                if (x == 0 && byte < 0x80) || (x == -1 && byte >= 0x80) { break }
            }
            bytes += [0x8A, UInt8(le.count)] + le
        }
    }

    mutating func bool(_ b: Bool) { bytes.append(b ? 0x88 : 0x89) }
    mutating func mark() { bytes.append(UInt8(ascii: "(")) }
    mutating func emptyTuple() { bytes.append(UInt8(ascii: ")")) }
    mutating func reduce() { bytes.append(UInt8(ascii: "R")); put() }
    mutating func persistentID() { bytes.append(UInt8(ascii: "Q")) }
    mutating func stop() { bytes.append(UInt8(ascii: ".")) }
    /// SETITEMS: the key/value pairs pushed since the last ``mark()`` go into the dict below them.
    mutating func setItems() { bytes.append(UInt8(ascii: "u")) }

    /// A tuple of `n` items already pushed (after a ``mark()`` when n > 3), as CPython `save_tuple`.
    mutating func tuple(_ n: Int) {
        switch n {
        case 0: emptyTuple(); return
        case 1: bytes.append(0x85)
        case 2: bytes.append(0x86)
        case 3: bytes.append(0x87)
        default: bytes.append(UInt8(ascii: "t"))
        }
        put()
    }

    mutating func ints(_ xs: [Int]) {
        if xs.count > 3 { mark() }
        for x in xs { int(x) }
        tuple(xs.count)
    }
}
