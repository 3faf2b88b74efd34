/// An open-addressing hash table from byte strings to `Int32`, looked up without allocating
/// (Swift `String` keys would compare canonically equivalent spellings as equal, which a
/// vocabulary must not). Inserting an existing key replaces its value, like a Rust `HashMap`.
struct ByteTable: Sendable {
    private var arena: [UInt8] = []
    private var starts: [Int32] = []
    private var lengths: [Int32] = []
    private var values: [Int32] = []
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int = 16) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        slots = [Int32](repeating: -1, count: n)
        mask = n - 1
        arena.reserveCapacity(capacity * 6)
    }

    var count: Int { values.count }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0..<n {
            h = (h ^ UInt64(p[i])) &* 0x100_0000_01b3
        }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    mutating func insert(_ key: [UInt8], _ value: Int32) {
        if (values.count + 1) * 2 > slots.count { grow() }
        key.withUnsafeBufferPointer { k in
            let base = k.baseAddress ?? UnsafePointer(bitPattern: 1)!
            var i = ByteTable.hash(base, k.count) & mask
            while true {
                let e = Int(slots[i])
                if e < 0 {
                    slots[i] = Int32(values.count)
                    starts.append(Int32(arena.count))
                    lengths.append(Int32(k.count))
                    arena.append(contentsOf: k)
                    values.append(value)
                    return
                }
                if keyEquals(e, base, k.count) {
                    values[e] = value
                    return
                }
                i = (i + 1) & mask
            }
        }
    }

    @inline(__always)
    private func keyEquals(_ e: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        guard Int(lengths[e]) == n else { return false }
        let s = Int(starts[e])
        return arena.withUnsafeBufferPointer { a in
            for j in 0..<n where a[s + j] != p[j] { return false }
            return true
        }
    }

    /// The value of the key at `p[0..<n]`, or -1.
    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
        var i = ByteTable.hash(p, n) & mask
        while true {
            let e = Int(slots[i])
            if e < 0 { return -1 }
            if keyEquals(e, p, n) { return values[e] }
            i = (i + 1) & mask
        }
    }

    func find(_ key: [UInt8]) -> Int32 {
        key.withUnsafeBufferPointer { k in
            find(k.baseAddress ?? UnsafePointer(bitPattern: 1)!, k.count)
        }
    }

    func find(_ key: String) -> Int32 {
        var s = key
        return s.withUTF8 { k in find(k.baseAddress ?? UnsafePointer(bitPattern: 1)!, k.count) }
    }

    /// Every (key, value) pair in insertion order.
    func forEach(_ body: ([UInt8], Int32) -> Void) {
        for e in 0..<values.count {
            let s = Int(starts[e])
            body(Array(arena[s..<(s + Int(lengths[e]))]), values[e])
        }
    }

    private mutating func grow() {
        let n = slots.count * 2
        slots = [Int32](repeating: -1, count: n)
        mask = n - 1
        arena.withUnsafeBufferPointer { a in
            for e in 0..<values.count {
                var i = ByteTable.hash(a.baseAddress! + Int(starts[e]), Int(lengths[e])) & mask
                while slots[i] >= 0 { i = (i + 1) & mask }
                slots[i] = Int32(e)
            }
        }
    }
}

/// An open-addressing hash table from `UInt64` keys to `UInt64` values (BPE merge pairs).
struct PairTable: Sendable {
    private var keys: [UInt64]
    private var vals: [UInt64]
    private var mask: Int
    private(set) var count = 0
    private static let empty = UInt64.max

    init(capacity: Int) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        keys = [UInt64](repeating: PairTable.empty, count: n)
        vals = [UInt64](repeating: 0, count: n)
        mask = n - 1
    }

    @inline(__always)
    private static func slot(_ k: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (k &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    }

    /// Inserts or replaces (the last merge of a repeated pair wins, as in the reference).
    mutating func insert(_ k: UInt64, _ v: UInt64) {
        if (count + 1) * 2 > keys.count { grow() }
        var i = PairTable.slot(k, mask)
        while keys[i] != PairTable.empty && keys[i] != k { i = (i + 1) & mask }
        if keys[i] == PairTable.empty { count += 1 }
        keys[i] = k
        vals[i] = v
    }

    @inline(__always)
    func find(_ k: UInt64) -> UInt64? {
        var i = PairTable.slot(k, mask)
        while true {
            let key = keys[i]
            if key == k { return vals[i] }
            if key == PairTable.empty { return nil }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldVals = vals
        let n = keys.count * 2
        keys = [UInt64](repeating: PairTable.empty, count: n)
        vals = [UInt64](repeating: 0, count: n)
        mask = n - 1
        for (k, v) in zip(oldKeys, oldVals) where k != PairTable.empty {
            var i = PairTable.slot(k, mask)
            while keys[i] != PairTable.empty { i = (i + 1) & mask }
            keys[i] = k
            vals[i] = v
        }
    }
}
