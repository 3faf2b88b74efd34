import SPJSON

/// One piece of text on its way through the pipeline (the reference library's `Split` of a
/// `PreTokenizedString`): UTF-8 bytes, the ids once an added token or the model has claimed it,
/// and whether it begins at offset 0 of the original text (Metaspace's `prepend_scheme: first`).
struct Piece {
    var bytes: [UInt8]
    var ids: [Int32]?
    var atOrigin: Bool
    /// Per-byte original ranges (`Aligned.align`), only when offsets were asked for.
    var align: [UInt64]? = nil
}

/// How the matches of a split pattern become pieces (tokenizers `SplitDelimiterBehavior`).
enum SplitBehavior: String, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    init(config: JSONConfig) throws {
        let s = try config.string()
        guard let b = SplitBehavior(rawValue: s) else {
            throw TokenizerError.unknownType(component: "split behavior", type: s, path: config.path)
        }
        self = b
    }

    /// The kept ranges for `matches`, which cover the text in order (`normalizer.rs` `split`).
    func apply(_ matches: [Match]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(matches.count)
        switch self {
        case .isolated:
            for m in matches { out.append(m.range) }
        case .removed:
            for m in matches where !m.isMatch { out.append(m.range) }
        case .contiguous:
            var previous = false
            for m in matches {
                if m.isMatch == previous, let last = out.last {
                    out[out.count - 1] = last.lowerBound..<m.range.upperBound
                } else {
                    out.append(m.range)
                }
                previous = m.isMatch
            }
        case .mergedWithPrevious:
            var previous = false
            for m in matches {
                if m.isMatch && !previous, let last = out.last {
                    out[out.count - 1] = last.lowerBound..<m.range.upperBound
                } else {
                    out.append(m.range)
                }
                previous = m.isMatch
            }
        case .mergedWithNext:
            var previous = false
            for m in matches.reversed() {
                if m.isMatch && !previous, let last = out.last {
                    out[out.count - 1] = m.range.lowerBound..<last.upperBound
                } else {
                    out.append(m.range)
                }
                previous = m.isMatch
            }
            out.reverse()
        }
        return out
    }
}

/// A contiguous range of a text and whether the pattern matched it.
struct Match {
    var range: Range<Int>
    var isMatch: Bool
}

/// Something that finds matches in UTF-8 text (tokenizers `Pattern`). The result covers the
/// whole text with ordered, contiguous ranges.
protocol SplitPattern: Sendable {
    func matches(_ text: UnsafeBufferPointer<UInt8>) -> [Match]
}

extension SplitPattern {
    /// Turns a list of match ranges (in order, non-overlapping) into a covering list.
    static func covering(_ found: [Range<Int>], count: Int) -> [Match] {
        if count == 0 { return [Match(range: 0..<0, isMatch: false)] }
        var out: [Match] = []
        out.reserveCapacity(found.count * 2 + 1)
        var prev = 0
        for r in found {
            if prev != r.lowerBound { out.append(Match(range: prev..<r.lowerBound, isMatch: false)) }
            out.append(Match(range: r, isMatch: true))
            prev = r.upperBound
        }
        if prev != count { out.append(Match(range: prev..<count, isMatch: false)) }
        return out
    }
}

/// Each character with a class flag is its own match (tokenizers' `Fn(char) -> bool` pattern).
struct CharClassPattern: SplitPattern {
    let flags: UInt16

    func matches(_ text: UnsafeBufferPointer<UInt8>) -> [Match] {
        if text.isEmpty { return [Match(range: 0..<0, isMatch: false)] }
        var out: [Match] = []
        var last = 0
        var i = 0
        while i < text.count {
            let (u, w) = UTF8Text.decode(text, i)
            if CharClass.is(u, flags) {
                if last < i { out.append(Match(range: last..<i, isMatch: false)) }
                out.append(Match(range: i..<(i + w), isMatch: true))
                last = i + w
            }
            i += w
        }
        if i > last { out.append(Match(range: last..<i, isMatch: false)) }
        return out
    }
}

/// A pattern with its match flags inverted (tokenizers `Invert`).
struct InvertedPattern: SplitPattern {
    let inner: any SplitPattern

    func matches(_ text: UnsafeBufferPointer<UInt8>) -> [Match] {
        inner.matches(text).map { Match(range: $0.range, isMatch: !$0.isMatch) }
    }
}

extension Array where Element == Piece {
    /// Replaces every piece not yet tokenized by the pieces `body` makes of it, dropping empty
    /// ones (tokenizers `PreTokenizedString::split`).
    mutating func splitEach(_ body: (Piece) throws -> [Piece]) rethrows {
        var out: [Piece] = []
        out.reserveCapacity(count * 2)
        for piece in self {
            if piece.ids != nil {
                out.append(piece)
                continue
            }
            for sub in try body(piece) where !sub.bytes.isEmpty { out.append(sub) }
        }
        self = out
    }
}

extension Piece {
    /// Cuts this piece by a pattern and a behavior (tokenizers `NormalizedString::split`).
    func split(by pattern: any SplitPattern, behavior: SplitBehavior) -> [Piece] {
        let ranges = bytes.withUnsafeBufferPointer { behavior.apply(pattern.matches($0)) }
        if ranges.count == 1, ranges[0] == 0..<bytes.count { return [self] }
        return ranges.map { r in
            Piece(bytes: Array(bytes[r]), ids: nil, atOrigin: atOrigin && r.lowerBound == 0, align: align.map { Array($0[r]) })
        }
    }
}
