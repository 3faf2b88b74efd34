// T5 relative position bias: transformers models/t5/modeling_t5.py (v5.23)
// `T5Attention._relative_position_bucket` and `compute_bias`. The bias table
// `relative_attention_bias` [num_buckets, NH] is a frozen weight, so there is no backward.

#if canImport(Glibc)
import Glibc
#endif

/// T5's bucketed relative position bias.
public enum RelativeBias {
    /// The bucket of `relativePosition = key − query`, as `_relative_position_bucket`.
    ///
    /// Half of the buckets (per direction when `bidirectional`) are exact small distances, the rest
    /// grow logarithmically up to `maxDistance`; the log term is computed in float32 like PyTorch.
    public static func bucket(relativePosition: Int, bidirectional: Bool, numBuckets: Int,
                              maxDistance: Int) -> Int {
        var nb = numBuckets, r = relativePosition, bucket = 0
        if bidirectional {
            nb /= 2
            if r > 0 { bucket += nb }
            r = abs(r)
        } else {
            r = -min(r, 0)
        }
        let maxExact = nb / 2
        if r < maxExact { return bucket + r }
        // max_exact + (log(rp.float() / max_exact) / math.log(max_distance / max_exact)
        //              * (num_buckets - max_exact)).to(torch.long)
        var v = Glibc.logf(Float(r) / Float(maxExact))
        v = v / Float(Glibc.log(Double(maxDistance) / Double(maxExact)))
        v = v * Float(nb - maxExact)
        return bucket + min(maxExact + Int(v), nb - 1)
    }

    /// bias[NH, T, S] = table[bucket(j − (queryOffset + i)), h]     table [numBuckets, NH]
    ///
    /// - Parameters:
    ///   - out: `[NH, T, S]`, dense; ``attentionBias(_:queries:keys:)`` views it for ``Attention``.
    ///   - table: `relative_attention_bias.weight`, `[numBuckets, NH]` row-major.
    ///   - queryOffset: absolute position of query 0 (decoder with a KV cache).
    ///   - bidirectional: true for the encoder, false for the decoder (`not is_decoder`).
    public static func bias(out: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>, heads: Int,
                            queries: Int, keys: Int, queryOffset: Int = 0, bidirectional: Bool,
                            numBuckets: Int, maxDistance: Int) {
        let (T, S) = (queries, keys)
        // relative positions j − a range over [−(offset + T − 1), S − 1 − offset]
        let minRel = -(queryOffset + T - 1)
        let buckets = (minRel...(S - 1 - queryOffset)).map {
            bucket(relativePosition: $0, bidirectional: bidirectional, numBuckets: numBuckets,
                   maxDistance: maxDistance)
        }
        for h in 0..<heads {
            for i in 0..<T {
                let row = out + (h * T + i) * S
                let a = queryOffset + i
                for j in 0..<S { row[j] = table[buckets[j - a - minRel] * heads + h] }
            }
        }
    }

    /// ``bias(out:table:heads:queries:keys:queryOffset:bidirectional:numBuckets:maxDistance:)`` with the
    /// table given as a frozen `[numBuckets, NH]` weight (any storage dtype; widened once).
    public static func bias(out: UnsafeMutablePointer<Float>, table: Weight, queries: Int, keys: Int,
                            queryOffset: Int = 0, bidirectional: Bool, maxDistance: Int) {
        let nb = table.outFeatures, nh = table.inFeatures
        let wide = UnsafeMutablePointer<Float>.allocate(capacity: nb * nh)
        defer { wide.deallocate() }
        table.rows(0, nb, into: wide)
        bias(out: out, table: wide, heads: nh, queries: queries, keys: keys, queryOffset: queryOffset,
             bidirectional: bidirectional, numBuckets: nb, maxDistance: maxDistance)
    }

    /// The `[1, NH, T, S]` view (shared by the batch) of a bias buffer for ``Attention``.
    public static func attentionBias(_ bias: UnsafePointer<Float>, queries: Int, keys: Int) -> AttentionBias {
        AttentionBias(bias, batchStride: 0, headStride: queries * keys, rowStride: keys)
    }
}
