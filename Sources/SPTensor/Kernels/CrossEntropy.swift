// Token-level cross-entropy with an ignore index, fused with its gradient w.r.t. the logits
// (torch `F.cross_entropy(logits, labels, reduction="mean", ignore_index=-100)`).

#if canImport(Glibc)
import Glibc
#endif

private typealias F8 = SIMD8<Float>

/// Mean cross-entropy over the rows whose label is not the ignore index, and d(loss)/d(logits).
///
/// Per counted row: ℓ = logsumexp(z) − z[label], with the row maximum subtracted before
/// exponentiating (float32 exponentials, sums in 8-lane float32 accumulators, the log and the
/// mean over rows in Double). The loss is Σℓ / count, and
/// d(logits) = scale·(softmax(z) − onehot(label)) / count for counted rows, 0 for ignored rows.
///
/// **No counted rows** (every label is the ignore index): the loss is NaN (0/0), exactly like
/// torch, and d(logits) is all zeros (torch's backward writes nothing for ignored rows either).
/// Callers that average over micro-batches should skip or weight such batches using ``Result/count``.
///
/// ```swift
/// let r = try CrossEntropy.forwardBackward(logits: z, labels: y, dLogits: z, rows: n, vocab: v,
///                                          scale: 1 / Float(accumulationSteps))
/// print(r.loss, r.count)
/// ```
public enum CrossEntropy {
    /// The mean loss and how many rows it averages.
    public struct Result: Sendable, Equatable {
        /// Σℓ / count (NaN when `count == 0`). Not multiplied by `scale`.
        public let loss: Float
        /// Rows whose label is not the ignore index.
        public let count: Int
    }

    /// logits[N,V], labels[N] → mean loss; dLogits[N,V] = scale·(softmax − onehot)/count
    ///
    /// - Parameters:
    ///   - logits: `[rows, vocab]`.
    ///   - labels: `[rows]` class ids in `0..<vocab`, or `ignoreIndex`.
    ///   - dLogits: gradient output `[rows, vocab]`, or nil for the loss only. It may be the logits
    ///     buffer itself (`UnsafeMutablePointer(mutating: logits)`) to save memory: each row is
    ///     fully read before it is overwritten.
    ///   - scale: multiplies the gradient only (e.g. `1 / gradientAccumulationSteps`); the returned
    ///     loss is unscaled.
    ///   - rowLoss: optional `[rows]` output of each row's ℓ (0 for ignored rows), for per-example
    ///     metrics.
    /// - Throws: ``KernelInputError/labelOutOfRange(label:position:vocabSize:ignoreIndex:)`` before
    ///   anything is written (torch: "Target … is out of bounds").
    public static func forwardBackward(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                       dLogits: UnsafeMutablePointer<Float>?, rows: Int, vocab v: Int,
                                       scale: Float = 1, ignoreIndex: Int32 = -100,
                                       rowLoss: UnsafeMutablePointer<Float>? = nil)
        throws(KernelInputError) -> Result
    {
        precondition(v > 0, "cross-entropy over an empty vocabulary")
        var count = 0
        for r in 0..<rows {
            let l = labels[r]
            if l == ignoreIndex { continue }
            guard l >= 0, Int(l) < v else {
                throw .labelOutOfRange(label: Int(l), position: r, vocabSize: v, ignoreIndex: Int(ignoreIndex))
            }
            count += 1
        }
        let k = count > 0 ? scale / Float(count) : 0
        let total = withUnsafeTemporaryAllocation(of: Double.self, capacity: max(rows, 1)) { buf in
            let losses = buf.baseAddress!
            Chunking.rows(rows, cols: v) { range in
                for r in range {
                    let l = labels[r]
                    let z = logits + r * v, d = dLogits.map { $0 + r * v }
                    guard l != ignoreIndex else {
                        losses[r] = 0
                        d?.update(repeating: 0, count: v)
                        continue
                    }
                    losses[r] = rowLossAndGradient(z, Int(l), d, v, k)
                }
            }
            var s = 0.0
            for r in 0..<rows {
                rowLoss?[r] = Float(losses[r])
                s += losses[r]
            }
            return s
        }
        return Result(loss: Float(total / Double(count)), count: count)
    }

    /// Convenience for the in-place form: overwrites `logits` with d(logits).
    public static func forwardBackwardInPlace(logits: UnsafeMutablePointer<Float>,
                                              labels: UnsafePointer<Int32>, rows: Int, vocab: Int,
                                              scale: Float = 1, ignoreIndex: Int32 = -100)
        throws(KernelInputError) -> Result
    {
        try forwardBackward(logits: logits, labels: labels, dLogits: logits, rows: rows, vocab: vocab,
                            scale: scale, ignoreIndex: ignoreIndex)
    }

    /// ℓ = logsumexp(z) − z[label] for one row; writes k·(softmax(z) − onehot) into `d` if given.
    @inline(__always)
    private static func rowLossAndGradient(_ z: UnsafePointer<Float>, _ label: Int,
                                           _ d: UnsafeMutablePointer<Float>?, _ v: Int,
                                           _ k: Float) -> Double {
        let m = RowMath.max(z, v)
        let zl = z[label]                               // read before an in-place overwrite
        var s0 = F8(), s1 = F8(), s2 = F8(), s3 = F8()  // 32 lanes: accuracy and ILP over ~50K terms
        var i = 0
        if let d {
            while i + 16 <= v {
                let e0 = VectorMath.exp(VectorMath.load(z, i) - m)
                let e1 = VectorMath.exp(VectorMath.load(z, i + 8) - m)
                VectorMath.store(e0, d, i)
                VectorMath.store(e1, d, i + 8)
                if i & 16 == 0 { s0 += e0; s1 += e1 } else { s2 += e0; s3 += e1 }
                i += 16
            }
        } else {
            while i + 16 <= v {
                let e0 = VectorMath.exp(VectorMath.load(z, i) - m)
                let e1 = VectorMath.exp(VectorMath.load(z, i + 8) - m)
                if i & 16 == 0 { s0 += e0; s1 += e1 } else { s2 += e0; s3 += e1 }
                i += 16
            }
        }
        while i < v {
            let n = min(8, v - i)
            let e = VectorMath.exp(VectorMath.load(z, i, count: n, fill: -.infinity) - m)
            if let d { VectorMath.store(e, d, i, count: n) }
            s0 += e
            i += 8
        }
        let sum = ((s0 + s1) + (s2 + s3)).sum()
        if let d {
            let f = k / sum
            i = 0
            while i + 8 <= v { VectorMath.store(VectorMath.load(d, i) * f, d, i); i += 8 }
            while i < v { d[i] *= f; i += 1 }
            d[label] -= k
        }
        return Double(m) + log(Double(sum)) - Double(zl)
    }
}
