// Stop sequences matched on the generated text (not on token ids, which is what caikit-nlp's
// SequenceStoppingCriteria does: it stops when any single id of any stop sequence appears anywhere
// in the ids, prompt included), and the text of one row as it grows.

/// Finds the first stop sequence to complete in a growing text. Text is compared as Unicode
/// scalars (code points, like Python's `str`), exactly, with no normalisation.
public struct StopSequenceMatcher: Sendable, Equatable {
    let sequences: [[Unicode.Scalar]]
    /// Length of the longest stop sequence, in scalars.
    public let maxLength: Int

    public init(_ sequences: [String]) {
        self.sequences = sequences.map { Array($0.unicodeScalars) }.filter { !$0.isEmpty }
        maxLength = self.sequences.map(\.count).max() ?? 0
    }

    public var isEmpty: Bool { sequences.isEmpty }

    /// The match that ends first among those ending after `checkedUpTo` (the text length at the
    /// previous check); the longest one when two end at the same place. Nil when none.
    public func firstMatch(in text: [Unicode.Scalar], after checkedUpTo: Int) -> Range<Int>? {
        var best: Range<Int>?
        for s in sequences where s.count <= text.count {
            var start = max(0, checkedUpTo - s.count + 1)
            while start + s.count <= text.count {
                if text[start] == s[0], text[start..<(start + s.count)].elementsEqual(s) {
                    let r = start..<(start + s.count)
                    if best == nil || r.upperBound < best!.upperBound
                        || (r.upperBound == best!.upperBound && r.lowerBound < best!.lowerBound) {
                        best = r
                    }
                    break
                }
                start += 1
            }
        }
        return best
    }
}

/// The generated text of one row: incremental decoding, stop-sequence truncation, and the part
/// that may be streamed so far.
struct RowText {
    var decoder: IncrementalDecoder
    let stops: StopSequenceMatcher
    let includeStop: Bool
    private(set) var text: [Unicode.Scalar] = []
    private(set) var stopped = false
    private var emitted = 0

    init(decoder: IncrementalDecoder, stops: StopSequenceMatcher, includeStop: Bool) {
        self.decoder = decoder
        self.stops = stops
        self.includeStop = includeStop
    }

    /// Adds a token; true when a stop sequence has completed (the text is then cut there).
    mutating func push(_ id: Int) throws -> Bool {
        guard !stopped else { return true }
        append(try decoder.push(id))
        return stopped
    }

    /// Emits what the decoder still holds (at the end of generation).
    mutating func finish() throws {
        guard !stopped else { return }
        append(try decoder.flush())
    }

    private mutating func append(_ piece: String) {
        guard !piece.isEmpty else { return }
        let before = text.count
        text.append(contentsOf: piece.unicodeScalars)
        guard !stops.isEmpty, let m = stops.firstMatch(in: text, after: before) else { return }
        text.removeSubrange((includeStop ? m.upperBound : m.lowerBound)...)
        stopped = true
    }

    /// The text not yet handed out that can no longer change. While running with stop sequences
    /// that are cut off (`includeStop` false), the last `maxLength − 1` scalars are held back: they
    /// may begin a stop sequence.
    mutating func take(final: Bool) -> String {
        var end = text.count
        if !final && !stopped && !includeStop && !stops.isEmpty { end = max(emitted, text.count - (stops.maxLength - 1)) }
        guard end > emitted else { return "" }
        defer { emitted = end }
        return String(String.UnicodeScalarView(text[emitted..<end]))
    }

    var string: String { String(String.UnicodeScalarView(text)) }
}
