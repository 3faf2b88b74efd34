// Groups tokenized examples into padded [B, T] batches. Dynamic padding is the default; the
// max_length mode reproduces caikit's fixed layout for parity checks.

/// A padded batch, row-major `[batchSize, length]`.
public struct Batch: Sendable, Equatable {
    /// Rows `B`.
    public let batchSize: Int
    /// Columns `T`.
    public let length: Int
    /// `input_ids[B, T]`.
    public let inputIds: [Int]
    /// `attention_mask[B, T]`.
    public let attentionMask: [Int]
    /// `labels[B, T]`, aligned with `input_ids` (the model shifts them); for seq2seq
    /// `labels[B, targetLength]`, the decoder targets.
    public let labels: [Int]
    /// Columns of `labels`: `length` for causal LMs, the target length for seq2seq.
    public let targetLength: Int
    /// Indices of the examples in this batch, in row order.
    public let exampleIndices: [Int]
    /// Multitask prompt tuning: each row's task id (from ``Batcher/tasks``; all 0 when none are set).
    public var taskIds: [Int] = []

    /// Number of label positions that carry loss (labels ≠ -100).
    public var targetTokenCount: Int { labels.reduce(0) { $0 + ($1 == ExampleBuilder.ignoreIndex ? 0 : 1) } }
}

/// Cuts an epoch's causal-LM example order into batches of `batchSize` (the last one may be smaller, as
/// torch's `DataLoader` without `drop_last`) and pads each.
public struct Batcher: Sendable {
    /// The causal-LM examples, unpadded (``ExampleBuilder/causalLM(source:target:tokenizer:maxSourceLength:maxTargetLength:)``).
    public let examples: [TokenizedExample]
    /// Micro-batch size.
    public let batchSize: Int
    /// Dynamic (right-pad to the longest in the batch) or caikit's fixed `max_length`.
    public let padding: PaddingMode
    /// Pad id for `input_ids`.
    public let padTokenId: Int
    /// caikit's padding side, used only in ``PaddingMode/maxLength`` mode.
    public let paddingSide: PaddingSide
    /// The fixed length for ``PaddingMode/maxLength`` (caikit's `L`; for seq2seq `max_source_length`).
    public let fixedLength: Int
    /// Seq2seq layout (caikit `HFAutoSeq2SeqLM`): examples hold the source in `inputIds` and the
    /// target in `labels`, padded apart (labels with -100); in ``PaddingMode/maxLength`` mode the
    /// labels get this length (`max_target_length`). nil: causal-LM layout.
    public let targetFixedLength: Int?
    /// Multitask prompt tuning: the task id of each example (empty: every example is task 0).
    public var tasks: [Int] = []

    /// Creates a batcher.
    /// - Parameters:
    ///   - paddingSide: caikit's side for the fixed layout (``PaddingSide/caikit(modelName:)``);
    ///     dynamic padding always pads on the right, where a causal LM's result per example does
    ///     not depend on the padding.
    ///   - fixedLength: `max_source_length + max_target_length + 1` for causal LMs.
    public init(examples: [TokenizedExample], batchSize: Int, padding: PaddingMode, padTokenId: Int,
                paddingSide: PaddingSide, fixedLength: Int, targetFixedLength: Int? = nil) {
        precondition(batchSize > 0, "batch size must be positive")
        self.examples = examples
        self.batchSize = batchSize
        self.padding = padding
        self.padTokenId = padTokenId
        self.paddingSide = paddingSide
        self.fixedLength = fixedLength
        self.targetFixedLength = targetFixedLength
    }

    /// Number of batches per epoch: `ceil(examples / batchSize)`.
    public var batchesPerEpoch: Int { (examples.count + batchSize - 1) / batchSize }

    /// The batches of one epoch visiting examples in `order`.
    public func batches(order: [Int]) -> [Batch] {
        stride(from: 0, to: order.count, by: batchSize).map { start in
            batch(Array(order[start..<min(start + batchSize, order.count)]))
        }
    }

    /// One batch of the given example indices.
    public func batch(_ indices: [Int]) -> Batch {
        var b = paddedBatch(indices)
        b.taskIds = indices.map { tasks.isEmpty ? 0 : tasks[$0] }
        return b
    }

    private func paddedBatch(_ indices: [Int]) -> Batch {
        let rows = indices.map { examples[$0] }
        if let targetFixed = targetFixedLength { return seq2seqBatch(indices, rows, targetFixed: targetFixed) }
        let (T, side): (Int, PaddingSide) = padding == .maxLength
            ? (fixedLength, paddingSide)
            : (rows.map(\.count).max() ?? 0, .right)
        let padded = rows.map { ExampleBuilder.pad($0, to: T, padId: padTokenId, side: side) }
        return Batch(batchSize: rows.count, length: T, inputIds: padded.flatMap(\.inputIds),
                     attentionMask: padded.flatMap(\.attentionMask), labels: padded.flatMap(\.labels),
                     targetLength: T, exampleIndices: indices)
    }

    /// caikit's seq2seq batch: sources padded to S with `padTokenId` (mask 0), targets to T with -100.
    private func seq2seqBatch(_ indices: [Int], _ rows: [TokenizedExample], targetFixed: Int) -> Batch {
        let fixed = padding == .maxLength, side = fixed ? paddingSide : .right
        let s = fixed ? fixedLength : rows.map(\.count).max() ?? 0
        let t = fixed ? targetFixed : rows.map(\.labels.count).max() ?? 0
        let sources = rows.map {
            ExampleBuilder.pad(TokenizedExample(inputIds: $0.inputIds, attentionMask: $0.attentionMask, labels: $0.inputIds),
                               to: s, padId: padTokenId, side: side)
        }
        let targets = rows.map {
            ExampleBuilder.pad(TokenizedExample(inputIds: $0.labels, attentionMask: $0.labels.map { _ in 1 }, labels: $0.labels),
                               to: t, padId: padTokenId, side: side).labels
        }
        return Batch(batchSize: rows.count, length: s, inputIds: sources.flatMap(\.inputIds),
                     attentionMask: sources.flatMap(\.attentionMask), labels: targets.flatMap { $0 },
                     targetLength: t, exampleIndices: indices)
    }
}
