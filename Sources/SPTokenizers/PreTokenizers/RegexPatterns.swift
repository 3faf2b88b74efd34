import Foundation
import SPJSON

/// A literal string pattern: its non-overlapping occurrences, left to right (tokenizers'
/// `SplitPattern::String`, an escaped regex).
struct LiteralPattern: SplitPattern {
    let needle: [UInt8]

    func matches(_ text: UnsafeBufferPointer<UInt8>) -> [Match] {
        if needle.isEmpty { return [Match(range: 0..<text.count, isMatch: false)] }
        var found: [Range<Int>] = []
        let n = needle.count
        var i = 0
        let first = needle[0]
        while i + n <= text.count {
            if text[i] == first {
                var ok = true
                for j in 1..<n where text[i + j] != needle[j] {
                    ok = false
                    break
                }
                if ok {
                    found.append(i..<(i + n))
                    i += n
                    continue
                }
            }
            i += 1
        }
        return Self.covering(found, count: text.count)
    }
}

/// Any other regex, run by ICU through `NSRegularExpression` (slower than the hand-written
/// scanners). Oniguruma's `\s`/`\S` (White_Space) and `\h` are rewritten to ICU spellings, since
/// ICU's `\s` leaves out U+000B and U+0085.
final class ICURegexPattern: SplitPattern, @unchecked Sendable {
    // NSRegularExpression is immutable after creation and documented as thread-safe for matching.
    private let regex: NSRegularExpression
    let source: String

    init(_ source: String, path: String) throws {
        self.source = source
        do {
            regex = try NSRegularExpression(pattern: ICURegexPattern.translate(source), options: [])
        } catch {
            throw TokenizerError.schema(path: path, message: "invalid regex \"\(source)\": \(error)")
        }
    }

    /// Rewrites Oniguruma-only escapes into ICU syntax.
    static func translate(_ s: String) -> String {
        var out = ""
        var it = Array(s.unicodeScalars)[...]
        while let c = it.popFirst() {
            if c == "\\", let d = it.popFirst() {
                switch d {
                case "s": out += "\\p{White_Space}"
                case "S": out += "\\P{White_Space}"
                case "h": out += "[0-9a-fA-F]"
                default:
                    out.unicodeScalars.append(c)
                    out.unicodeScalars.append(d)
                }
            } else {
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    func matches(_ text: UnsafeBufferPointer<UInt8>) -> [Match] {
        if text.isEmpty { return [Match(range: 0..<0, isMatch: false)] }
        let string = String(decoding: text, as: UTF8.self)
        // UTF-16 offset -> UTF-8 offset.
        var map: [Int] = []
        map.reserveCapacity(text.count + 1)
        var byte = 0
        for u in string.unicodeScalars {
            let w8 = UTF8.width(u)
            map.append(byte)
            if u.value > 0xFFFF { map.append(byte) }
            byte += w8
        }
        map.append(byte)
        let ns = NSRange(location: 0, length: map.count - 1)
        var found: [Range<Int>] = []
        for m in regex.matches(in: string, options: [], range: ns) {
            let r = m.range
            guard r.location != NSNotFound, r.length > 0 else { continue }
            let lo = map[r.location], hi = map[r.location + r.length]
            if let last = found.last, lo < last.upperBound { continue }
            found.append(lo..<hi)
        }
        return Self.covering(found, count: text.count)
    }
}

/// The pattern of a `Split` pre-tokenizer or a `Replace` stage: `{"String": s}` or `{"Regex": r}`.
enum PatternFactory {
    static func make(_ config: JSONConfig) throws -> any SplitPattern {
        if let s = try config.stringIfPresent("String") {
            return LiteralPattern(needle: Array(s.utf8))
        }
        if let r = try config.stringIfPresent("Regex") {
            if let scanner = ScannerPattern.forRegex(r) { return scanner }
            return try ICURegexPattern(r, path: config.path(of: "Regex"))
        }
        throw TokenizerError.schema(path: config.path, message: "expected {\"String\": …} or {\"Regex\": …}")
    }
}
