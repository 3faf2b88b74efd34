// Errors for kernel inputs that come from outside the program (token ids, labels, config strings).
// Internal invariants (matching dimensions, pointer sizes) stay preconditions.

/// A kernel input that came from outside (data files, config.json) and is not valid.
public enum KernelInputError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A token id at `position` of the id buffer is not in `0..<vocabSize`.
    case tokenIdOutOfRange(id: Int, position: Int, vocabSize: Int)
    /// A label at `position` is neither the ignore index nor in `0..<vocabSize`.
    case labelOutOfRange(label: Int, position: Int, vocabSize: Int, ignoreIndex: Int)
    /// An activation name from a config field that transformers does not define.
    case unknownActivation(name: String, field: String)
    /// An activation transformers defines but SoftPrompt does not implement.
    case unsupportedActivation(name: String, field: String)

    /// A message naming the offending value and where it was found, with a hint.
    public var description: String {
        switch self {
        case let .tokenIdOutOfRange(id, position, vocabSize):
            return "token id \(id) at position \(position) is outside the embedding table (vocab size "
                + "\(vocabSize)); hint: the tokenizer and the model's config.json disagree on vocab_size"
        case let .labelOutOfRange(label, position, vocabSize, ignoreIndex):
            return "label \(label) at position \(position) is outside 0..<\(vocabSize) and is not the "
                + "ignore index \(ignoreIndex); hint: labels must be token ids of this model's tokenizer"
        case let .unknownActivation(name, field):
            return "config field \"\(field)\" names an unknown activation \"\(name)\"; supported: "
                + Activation.configNames.joined(separator: ", ")
        case let .unsupportedActivation(name, field):
            return "config field \"\(field)\" names activation \"\(name)\", which transformers defines but "
                + "SoftPrompt does not implement; supported: " + Activation.configNames.joined(separator: ", ")
        }
    }
}
