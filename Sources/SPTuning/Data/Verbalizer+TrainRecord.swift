// Training-time rendering of SPPrompt's verbalizer against a training record.

import SPPrompt

extension Verbalizer {
    /// Training-time rendering: `{{input}}` and `{{output}}` are available, as in caikit (which
    /// renders against the `GenerationTrainRecord`; an `{{output}}` placeholder leaks the label).
    public func render(_ record: TrainRecord) throws -> String {
        try render(["input": record.input, "output": record.output])
    }
}
