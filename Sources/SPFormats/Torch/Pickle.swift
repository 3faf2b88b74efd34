// Python pickle, as far as torch.save needs it: a protocol-2 writer that emits byte for byte what
// CPython's pickler emits for `_rebuild_tensor_v2(...)`, and a small VM that reads the opcodes
// torch checkpoints use (protocols 2–5) into a value tree.

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

/// Reads a pickle stream into a ``PickleValue``.
struct PickleReader {
    private let b: [UInt8]
    private let file: String
    private var i = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    init(_ data: Data, file: String) {
        b = [UInt8](data)
        self.file = file
    }

    private func bad(_ r: String) -> FormatError {
        .malformed(file: file, what: "pickle", reason: "\(r) at byte \(i)", hint: "the .pt file is corrupt or not written by torch.save")
    }
    private mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, i + n <= b.count else { throw bad("truncated stream") }
        defer { i += n }
        return b[i..<(i + n)]
    }
    private mutating func le(_ n: Int) throws -> UInt64 { try take(n).reversed().reduce(0) { $0 << 8 | UInt64($1) } }
    private mutating func line() throws -> String {
        guard let nl = b[i...].firstIndex(of: 0x0A) else { throw bad("unterminated GLOBAL") }
        defer { i = nl + 1 }
        return String(decoding: b[i..<nl], as: UTF8.self)
    }
    private mutating func pop() throws -> PickleValue {
        guard let v = stack.popLast() else { throw bad("stack underflow") }
        return v
    }
    private mutating func popMark() throws -> [PickleValue] {
        guard let m = marks.popLast(), m <= stack.count else { throw bad("MARK missing") }
        defer { stack.removeSubrange(m...) }
        return Array(stack[m...])
    }
    private mutating func utf8(_ n: Int) throws -> PickleValue { .string(String(decoding: try take(n), as: UTF8.self)) }

    /// Runs the VM to STOP and returns the result.
    mutating func load() throws -> PickleValue {
        while true {
            let op = try take(1).first!
            switch op {
            case 0x80: _ = try take(1)                                     // PROTO
            case 0x95: _ = try take(8)                                     // FRAME
            case UInt8(ascii: "."): return try pop()                       // STOP
            case UInt8(ascii: "("): marks.append(stack.count)              // MARK
            case UInt8(ascii: "N"): stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case UInt8(ascii: "K"): stack.append(.int(Int(try le(1))))
            case UInt8(ascii: "M"): stack.append(.int(Int(try le(2))))
            case UInt8(ascii: "J"): stack.append(.int(Int(Int32(truncatingIfNeeded: try le(4)))))
            case 0x8A:                                                     // LONG1
                let n = Int(try le(1))
                let bytes = try take(n)
                guard n <= 8 else { throw bad("integer too large") }
                var v: Int = 0
                for (k, x) in bytes.enumerated() { v |= Int(x) << (8 * k) }
                if n > 0, n < 8, bytes.last! >= 0x80 { v -= 1 << (8 * n) }
                stack.append(.int(v))
            case UInt8(ascii: "G"): stack.append(.float(Double(bitPattern: try take(8).reduce(0) { $0 << 8 | UInt64($1) })))
            case UInt8(ascii: "X"): stack.append(try utf8(Int(try le(4))))
            case 0x8C: stack.append(try utf8(Int(try le(1))))              // SHORT_BINUNICODE
            case 0x8D: stack.append(try utf8(Int(try le(8))))              // BINUNICODE8
            case UInt8(ascii: "C"): stack.append(.bytes(Array(try take(Int(try le(1))))))
            case UInt8(ascii: "B"): stack.append(.bytes(Array(try take(Int(try le(4))))))
            case UInt8(ascii: ")"): stack.append(.tuple([]))
            case UInt8(ascii: "t"): stack.append(.tuple(try popMark()))
            case 0x85: stack.append(.tuple([try pop()]))
            case 0x86: let y = try pop(), x = try pop(); stack.append(.tuple([x, y]))
            case 0x87: let z = try pop(), y = try pop(), x = try pop(); stack.append(.tuple([x, y, z]))
            case UInt8(ascii: "]"): stack.append(.list([]))
            case UInt8(ascii: "}"): stack.append(.dict([]))
            case UInt8(ascii: "a"): let v = try pop(); try mutateTop { if case .list(let l) = $0 { $0 = .list(l + [v]) } }
            case UInt8(ascii: "e"): let vs = try popMark(); try mutateTop { if case .list(let l) = $0 { $0 = .list(l + vs) } }
            case UInt8(ascii: "s"):
                let v = try pop(), k = try pop()
                try mutateTop { if case .dict(let d) = $0 { $0 = .dict(d + [(k, v)]) } }
            case UInt8(ascii: "u"):
                let kv = try popMark()
                guard kv.count % 2 == 0 else { throw bad("odd SETITEMS") }
                let pairs = stride(from: 0, to: kv.count, by: 2).map { (kv[$0], kv[$0 + 1]) }
                try mutateTop { if case .dict(let d) = $0 { $0 = .dict(d + pairs) } }
            case UInt8(ascii: "c"): stack.append(.global(try line(), try line()))
            case 0x93: let n = try pop(), m = try pop()                     // STACK_GLOBAL
                guard case .string(let ms) = m, case .string(let ns) = n else { throw bad("bad STACK_GLOBAL") }
                stack.append(.global(ms, ns))
            case UInt8(ascii: "q"): memo[Int(try le(1))] = stack.last
            case UInt8(ascii: "r"): memo[Int(try le(4))] = stack.last
            case 0x94: memo[memo.count] = stack.last                       // MEMOIZE
            case UInt8(ascii: "h"), UInt8(ascii: "j"):
                let k = Int(try le(op == UInt8(ascii: "h") ? 1 : 4))
                guard let v = memo[k] else { throw bad("memo \(k) undefined") }
                stack.append(v)
            case UInt8(ascii: "Q"): stack.append(.persistent(try pop()))
            case UInt8(ascii: "R"), 0x81:                                   // REDUCE, NEWOBJ
                let args = try pop(), f = try pop()
                guard case .tuple(let a) = args else { throw bad("REDUCE arguments are not a tuple") }
                stack.append(Self.apply(f, a))
            case UInt8(ascii: "b"): _ = try pop()                           // BUILD: state ignored
            default: throw bad("unsupported opcode 0x\(String(op, radix: 16))")
            }
        }
    }

    private mutating func mutateTop(_ f: (inout PickleValue) -> Void) throws {
        guard !stack.isEmpty else { throw bad("stack underflow") }
        f(&stack[stack.count - 1])
    }

    /// `collections.OrderedDict()` becomes an empty dict; everything else stays a call.
    private static func apply(_ f: PickleValue, _ args: [PickleValue]) -> PickleValue {
        if case .global("collections", "OrderedDict") = f, args.isEmpty { return .dict([]) }
        return .call(f, args)
    }
}
