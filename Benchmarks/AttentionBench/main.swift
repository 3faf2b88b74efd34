// Attention kernel timings (release build):
//   swift run -c release bench-attention [reps]
// Shapes: GPT-2-small training step [B=8, T=S=276, NH=12, HD=64] on the fused c_attn layout with a
// causal + right-padding mask, and a KV-cache decode step (T=1, S=300). Each timing is the best of
// `reps` runs (the machine is shared; the best run is the least disturbed one).

import Foundation
import SPTensor

let reps = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 15 : 15

func best(_ body: () -> Void) -> Double {
    body()
    var b = Double.infinity
    for _ in 0..<reps {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        b = min(b, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
    }
    return b
}

/// Best CPU time of this thread (ms) over `reps` runs: less sensitive to other processes than wall time.
func cpuMs(_ body: () -> Void) -> Double {
    body()
    var b = Double.infinity
    for _ in 0..<reps {
        var t0 = timespec(), t1 = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0)
        body()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1)
        b = min(b, Double(t1.tv_sec - t0.tv_sec) * 1e3 + Double(t1.tv_nsec - t0.tv_nsec) / 1e6)
    }
    return b
}

func fill(_ t: Tensor, seed: UInt64) {
    var s = seed
    for i in 0..<t.count {
        s = s &* 6364136223846793005 &+ 1442695040888963407
        t.data[i] = Float(Int64(bitPattern: s >> 11) % 2000) / 1000 - 1
    }
}

/// Runs `body` with the pool+single-threaded-BLAS path (default) and with a 1-thread pool (tasks run
/// serially, each GEMM on BLAS's own threads).
func variants(_ name: String, _ body: () -> Void) {
    let pool = ThreadPool.shared
    let t1 = best(body)
    ThreadPool.shared = ThreadPool(threads: 1)
    let t2 = best(body)
    let saved = BLAS.threads
    BLAS.threads = 1
    let t3 = cpuMs(body)
    BLAS.threads = saved
    ThreadPool.shared = pool
    print(String(format: "%-30@ pool×%d + BLAS 1 thread %8.3f ms | serial + BLAS %d threads %8.3f ms | 1 thread CPU %8.3f ms",
                 name as NSString, pool.threads, t1, saved, t2, t3))
}

print("BLAS: \(BLAS.configuration), threads \(BLAS.threads); pool threads \(ThreadPool.shared.threads)")

// Training step: GPT-2 small, fused qkv [B, T, 3C]
do {
    let (B, T, NH, HD) = (8, 276, 12, 64)
    let C = NH * HD
    let qkv = Tensor(shape: [B, T, 3 * C]); fill(qkv, seed: 1)
    let dqkv = Tensor(shape: [B, T, 3 * C])
    let out = Tensor(shape: [B, T, C]), dOut = Tensor(shape: [B, T, C]); fill(dOut, seed: 2)
    let probs = Tensor(shape: [B, NH, T, T])
    var mask = [Float](repeating: 1, count: B * T)
    for b in 0..<B { for j in (T - 9 * b)..<T { mask[b * T + j] = 0 } }   // right padding 0…63
    let l = HeadLayout.rows(tokens: T, rowWidth: 3 * C, headDim: HD)
    let ol = HeadLayout.contiguous(tokens: T, heads: NH, headDim: HD)
    let shape = AttentionShape(batch: B, queries: T, keys: T, heads: NH, headDim: HD)
    let q = HeadsView(qkv.data, l), k = HeadsView(qkv.data + C, l), v = HeadsView(qkv.data + 2 * C, l)
    mask.withUnsafeBufferPointer { m in
        let opts = AttentionOptions(causal: true, keyMask: m.baseAddress)
        let o = MutableHeadsView(out.data, ol)
        variants("train fwd, probs saved") {
            Attention.forward(out: o, probs: probs.data, q: q, k: k, v: v, shape: shape, options: opts)
        }
        variants("train fwd, probs not saved") {
            Attention.forward(out: o, q: q, k: k, v: v, shape: shape, options: opts)
        }
        let dq = MutableHeadsView(dqkv.data, l), dk = MutableHeadsView(dqkv.data + C, l)
        let dv = MutableHeadsView(dqkv.data + 2 * C, l)
        variants("train bwd, saved probs") {
            dqkv.zero()
            Attention.backward(dq: dq, dk: dk, dv: dv, dOut: HeadsView(dOut.data, ol), q: q, k: k, v: v,
                               probs: probs.data, shape: shape, options: opts)
        }
        variants("train bwd, recomputed probs") {
            dqkv.zero()
            Attention.backward(dq: dq, dk: dk, dv: dv, dOut: HeadsView(dOut.data, ol), q: q, k: k, v: v,
                               shape: shape, options: opts)
        }
    }
}

// Decode step: one new token against a KV cache of 300 positions (capacity 512).
for B in [8, 1] {
    let (S, cap, NH, HD) = (300, 512, 12, 64)
    let C = NH * HD
    let q = Tensor(shape: [B, 1, C]); fill(q, seed: 3)
    let kc = Tensor(shape: [B, cap, C]), vc = Tensor(shape: [B, cap, C]); fill(kc, seed: 4); fill(vc, seed: 5)
    let out = Tensor(shape: [B, 1, C])
    let cl = HeadLayout(batch: cap * C, token: C, head: HD)
    let shape = AttentionShape(batch: B, queries: 1, keys: S, heads: NH, headDim: HD)
    variants("decode B=\(B) T=1 S=\(S)") {
        Attention.forward(out: MutableHeadsView(out.data, .contiguous(tokens: 1, heads: NH, headDim: HD)),
                          q: HeadsView(q.data, .contiguous(tokens: 1, heads: NH, headDim: HD)),
                          k: HeadsView(kc.data, cl), v: HeadsView(vc.data, cl), shape: shape,
                          options: AttentionOptions(causal: true, queryOffset: S - 1))
    }
}

// Cost of switching OpenBLAS's thread count (done around every pooled attention call).
do {
    let saved = BLAS.threads
    let n = 10_000
    let t0 = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<n { BLAS.threads = 1; BLAS.threads = saved }
    let us = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e3 / Double(n)
    print(String(format: "BLAS.threads = 1 and back: %.3f µs", us))
}

// Breakdown on one thread (CPU time of this thread, so other processes' load matters less):
// the forward's GEMMs alone, with the same blocks, versus the whole forward.
do {
    let (B, T, NH, HD) = (8, 276, 12, 64)
    let C = NH * HD
    let qkv = Tensor(shape: [B, T, 3 * C]); fill(qkv, seed: 1)
    let out = Tensor(shape: [B, T, C])
    let p = Tensor(shape: [64, T])
    let pool = ThreadPool.shared
    ThreadPool.shared = ThreadPool(threads: 1)
    let saved = BLAS.threads
    BLAS.threads = 1
    var flops = 0.0
    let gemms = cpuMs {
        flops = 0
        for b in 0..<B { for h in 0..<NH {
            var i0 = 0
            while i0 < T {
                let i1 = min(T, i0 + 64), c1 = i1
                let q = qkv.data + b * T * 3 * C + i0 * 3 * C + h * HD
                let k = qkv.data + b * T * 3 * C + C + h * HD, v = k + C
                BLAS.sgemm(transA: false, transB: true, m: i1 - i0, n: c1, k: HD, alpha: 0.125, a: q, lda: 3 * C,
                           b: k, ldb: 3 * C, c: p.data, ldc: T)
                BLAS.sgemm(transA: false, transB: false, m: i1 - i0, n: HD, k: c1, a: p.data, lda: T, b: v,
                           ldb: 3 * C, c: out.data + b * T * C + i0 * C + h * HD, ldc: C)
                flops += 4.0 * Double((i1 - i0) * c1 * HD)
                i0 = i1
            }
        } }
    }
    let l = HeadLayout.rows(tokens: T, rowWidth: 3 * C, headDim: HD)
    let whole = cpuMs {
        Attention.forward(out: MutableHeadsView(out.data, .contiguous(tokens: T, heads: NH, headDim: HD)),
                          q: HeadsView(qkv.data, l), k: HeadsView(qkv.data + C, l), v: HeadsView(qkv.data + 2 * C, l),
                          shape: AttentionShape(batch: B, queries: T, keys: T, heads: NH, headDim: HD),
                          options: AttentionOptions(causal: true))
    }
    BLAS.threads = saved
    ThreadPool.shared = pool
    print(String(format: "1 thread, train fwd (causal, no mask): GEMMs alone %.2f ms (%.1f GFLOPS), whole forward %.2f ms",
                 gemms, flops / gemms / 1e6, whole))
}

// In a training step the attention runs right after the qkv projection, a 2-thread OpenBLAS GEMM
// whose worker thread keeps spinning (yielding) for a while afterwards: time the forward in that case.
do {
    let (B, T, NH, HD) = (8, 276, 12, 64)
    let C = NH * HD
    let x = Tensor(shape: [B * T, C]); fill(x, seed: 6)
    let w = Tensor(shape: [3 * C, C]); fill(w, seed: 7)
    let qkv = Tensor(shape: [B, T, 3 * C])
    let out = Tensor(shape: [B, T, C])
    let l = HeadLayout.rows(tokens: T, rowWidth: 3 * C, headDim: HD)
    var bestAttn = Double.infinity, bestGemm = Double.infinity
    for _ in 0..<reps {
        let t0 = DispatchTime.now().uptimeNanoseconds
        BLAS.sgemm(transA: false, transB: true, m: B * T, n: 3 * C, k: C, a: x.data, lda: C, b: w.data, ldb: C,
                   c: qkv.data, ldc: 3 * C)
        let t1 = DispatchTime.now().uptimeNanoseconds
        Attention.forward(out: MutableHeadsView(out.data, .contiguous(tokens: T, heads: NH, headDim: HD)),
                          q: HeadsView(qkv.data, l), k: HeadsView(qkv.data + C, l), v: HeadsView(qkv.data + 2 * C, l),
                          shape: AttentionShape(batch: B, queries: T, keys: T, heads: NH, headDim: HD),
                          options: AttentionOptions(causal: true))
        let t2 = DispatchTime.now().uptimeNanoseconds
        bestGemm = min(bestGemm, Double(t1 - t0) / 1e6)
        bestAttn = min(bestAttn, Double(t2 - t1) / 1e6)
    }
    print(String(format: "qkv GEMM (2 BLAS threads) %.2f ms, then train fwd (pool, probs not saved) %.2f ms",
                 bestGemm, bestAttn))
}
