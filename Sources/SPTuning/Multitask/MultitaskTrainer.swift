// Multitask prompt tuning's optimizer loop: each micro-batch may mix tasks. Its rows are grouped
// by task; each group runs the model's PromptStep with its task's prompt (same padded length, so
// every row computes exactly what it does in the whole batch), and the groups' losses and prompt
// gradients are recombined with weights N_k / N (N_k the group's counted target tokens), which
// gives PEFT's loss of the whole batch (the mean over all its target tokens) and its gradient.

import SPModels
import SPPrompt
import SPTensor

/// Trains a multitask prompt `[P | U | V]` (see ``MultitaskLayout``) for a frozen ``LanguageModel``.
public final class MultitaskTrainer {
    public let model: any LanguageModel
    public let layout: MultitaskLayout
    /// The flat parameters `[P | U | V]` (float32 master copy).
    public let parameters: Tensor
    /// AdamW over P, U and V together.
    public private(set) lazy var optimizer = AdamW(count: layout.count, weightDecay: weightDecay)
    let weightDecay: Double
    let step: any PromptStep
    let grad: Tensor
    let taskPrompt: Tensor, taskGrad: Tensor, work: Tensor
    /// Micro-batches accumulated since the last optimizer step.
    public private(set) var pending = 0

    /// - Parameters:
    ///   - initial: P, U and V to start from (their shapes set the layout).
    ///   - step: the model's step (a seq2seq placement's); nil: `model.makePromptStep(checkpointing:)`.
    public init(model: any LanguageModel, initial: PromptTensors, weightDecay: Double = 0.01,
                checkpointing: Bool = false, step: (any PromptStep)? = nil) {
        guard let m = initial.multitask else { preconditionFailure("a multitask trainer needs U and V") }
        precondition(initial.tokenDim == model.inputWidth, "prompt width \(initial.tokenDim) for input width \(model.inputWidth)")
        let layout = MultitaskLayout(rows: initial.rows, tokenDim: initial.tokenDim, numTasks: m.numTasks, numRanks: m.numRanks)
        self.layout = layout
        self.model = model
        parameters = Tensor(shape: [layout.count], values: layout.flatten(initial))
        grad = Tensor(shape: [layout.count])
        taskPrompt = Tensor(shape: [initial.rows, initial.tokenDim])
        taskGrad = Tensor(shape: [initial.rows, initial.tokenDim])
        work = Tensor(shape: [initial.rows, initial.tokenDim])
        self.weightDecay = weightDecay
        self.step = step ?? model.makePromptStep(checkpointing: checkpointing)
    }

    /// The current P, U and V.
    public var tensors: PromptTensors { layout.tensors(parameters.data) }

    /// Forward + backward of one micro-batch whose row b belongs to task `tasks[b]`; adds
    /// `lossScale` · d(batch loss)/d[P | U | V] to the accumulated gradient.
    /// - Throws: ``TuningError/invalidParameter(field:value:hint:)`` for a task outside 0..<K.
    public func microStep(_ batch: Batch, tasks: [Int], lossScale: Float) throws -> PromptStepResult {
        let r = try run(batch, tasks: tasks, lossScale: lossScale, train: true)
        pending += 1
        return r
    }

    /// Loss and exact-match count of a batch without gradient (evaluation).
    public func evaluate(_ batch: Batch, tasks: [Int]) throws -> PromptStepResult {
        try run(batch, tasks: tasks, lossScale: 1, train: false)
    }

    /// Applies AdamW with the accumulated gradient at learning rate `lr`, then clears the gradient.
    public func optimizerStep(learningRate lr: Double) {
        optimizer.step(param: parameters.data, grad: grad.data, lr: lr)
        grad.zero()
        pending = 0
    }

    func run(_ batch: Batch, tasks: [Int], lossScale: Float, train: Bool) throws -> PromptStepResult {
        precondition(tasks.count == batch.batchSize, "\(tasks.count) task ids for \(batch.batchSize) rows")
        if let bad = tasks.first(where: { $0 < 0 || $0 >= layout.numTasks }) {
            throw TuningError.invalidParameter(field: "task_id", value: "\(bad)",
                                               hint: "task ids run from 0 to num_tasks - 1 (\(layout.numTasks - 1))")
        }
        let input = batch.modelInput
        var groups: [(task: Int, grad: [Float]?, result: PromptStepResult)] = []
        for k in Set(tasks).sorted() {
            let rows = tasks.indices.filter { tasks[$0] == k }
            layout.prompt(parameters.data, task: k, into: taskPrompt.data)
            if train { taskGrad.zero() }
            let res = try step.run(prompt: taskPrompt, input: input.rows(rows), accumulate: train ? taskGrad.data : nil, scale: 1)
            groups.append((k, train ? taskGrad.array : nil, res))
        }
        let total = groups.reduce(0) { $0 + $1.result.tokens }
        var loss: Float = total > 0 ? 0 : .nan
        for g in groups where g.result.tokens > 0 {
            let weight = Float(g.result.tokens) / Float(total)
            loss += weight * g.result.loss
            if let d = g.grad {
                d.withUnsafeBufferPointer {
                    layout.backward(parameters.data, task: g.task, dPrompt: $0.baseAddress!, scale: lossScale * weight,
                                    grad: grad.data, work: work.data)
                }
            }
        }
        return PromptStepResult(loss: loss, tokens: total, exactMatches: groups.reduce(0) { $0 + $1.result.exactMatches })
    }
}

extension PromptBatchInput {
    /// The rows `rows` of this batch, at the same padded length.
    func rows(_ rows: [Int]) -> PromptBatchInput {
        func pick(_ a: [Int], _ width: Int) -> [Int] { rows.flatMap { a[($0 * width)..<(($0 + 1) * width)] } }
        return PromptBatchInput(batch: rows.count, length: length, inputIds: pick(inputIds, length),
                                attentionMask: pick(attentionMask, length), labels: pick(labels, targetLength),
                                targetLength: targetLength)
    }
}
