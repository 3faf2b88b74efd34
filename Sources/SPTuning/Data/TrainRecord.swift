// caikit-nlp's `GenerationTrainRecord` and the conversion of `ClassificationTrainRecord` to it
// (peft_prompt_tuning.py `convert_to_generation_record`).

import SPJSON
import SPPrompt

/// One training example: a source text and the target text the model must produce.
public struct TrainRecord: Sendable, Equatable, Hashable {
    /// `input`: rendered through the verbalizer to form the source.
    public var input: String
    /// `output`: the target.
    public var output: String

    /// Creates a record.
    public init(input: String, output: String) {
        self.input = input
        self.output = output
    }

    /// caikit's conversion of a `ClassificationTrainRecord{text, labels}`: `output = ",".join(labels)`.
    public init(text: String, labels: [String]) {
        self.init(input: text, output: labels.joined(separator: ","))
    }

    /// Parses one record object. Generation records have string fields `input` and `output`;
    /// classification records have `text` and `labels` (a list of strings or integers, or one string).
    /// Other fields are ignored, as caikit parses with `ignore_unknown_fields=True`.
    /// - Throws: ``TuningError/badRecord(file:record:reason:)`` naming `file` and `index`.
    public init(json value: JSONValue, file: String, index: Int) throws {
        guard case .object(let o) = value else {
            throw TuningError.badRecord(file: file, record: index, reason: "expected an object, got \(value.typeName)")
        }
        func string(_ key: String) throws -> String? {
            guard let v = o[key], v != .null else { return nil }
            guard case .string(let s) = v else {
                throw TuningError.badRecord(file: file, record: index,
                                            reason: "`\(key)` must be a string, got \(v.typeName) \(v.brief)")
            }
            return s
        }
        if let input = try string("input") {
            guard let output = try string("output") else {
                throw TuningError.badRecord(file: file, record: index, reason: "missing `output`")
            }
            self.init(input: input, output: output)
        } else if let text = try string("text") {
            self.init(text: text, labels: try Self.labels(o["labels"], file: file, index: index))
        } else if o["output"] != nil || o["labels"] != nil {
            throw TuningError.badRecord(file: file, record: index, reason: o["output"] != nil ? "missing `input`" : "missing `text`")
        } else {
            throw TuningError.badRecord(file: file, record: index,
                                        reason: "missing `input` (keys present: \(o.keys.sorted().joined(separator: ", ")))")
        }
    }

    private static func labels(_ value: JSONValue?, file: String, index: Int) throws -> [String] {
        func label(_ v: JSONValue) throws -> String {
            switch v {
            case .string(let s): return s
            case .int(let i): return String(i)
            default:
                throw TuningError.badRecord(file: file, record: index,
                                            reason: "`labels` entries must be strings, got \(v.typeName) \(v.brief)")
            }
        }
        switch value {
        case nil, .null?: throw TuningError.badRecord(file: file, record: index, reason: "missing `labels`")
        case .array(let a)?: return try a.map(label)
        case let v?: return [try label(v)]
        }
    }
}
