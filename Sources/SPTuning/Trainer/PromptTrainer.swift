// The prompt-tuning step: prepend the soft prompt the way PEFT does, run the frozen model forward and
// backward to its inputs, accumulate d(prompt) over micro-batches, and step AdamW.

import SPModels
import SPTensor

/// Trains one soft prompt `[numVirtualTokens, E]` for a frozen ``DecoderModel``.
///
/// Per micro-batch, like `PeftModelForCausalLM.forward` for prompt tuning: the prompt rows go in
/// front of every row's token embeddings, the attention mask gets ones in front and the labels -100.
/// The prompt's gradient is the sum over the batch of the gradient rows at the prompt positions;
/// the prompt's rows, identical in every row, are computed once per batch
/// (``DecoderModel/promptLossAndGradient(prompt:embeds:mask:labels:batch:virtualTokens:tokens:dPrompt:scale:workspace:hits:)``).
/// The prompt and the optimizer state are float32 whatever the weights' storage dtype.
public final class PromptTrainer {
    public let model: DecoderModel
    /// The trainable prompt `[V, E]` (float32 master copy).
    public let prompt: Tensor
    /// AdamW over the prompt (created at the first step, so a zero-row prompt can still evaluate).
    public private(set) lazy var optimizer = AdamW(count: max(1, prompt.count), weightDecay: weightDecay)
    let weightDecay: Double
    public var numVirtualTokens: Int { prompt.shape[0] }
    let workspace: TrainingWorkspace
    let promptWorkspace: PromptTrainingWorkspace
    /// d(prompt) of one micro-batch, summed over its rows.
    let promptGrad: Tensor
    let grad: Tensor
    let embeds = Tensor(shape: [0]), dEmbeds = Tensor(shape: [0])
    var ids: [Int32] = [], mask: [Int32] = [], labels: [Int32] = [], hits: [Int32] = []
    /// Micro-batches accumulated since the last optimizer step.
    public private(set) var pending = 0

    public init(model: DecoderModel, initialPrompt: Tensor, weightDecay: Double = 0.01,
                checkpointing: Bool = false) {
        precondition(initialPrompt.shape.count == 2 && initialPrompt.shape[1] == model.inputWidth,
                     "prompt \(initialPrompt.shape) for input width \(model.inputWidth)")
        self.model = model
        prompt = Tensor(shape: initialPrompt.shape, values: initialPrompt.array)
        self.weightDecay = weightDecay
        grad = Tensor(shape: initialPrompt.shape)
        promptGrad = Tensor(shape: initialPrompt.shape)
        workspace = TrainingWorkspace(checkpointing: checkpointing)
        promptWorkspace = PromptTrainingWorkspace(checkpointing: checkpointing)
    }

    /// Result of one forward (and backward) over a batch.
    public struct StepResult: Sendable {
        /// Mean loss over the counted target tokens (unscaled).
        public var loss: Float
        /// Counted target tokens.
        public var tokens: Int
        /// Examples whose every target token is the greedy (argmax) prediction.
        public var exactMatches: Int
    }

    /// Forward + backward of one micro-batch; adds `lossScale`·d(prompt) to the accumulated gradient.
    public func microStep(_ batch: Batch, lossScale: Float) throws -> StepResult {
        try run(batch, train: true, lossScale: lossScale)
    }

    /// Loss and exact-match count of a batch without gradient (evaluation).
    public func evaluate(_ batch: Batch) throws -> StepResult {
        try run(batch, train: false, lossScale: 1)
    }

    /// Applies AdamW with the accumulated gradient at learning rate `lr`, then clears the gradient.
    public func optimizerStep(learningRate lr: Double) {
        optimizer.step(param: prompt.data, grad: grad.data, lr: lr)
        grad.zero()
        pending = 0
    }

    func run(_ batch: Batch, train: Bool, lossScale: Float) throws -> StepResult {
        let b = batch.batchSize, l = batch.length, v = numVirtualTokens, t = l + v, e = model.inputWidth
        // With a prompt, only the token rows are embedded: the prompt's rows are computed once for
        // the batch (DecoderModel.promptLossAndGradient); without one (or without tokens), the plain
        // batch step on the concatenated rows.
        let shared = v > 0 && l > 0
        embeds.reshape([b, t, e])
        if train && !shared { dEmbeds.reshape([b, t, e]) }
        resize(&ids, b * l); resize(&mask, b * t); resize(&labels, b * t); resize(&hits, b * t)
        for i in 0..<(b * l) {
            let id = batch.inputIds[i]
            guard id >= 0 && id < model.head.vocab else {
                throw ModelError.invalidInput("token id \(id) outside the vocabulary of \(model.head.vocab)")
            }
            ids[i] = Int32(id)
        }
        for r in 0..<b {
            let row = embeds.data + r * (shared ? l : t) * e
            if !shared { row.update(from: prompt.data, count: v * e) }
            ids.withUnsafeBufferPointer { p in
                Embedding.forwardUnchecked(ids: p.baseAddress! + r * l, count: l, table: model.tokenEmbedding,
                                           shared ? row : row + v * e)
            }
            for j in 0..<v { mask[r * t + j] = 1; labels[r * t + j] = -100 }
            for j in 0..<l {
                mask[r * t + v + j] = Int32(batch.attentionMask[r * l + j])
                labels[r * t + v + j] = Int32(batch.labels[r * l + j])
            }
        }
        let (loss, count) = try hits.withUnsafeMutableBufferPointer { h in
            if !shared {
                return try model.lossAndGradient(embeds: embeds.data, mask: mask, labels: labels, batch: b, tokens: t,
                                                 dEmbeds: train ? dEmbeds.data : nil, scale: lossScale,
                                                 workspace: workspace, hits: h.baseAddress!)
            }
            return try model.promptLossAndGradient(
                prompt: prompt.data, embeds: embeds.data, mask: mask, labels: labels, batch: b, virtualTokens: v,
                tokens: l, dPrompt: train ? promptGrad.data : nil, scale: lossScale, workspace: promptWorkspace,
                hits: h.baseAddress!)
        }
        if train {
            // Σ over the batch of the prompt rows' gradient (already summed on the shared path).
            for r in 0..<(shared ? 1 : b) {
                let d = shared ? promptGrad.data : dEmbeds.data + r * t * e
                for i in 0..<(v * e) { grad.data[i] += d[i] }
            }
            pending += 1
        }
        var exact = 0
        for r in 0..<b where (0..<t).allSatisfy({ hits[r * t + $0] != 0 }) { exact += 1 }
        return StepResult(loss: loss, tokens: count, exactMatches: exact)
    }

    private func resize(_ a: inout [Int32], _ n: Int) {
        if a.count < n { a = [Int32](repeating: 0, count: n) }
    }
}
