// The one error type of SPTuning and SPPrompt (saved prompts). Every case names the offending field,
// file or key and carries a hint, because these errors reach users of the CLI and the HTTP server verbatim.

/// Errors thrown by SPTuning for anything that comes from outside: parameters, config files,
/// training data, saved prompts.
///
/// Messages follow one shape: what is wrong, which field/file/record, and a `hint:` with the fix.
/// Where caikit-nlp raises the same condition, the caikit log code is quoted (e.g. `<NLP46653367E>`)
/// so that users coming from caikit recognise it.
public enum TuningError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A parameter has a value outside its domain.
    case invalidParameter(field: String, value: String, hint: String)
    /// A required parameter is absent.
    case missingParameter(field: String, hint: String)
    /// A config file or request body has a key this module does not know.
    case unknownKey(key: String, context: String, allowed: [String])
    /// A config file could not be parsed or has a value of the wrong type.
    case malformedConfig(source: String, reason: String)
    /// Training or validation data is empty.
    case emptyData(field: String, hint: String)
    /// More training records than the configured `training_data_limit` allows.
    case tooManyExamples(count: Int, limit: Int, model: String)
    /// The verbalizer template is not a string with at least one `{{field}}` placeholder.
    case invalidVerbalizer(template: String)
    /// The verbalizer asks for a field the record does not have.
    case unknownVerbalizerField(field: String, template: String, available: [String])
    /// A record in a data file is malformed; `record` is the 0-based record index when known.
    case badRecord(file: String, record: Int?, reason: String)
    /// A data file is not valid UTF-8.
    case notUTF8(file: String)
    /// The device is not one this build can run on.
    case unsupportedDevice(String)
    /// A binary or text file we read (`.pt`, zip, pickle, safetensors, `config.yml`) is malformed.
    case badFile(file: String, reason: String)
    /// A file-system operation failed.
    case io(path: String, reason: String)

    /// The message shown to users: problem, offending field/file, and a hint.
    public var description: String {
        switch self {
        case let .invalidParameter(field, value, hint):
            return "invalid value \(value) for `\(field)`; hint: \(hint)"
        case let .missingParameter(field, hint):
            return "missing `\(field)`; hint: \(hint)"
        case let .unknownKey(key, context, allowed):
            return "unknown key `\(key)` in \(context); hint: allowed keys are \(allowed.joined(separator: ", "))"
        case let .malformedConfig(source, reason):
            return "cannot read \(source): \(reason); hint: check the file against the documented caikit field names"
        case let .emptyData(field, hint):
            return "`\(field)` cannot be empty (caikit <NLP46653367E>); hint: \(hint)"
        case let .tooManyExamples(count, limit, model):
            return "Number of examples (\(count)) exceeds the maximum number of examples allowed (\(limit)) "
                + "for this model (\(model)) (caikit <NLP77627434E>); hint: reduce the data or raise training_data_limit"
        case let .invalidVerbalizer(template):
            return "Provided verbalizer is an invalid type or has no renderable placeholders: \(quoted(template)) "
                + "(caikit <NLP83837412E>); hint: use placeholders like {{input}} (double braces, no spaces)"
        case let .unknownVerbalizerField(field, template, available):
            return "verbalizer \(quoted(template)) uses {{\(field)}} but the record has only "
                + "\(available.joined(separator: ", ")) (caikit <NLP97415192E>); "
                + "hint: at inference only {{input}} is available"
        case let .badRecord(file, record, reason):
            let at = record.map { " record \($0)" } ?? ""
            return "\(file)\(at): \(reason); hint: each record needs string fields `input` and `output` "
                + "(or `text` and `labels`)"
        case let .notUTF8(file):
            return "\(file) is not valid UTF-8; hint: re-encode the file as UTF-8"
        case let .unsupportedDevice(device):
            return "device \(quoted(device)) is not supported by this build; hint: this build supports only "
                + "`cpu` (caikit's `__DETECT__` selects it)"
        case let .badFile(file, reason):
            return "\(file): \(reason)"
        case let .io(path, reason):
            return "\(path): \(reason)"
        }
    }
}

package func quoted(_ s: String) -> String { "\"\(s)\"" }
