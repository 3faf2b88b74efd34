// caikit-nlp's `GenerationTrainRecord` and the conversion of `ClassificationTrainRecord` to it
// (peft_prompt_tuning.py `convert_to_generation_record`).

import SPJSON
import SPPrompt

/// The task a record belongs to (multitask prompt tuning).
public enum TaskLabel: Sendable, Equatable, Hashable {
    /// `task_id`: a 0-based integer (a CSV cell of digits too).
    case id(Int)
    /// `task`: a name, mapped to an id by ``TaskAssignment``.
    case name(String)

    /// Reads `task_id` / `task` from a record object; nil when neither is present.
    init?(_ o: JSONObject, file: String, index: Int) throws {
        let id = o["task_id"].flatMap { $0 == .null ? nil : $0 }, name = o["task"].flatMap { $0 == .null ? nil : $0 }
        if id != nil && name != nil {
            throw TuningError.badRecord(file: file, record: index, reason: "both `task_id` and `task`; give one")
        }
        if let id {
            switch id {
            case .int(let i) where i >= 0: self = .id(i)
            case .string(let s) where Int(s).map({ $0 >= 0 }) == true: self = .id(Int(s)!)
            default:
                throw TuningError.badRecord(file: file, record: index, reason: "`task_id` must be an integer ≥ 0, got \(id.typeName) \(id.brief)")
            }
        } else if let name {
            guard case .string(let s) = name, !s.isEmpty else {
                throw TuningError.badRecord(file: file, record: index, reason: "`task` must be a non-empty string, got \(name.typeName) \(name.brief)")
            }
            self = .name(s)
        } else {
            return nil
        }
    }
}

/// One training example: a source text and the target text the model must produce.
public struct TrainRecord: Sendable, Equatable, Hashable {
    /// `input`: rendered through the verbalizer to form the source.
    public var input: String
    /// `output`: the target.
    public var output: String
    /// The record's task for multitask prompt tuning: a `task_id` integer or a `task` name (nil:
    /// task 0). Not a caikit field.
    public var task: TaskLabel?

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
        task = try TaskLabel(o, file: file, index: index)
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
