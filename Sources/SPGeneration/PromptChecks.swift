// Checks on prompts and results that are not part of the caikit formats themselves.

import Foundation

extension ProducerId {
    /// caikit-nlp's plain base-model module (`TextGeneration`: `name` "Text Generation",
    /// `version` "0.1.0"), the producer of results made without a soft prompt.
    public static let textGeneration = ProducerId(name: "Text Generation", version: "0.1.0")
}

extension TunedPrompt {
    /// Throws when the prompt holds NaN or infinite values (a diverged training run): generating
    /// with it would silently produce empty or garbage text.
    func checkFinite(_ directory: String) throws {
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw GenerationError.badPromptDirectory(
                path: directory, reason: "the prompt holds \(values[i]) at row \(i / max(1, tokenDim)) (not a finite number)",
                hint: "the training diverged; retrain it with a lower learning rate")
        }
    }
}
