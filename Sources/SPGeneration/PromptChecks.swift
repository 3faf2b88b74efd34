// Checks on prompts and results that are not part of the caikit formats themselves.

import Foundation

extension ProducerId {
    /// caikit-nlp's plain base-model module (`TextGeneration`: `name` "Text Generation",
    /// `version` "0.1.0"), the producer of results made without a soft prompt.
    public static let textGeneration = ProducerId(name: "Text Generation", version: "0.1.0")
}
