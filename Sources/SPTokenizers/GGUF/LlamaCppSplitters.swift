import Foundation

// llama.cpp's splitting rules that are not plain regexes (unicode.cpp, llama-cpp-python 0.3.36).

/// A regex without Unicode categories, run as llama.cpp runs it through `std::wregex`: on text
/// where every non-ASCII whitespace character (llama.cpp's `unicode_set_whitespace`: U+0085,
/// U+00A0, U+1680, U+2000…U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) is first replaced by
/// U+000B, so `\s` (ASCII whitespace, as `std::wregex` in the C locale) matches them and a
/// literal class that names one of them (deepseek-llm's `[　-。]`) does not. `$` is the end of
/// the piece only (ECMAScript), never before a final line terminator (ICU's default).
struct LlamaWideRegexPattern: SplitPattern {
    let inner: ICURegexPattern

    init(_ regex: String, path: String) throws {
        let ascii = regex.replacingOccurrences(of: #"\s"#, with: #"[\t\n\u000B\f\r ]"#)
            .replacingOccurrences(of: #"\S"#, with: #"[^\t\n\u000B\f\r ]"#)
        inner = try ICURegexPattern(Self.endAnchors(ascii), path: path)
    }

    /// Rewrites each unescaped `$` outside a bracket class as `\z`.
    static func endAnchors(_ s: String) -> String {
        var out = ""
        var inClass = false
        var it = Array(s.unicodeScalars)[...]
        while let c = it.popFirst() {
            if c == "\\", let d = it.popFirst() {
                out.unicodeScalars.append(c)
                out.unicodeScalars.append(d)
                continue
            }
            if c == "[" { inClass = true } else if c == "]" { inClass = false }
            if c == "$" && !inClass { out += #"\z"# } else { out.unicodeScalars.append(c) }
        }
        return out
    }

    /// llama.cpp's `unicode_set_whitespace` above ASCII.
    static func isWideSpace(_ u: UInt32) -> Bool {
        switch u {
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    func matches(_ text: UnsafeBufferPointer<UInt8>) -> [Match] {
        // Fast path: no non-ASCII whitespace, nothing to replace.
        var mapped: [UInt8] = []
        var back: [Int] = []  // mapped byte -> original byte (count + 1 entries)
        var i = 0, changed = false
        while i < text.count {
            let (u, w) = UTF8Text.decode(text, i)
            if u >= 0x80 && Self.isWideSpace(u) {
                if !changed {
                    changed = true
                    mapped = Array(text[0..<i])
                    back = Array(0..<i)
                }
                mapped.append(0x0B)
                back.append(i)
            } else if changed {
                for k in 0..<w {
                    mapped.append(text[i + k])
                    back.append(i + k)
                }
            }
            i += w
        }
        guard changed else { return inner.matches(text) }
        back.append(text.count)
        let found = mapped.withUnsafeBufferPointer { inner.matches($0) }
        return found.map { Match(range: back[$0.range.lowerBound]..<back[$0.range.upperBound], isMatch: $0.isMatch) }
    }
}

/// llama.cpp's `unicode_regex_split_custom_afmoe`, used for `\p{AFMoE_digits}` (afmoe) and for
/// tiny_aya's `\d{1,3}(?=(?:\d{3})*\b)`: each run of numeric characters (`\p{N}`) is cut into a
/// leading group of `count % 3` characters, then groups of 3. The text before a run is not a
/// piece of its own: it goes with the run's first group (llama.cpp's `_add_token` emits from the
/// end of the previous piece), and what follows the last run is one piece.
struct AFMoEDigitsPattern: SplitPattern {
    func matches(_ text: UnsafeBufferPointer<UInt8>) -> [Match] {
        if text.isEmpty { return [Match(range: 0..<0, isMatch: false)] }
        var out: [Match] = []
        var prevEnd = 0
        func add(_ end: Int) {
            if end > prevEnd { out.append(Match(range: prevEnd..<end, isMatch: true)) }
            prevEnd = end
        }
        var i = 0
        while i < text.count {
            let (u, w) = UTF8Text.decode(text, i)
            guard CharClass.flags(u) & CharClass.number != 0 else {
                i += w
                continue
            }
            var ends: [Int] = []  // byte offset after each digit of the run
            var j = i
            while j < text.count {
                let (v, vw) = UTF8Text.decode(text, j)
                guard CharClass.flags(v) & CharClass.number != 0 else { break }
                j += vw
                ends.append(j)
            }
            var k = ends.count % 3
            if k > 0 { add(ends[k - 1]) }
            while k < ends.count {
                add(ends[k + 2])
                k += 3
            }
            i = j
        }
        add(text.count)
        return out
    }
}
