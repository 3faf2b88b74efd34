// Linear layer computed in bfloat16, as PyTorch runs a model cast to torch.bfloat16 on a CPU:
// inputs rounded to bf16, bf16 weights, products summed in float32 by AVX512-BF16 `vdpbf16ps`
// (Sources/CBLAS/bf16.c), output rounded to bf16. Activations stay float32 arrays holding
// bf16-representable values, so the rest of the model needs no second element type.

import CBLAS
import Synchronization

/// `nn.Linear` forward and input-gradient on bf16 dot products (weights frozen: no dW).
public enum LinearBF16 {
    /// True when this CPU runs the kernels (AVX-512 F/BW/VL and AVX512-BF16). Every other entry
    /// point requires it; callers fall back to ``Linear`` (float32) without it.
    public static let isAvailable: Bool = sp_cpu_has_avx512_bf16() != 0

    /// y[M,N] = bf16(bf16(x)[M,K]·Wᵀ + b)   (W bf16, logical `[N,K]`, stored `[N,K]`)
    ///
    /// - Parameters:
    ///   - x: `[m, w.inFeatures]`, float32; each element is rounded to bf16 before the product.
    ///   - w: a weight with `.bf16` storage.
    ///   - bias: optional `[w.outFeatures]`, added in float32 before the output rounding.
    ///   - y: `[m, w.outFeatures]`, row stride `ldy` (default `w.outFeatures`).
    ///   - accumulate: adds into `y` (before the rounding) instead of overwriting it.
    ///   - roundOutput: rounds y to bf16 (a bf16 model's Linear output); false keeps the float32 sums.
    public static func forward(_ x: UnsafePointer<Float>, _ w: Weight, bias: UnsafePointer<Float>?,
                               _ y: UnsafeMutablePointer<Float>, m: Int, accumulate: Bool = false, ldy: Int? = nil,
                               roundOutput: Bool = true) {
        guard case .bf16(let p) = w.storage else { preconditionFailure("LinearBF16 needs bf16 weight storage") }
        precondition(isAvailable, "LinearBF16 needs AVX512-BF16 (check LinearBF16.isAvailable)")
        let (n, k) = (w.outFeatures, w.inFeatures)
        let ldc = ldy ?? n
        // One row (decoding): stream W once on the gemv kernel, unless the thread asked for row
        // invariance (a batched row must equal the row alone, and the gemv sums in another order).
        if m == 1 && !RowInvariance.isOn {
            return LinearBF16Gemv.product(x, w, bias: bias, y, accumulate: accumulate, roundOutput: roundOutput)
        }
        var add = accumulate
        if let bias {
            for i in 0..<m {
                let row = y + i * ldc
                if accumulate { for j in 0..<n { row[j] += bias[j] } } else { row.update(from: bias, count: n) }
            }
            add = true
        }
        gemm(transB: true, m: m, n: n, k: k, a: x, lda: k, b: p, ldb: k, c: y, ldc: ldc, accumulate: add,
             round: roundOutput)
    }

    /// dx[M,K] = bf16(bf16(dy)[M,N]·W)   (W bf16 `[N,K]`); `accumulate` adds into dx before rounding.
    /// `lddy`: dy's row stride (default `w.outFeatures`).
    public static func backwardInput(_ dy: UnsafePointer<Float>, _ w: Weight, _ dx: UnsafeMutablePointer<Float>,
                                     m: Int, accumulate: Bool = false, lddy: Int? = nil, roundOutput: Bool = true) {
        guard case .bf16(let p) = w.storage else { preconditionFailure("LinearBF16 needs bf16 weight storage") }
        precondition(isAvailable, "LinearBF16 needs AVX512-BF16 (check LinearBF16.isAvailable)")
        let (n, k) = (w.outFeatures, w.inFeatures)
        gemm(transB: false, m: m, n: k, k: n, a: dy, lda: lddy ?? n, b: p, ldb: k, c: dx, ldc: k, accumulate: accumulate,
             round: roundOutput)
    }

    /// C[m,n] (+)= bf16(A)[m,k]·op(B). Many rows (≥ ``packedRows``): B is packed once per call into
    /// the micro-kernel's panel layout, shared by all threads (in chunks of at most `chunkBytes`),
    /// and the rows are split over ``ThreadPool/shared``, so no thread repacks B or another's rows
    /// of A. Few rows (decoding): the output columns are split in multiples of 64 and each part
    /// packs its own A copy and B panels. transB: B stored `[n][k]`; otherwise `[k][n]`.
    ///
    /// `dynamicRows` (the default) hands the packed path's rows out in shrinking chunks from a shared
    /// counter; false splits them statically, one equal range per thread (the bits are the same).
    static func gemm(transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<UInt16>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                     accumulate: Bool, round: Bool, chunkBytes: Int = 8 << 20, dynamicRows: Bool = true) {
        if m <= 0 || n <= 0 { return }
        if m >= packedRows && k > 0 {
            return gemmPacked(transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
                              accumulate: accumulate, round: round, chunkBytes: chunkBytes, dynamicRows: dynamicRows)
        }
        let blocks = (n + 63) / 64
        // One part per thread when each gets enough work to pay for its copy of A.
        let parts = min(ThreadPool.shared.threads, blocks, max(1, m * n * k / (1 << 18)))
        let bytes = sp_bf16_gemm_scratch_bytes(Int32(m), Int32(n), Int32(k))
        func run(_ part: Int) {
            let j0 = min(n, blocks * part / parts * 64), j1 = min(n, blocks * (part + 1) / parts * 64)
            if j1 <= j0 { return }
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            defer { scratch.deallocate() }
            let bOffset = transB ? j0 * ldb : j0
            sp_bf16_gemm(transB ? 1 : 0, Int32(m), Int32(j1 - j0), Int32(k), a, Int32(lda), b + bOffset, Int32(ldb),
                         c + j0, Int32(ldc), accumulate ? 1 : 0, round ? 1 : 0, scratch)
        }
        if parts == 1 { run(0) } else { ThreadPool.shared.run(parts: parts) { run($0) } }
    }

    /// Rows from which ``gemm`` packs B once per call and splits rows over the threads.
    static let packedRows = 48

    /// The packed path of ``gemm``. B is cut into chunks of whole reduction slices (768 rows of
    /// op(B)) × column groups (multiples of 64) of at most `chunkBytes` packed; per chunk the
    /// threads pack disjoint 64-column panels, then multiply disjoint row ranges (multiples of 6,
    /// the micro-kernel's height) against the whole chunk: with `dynamicRows`, each thread takes the
    /// next run of 6-row blocks from a shared counter (``RowClaims``) until none is left, so a thread
    /// that was descheduled or slower does not leave the other waiting; otherwise one equal range each.
    static func gemmPacked(transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                           b: UnsafePointer<UInt16>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                           accumulate: Bool, round: Bool, chunkBytes: Int, dynamicRows: Bool = true) {
        let slice = Int(SP_BF16_KC), threads = ThreadPool.shared.threads
        // Packed bytes of one slice × all columns; whole columns when a slice fits the budget.
        let sliceBytes = (n + 63) / 64 * 64 * slice * 2
        let (cw, kw): (Int, Int)
        if sliceBytes <= chunkBytes {
            (cw, kw) = (n, min(k, max(1, chunkBytes / sliceBytes) * slice))
        } else {
            (cw, kw) = (min(n, max(64, chunkBytes / (slice * 2) / 64 * 64)), min(k, slice))
        }
        let blocks = (m + 5) / 6, rowParts = min(threads, blocks)
        let packedBytes = (sp_bf16_packed_b_bytes(Int32(cw), Int32(kw)) + 63) / 64 * 64
        let partRows = dynamicRows ? RowClaims.largest(blocks: blocks, parts: rowParts) * 6 : blocks * 6 / rowParts + 6
        let scratchBytes = (sp_bf16_gemm_packed_scratch_bytes(Int32(partRows)) + 63) / 64 * 64
        // Kept between calls (ScratchCache): a fresh multi-megabyte allocation faults its pages in
        // on every call, which measured slower than the packing itself.
        ScratchCache.shared.with((packedBytes + rowParts * scratchBytes + 64) / 4) { floats in
            let base = UnsafeMutableRawPointer(floats).alignedUp(toMultipleOf: 64)
            let bp = base.assumingMemoryBound(to: UInt32.self)
            let scratch = (0..<rowParts).map { base + packedBytes + $0 * scratchBytes }
            packedProducts(transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
                           accumulate: accumulate, round: round, cw: cw, kw: kw, packed: bp, scratch: scratch,
                           dynamicRows: dynamicRows)
        }
    }

    /// ``gemmPacked``'s chunk loop: per chunk of `kw` reduction rows × `cw` columns, the threads
    /// pack disjoint panels into `packed`, then multiply disjoint row ranges (`scratch[part]` each).
    private static func packedProducts(transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                       b: UnsafePointer<UInt16>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                       accumulate: Bool, round: Bool, cw: Int, kw: Int,
                                       packed bp: UnsafeMutablePointer<UInt32>, scratch: [UnsafeMutableRawPointer],
                                       dynamicRows: Bool) {
        let threads = ThreadPool.shared.threads, blocks = (m + 5) / 6, rowParts = scratch.count
        for k0 in stride(from: 0, to: k, by: kw) {
            let kk = min(kw, k - k0), last = k0 + kk >= k
            for j0 in stride(from: 0, to: n, by: cw) {
                let nn = min(cw, n - j0), panels = (nn + 63) / 64
                let bsub = transB ? b + j0 * ldb + k0 : b + k0 * ldb + j0
                let packParts = min(threads, panels)
                ThreadPool.shared.run(parts: packParts) { part in
                    sp_bf16_pack_b(transB ? 1 : 0, Int32(nn), Int32(kk), bsub, Int32(ldb),
                                   Int32(panels * part / packParts), Int32(panels * (part + 1) / packParts), bp)
                }
                func rows(_ i0: Int, _ i1: Int, _ part: Int) {
                    if i1 <= i0 { return }
                    sp_bf16_gemm_packed(Int32(i1 - i0), Int32(nn), Int32(kk), a + i0 * lda + k0, Int32(lda), bp,
                                        c + i0 * ldc + j0, Int32(ldc), (accumulate || k0 > 0) ? 1 : 0,
                                        (round && last) ? 1 : 0, scratch[part])
                }
                if dynamicRows {
                    let claims = RowClaims(blocks: blocks, parts: rowParts)
                    ThreadPool.shared.run(parts: rowParts) { part in
                        while let r = claims.next() { rows(min(m, r.lowerBound * 6), min(m, r.upperBound * 6), part) }
                    }
                } else {
                    ThreadPool.shared.run(parts: rowParts) { part in
                        rows(min(m, blocks * part / rowParts * 6), min(m, blocks * (part + 1) / rowParts * 6), part)
                    }
                }
            }
        }
    }

    /// The packed path's dynamic row split: runs of 6-row blocks handed out from a shared counter,
    /// each a quarter of what is left per thread (guided scheduling: big runs first, so A's packing and
    /// B's reuse stay as with one range per thread, then shorter ones so the threads finish together),
    /// never fewer than ``minimum`` blocks. Which thread computes a row does not change its bits.
    final class RowClaims: Sendable {
        /// Smallest run, in 6-row blocks (24 rows: the last runs still reuse a B panel over 4 tiles).
        static let minimum = 4
        private let counter = Atomic<Int>(0)
        let blocks: Int, parts: Int

        init(blocks: Int, parts: Int) {
            self.blocks = blocks
            self.parts = max(1, parts)
        }

        /// The longest run ``next()`` hands out (sizes one thread's A scratch).
        static func largest(blocks: Int, parts: Int) -> Int {
            min(blocks, max(minimum, blocks / (2 * max(1, parts))))
        }

        /// The next run of blocks, or nil when all are taken.
        func next() -> Range<Int>? {
            var start = counter.load(ordering: .relaxed)
            while start < blocks {
                let end = min(blocks, start + max(Self.minimum, (blocks - start) / (2 * parts)))
                let (done, seen) = counter.compareExchange(expected: start, desired: end, ordering: .relaxed)
                if done { return start..<end }
                start = seen
            }
            return nil
        }
    }

    /// Rounds `n` floats to the nearest bf16 in place (PyTorch's `.to(torch.bfloat16)`, kept as float32).
    public static func roundToBF16(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        sp_round_bf16_inplace(x, n)
    }
}

