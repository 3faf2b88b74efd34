// Scaled dot-product attention as transformers' `eager_attention_forward` computes it
// (models/llama/modeling_llama.py, v5.23): scores = q·kᵀ·scale + bias + mask, softmax in float32,
// out = P·V, with grouped KV heads repeated over NH/NKV query heads (`repeat_kv`). Inputs are
// token-major `[B, T, H, HD]` with explicit strides, so q/k/v may be slices of a fused qkv buffer.
//
// Per (batch, head) the work is two GEMMs through BLAS.sgemm with strided leading dimensions,
// done in blocks of query rows so that a causal or sliding-window mask only computes the keys a
// block can see. (batch, head) tasks run on the thread pool with OpenBLAS single-threaded
// inside; BLAS.threads is global, so it is restored before returning.

/// Scaled dot-product attention, forward and backward to q, k, v.
public enum Attention {
    /// Query rows per block (GEMM `m`): keeps a block's scores in L1/L2 and lets a causal mask skip keys.
    /// Measured on [8, 276, 12, 64]: 16–64 rows within 5 %, one block of all 276 rows 25–40 % slower.
    static let blockRows = 32

    /// out[B,T,NH,HD] = softmax(scale·q·kᵀ + bias, masked)·v     q [B,T,NH,HD], k/v [B,S,NKV,HD]
    ///
    /// Head h reads kv head `h / (NH/NKV)`.
    /// - Parameters:
    ///   - out: output heads (overwritten), e.g. a dense `[B, T, NH·HD]` buffer for the output projection.
    ///   - probs: if non-nil, receives the probabilities `[B, NH, T, S]` (dense) for ``backward``.
    ///   - q, k, v: input heads.
    ///   - shape: B, T, S, NH, NKV, HD.
    ///   - options: scale, masks, bias (see ``AttentionOptions``).
    ///
    /// ```swift
    /// // GPT-2: qkv [B, T, 3C] from c_attn, causal self-attention into y [B, T, C]
    /// let l = HeadLayout.rows(tokens: T, rowWidth: 3 * C, headDim: HD)
    /// Attention.forward(out: MutableHeadsView(y, .contiguous(tokens: T, heads: NH, headDim: HD)),
    ///                   q: HeadsView(qkv, l), k: HeadsView(qkv + C, l), v: HeadsView(qkv + 2 * C, l),
    ///                   shape: AttentionShape(batch: B, queries: T, keys: T, heads: NH, headDim: HD),
    ///                   options: AttentionOptions(causal: true))
    /// ```
    public static func forward(out: MutableHeadsView, probs: UnsafeMutablePointer<Float>? = nil,
                               q: HeadsView, k: HeadsView, v: HeadsView,
                               shape: AttentionShape, options: AttentionOptions = AttentionOptions()) {
        let plan = Plan(shape: shape, options: options)
        let (T, S, NH, HD) = (shape.queries, shape.keys, shape.heads, shape.headDim)
        let group = NH / shape.kvHeads
        // Decoding one token: the query heads sharing a kv head form the rows of one block (their q
        // vectors and outputs sit `head` apart), so grouped-query attention reads each K/V row once.
        let byGroup = T == 1 && group > 1
        let tasks = shape.batch * (byGroup ? shape.kvHeads : NH)
        let gemmFloats = plan.bf16GEMM ? BF16Products.scratchFloats(rows: max(blockRows, group), keys: S, headDim: HD) : 0
        let scoreFloats = probs == nil ? max(blockRows, group) * S : 0
        // Blocks of query rows (not decoding) on the bf16 GEMM: the head's K and V packed once.
        let packHeads = plan.bf16GEMM && !byGroup && T > 1
        let headFloats = packHeads ? BF16Products.packedFloats(keys: S, headDim: HD) : 0
        onPool(tasks: tasks, flops: 4 * shape.batch * NH * T * S * HD) { range in
            // One buffer per task range: the score rows (when not saved), the bf16 GEMM's scratch, K, V.
            ScratchCache.shared.with(scoreFloats + gemmFloats + 2 * headFloats) { buffer in
                let scratch: UnsafeMutablePointer<Float>? = probs == nil ? buffer : nil
                let gemm = buffer + scoreFloats, heads = gemm + gemmFloats
                for task in range {
                    if byGroup {
                        let (b, g) = task.quotientAndRemainder(dividingBy: shape.kvHeads)
                        let h0 = g * group
                        let block = Block(b: b, g: g, h0: h0, dh: 1, i0: 0, di: 0, rows: group,
                                          columns: plan.columns(b, 0, 1))
                        let p = probs.map { $0 + (b * NH + h0) * S } ?? scratch!
                        forwardBlock(block, p: p, saved: probs != nil, plan, out: out.at(b, 0, h0),
                                     outStride: out.layout.head, q: q.at(b, 0, h0), qStride: q.layout.head, k, v, HD: HD,
                                     gemm: gemm)
                        continue
                    }
                    let (b, h) = task.quotientAndRemainder(dividingBy: NH)
                    var packed: (k: PackedHead, v: PackedHead)?
                    if packHeads {
                        let (kh, vh) = (k.at(b, 0, h / group), v.at(b, 0, h / group))
                        packed = (BF16Products.pack(kh, ld: k.layout.token, keys: S, headDim: HD, byKey: true, into: heads),
                                  BF16Products.pack(vh, ld: v.layout.token, keys: S, headDim: HD, byKey: false,
                                                    into: heads + headFloats))
                    }
                    var i0 = 0
                    while i0 < T {
                        let i1 = min(T, i0 + blockRows)
                        let block = Block(b: b, g: h / group, h0: h, dh: 0, i0: i0, di: 1, rows: i1 - i0,
                                          columns: plan.columns(b, i0, i1))
                        let p = probs.map { $0 + ((b * NH + h) * T + i0) * S } ?? scratch!
                        forwardBlock(block, p: p, saved: probs != nil, plan, out: out.at(b, i0, h),
                                     outStride: out.layout.token, q: q.at(b, i0, h), qStride: q.layout.token, k, v, HD: HD,
                                     gemm: gemm, packed: packed)
                        i0 = i1
                    }
                }
            }
        }
    }

    /// Query rows that share the K/V rows `c0..<c1` of kv head `g` in batch entry `b`: row r is head
    /// `h0 + r·dh` at query position `i0 + r·di`.
    struct Block {
        let b: Int, g: Int, h0: Int, dh: Int, i0: Int, di: Int, rows: Int
        let c0: Int, c1: Int
        init(b: Int, g: Int, h0: Int, dh: Int, i0: Int, di: Int, rows: Int, columns: (c0: Int, c1: Int)) {
            (self.b, self.g, self.h0, self.dh, self.i0, self.di, self.rows) = (b, g, h0, dh, i0, di, rows)
            (c0, c1) = columns
        }
    }

    /// Probabilities of a block into p[rows, S], then out rows = P[:, c0..<c1] · V[c0..<c1].
    private static func forwardBlock(_ blk: Block, p: UnsafeMutablePointer<Float>, saved: Bool, _ plan: Plan,
                                     out: UnsafeMutablePointer<Float>, outStride: Int,
                                     q: UnsafePointer<Float>, qStride: Int, _ k: HeadsView, _ v: HeadsView, HD: Int,
                                     gemm: UnsafeMutablePointer<Float>, packed: (k: PackedHead, v: PackedHead)? = nil) {
        let S = plan.S
        probabilities(blk, p, plan, q: q, qStride: qStride, k, HD: HD, gemm: gemm, packedKeys: packed?.k)
        if saved {
            for r in 0..<blk.rows {
                let row = p + r * S
                for j in 0..<blk.c0 { row[j] = 0 }
                for j in blk.c1..<S { row[j] = 0 }
            }
        }
        let w = blk.c1 - blk.c0, vRow = v.at(blk.b, blk.c0, blk.g)
        if let packed, blk.rows > 1 {
            BF16Products.times(packed.v, rows: blk.rows, p, ldy: S, c0: blk.c0, c1: blk.c1, c: out, ldc: outStride,
                               accumulate: false, round: true, scratch: gemm)
            return
        }
        if plan.bf16GEMM && blk.rows > 1 {
            // out = bf16(P[:, c0..<c1] · V[c0..<c1]): bf16 operands, float32 sums.
            BF16Products.gemm(transB: false, m: blk.rows, n: HD, k: w, a: p + blk.c0, lda: S, b: vRow,
                              ldb: v.layout.token, c: out, ldc: outStride, round: true, scratch: gemm)
            return
        }
        if blk.rows == 1 {
            // out = V[c0..<c1]ᵀ · p
            BLAS.sgemv(trans: true, rows: w, cols: HD, a: vRow, lda: v.layout.token, x: p + blk.c0, y: out)
        } else {
            BLAS.sgemm(transA: false, transB: false, m: blk.rows, n: HD, k: w, a: p + blk.c0, lda: S,
                       b: vRow, ldb: v.layout.token, c: out, ldc: outStride)
        }
        if plan.bf16 { for r in 0..<blk.rows { LinearBF16.roundToBF16(out + r * outStride, count: HD) } }
    }

    /// dq (+)= ∂L/∂q, dk (+)= ∂L/∂k, dv (+)= ∂L/∂v given dOut[B,T,NH,HD]   (accumulates: caller zeroes)
    ///
    /// dk/dv of a kv head sum the contributions of all query heads that share it. No bias gradient is
    /// produced (ALiBi is fixed, T5's table is frozen).
    /// - Parameters:
    ///   - dq, dk, dv: gradients, laid out like q, k, v (may be slices of one fused d_qkv buffer).
    ///   - dOut: upstream gradient of the output.
    ///   - q, k, v: the forward inputs.
    ///   - probs: the `[B, NH, T, S]` probabilities saved by ``forward``, or `nil` to recompute them.
    ///   - shape, options: as in the forward.
    public static func backward(dq: MutableHeadsView, dk: MutableHeadsView, dv: MutableHeadsView,
                                dOut: HeadsView, q: HeadsView, k: HeadsView, v: HeadsView,
                                probs: UnsafePointer<Float>? = nil,
                                shape: AttentionShape, options: AttentionOptions = AttentionOptions()) {
        let plan = Plan(shape: shape, options: options)
        let (T, S, NH, HD) = (shape.queries, shape.keys, shape.heads, shape.headDim)
        let group = NH / shape.kvHeads
        // One task per (batch, kv head): the query heads sharing a kv head accumulate into the same dk/dv.
        let gemmFloats = plan.bf16GEMM ? BF16Products.scratchFloats(rows: blockRows, keys: S, headDim: HD) : 0
        let headFloats = plan.bf16GEMM ? BF16Products.packedFloats(keys: S, headDim: HD) : 0
        onPool(tasks: shape.batch * shape.kvHeads, flops: 8 * shape.batch * NH * T * S * HD) { range in
            // Score-gradient rows (and recomputed probabilities), the bf16 GEMM's scratch, packed V and K.
            let rowFloats = (probs == nil ? 2 : 1) * blockRows * S
            ScratchCache.shared.with(rowFloats + gemmFloats + 2 * headFloats) { buf in
                let gemm = buf + rowFloats, heads = gemm + gemmFloats
                let d = buf
                for task in range {
                    let (b, g) = task.quotientAndRemainder(dividingBy: shape.kvHeads)
                    // dO·Vᵀ and dS·K of every block of every head in the group read the same V and K.
                    var packed: (v: PackedHead, k: PackedHead)?
                    if plan.bf16GEMM {
                        packed = (BF16Products.pack(v.at(b, 0, g), ld: v.layout.token, keys: S, headDim: HD, byKey: true,
                                                    into: heads),
                                  BF16Products.pack(k.at(b, 0, g), ld: k.layout.token, keys: S, headDim: HD, byKey: false,
                                                    into: heads + headFloats))
                    }
                    for h in (g * group)..<((g + 1) * group) {
                        var i0 = 0
                        while i0 < T {
                            let i1 = min(T, i0 + blockRows), rows = i1 - i0
                            let (c0, c1) = plan.columns(b, i0, i1)
                            let p: UnsafePointer<Float>
                            if let probs {
                                p = probs + ((b * NH + h) * T + i0) * S
                            } else {
                                let recomputed = buf + blockRows * S
                                let blk = Block(b: b, g: g, h0: h, dh: 0, i0: i0, di: 1, rows: rows, columns: (c0, c1))
                                probabilities(blk, recomputed, plan, q: q.at(b, i0, h), qStride: q.layout.token, k, HD: HD,
                                              gemm: gemm)
                                p = UnsafePointer(recomputed)
                            }
                            let w = c1 - c0
                            let dO = dOut.at(b, i0, h)
                            if let packed {
                                backwardBlockBF16(rows: rows, i0: i0, c0: c0, c1: c1, b: b, g: g, h: h, p: p, d: d,
                                                  plan, dq: dq, dk: dk, dv: dv, dOut: dOut, q: q, HD: HD,
                                                  gemm: gemm, packed: packed)
                                i0 = i1
                                continue
                            }
                            // dP[rows, c0..<c1] = dO · V[c0..<c1]ᵀ
                            BLAS.sgemm(transA: false, transB: true, m: rows, n: w, k: HD, a: dO, lda: dOut.layout.token,
                                       b: v.at(b, c0, g), ldb: v.layout.token, c: d + c0, ldc: S)
                            // dV[c0..<c1] += Pᵀ · dO
                            BLAS.sgemm(transA: true, transB: false, m: w, n: HD, k: rows, a: p + c0, lda: S,
                                       b: dO, ldb: dOut.layout.token, beta: 1, c: dv.at(b, c0, g), ldc: dv.layout.token)
                            for r in 0..<rows {
                                plan.softmaxBackwardRow(d + r * S, probs: p + r * S, b: b, i: i0 + r, c0: c0, c1: c1)
                            }
                            // dQ[i0..<i1] += dS · K[c0..<c1];  dK[c0..<c1] += dSᵀ · Q[i0..<i1]
                            BLAS.sgemm(transA: false, transB: false, m: rows, n: HD, k: w, a: d + c0, lda: S,
                                       b: k.at(b, c0, g), ldb: k.layout.token, beta: 1, c: dq.at(b, i0, h),
                                       ldc: dq.layout.token)
                            BLAS.sgemm(transA: true, transB: false, m: w, n: HD, k: rows, a: d + c0, lda: S,
                                       b: q.at(b, i0, h), ldb: q.layout.token, beta: 1, c: dk.at(b, c0, g),
                                       ldc: dk.layout.token)
                            i0 = i1
                        }
                    }
                }
            }
        }
    }

    /// One block's backward with the bf16 products (``BF16Products``): dP = dO·Vᵀ, dV += Pᵀ·dO, the
    /// softmax backward (float32), dQ += dS·K, dK += dSᵀ·Q, dS rounded to bf16 as it is packed.
    private static func backwardBlockBF16(rows: Int, i0: Int, c0: Int, c1: Int, b: Int, g: Int, h: Int,
                                          p: UnsafePointer<Float>, d: UnsafeMutablePointer<Float>, _ plan: Plan,
                                          dq: MutableHeadsView, dk: MutableHeadsView, dv: MutableHeadsView,
                                          dOut: HeadsView, q: HeadsView, HD: Int,
                                          gemm: UnsafeMutablePointer<Float>, packed: (v: PackedHead, k: PackedHead)) {
        let S = plan.S, w = c1 - c0, dO = dOut.at(b, i0, h), ldo = dOut.layout.token
        BF16Products.timesTransposed(packed.v, rows: rows, dO, lda: ldo, c0: c0, c1: c1, c: d, ldc: S, round: false,
                                     scratch: gemm)
        BF16Products.gemm(transA: true, transB: false, m: w, n: HD, k: rows, a: p + c0, lda: S, b: dO, ldb: ldo,
                          c: dv.at(b, c0, g), ldc: dv.layout.token, accumulate: true, scratch: gemm)
        for r in 0..<rows {
            plan.softmaxBackwardRow(d + r * S, probs: p + r * S, b: b, i: i0 + r, c0: c0, c1: c1)
        }
        BF16Products.times(packed.k, rows: rows, d, ldy: S, c0: c0, c1: c1, c: dq.at(b, i0, h), ldc: dq.layout.token,
                           accumulate: true, round: false, scratch: gemm)
        BF16Products.gemm(transA: true, transB: false, m: w, n: HD, k: rows, a: d + c0, lda: S, b: q.at(b, i0, h),
                          ldb: q.layout.token, c: dk.at(b, c0, g), ldc: dk.layout.token, accumulate: true, scratch: gemm)
    }

    /// p[rows, c0..<c1] = softmax rows of a block (row stride S; every S column for a dead row).
    private static func probabilities(_ blk: Block, _ p: UnsafeMutablePointer<Float>, _ plan: Plan,
                                      q: UnsafePointer<Float>, qStride: Int, _ k: HeadsView, HD: Int,
                                      gemm: UnsafeMutablePointer<Float>, packedKeys: PackedHead? = nil) {
        let w = blk.c1 - blk.c0, kRow = k.at(blk.b, blk.c0, blk.g)
        // scale · Q[rows] · K[c0..<c1]ᵀ; bf16: bf16(bf16(Q·Kᵀ) · scale), as `matmul(q, kᵀ) * scaling` in bf16.
        let alpha = plan.bf16 ? 1 : plan.scale
        if let packedKeys, blk.rows > 1 {
            // Columns from c0 rounded down to 64 (the packed panels): those before c0 are never read.
            BF16Products.timesTransposed(packedKeys, rows: blk.rows, q, lda: qStride, c0: blk.c0, c1: blk.c1,
                                         c: p, ldc: plan.S, round: true, scratch: gemm)
        } else if plan.bf16GEMM && blk.rows > 1 {
            BF16Products.gemm(transB: true, m: blk.rows, n: w, k: HD, a: q, lda: qStride, b: kRow, ldb: k.layout.token,
                              c: p + blk.c0, ldc: plan.S, round: true, scratch: gemm)
        } else if blk.rows == 1 {
            BLAS.sgemv(trans: false, rows: w, cols: HD, alpha: alpha, a: kRow, lda: k.layout.token, x: q,
                       y: p + blk.c0)
        } else {
            BLAS.sgemm(transA: false, transB: true, m: blk.rows, n: w, k: HD, alpha: alpha, a: q, lda: qStride,
                       b: kRow, ldb: k.layout.token, c: p + blk.c0, ldc: plan.S)
        }
        if plan.bf16 {
            let scale = plan.scale
            for r in 0..<blk.rows {
                let row = p + r * plan.S + blk.c0
                for j in 0..<w { row[j] = BF16Compute.round(BF16Compute.round(row[j]) * scale) }
            }
        }
        for r in 0..<blk.rows {
            plan.softmaxRow(p + r * plan.S, b: blk.b, h: blk.h0 + r * blk.dh, i: blk.i0 + r * blk.di,
                            c0: blk.c0, c1: blk.c1)
        }
    }

    /// Runs `body` over `0..<tasks` split across the pool, with OpenBLAS single-threaded while the
    /// pool's threads each call it. Less work than waking a second thread is worth (`flops` under
    /// ~2·10⁶, some 20 µs) runs inline, also with BLAS single-threaded (OpenBLAS would otherwise wake
    /// its own threads for every small sgemv of a decode step); a single large task runs inline with
    /// BLAS as configured. BLAS.threads is global and is restored before returning.
    static func onPool(tasks: Int, flops: Int, _ body: (Range<Int>) -> Void) {
        let pool = ThreadPool.shared
        let small = flops < 2_000_000
        if tasks <= 1 && !small || pool.threads <= 1 {
            body(0..<tasks)
            return
        }
        BLAS.singleThreaded {
            if small {
                body(0..<tasks)
            } else {
                Parallel.forRange(tasks, grain: 1, body)
            }
        }
    }
}
