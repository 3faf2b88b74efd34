// Token (or position) embedding lookup: gather rows of a frozen table. Forward only: the table is
// frozen and ids carry no gradient; the soft prompt's gradient is taken from d(inputs_embeds) by
// the caller.

/// Row gather from a frozen `[vocab, dim]` table (`nn.Embedding` / `F.embedding`).
///
/// The table is a ``Weight`` (logical `[outFeatures = vocab, inFeatures = dim]`) in float32, float16
/// or bfloat16 storage; half-precision rows are widened exactly to float32 (what
/// `F.embedding(ids, table.float())` gives).
///
/// Ids that come from outside (tokenizer output, data files, requests) go through
/// ``forward(ids:table:_:)``, which validates every id first and throws; ``forwardUnchecked(ids:count:table:_:)``
/// is for ids the program produced itself and already knows to be in range.
///
/// ```swift
/// try ids.withUnsafeBufferPointer { try Embedding.forward(ids: $0, table: wte, x.data) }
/// ```
public enum Embedding {
    /// out[N,C] = table[ids[n], :]   (ids[N] validated; table [V,C])
    ///
    /// - Parameters:
    ///   - ids: token ids, each must be in `0..<table.outFeatures`.
    ///   - out: `[ids.count, table.inFeatures]`; untouched when the call throws.
    /// - Throws: ``KernelInputError/tokenIdOutOfRange(id:position:vocabSize:)`` naming the first bad id.
    public static func forward(ids: UnsafeBufferPointer<Int32>, table: Weight,
                               _ out: UnsafeMutablePointer<Float>) throws(KernelInputError) {
        try validate(ids: ids, vocabSize: table.outFeatures)
        guard let base = ids.baseAddress else { return }
        forwardUnchecked(ids: base, count: ids.count, table: table, out)
    }

    /// Throws for the first id outside `0..<vocabSize`.
    public static func validate(ids: UnsafeBufferPointer<Int32>, vocabSize: Int) throws(KernelInputError) {
        for (p, id) in ids.enumerated() where id < 0 || Int(id) >= vocabSize {
            throw .tokenIdOutOfRange(id: Int(id), position: p, vocabSize: vocabSize)
        }
    }

    /// out[N,C] = table[ids[n], :] without validation (ids[N]; table [V,C]).
    ///
    /// Every id must be in `0..<table.outFeatures` (only checked in debug builds): an out-of-range id
    /// reads outside the table. Use ``forward(ids:table:_:)`` for ids from outside.
    public static func forwardUnchecked(ids: UnsafePointer<Int32>, count n: Int, table: Weight,
                                        _ out: UnsafeMutablePointer<Float>) {
        let c = table.inFeatures
        Chunking.rows(n, cols: c) { range in
            for r in range {
                let id = Int(ids[r])
                assert(id >= 0 && id < table.outFeatures, "token id \(id) outside 0..<\(table.outFeatures)")
                table.rows(id, id + 1, into: out + r * c)
            }
        }
    }
}
