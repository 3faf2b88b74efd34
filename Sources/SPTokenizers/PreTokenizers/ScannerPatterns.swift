/// Hand-written matchers for the three split regexes that matter for speed, equivalent to the
/// Oniguruma regexes the reference library runs:
///
/// - GPT-2 (ByteLevel's built-in): `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// - Llama-3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
/// - Qwen2: the Llama-3 regex with `\p{N}` in place of `\p{N}{1,3}`.
///
/// `\s` is the White_Space property; `(?i)` folds `ſ` (U+017F) to `s` as Oniguruma does.
struct ScannerPattern: SplitPattern {
    enum Kind: Sendable { case gpt2, llama3(maxDigits: Int) }
    let kind: Kind

    static let gpt2Regex = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Regex =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Regex =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The scanner for a regex source, if it is one of the three.
    static func forRegex(_ source: String) -> ScannerPattern? {
        let s = Array(source.utf8)
        if s == Array(gpt2Regex.utf8) { return ScannerPattern(kind: .gpt2) }
        if s == Array(llama3Regex.utf8) { return ScannerPattern(kind: .llama3(maxDigits: 3)) }
        if s == Array(qwen2Regex.utf8) { return ScannerPattern(kind: .llama3(maxDigits: 1)) }
        return nil
    }

    func matches(_ text: UnsafeBufferPointer<UInt8>) -> [Match] {
        if text.isEmpty { return [Match(range: 0..<0, isMatch: false)] }
        // Decode once: scalars, their classes and byte offsets.
        var cps: [UInt32] = []
        var cls: [UInt16] = []
        var offs: [Int] = []
        cps.reserveCapacity(text.count)
        cls.reserveCapacity(text.count)
        offs.reserveCapacity(text.count + 1)
        var i = 0
        while i < text.count {
            let (u, w) = UTF8Text.decode(text, i)
            cps.append(u)
            cls.append(CharClass.flags(u))
            offs.append(i)
            i += w
        }
        offs.append(text.count)
        var out: [Match] = []
        out.reserveCapacity(cps.count / 3 + 1)
        var p = 0
        let n = cps.count
        while p < n {
            let e: Int
            switch kind {
            case .gpt2: e = gpt2(cps, cls, p, n)
            case .llama3(let d): e = llama3(cps, cls, p, n, maxDigits: d)
            }
            out.append(Match(range: offs[p]..<offs[e], isMatch: true))
            p = e
        }
        return out
    }

    @inline(__always) private func isL(_ f: UInt16) -> Bool { f & CharClass.letter != 0 }
    @inline(__always) private func isN(_ f: UInt16) -> Bool { f & CharClass.number != 0 }
    @inline(__always) private func isS(_ f: UInt16) -> Bool { f & CharClass.space != 0 }
    @inline(__always) private func isOther(_ f: UInt16) -> Bool {
        f & (CharClass.letter | CharClass.number | CharClass.space) == 0
    }

    /// The end of a contraction at `p` (an apostrophe), or nil.
    @inline(__always)
    private func contraction(_ c: [UInt32], _ p: Int, _ n: Int, fold: Bool) -> Int? {
        guard c[p] == 0x27, p + 1 < n else { return nil }
        func f(_ u: UInt32) -> UInt32 {
            guard fold else { return u }
            if u >= 0x41 && u <= 0x5A { return u + 0x20 }
            if u == 0x17F { return 0x73 }  // ſ folds to s
            return u
        }
        let a = f(c[p + 1])
        if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 { return p + 2 }  // s t m d
        if p + 2 < n {
            let b = f(c[p + 2])
            if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) { return p + 3 }
        }
        return nil
    }

    /// Whitespace handling shared by both: `\s+(?!\S)|\s+` from `p`, whose run ends at `k`.
    @inline(__always)
    private func spaceRun(_ p: Int, _ k: Int, _ n: Int) -> Int {
        if k == n { return n }
        if k - p >= 2 { return k - 1 }
        return k
    }

    private func gpt2(_ c: [UInt32], _ f: [UInt16], _ p: Int, _ n: Int) -> Int {
        if let e = contraction(c, p, n, fold: false) { return e }
        let j = c[p] == 0x20 ? p + 1 : p
        if j < n {
            let g = f[j]
            if isL(g) {
                var k = j + 1
                while k < n && isL(f[k]) { k += 1 }
                return k
            }
            if isN(g) {
                var k = j + 1
                while k < n && isN(f[k]) { k += 1 }
                return k
            }
            if isOther(g) {
                var k = j + 1
                while k < n && isOther(f[k]) { k += 1 }
                return k
            }
        }
        var k = p
        while k < n && isS(f[k]) { k += 1 }
        return spaceRun(p, max(k, p + 1), n)
    }

    private func llama3(_ c: [UInt32], _ f: [UInt16], _ p: Int, _ n: Int, maxDigits: Int) -> Int {
        if let e = contraction(c, p, n, fold: true) { return e }
        let g = f[p]
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if isL(g) {
            var k = p + 1
            while k < n && isL(f[k]) { k += 1 }
            return k
        }
        let cr = c[p] == 0x0D || c[p] == 0x0A
        if !cr && !isN(g) && p + 1 < n && isL(f[p + 1]) {
            var k = p + 2
            while k < n && isL(f[k]) { k += 1 }
            return k
        }
        // \p{N}{1,maxDigits}
        if isN(g) {
            var k = p + 1
            while k < n && k - p < maxDigits && isN(f[k]) { k += 1 }
            return k
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        let j = c[p] == 0x20 ? p + 1 : p
        if j < n && isOther(f[j]) {
            var k = j + 1
            while k < n && isOther(f[k]) { k += 1 }
            while k < n && (c[k] == 0x0D || c[k] == 0x0A) { k += 1 }
            return k
        }
        // \s*[\r\n]+  then  \s+(?!\S)|\s+
        var k = p
        var lastNewline = -1
        while k < n && isS(f[k]) {
            if c[k] == 0x0D || c[k] == 0x0A { lastNewline = k }
            k += 1
        }
        if lastNewline >= 0 { return lastNewline + 1 }
        return spaceRun(p, max(k, p + 1), n)
    }
}
