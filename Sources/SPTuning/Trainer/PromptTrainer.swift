// The prompt-tuning optimizer loop around the model seam: the model's PromptStep runs the frozen
// model forward and backward to the prompt; this accumulates d(prompt) over micro-batches and steps AdamW.

import SPModels
import SPPrompt
import SPTensor

/// Trains one soft prompt `[numVirtualTokens, E]` for a frozen ``LanguageModel``.
///
/// Per micro-batch the model's ``PromptStep`` runs PEFT's prompt-tuning forward and backward (the
/// prompt rows in front of every row's token embeddings) and adds the batch's d(prompt) to the
/// accumulated gradient; ``optimizerStep(learningRate:)`` applies AdamW. The prompt and the
/// optimizer state are float32 whatever the weights' storage dtype.
public final class PromptTrainer {
    public let model: any LanguageModel
    /// The trainable prompt `[V, E]` (float32 master copy).
    public let prompt: Tensor
    /// AdamW over the prompt (created at the first step, so a zero-row prompt can still evaluate).
    public private(set) lazy var optimizer = AdamW(count: max(1, prompt.count), weightDecay: weightDecay)
    let weightDecay: Double
    public var numVirtualTokens: Int { prompt.shape[0] }
    let step: any PromptStep
    let grad: Tensor
    /// Micro-batches accumulated since the last optimizer step.
    public private(set) var pending = 0
    /// Multitask prompt tuning: the trainer of P, U and V that the steps go to (each batch row's
    /// task from `Batch.taskIds`); ``prompt`` then mirrors P after every optimizer step.
    public let multitask: MultitaskTrainer?

    /// - Parameter step: the model's step to use (``LanguageModel/makePromptStep(checkpointing:placement:)``
    ///   for a seq2seq placement); nil: `model.makePromptStep(checkpointing:)`.
    public init(model: any LanguageModel, initialPrompt: Tensor, weightDecay: Double = 0.01,
                checkpointing: Bool = false, step: (any PromptStep)? = nil, multitask: PromptTensors? = nil) {
        precondition(initialPrompt.shape.count == 2 && initialPrompt.shape[1] == model.inputWidth,
                     "prompt \(initialPrompt.shape) for input width \(model.inputWidth)")
        self.model = model
        prompt = Tensor(shape: initialPrompt.shape, values: initialPrompt.array)
        self.weightDecay = weightDecay
        grad = Tensor(shape: initialPrompt.shape)
        let step = step ?? model.makePromptStep(checkpointing: checkpointing)
        self.step = step
        self.multitask = multitask.map { MultitaskTrainer(model: model, initial: $0, weightDecay: weightDecay, step: step) }
    }

    /// Result of one forward (and backward) over a batch.
    public typealias StepResult = PromptStepResult

    /// Forward + backward of one micro-batch; adds `lossScale`·d(prompt) to the accumulated gradient.
    public func microStep(_ batch: Batch, lossScale: Float) throws -> StepResult {
        if let m = multitask { pending += 1; return try m.microStep(batch, tasks: batch.taskIds, lossScale: lossScale) }
        let r = try step.run(prompt: prompt, input: batch.modelInput, accumulate: grad.data, scale: lossScale)
        pending += 1
        return r
    }

    /// Loss and exact-match count of a batch without gradient (evaluation).
    public func evaluate(_ batch: Batch) throws -> StepResult {
        if let m = multitask { return try m.evaluate(batch, tasks: batch.taskIds) }
        return try step.run(prompt: prompt, input: batch.modelInput, accumulate: nil, scale: 1)
    }

    /// Applies AdamW with the accumulated gradient at learning rate `lr`, then clears the gradient.
    public func optimizerStep(learningRate lr: Double) {
        if let m = multitask {
            m.optimizerStep(learningRate: lr)
            prompt.data.update(from: m.parameters.data, count: prompt.count)
            pending = 0
            return
        }
        optimizer.step(param: prompt.data, grad: grad.data, lr: lr)
        grad.zero()
        pending = 0
    }
}

extension Batch {
    /// The batch as the model seam takes it.
    var modelInput: PromptBatchInput {
        PromptBatchInput(batch: batchSize, length: length, inputIds: inputIds, attentionMask: attentionMask, labels: labels,
                         targetLength: targetLength)
    }
}
