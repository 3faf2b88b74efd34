// caikit-nlp's verbalizer (toolkit/verbalizer_utils.py): `{{field}}` placeholders replaced by record
// fields. The scanner reproduces `re.sub(r"{{([_a-zA-Z0-9]+)}}", …)` exactly, including its
// leftmost-match behaviour on runs of braces (`"{{{input}}}"` → `"{" + input + "}"`).

/// A verbalizer template such as `"Tweet text : {{input}} Label : "`.
///
/// Placeholders are `{{name}}` with `name` matching `[_a-zA-Z0-9]+` — double braces, no spaces;
/// anything else (`{{ input }}`, `{input}`) is literal text. A valid template has at least one.
///
/// ```swift
/// let v = try Verbalizer("Tweet text : {{input}} Label : ")
/// let source = try v.render(record)            // training: {{input}} and {{output}} available
/// let prompt = try v.render(input: "@foo hi")  // inference: only {{input}}
/// ```
public struct Verbalizer: Sendable, Equatable {
    /// The template text.
    public let template: String
    /// Placeholder names in order of appearance (repeats kept).
    public let placeholders: [String]

    /// Parses `template`.
    /// - Throws: ``TuningError/invalidVerbalizer(template:)`` when it has no placeholder (caikit
    ///   `<NLP83837412E>`).
    public init(_ template: String) throws {
        self.template = template
        placeholders = Self.scan(template).compactMap { if case .field(let f) = $0 { return f } else { return nil } }
        guard !placeholders.isEmpty else { throw TuningError.invalidVerbalizer(template: template) }
    }

    /// caikit `is_valid_verbalizer`: at least one renderable placeholder.
    public static func isValid(_ template: String) -> Bool {
        scan(template).contains { if case .field = $0 { return true } else { return false } }
    }

    /// Renders against named string values.
    /// - Throws: ``TuningError/unknownVerbalizerField(field:template:available:)`` for a placeholder
    ///   missing from `values` (caikit `<NLP97415192E>`).
    public func render(_ values: [String: String]) throws -> String {
        var out = ""
        for piece in Self.scan(template) {
            switch piece {
            case .literal(let s): out += s
            case .field(let f):
                guard let v = values[f] else {
                    throw TuningError.unknownVerbalizerField(field: f, template: template,
                                                             available: values.keys.sorted())
                }
                out += v
            }
        }
        return out
    }

    /// Inference-time rendering: only `{{input}}` is available.
    public func render(input: String) throws -> String { try render(["input": input]) }

    enum Piece: Equatable { case literal(String), field(String) }

    /// Splits the template into literal runs and placeholders, scanning left to right like `re.sub`.
    static func scan(_ template: String) -> [Piece] {
        let s = Array(template.unicodeScalars)
        var pieces: [Piece] = []
        var literal = String.UnicodeScalarView()
        var i = 0
        func isWord(_ c: Unicode.Scalar) -> Bool {
            c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
        }
        while i < s.count {
            if s[i] == "{", i + 1 < s.count, s[i + 1] == "{" {
                var j = i + 2
                while j < s.count, isWord(s[j]) { j += 1 }
                if j > i + 2, j + 1 < s.count, s[j] == "}", s[j + 1] == "}" {
                    if !literal.isEmpty { pieces.append(.literal(String(literal))); literal = .init() }
                    pieces.append(.field(String(String.UnicodeScalarView(s[(i + 2)..<j]))))
                    i = j + 2
                    continue
                }
            }
            literal.append(s[i])
            i += 1
        }
        if !literal.isEmpty { pieces.append(.literal(String(literal))) }
        return pieces
    }
}
