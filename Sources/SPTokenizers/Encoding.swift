import SPJSON

/// The result of encoding one text (or pair of texts).
public struct Encoding: Sendable, Equatable {
    /// Token ids.
    public var ids: [Int]
    /// Segment ids (0 for the first sequence, 1 for the pair where the post-processor says so).
    public var typeIds: [Int]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int]
    /// 1 for tokens added by the post-processor or padding, 0 for tokens of the text.
    public var specialTokensMask: [Int]
    /// The vocabulary spelling of each id.
    public var tokens: [String]
    /// Each token's span in the text it came from, in characters (Unicode scalars, as Python
    /// indexes a `str`); (0, 0) for special tokens and padding. Empty unless `encode` was asked
    /// for offsets (`withOffsets: true`).
    public var offsets: [TokenSpan]

    public init(ids: [Int], typeIds: [Int], attentionMask: [Int], specialTokensMask: [Int], tokens: [String],
                offsets: [TokenSpan] = []) {
        self.ids = ids
        self.typeIds = typeIds
        self.attentionMask = attentionMask
        self.specialTokensMask = specialTokensMask
        self.tokens = tokens
        self.offsets = offsets
    }

    init(ids: [Int32], typeId: Int) {
        self.ids = ids.map(Int.init)
        typeIds = [Int](repeating: typeId, count: ids.count)
        attentionMask = [Int](repeating: 1, count: ids.count)
        specialTokensMask = [Int](repeating: 0, count: ids.count)
        tokens = []
        offsets = []
    }

    static func special(ids: [Int], tokens: [String], typeId: Int) -> Encoding {
        Encoding(ids: ids, typeIds: [Int](repeating: typeId, count: ids.count),
                 attentionMask: [Int](repeating: 1, count: ids.count),
                 specialTokensMask: [Int](repeating: 1, count: ids.count), tokens: tokens,
                 offsets: [TokenSpan](repeating: TokenSpan(start: 0, end: 0), count: ids.count))
    }

    public var count: Int { ids.count }

    mutating func append(_ other: Encoding) {
        ids += other.ids
        typeIds += other.typeIds
        attentionMask += other.attentionMask
        specialTokensMask += other.specialTokensMask
        tokens += other.tokens
        offsets += other.offsets
    }

    mutating func setTypeIds(_ t: Int) { typeIds = [Int](repeating: t, count: ids.count) }

    /// Keeps `maxLength` tokens from the right end (`.left`) or the left end (`.right`).
    mutating func truncate(_ maxLength: Int, direction: Truncation.Direction) {
        guard ids.count > maxLength else { return }
        let old = ids.count
        let r = direction == .right ? 0..<maxLength : (ids.count - maxLength)..<ids.count
        ids = Array(ids[r])
        typeIds = Array(typeIds[r])
        attentionMask = Array(attentionMask[r])
        specialTokensMask = Array(specialTokensMask[r])
        if tokens.count == old { tokens = Array(tokens[r]) }
        if offsets.count == old { offsets = Array(offsets[r]) }
    }

    /// Pads to `length` with `padId` on one side (tokenizers `Encoding::pad`).
    public mutating func pad(to length: Int, padId: Int, padTypeId: Int, padToken: String, direction: Padding.Direction) {
        guard ids.count < length else { return }
        let n = length - ids.count
        let pi = [Int](repeating: padId, count: n), pt = [Int](repeating: padTypeId, count: n)
        let zeros = [Int](repeating: 0, count: n), ones = [Int](repeating: 1, count: n)
        let toks = [String](repeating: padToken, count: n)
        if !offsets.isEmpty && offsets.count == ids.count {
            let z = [TokenSpan](repeating: TokenSpan(start: 0, end: 0), count: n)
            offsets = direction == .right ? offsets + z : z + offsets
        }
        switch direction {
        case .right:
            ids += pi; typeIds += pt; attentionMask += zeros; specialTokensMask += ones; tokens += toks
        case .left:
            ids = pi + ids; typeIds = pt + typeIds; attentionMask = zeros + attentionMask
            specialTokensMask = ones + specialTokensMask; tokens = toks + tokens
        }
    }
}

/// A token's span `start..<end` in its text, in Unicode scalars (tokenizers' char offsets).
public struct TokenSpan: Sendable, Hashable, Codable {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }
}

/// Truncation settings (tokenizer.json `truncation`, tokenizers `TruncationParams`). Overflowing
/// windows (`stride`) are not produced.
public struct Truncation: Sendable, Equatable {
    public enum Direction: String, Sendable { case left = "Left", right = "Right" }
    public enum Strategy: String, Sendable { case longestFirst = "LongestFirst", onlyFirst = "OnlyFirst", onlySecond = "OnlySecond" }
    public var maxLength: Int
    public var direction: Direction
    public var strategy: Strategy

    public init(maxLength: Int, direction: Direction = .right, strategy: Strategy = .longestFirst) {
        self.maxLength = maxLength
        self.direction = direction
        self.strategy = strategy
    }

    init(_ c: JSONConfig) throws {
        maxLength = try c.required("max_length").index()
        let d = try c.stringIfPresent("direction") ?? "Right"
        guard let dir = Direction(rawValue: d) else { throw TokenizerError.unknownType(component: "truncation direction", type: d, path: c.path) }
        let s = try c.stringIfPresent("strategy") ?? "LongestFirst"
        guard let st = Strategy(rawValue: s) else { throw TokenizerError.unknownType(component: "truncation strategy", type: s, path: c.path) }
        direction = dir
        strategy = st
    }

    /// Truncates one encoding and an optional pair to `maxLength` tokens in all (tokenizers
    /// `truncate_encodings`).
    func apply(_ a: inout Encoding, _ b: inout Encoding?, maxLength: Int) throws {
        if maxLength == 0 {
            a.truncate(0, direction: direction)
            b?.truncate(0, direction: direction)
            return
        }
        let total = a.count + (b?.count ?? 0)
        guard total > maxLength else { return }
        let toRemove = total - maxLength
        switch strategy {
        case .longestFirst:
            if var other = b {
                var n1 = a.count, n2 = other.count
                let swap = n1 > n2
                if swap { (n1, n2) = (n2, n1) }
                n2 = n1 > maxLength ? n1 : max(n1, maxLength - n1)
                if n1 + n2 > maxLength {
                    n1 = maxLength / 2
                    n2 = n1 + maxLength % 2
                }
                if swap { (n1, n2) = (n2, n1) }
                a.truncate(n1, direction: direction)
                other.truncate(n2, direction: direction)
                b = other
            } else {
                a.truncate(total - toRemove, direction: direction)
            }
        case .onlyFirst, .onlySecond:
            if strategy == .onlyFirst {
                guard a.count > toRemove else { throw TokenizerError.truncation("the first sequence is too short to remove \(toRemove) tokens") }
                a.truncate(a.count - toRemove, direction: direction)
            } else {
                guard var other = b else { throw TokenizerError.truncation("only_second needs a pair of sequences") }
                guard other.count > toRemove else { throw TokenizerError.truncation("the second sequence is too short to remove \(toRemove) tokens") }
                other.truncate(other.count - toRemove, direction: direction)
                b = other
            }
        }
    }
}

/// Padding settings (tokenizer.json `padding`, tokenizers `PaddingParams`).
public struct Padding: Sendable, Equatable {
    public enum Direction: String, Sendable { case left = "Left", right = "Right" }
    /// Pad to the longest encoding of the batch, or to a fixed length.
    public enum Strategy: Sendable, Equatable { case batchLongest, fixed(Int) }
    public var strategy: Strategy
    public var direction: Direction
    public var padToMultipleOf: Int?
    public var padId: Int
    public var padTypeId: Int
    public var padToken: String

    public init(strategy: Strategy = .batchLongest, direction: Direction = .right, padToMultipleOf: Int? = nil,
                padId: Int = 0, padTypeId: Int = 0, padToken: String = "[PAD]") {
        self.strategy = strategy
        self.direction = direction
        self.padToMultipleOf = padToMultipleOf
        self.padId = padId
        self.padTypeId = padTypeId
        self.padToken = padToken
    }

    init(_ c: JSONConfig) throws {
        strategy = .batchLongest
        if let s = try c.optional("strategy") {
            if case .string(let name) = s.value {
                guard name == "BatchLongest" else { throw TokenizerError.unknownType(component: "padding strategy", type: name, path: s.path) }
            } else {
                strategy = .fixed(try s.required("Fixed").index())
            }
        }
        let d = try c.stringIfPresent("direction") ?? "Right"
        guard let dir = Direction(rawValue: d) else { throw TokenizerError.unknownType(component: "padding direction", type: d, path: c.path) }
        direction = dir
        padToMultipleOf = try c.optional("pad_to_multiple_of").map { try $0.index() }
        padId = try c.optional("pad_id").map { try $0.index() } ?? 0
        padTypeId = try c.optional("pad_type_id").map { try $0.index() } ?? 0
        padToken = try c.stringIfPresent("pad_token") ?? "[PAD]"
    }

    /// Pads a batch in place (tokenizers `pad_encodings`).
    public func apply(_ batch: inout [Encoding]) {
        guard !batch.isEmpty else { return }
        var length: Int
        switch strategy {
        case .fixed(let n): length = n
        case .batchLongest: length = batch.map(\.count).max() ?? 0
        }
        if let m = padToMultipleOf, m > 0, length % m > 0 { length += m - length % m }
        for i in batch.indices {
            batch[i].pad(to: length, padId: padId, padTypeId: padTypeId, padToken: padToken, direction: direction)
        }
    }
}
