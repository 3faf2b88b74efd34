import Foundation

/// Every failure of a chat template: text that is not valid Jinja, a filter or test Jinja does not
/// have, the template's own `raise_exception(…)`, or an operation Jinja would reject while rendering
/// (an undefined value in arithmetic, adding a string to a number, …). Messages give the template
/// line where one is known.
public enum ChatTemplateError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The template is not valid Jinja: an unknown tag, an unexpected token, a block never closed.
    case syntax(line: Int, message: String)
    /// A filter (`x | name`) that Jinja does not define; Jinja rejects it when compiling, even in a
    /// branch that never runs.
    case unknownFilter(name: String, line: Int)
    /// A test (`x is name`) that Jinja does not define; rejected when compiling, like filters.
    case unknownTest(name: String, line: Int)
    /// The template called `raise_exception(message)`; `message` is the template's text, unchanged.
    case raised(message: String)
    /// Rendering failed where Jinja fails too (Jinja's `UndefinedError`, `TypeError`, …).
    case render(line: Int, message: String)
    /// A Jinja feature this interpreter does not implement (for example the `urlize` filter).
    case unsupported(line: Int, feature: String)
    /// There is no template to apply (the tokenizer files carry none).
    case missingTemplate(String)
    /// An argument of `render` that cannot be passed to the template.
    case argument(String)

    public var description: String {
        switch self {
        case .syntax(let line, let message):
            return "chat template line \(line): \(message)"
        case .unknownFilter(let name, let line):
            return "chat template line \(line): no filter named '\(name)' (HINT: Jinja's filters are listed at "
                + "jinja.palletsprojects.com; transformers adds only `tojson`)"
        case .unknownTest(let name, let line):
            return "chat template line \(line): no test named '\(name)' (HINT: `x is defined`, `is none`, "
                + "`is string`, … are Jinja's tests)"
        case .raised(let message):
            return message
        case .render(let line, let message):
            return line > 0 ? "chat template line \(line): \(message)" : "chat template: \(message)"
        case .unsupported(let line, let feature):
            return "chat template line \(line): \(feature) is not supported by SoftPrompt's Jinja interpreter"
        case .missingTemplate(let message):
            return "no chat template: \(message)"
        case .argument(let message):
            return "chat template argument: \(message)"
        }
    }
}
