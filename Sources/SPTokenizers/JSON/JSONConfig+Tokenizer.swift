// tokenizer.json reading on top of SPJSON's path reader: the few typed getters only pipelines need,
// and the one place where SPJSON's errors become ``TokenizerError``s.

import Foundation
import SPJSON

extension JSONConfig {
    /// The `type` field of a pipeline stage.
    func typeName() throws -> String { try required("type").string() }

    /// A non-negative integer that fits in an `Int32` (token ids, lengths).
    func index() throws -> Int {
        let i = try int()
        guard i >= 0, i <= Int(Int32.max) else { throw invalid("expected a non-negative id, found \(i)") }
        return i
    }

    /// A single Unicode scalar given as a one-character string (Metaspace, Strip).
    func scalar(_ key: String) throws -> Unicode.Scalar {
        let c = try required(key)
        let s = try c.string()
        let scalars = Array(s.unicodeScalars)
        guard scalars.count == 1 else { throw c.invalid("expected exactly one character, found \"\(s)\"") }
        return scalars[0]
    }
}

extension TokenizerError {
    /// The tokenizer error for an SPJSON error: syntax errors keep their byte offset, field errors
    /// their JSON path.
    init(_ e: JSONError) {
        switch e {
        case let .syntax(_, offset, reason): self = .json(offset: offset, message: reason)
        case let .unreadable(file, reason): self = .io(path: file, message: reason)
        case .missingField: self = .schema(path: e.field, message: "required field is missing")
        case let .wrongType(_, field, expected, found):
            self = .schema(path: field.isEmpty ? "(root)" : field, message: "expected \(expected), found \(found)")
        case let .unknownKey(_, field, _): self = .schema(path: field, message: "unknown key")
        case let .invalidValue(_, field, reason): self = .schema(path: field.isEmpty ? "(root)" : field, message: reason)
        }
    }

    /// Runs `body`, turning an SPJSON error into a ``TokenizerError``.
    static func reading<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as JSONError { throw TokenizerError(e) }
    }
}

extension Tokenizer {
    /// Parses JSON text; errors are ``TokenizerError/json(offset:message:)``.
    static func parseJSON(_ data: Data) throws -> JSONValue {
        try TokenizerError.reading { try JSONValue.parse(data) }
    }
}
