// The vocabulary projection and the training loss, computed only at rows that carry a label and
// in chunks, so the [N, V] logits matrix never exists in full.

import SPTensor

/// The frozen LM head (`lm_head`, tied to the token embeddings for many models).
public struct LMHead: @unchecked Sendable {
    /// `[V, C]`.
    public let weight: Weight
    public let bias: Tensor?
    /// Multiplies the logits (Granite divides by `logits_scaling`: 1/logits_scaling here).
    public let logitScale: Float

    public init(weight: Weight, bias: Tensor? = nil, logitScale: Float = 1) {
        self.weight = weight
        self.bias = bias
        self.logitScale = logitScale
    }

    /// Vocabulary size.
    public var vocab: Int { weight.outFeatures }

    /// logits[R,V] = (h[R,C]·Wᵀ + b)·scale
    public func logits(_ h: UnsafePointer<Float>, rows: Int, _ out: UnsafeMutablePointer<Float>) {
        Linear.forward(h, weight, bias: bias.map { UnsafePointer($0.data) }, out, m: rows)
        if logitScale != 1 { for i in 0..<(rows * vocab) { out[i] *= logitScale } }
    }

    /// Mean cross-entropy over the rows whose target is not -100, and its gradient.
    ///
    /// - Parameters:
    ///   - hidden: final hidden states `[N, C]`.
    ///   - targets: `[N]` next-token ids (already shifted), -100 where no loss is taken.
    ///   - dHidden: `[N, C]` receives dLoss/dHidden·`scale` (rows without a target get 0); nil for the
    ///     loss only.
    ///   - workspace: `gather` `[chunk, C]`, `dGather` `[chunk, C]` and `logits` `[chunk, V]` scratch.
    /// - Returns: the mean loss (unscaled) and the number of counted rows.
    ///   - hits: optional `[N]`: 1 where the argmax of the logits equals the target, 0 where it does
    ///     not, 1 for rows without a target (so "all rows hit" means an exact greedy match).
    public func loss(hidden: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows n: Int,
                     dHidden: UnsafeMutablePointer<Float>?, scale: Float,
                     workspace ws: HeadWorkspace, hits: UnsafeMutablePointer<Int32>? = nil) throws -> (loss: Float, count: Int) {
        let c = weight.inFeatures, v = vocab
        ws.selected.removeAll(keepingCapacity: true)
        for r in 0..<n where targets[r] != -100 { ws.selected.append(r) }
        let selected = ws.selected
        dHidden?.update(repeating: 0, count: n * c)
        let total = selected.count
        if let hits { hits.update(repeating: 1, count: n) }
        if total == 0 { return (.nan, 0) }
        let chunk = ws.chunkRows
        var sum = 0.0
        var start = 0
        while start < total {
            let m = min(chunk, total - start)
            for i in 0..<m {
                (ws.gather.data + i * c).update(from: hidden + selected[start + i] * c, count: c)
                ws.labels[i] = targets[selected[start + i]]
            }
            logits(ws.gather.data, rows: m, ws.logits.data)
            if let hits {
                for i in 0..<m {
                    let row = ws.logits.data + i * v
                    var best = 0
                    for j in 1..<v where row[j] > row[best] { best = j }
                    hits[selected[start + i]] = best == Int(ws.labels[i]) ? 1 : 0
                }
            }
            // The chunk's CE averages over its m rows; rescale to the mean over all `total` rows.
            let r = try ws.labels.withUnsafeBufferPointer { lb in
                try CrossEntropy.forwardBackward(
                    logits: ws.logits.data, labels: lb.baseAddress!, dLogits: dHidden == nil ? nil : ws.logits.data,
                    rows: m, vocab: v, scale: scale * logitScale * Float(m) / Float(total))
            }
            sum += Double(r.loss) * Double(r.count)
            if let dHidden {
                Linear.backwardInput(ws.logits.data, weight, ws.dGather.data, m: m)
                for i in 0..<m {
                    (dHidden + selected[start + i] * c).update(from: ws.dGather.data + i * c, count: c)
                }
            }
            start += m
        }
        return (Float(sum / Double(total)), total)
    }
}

/// Scratch for ``LMHead/loss(hidden:targets:rows:dHidden:scale:workspace:)``, reused across steps.
public final class HeadWorkspace {
    public let chunkRows: Int
    let gather: Tensor, dGather: Tensor, logits: Tensor
    var labels: [Int32]
    var selected: [Int] = []

    /// `budget` floats for the logits chunk (default 64 Mi = 256 MiB: large chunks keep the vocabulary
    /// GEMM efficient, and it is still far below the full [N, V] logits).
    /// `rows`: the most rows a call will pass (the chunk never exceeds it).
    public static let defaultBudget = 1 << 26

    /// A smaller budget (8 Mi floats = 32 MiB) for engines whose peak memory matters more than the last
    /// few per cent of the vocabulary GEMM (the seq2seq step); ``minimumChunkRows`` keeps large
    /// vocabularies from falling to a few rows per chunk, which would re-read the whole `[V, C]`
    /// weight for every few rows.
    public static let compactBudget = 1 << 23
    /// Rows per chunk never go below this (unless the call has fewer rows).
    public static let minimumChunkRows = 256

    /// `current` if it already holds the largest chunk `rows` rows can use with `head` under
    /// `budget`, else a new one.
    static func sized(_ current: HeadWorkspace?, for head: LMHead, rows n: Int,
                      budget: Int = defaultBudget) -> HeadWorkspace {
        let fullChunk = chunk(rows: Int.max, vocab: head.vocab, budget: budget)
        if let current, current.chunkRows >= n || current.chunkRows >= fullChunk { return current }
        return HeadWorkspace(hidden: head.weight.inFeatures, vocab: head.vocab, rows: n, budget: budget)
    }

    /// Rows per chunk: as many as `budget` floats of logits hold, at least ``minimumChunkRows``, at
    /// most `rows`.
    static func chunk(rows: Int, vocab: Int, budget: Int) -> Int {
        max(1, min(rows, max(minimumChunkRows, budget / max(1, vocab))))
    }

    public init(hidden: Int, vocab: Int, rows: Int, budget: Int = HeadWorkspace.defaultBudget) {
        chunkRows = HeadWorkspace.chunk(rows: rows, vocab: vocab, budget: budget)
        gather = Tensor(shape: [chunkRows, hidden])
        dGather = Tensor(shape: [chunkRows, hidden])
        logits = Tensor(shape: [chunkRows, vocab])
        labels = [Int32](repeating: -100, count: chunkRows)
    }
}
