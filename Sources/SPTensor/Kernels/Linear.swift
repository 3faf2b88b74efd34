// Linear layer: forward y = x·Wᵀ + b and backward to the input only (the weights are frozen, so no
// dW or db is ever computed). GPT-2's Conv1D ([in, out] storage) is handled by `Weight.transposed`.

/// `nn.Linear` / GPT-2 `Conv1D` forward and input-gradient.
public enum Linear {
    /// y[M,N] = x[M,K]·Wᵀ + b[N]   (W logical [N,K]; `accumulate` adds into y instead of overwriting)
    ///
    /// Inside ``BF16Compute/with(_:)``, a bf16-stored weight runs on ``LinearBF16`` (bf16-rounded x and y).
    ///
    /// - Parameters:
    ///   - x: input, `[m, w.inFeatures]`, row stride `w.inFeatures`.
    ///   - bias: optional `[w.outFeatures]`.
    ///   - y: output, `[m, w.outFeatures]` with row stride `ldy` (default `w.outFeatures`), so a
    ///     projection can write its slice of a fused buffer.
    public static func forward(_ x: UnsafePointer<Float>, _ w: Weight, bias: UnsafePointer<Float>?,
                               _ y: UnsafeMutablePointer<Float>, m: Int, accumulate: Bool = false,
                               ldy: Int? = nil) {
        let (n, k) = (w.outFeatures, w.inFeatures)
        let ldc = ldy ?? n
        let beta: Float = accumulate ? 1 : 0
        if case .bf16 = w.storage, BF16Compute.isOn {
            LinearBF16.forward(x, w, bias: bias, y, m: m, accumulate: accumulate, ldy: ldc)
            return
        }
        let invariant = RowInvariance.isOn
        if invariant, case .f32(let p) = w.storage {
            RowInvariance.forward(x, p, transposed: w.transposed, n: n, k: k, bias: bias, y, m: m, accumulate: accumulate,
                                  ldy: ldc)
            return
        }
        // One row takes the GEMV paths unless the thread asked for row invariance (see RowInvariance).
        let gemv = m == 1 && !invariant
        switch w.storage {
        case .f32(let p) where gemv && !w.transposed:
            // Decoding: stream W once at read bandwidth (Sources/CBLAS/gemv.c), rows split over the pool.
            F32Gemv.product(p, n: n, k: k, x: x, y: y, accumulate: beta != 0)
        case .f32(let p) where gemv:
            if w.transposed {
                BLAS.sgemv(trans: true, rows: k, cols: n, a: p, lda: n, x: x, beta: beta, y: y)
            } else {
                BLAS.sgemv(trans: false, rows: n, cols: k, a: p, lda: k, x: x, beta: beta, y: y)
            }
        case .f32(let p):
            // With a bias and no accumulation, start C from the bias rows and let the GEMM add
            // (beta = 1): one pass over y instead of OpenBLAS's zeroing pass plus an add pass.
            if let bias, !accumulate {
                for i in 0..<m { (y + i * ldc).update(from: bias, count: n) }
                BLAS.sgemmSplitRows(transB: !w.transposed, m: m, n: n, k: k, a: x, lda: k,
                                    b: p, ldb: w.transposed ? n : k, beta: 1, c: y, ldc: ldc)
                return
            }
            if !w.transposed && n * k > 1 << 23 {
                BLAS.sgemmSplitColumns(m: m, n: n, k: k, a: x, lda: k, b: p, ldb: k, beta: beta, c: y, ldc: ldc)
            } else {
                BLAS.sgemmSplitRows(transB: !w.transposed, m: m, n: n, k: k, a: x, lda: k,
                                    b: p, ldb: w.transposed ? n : k, beta: beta, c: y, ldc: ldc)
            }
        case .f16(let h) where gemv:
            gemvRows(n, y, beta: beta) { j in HalfDot.f16(UnsafeRawPointer(h + j * k), x, k) }
        case .bf16(let h) where gemv:
            gemvRows(n, y, beta: beta) { j in HalfDot.bf16(UnsafeRawPointer(h + j * k), x, k) }
        case .q8_0(let q) where gemv:
            let rowBytes = Q8_0.rowBytes(k)
            gemvRows(n, y, beta: beta) { j in Q8_0.dot(q + j * rowBytes, x, k) }
        case .blocks(let f, let q) where w.q8Activations:
            QuantDotQ8.product(f, q, n: n, k: k, x: x, m: m, y: y, ldy: ldc, accumulate: accumulate)
        case .blocks(let f, let q) where m <= 4 && !invariant:
            QuantDot.product(f, q, n: n, k: k, x: x, m: m, y: y, ldy: ldc, accumulate: accumulate)
        case .blocks(let f, let q):
            forwardBlocks(x, w, f, q, bias: bias, y, m: m, accumulate: accumulate, ldy: ldc)
            return   // the chunks added the bias
        case .f16, .bf16, .q8_0:
            withPanels(w) { r0, r1, panel in
                // y[:, r0..<r1] = x · panelᵀ      panel: [r1-r0, K]
                BLAS.sgemm(transA: false, transB: true, m: m, n: r1 - r0, k: k, a: x, lda: k,
                           b: panel, ldb: k, beta: beta, c: y + r0, ldc: ldc)
            }
        }
        if let bias { addBias(y, bias, m: m, n: n, ldy: ldc) }
    }

    /// dx[M,K] (+)= dy[M,N]·W[N,K]   (gradient w.r.t. the input only)
    ///
    /// - Parameters:
    ///   - dy: upstream gradient, `[m, w.outFeatures]` with row stride `lddy` (default `outFeatures`).
    ///   - dx: input gradient, `[m, w.inFeatures]`; overwritten unless `accumulate`.
    public static func backwardInput(_ dy: UnsafePointer<Float>, _ w: Weight,
                                     _ dx: UnsafeMutablePointer<Float>, m: Int, accumulate: Bool = false,
                                     lddy: Int? = nil) {
        let (n, k) = (w.outFeatures, w.inFeatures)
        let lda = lddy ?? n
        if case .bf16 = w.storage, BF16Compute.isOn {
            LinearBF16.backwardInput(dy, w, dx, m: m, accumulate: accumulate, lddy: lda)
            return
        }
        switch w.storage {
        case .f32(let p) where !w.transposed && n * k > 1 << 23:
            BLAS.sgemmSplitInner(m: m, n: k, k: n, a: dy, lda: lda, b: p, ldb: k, beta: accumulate ? 1 : 0,
                                 c: dx, ldc: k)
        case .f32(let p):
            BLAS.sgemmSplitRows(transB: w.transposed, m: m, n: k, k: n, a: dy, lda: lda,
                                b: p, ldb: w.transposed ? n : k, beta: accumulate ? 1 : 0, c: dx, ldc: k)
        case .blocks(let f, let q):
            backwardInputBlocks(dy, w, f, q, dx, m: m, accumulate: accumulate, lddy: lda)
        case .f16, .bf16, .q8_0:
            var first = true
            withPanels(w) { r0, r1, panel in
                // dx += dy[:, r0..<r1] · panel     panel: [r1-r0, K]
                BLAS.sgemm(transA: false, transB: false, m: m, n: k, k: r1 - r0, a: dy + r0, lda: lda,
                           b: panel, ldb: k, beta: (first && !accumulate) ? 0 : 1, c: dx, ldc: k)
                first = false
            }
        }
    }

    /// y[j] = dot(j) (beta 0) or y[j] += dot(j) (beta 1) for j in 0..<n, rows split over the pool:
    /// the one-row product for weights stored as half or Q8_0, whose row dots widen in registers.
    @inline(__always)
    private static func gemvRows(_ n: Int, _ y: UnsafeMutablePointer<Float>, beta: Float, _ dot: (Int) -> Float) {
        Parallel.forRange(n, grain: 64) { range in
            for j in range {
                let sum = dot(j)
                y[j] = beta == 0 ? sum : y[j] + sum
            }
        }
    }

    /// y[m, n] += b[n] for every row (row stride `ldy`, default n).
    @inlinable
    public static func addBias(_ y: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, m: Int, n: Int,
                               ldy: Int? = nil) {
        let ld = ldy ?? n
        for i in 0..<m {
            let row = y + i * ld
            for j in 0..<n { row[j] += b[j] }
        }
    }

    /// Calls `body(r0, r1, panel)` over row panels of `w` widened to float32 in shared scratch.
    private static func withPanels(_ w: Weight,
                                   _ body: (Int, Int, UnsafePointer<Float>) -> Void) {
        let scratch = PanelScratch.shared
        let rowsPerPanel = max(1, PanelScratch.floats / max(1, w.inFeatures))
        scratch.lock.withLock { _ in
            var r0 = 0
            while r0 < w.outFeatures {
                let r1 = min(w.outFeatures, r0 + rowsPerPanel)
                w.rows(r0, r1, into: scratch.buffer.data)
                body(r0, r1, UnsafePointer(scratch.buffer.data))
                r0 = r1
            }
        }
    }
}

/// Dot products of one half-precision weight row with float32 x, widening 8 elements at a time.
enum HalfDot {
    /// Σ row[i]·x[i], row IEEE float16.
    static func f16(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ k: Int) -> Float {
        dot(row, x, k, widen: { p, off in SIMD8<Float>(p.loadUnaligned(fromByteOffset: off, as: SIMD8<Float16>.self)) },
            scalar: { p, off in Float(p.load(fromByteOffset: off, as: Float16.self)) })
    }

    /// Σ row[i]·x[i], row bfloat16 (the high half of a float32).
    static func bf16(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ k: Int) -> Float {
        dot(row, x, k, widen: { p, off in
            let b = SIMD8<UInt32>(truncatingIfNeeded: p.loadUnaligned(fromByteOffset: off, as: SIMD8<UInt16>.self)) &<< 16
            return unsafeBitCast(b, to: SIMD8<Float>.self)
        }, scalar: { p, off in Float(bitPattern: UInt32(p.load(fromByteOffset: off, as: UInt16.self)) << 16) })
    }

    /// Two 8-wide accumulators over 16-element steps, then a scalar tail.
    @inline(__always)
    private static func dot(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ k: Int,
                            widen: (UnsafeRawPointer, Int) -> SIMD8<Float>,
                            scalar: (UnsafeRawPointer, Int) -> Float) -> Float {
        let xr = UnsafeRawPointer(x)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= k {
            a0.addProduct(widen(row, 2 * i), xr.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self))
            a1.addProduct(widen(row, 2 * i + 16), xr.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self))
            i += 16
        }
        var sum = (a0 + a1).sum()
        while i < k { sum += scalar(row, 2 * i) * x[i]; i += 1 }
        return sum
    }
}
