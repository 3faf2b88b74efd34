/// A word as a doubly linked list of symbols, merged the way tokenizers models/bpe/word.rs
/// `merge_all` does: a min-heap of candidate merges keyed by (rank, position); a popped entry is
/// skipped when its symbols have changed since it was pushed.
struct BPEWord {
    private var ids: [Int32] = []
    private var prev: [Int32] = []
    private var next: [Int32] = []
    private var lens: [Int32] = []

    init(capacity: Int) {
        ids.reserveCapacity(capacity)
        prev.reserveCapacity(capacity)
        next.reserveCapacity(capacity)
        lens.reserveCapacity(capacity)
    }

    mutating func add(_ id: Int32, _ byteLen: Int) {
        let n = Int32(ids.count)
        if n > 0 { next[Int(n) - 1] = n }
        ids.append(id)
        prev.append(n - 1)
        next.append(-1)
        lens.append(Int32(byteLen))
    }

    @inline(__always)
    private static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }

    mutating func mergeAll(_ merges: PairTable) {
        let n = ids.count
        if n < 2 { return }
        var heap = MergeHeap(capacity: n)
        for i in 0..<(n - 1) {
            if let m = merges.find(Self.key(ids[i], ids[i + 1])) {
                heap.push(rankPos: (m >> 32) << 32 | UInt64(i), newId: Int32(truncatingIfNeeded: m))
            }
        }
        while let top = heap.pop() {
            let pos = Int(top.rankPos & 0xFFFF_FFFF)
            if lens[pos] == 0 { continue }
            let nx = next[pos]
            if nx < 0 { continue }
            let nextPos = Int(nx)
            guard let m = merges.find(Self.key(ids[pos], ids[nextPos])), Int32(truncatingIfNeeded: m) == top.newId
            else { continue }
            // Merge the right symbol into this one.
            ids[pos] = top.newId
            lens[pos] += lens[nextPos]
            let rightNext = next[nextPos]
            next[pos] = rightNext
            lens[nextPos] = 0
            if rightNext >= 0 && Int(rightNext) < n { prev[Int(rightNext)] = Int32(pos) }
            let p = prev[pos]
            if p >= 0, let m2 = merges.find(Self.key(ids[Int(p)], ids[pos])) {
                heap.push(rankPos: (m2 >> 32) << 32 | UInt64(p), newId: Int32(truncatingIfNeeded: m2))
            }
            if rightNext >= 0 && Int(rightNext) < n, let m3 = merges.find(Self.key(ids[pos], ids[Int(rightNext)])) {
                heap.push(rankPos: (m3 >> 32) << 32 | UInt64(pos), newId: Int32(truncatingIfNeeded: m3))
            }
        }
    }

    /// The ids of the remaining symbols, in order.
    var result: [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(ids.count)
        for i in 0..<ids.count where lens[i] != 0 { out.append(ids[i]) }
        return out
    }
}

/// A binary min-heap of (rank << 32 | position, new id).
struct MergeHeap {
    private var keys: [UInt64] = []
    private var vals: [Int32] = []

    init(capacity: Int) {
        keys.reserveCapacity(capacity)
        vals.reserveCapacity(capacity)
    }

    mutating func push(rankPos: UInt64, newId: Int32) {
        keys.append(rankPos)
        vals.append(newId)
        var i = keys.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if keys[parent] <= keys[i] { break }
            keys.swapAt(parent, i)
            vals.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> (rankPos: UInt64, newId: Int32)? {
        guard let first = keys.first else { return nil }
        let v = vals[0]
        let lastK = keys.removeLast(), lastV = vals.removeLast()
        if !keys.isEmpty {
            keys[0] = lastK
            vals[0] = lastV
            var i = 0
            let n = keys.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < n && keys[l] < keys[m] { m = l }
                if r < n && keys[r] < keys[m] { m = r }
                if m == i { break }
                keys.swapAt(m, i)
                vals.swapAt(m, i)
                i = m
            }
        }
        return (first, v)
    }
}
