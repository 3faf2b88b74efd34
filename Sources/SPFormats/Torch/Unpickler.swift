// A restricted pickle VM for torch checkpoints: it accepts what `torch.load(weights_only=True)`
// accepts for state dicts (tensor rebuild functions, storage classes, `collections.OrderedDict`,
// primitive containers) and refuses every other GLOBAL, REDUCE, NEWOBJ or BUILD with an error that
// names it. Nothing in the stream is ever executed or imported: globals are only names.
//
// Objects live in a flat arena (indices, no recursion while loading), so mutations after
// memoisation are shared the way pickle's object identity shares them, and a hostile stream cannot
// overflow the stack. The value tree handed to callers is built with a depth and size budget.

import Foundation

/// What the restricted unpickler lets through (torch's `_get_allowed_globals` subset for state dicts).
enum TorchPickleAllowList {
    /// Callables REDUCE / NEWOBJ may apply.
    static let callables: Set<String> = [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch._tensor._rebuild_from_type_v2",
    ]
    /// Tensor types `_rebuild_from_type_v2` may rebuild as (names only, never called).
    static let tensorTypes: Set<String> = ["torch.Tensor", "torch.nn.parameter.Parameter"]
    /// Storage classes (named in persistent ids, never called), with the element type they hold.
    static let storages: [String: SafetensorsDType] = [
        "torch.FloatStorage": .F32, "torch.HalfStorage": .F16, "torch.BFloat16Storage": .BF16,
        "torch.DoubleStorage": .F64, "torch.LongStorage": .I64, "torch.IntStorage": .I32,
        "torch.ShortStorage": .I16, "torch.CharStorage": .I8, "torch.ByteStorage": .U8,
        "torch.BoolStorage": .BOOL,
    ]
    static func allows(_ module: String, _ name: String) -> Bool {
        let full = module + "." + name
        return callables.contains(full) || storages[full] != nil || tensorTypes.contains(full)
    }
}

/// Reads a pickle stream into a ``PickleValue`` under the torch weights-only restrictions.
struct PickleReader {
    private enum Node {
        case none, bool(Bool), int(Int), float(Double), string(String), bytes([UInt8])
        case tuple([Int]), list([Int]), dict([(Int, Int)])
        case global(String, String)
        case call(Int, [Int])
        case persistent(Int)
    }

    /// Deepest value tree ``load()`` returns (a state dict of tensors needs about 6).
    static let maxDepth = 64
    private let b: UnsafeRawBufferPointer
    private let owner: ByteBox?
    private let file: String
    private var i = 0
    private var nodes: [Node] = []
    private var stack: [Int] = []
    private var marks: [Int] = []
    private var memo: [Int: Int] = [:]

    init(_ data: Data, file: String) {
        let box = ByteBox(data)
        owner = box
        b = UnsafeRawBufferPointer(rebasing: box.buffer[0..<data.count])
        self.file = file
    }

    /// Reads in place from `bytes`, which must stay valid while the reader is used.
    init(_ bytes: UnsafeRawBufferPointer, file: String) {
        owner = nil
        b = bytes
        self.file = file
    }

    /// The byte after the STOP of the last ``load()`` (the start of a following pickle).
    var position: Int { i }

    private func bad(_ r: String, at pos: Int? = nil) -> FormatError {
        .malformed(file: file, what: "pickle", reason: "\(r) at byte \(pos ?? i)",
                   hint: "the checkpoint is corrupt or not written by torch.save")
    }
    private func refused(_ r: String, at pos: Int) -> FormatError {
        .malformed(file: file, what: "pickle", reason: "\(r) at byte \(pos): refused",
                   hint: "only tensors, storages, OrderedDict and plain containers are loaded (what "
                       + "torch.load(weights_only=True) accepts); nothing in the file is executed or imported. "
                       + "If you trust the file, convert it to safetensors in Python first")
    }
    private mutating func take(_ n: Int) throws -> Slice<UnsafeRawBufferPointer> {
        guard n >= 0, n <= b.count - i else { throw bad("truncated stream (\(n) bytes wanted, \(b.count - i) left)") }
        defer { i += n }
        return b[i..<(i + n)]
    }
    private mutating func le(_ n: Int) throws -> UInt64 { try take(n).reversed().reduce(0) { $0 << 8 | UInt64($1) } }
    private mutating func length(_ n: Int) throws -> Int {
        let v = try le(n)
        guard v <= UInt64(b.count) else { throw bad("length \(v) exceeds the stream") }
        return Int(v)
    }
    private mutating func line() throws -> String {
        guard let nl = b[i...].firstIndex(of: 0x0A) else { throw bad("unterminated GLOBAL") }
        defer { i = nl + 1 }
        return String(decoding: b[i..<nl], as: UTF8.self)
    }
    private mutating func push(_ n: Node) {
        nodes.append(n)
        stack.append(nodes.count - 1)
    }
    private mutating func pop() throws -> Int {
        guard let v = stack.popLast() else { throw bad("stack underflow") }
        return v
    }
    private mutating func popMark() throws -> [Int] {
        guard let m = marks.popLast(), m <= stack.count else { throw bad("MARK missing") }
        defer { stack.removeSubrange(m...) }
        return Array(stack[m...])
    }
    private mutating func string(_ n: Int) throws -> Node { .string(String(decoding: try take(n), as: UTF8.self)) }
    private mutating func memoize(_ k: Int) throws {
        guard let top = stack.last else { throw bad("memoizing an empty stack") }
        memo[k] = top
    }

    /// Runs the VM to STOP and returns the result as a value tree.
    mutating func load() throws -> PickleValue {
        while true {
            let at = i
            let op = try take(1).first!
            switch op {
            case 0x80: _ = try take(1)                                     // PROTO
            case 0x95: _ = try take(8)                                     // FRAME
            case UInt8(ascii: "."):                                        // STOP
                var budget = 4 * nodes.count + 1024
                let v = try value(try pop(), depth: 0, budget: &budget)
                (nodes, stack, marks, memo) = ([], [], [], [:])
                return v
            case UInt8(ascii: "("): marks.append(stack.count)              // MARK
            case UInt8(ascii: "0"): _ = try pop()                          // POP
            case UInt8(ascii: "1"): _ = try popMark()                      // POP_MARK
            case UInt8(ascii: "2"): stack.append(try pop()); stack.append(stack.last!)  // DUP
            case UInt8(ascii: "N"): push(.none)
            case 0x88: push(.bool(true))
            case 0x89: push(.bool(false))
            case UInt8(ascii: "K"): push(.int(Int(try le(1))))
            case UInt8(ascii: "M"): push(.int(Int(try le(2))))
            case UInt8(ascii: "J"): push(.int(Int(Int32(truncatingIfNeeded: try le(4)))))
            case 0x8A, 0x8B:                                               // LONG1, LONG4
                let n = try length(op == 0x8A ? 1 : 4)
                let bytes = try take(n)
                guard n <= 8 else { throw bad("integer of \(n) bytes is too large", at: at) }
                var v = 0
                for (k, x) in bytes.enumerated() { v |= Int(x) << (8 * k) }
                if n > 0, n < 8, bytes.last! >= 0x80 { v -= 1 << (8 * n) }
                push(.int(v))
            case UInt8(ascii: "G"): push(.float(Double(bitPattern: try take(8).reduce(0) { $0 << 8 | UInt64($1) })))
            case UInt8(ascii: "X"), UInt8(ascii: "T"): push(try string(try length(4)))  // BINUNICODE, BINSTRING
            case 0x8C, UInt8(ascii: "U"): push(try string(try length(1)))  // SHORT_BINUNICODE, SHORT_BINSTRING
            case 0x8D: push(try string(try length(8)))                     // BINUNICODE8
            case UInt8(ascii: "C"): push(.bytes(Array(try take(try length(1)))))
            case UInt8(ascii: "B"): push(.bytes(Array(try take(try length(4)))))
            case 0x8E: push(.bytes(Array(try take(try length(8)))))        // BINBYTES8
            case UInt8(ascii: ")"): push(.tuple([]))
            case UInt8(ascii: "t"): push(.tuple(try popMark()))
            case 0x85: push(.tuple([try pop()]))
            case 0x86: let y = try pop(), x = try pop(); push(.tuple([x, y]))
            case 0x87: let z = try pop(), y = try pop(), x = try pop(); push(.tuple([x, y, z]))
            case UInt8(ascii: "]"): push(.list([]))
            case UInt8(ascii: "l"): push(.list(try popMark()))             // LIST
            case UInt8(ascii: "}"): push(.dict([]))
            case UInt8(ascii: "d"): push(.dict(try pairs(try popMark())))  // DICT
            case UInt8(ascii: "a"): let v = try pop(); try append(to: try top(), [v])
            case UInt8(ascii: "e"): let vs = try popMark(); try append(to: try top(), vs)
            case UInt8(ascii: "s"): let v = try pop(), k = try pop(); try set(in: try top(), [(k, v)])
            case UInt8(ascii: "u"): let kv = try pairs(try popMark()); try set(in: try top(), kv)
            case UInt8(ascii: "c"):                                        // GLOBAL
                let module = try line(), name = try line()
                try global(module, name, at: at)
            case 0x93:                                                     // STACK_GLOBAL
                let n = try pop(), m = try pop()
                guard case .string(let ms) = nodes[m], case .string(let ns) = nodes[n] else { throw bad("bad STACK_GLOBAL", at: at) }
                try global(ms, ns, at: at)
            case UInt8(ascii: "q"): try memoize(Int(try le(1)))            // BINPUT
            case UInt8(ascii: "r"): try memoize(Int(try le(4)))            // LONG_BINPUT
            case 0x94: try memoize(memo.count)                             // MEMOIZE
            case UInt8(ascii: "h"), UInt8(ascii: "j"):                     // BINGET, LONG_BINGET
                let k = Int(try le(op == UInt8(ascii: "h") ? 1 : 4))
                guard let v = memo[k] else { throw bad("memo \(k) undefined", at: at) }
                stack.append(v)
            case UInt8(ascii: "Q"): push(.persistent(try pop()))           // BINPERSID
            case UInt8(ascii: "R"), 0x81:                                   // REDUCE, NEWOBJ
                let args = try pop(), f = try pop()
                let opName = op == 0x81 ? "NEWOBJ" : "REDUCE"
                guard case .global(let m, let n) = nodes[f], TorchPickleAllowList.callables.contains(m + "." + n) else {
                    throw refused("\(opName) on \(describe(f)) (not a tensor rebuild function or OrderedDict)", at: at)
                }
                guard case .tuple(let a) = nodes[args] else { throw bad("\(opName) arguments are not a tuple", at: at) }
                if m == "collections", n == "OrderedDict" {
                    guard a.isEmpty else { throw refused("OrderedDict called with arguments", at: at) }
                    push(.dict([]))
                } else {
                    push(.call(f, a))
                }
            case UInt8(ascii: "b"):                                        // BUILD: state dropped
                _ = try pop()
                switch nodes[try top()] {
                case .dict, .call: break
                default: throw refused("BUILD on \(describe(try top()))", at: at)
                }
            default:
                throw refused("opcode 0x\(String(op, radix: 16)) is not supported", at: at)
            }
        }
    }

    private mutating func global(_ module: String, _ name: String, at: Int) throws {
        guard TorchPickleAllowList.allows(module, name) else {
            throw refused("GLOBAL \(module).\(name) is not allowed", at: at)
        }
        push(.global(module, name))
    }
    private func top() throws -> Int {
        guard let t = stack.last else { throw bad("stack underflow") }
        return t
    }
    private func pairs(_ kv: [Int]) throws -> [(Int, Int)] {
        guard kv.count % 2 == 0 else { throw bad("odd number of dict items") }
        return stride(from: 0, to: kv.count, by: 2).map { (kv[$0], kv[$0 + 1]) }
    }
    private mutating func append(to t: Int, _ vs: [Int]) throws {
        guard case .list(var l) = nodes[t] else { throw bad("APPEND to \(describe(t))") }
        nodes[t] = .none
        l += vs
        nodes[t] = .list(l)
    }
    private mutating func set(in t: Int, _ kv: [(Int, Int)]) throws {
        guard case .dict(var d) = nodes[t] else { throw bad("SETITEM on \(describe(t))") }
        nodes[t] = .none
        d += kv
        nodes[t] = .dict(d)
    }
    private func describe(_ n: Int) -> String {
        switch nodes[n] {
        case .global(let m, let name): return "\(m).\(name)"
        case .call(let f, _): return "the result of \(describe(f))"
        case .none: return "None"
        case .bool, .int, .float: return "a number"
        case .string: return "a string"
        case .bytes: return "bytes"
        case .tuple: return "a tuple"
        case .list: return "a list"
        case .dict: return "a dict"
        case .persistent: return "a persistent id"
        }
    }

    /// The value tree under node `n`; `budget` caps the nodes produced (shared memo entries are
    /// copied, so a stream of a few KB could otherwise describe an exponentially large tree).
    private func value(_ n: Int, depth: Int, budget: inout Int) throws -> PickleValue {
        guard depth < Self.maxDepth else { throw bad("values nested deeper than \(Self.maxDepth) levels (or a cycle)") }
        budget -= 1
        guard budget >= 0 else { throw bad("the value tree is far larger than the stream (shared references blow up)") }
        func all(_ xs: [Int], _ budget: inout Int) throws -> [PickleValue] {
            var out: [PickleValue] = []
            out.reserveCapacity(xs.count)
            for x in xs { out.append(try value(x, depth: depth + 1, budget: &budget)) }
            return out
        }
        switch nodes[n] {
        case .none: return .none
        case .bool(let v): return .bool(v)
        case .int(let v): return .int(v)
        case .float(let v): return .float(v)
        case .string(let v): return .string(v)
        case .bytes(let v): return .bytes(v)
        case .tuple(let xs): return .tuple(try all(xs, &budget))
        case .list(let xs): return .list(try all(xs, &budget))
        case .dict(let kv):
            var out: [(PickleValue, PickleValue)] = []
            for (k, v) in kv {
                out.append((try value(k, depth: depth + 1, budget: &budget), try value(v, depth: depth + 1, budget: &budget)))
            }
            return .dict(out)
        case .global(let m, let name): return .global(m, name)
        case .call(let f, let args): return .call(try value(f, depth: depth + 1, budget: &budget), try all(args, &budget))
        case .persistent(let p): return .persistent(try value(p, depth: depth + 1, budget: &budget))
        }
    }
}
