// Many-row products on weights kept in ggml blocks (`Weight.Storage.blocks`, `--dtype native`):
// prefill and training. The weight's rows are dequantized to float32 by the C panel kernels
// (Sources/CBLAS/quant_panel.c) and multiplied by OpenBLAS.
//
// Forward with many rows (m ≥ 256 per pool thread: prefill, training): the output columns (W's rows)
// are split over the pool; each thread widens its own rows, panel by panel, into its own scratch and
// runs a single-threaded SGEMM on each panel while it is still in cache (no barrier between widening
// and product, nothing widened twice). An OpenBLAS product's element (i, j) sums over k in an order
// that depends on K alone, not on how M or N are split, so this gives the float32 weight's result bit
// for bit, whatever the weight's size (the float32 path splits rows or columns; BlockPanelTests
// checks equality). Otherwise (fewer rows, and dY·W) the rows are widened in chunks of up to 16 MiB,
// split over the pool, and each chunk runs the float32 product exactly as a float32 weight of that
// shape would (same GEMM splits): a one-chunk weight (every SmolLM2 matrix, a 1B model's attention
// matrices) gives the float32 result bit for bit; dY·W on a larger one differs by the float summation
// order of its chunks.

/// Chunks of a block weight's rows widened to float32 for the float32 GEMM paths.
enum BlockPanels {
    /// Floats per chunk (16 MiB): with k = 4,096, 1,024 rows, so A (the activations) is repacked by
    /// OpenBLAS at most once per 1,024 output columns, while the chunk stays a small part of memory.
    static let maxFloats = 1 << 22

    /// Calls `body(r0, r1, chunk)` for consecutive row ranges of the `[rows, k]` block matrix at `q`,
    /// `chunk` the rows `[r0, r1)` as a row-major float32 `[r1 - r0, k]` (ld = k), in scratch that
    /// is reused (concurrent callers get their own).
    static func each(_ format: BlockFormat, _ q: UnsafeRawPointer, rows: Int, k: Int,
                     _ body: (Int, Int, UnsafePointer<Float>) -> Void) {
        guard rows > 0, k > 0 else { return }
        let perChunk = max(1, maxFloats / k)
        let chunks = (rows + perChunk - 1) / perChunk
        let step = (rows + chunks - 1) / chunks   // equal chunks rather than a short last one
        let rowBytes = format.rowBytes(k)
        ScratchCache.shared.with(min(rows, step) * k) { buf in
            var r0 = 0
            while r0 < rows {
                let r1 = min(rows, r0 + step)
                format.dequantize(q + r0 * rowBytes, count: (r1 - r0) * k, into: buf)
                body(r0, r1, UnsafePointer(buf))
                r0 = r1
            }
        }
    }
}

extension Linear {
    /// y[M,N] = x[M,K]·Wᵀ + b for a block weight: columns split over the pool with per-thread panels
    /// for many rows, else chunk by chunk on the float32 path (see ``BlockPanels``).
    static func forwardBlocks(_ x: UnsafePointer<Float>, _ w: Weight, _ format: BlockFormat, _ q: UnsafeRawPointer,
                              bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>, m: Int,
                              accumulate: Bool, ldy: Int) {
        let parts = min(ThreadPool.shared.threads, BLAS.threads)
        if parts > 1, m >= 256 * parts, w.outFeatures >= 32 * parts {
            forwardSplit(x, w, format, q, bias: bias, y, m: m, accumulate: accumulate, ldy: ldy, parts: parts)
            return
        }
        BlockPanels.each(format, q, rows: w.outFeatures, k: w.inFeatures) { r0, r1, chunk in
            // y[:, r0..<r1] (+)= x · chunkᵀ + b[r0..<r1]      chunk: [r1-r0, K]
            let part = Weight(outFeatures: r1 - r0, inFeatures: w.inFeatures, storage: .f32(chunk), owner: nil)
            forward(x, part, bias: bias.map { $0 + r0 }, y + r0, m: m, accumulate: accumulate, ldy: ldy)
        }
    }

    /// dx[M,K] (+)= dy[M,N]·W[N,K] for a block weight: the chunks' products summed into dx in row order.
    static func backwardInputBlocks(_ dy: UnsafePointer<Float>, _ w: Weight, _ format: BlockFormat,
                                    _ q: UnsafeRawPointer, _ dx: UnsafeMutablePointer<Float>, m: Int,
                                    accumulate: Bool, lddy: Int) {
        var first = true
        BlockPanels.each(format, q, rows: w.outFeatures, k: w.inFeatures) { r0, r1, chunk in
            // dx (+)= dy[:, r0..<r1] · chunk      chunk: [r1-r0, K]
            let part = Weight(outFeatures: r1 - r0, inFeatures: w.inFeatures, storage: .f32(chunk), owner: nil)
            backwardInput(dy + r0, part, dx, m: m, accumulate: accumulate || !first, lddy: lddy)
            first = false
        }
    }

    /// The many-row forward: part p of the pool takes W's rows [n0, n1) (multiples of 16), widens them
    /// `panelRows` at a time into its own scratch and runs y[:, r0..<r1] (+)= x · panelᵀ single-threaded.
    /// The bias is handled as the float32 path does (start C from it, or add it after when accumulating).
    /// Every SGEMM call runs with beta = 1 on C prepared here (see below).
    static func forwardSplit(_ x: UnsafePointer<Float>, _ w: Weight, _ format: BlockFormat, _ q: UnsafeRawPointer,
                             bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>, m: Int,
                             accumulate: Bool, ldy: Int, parts: Int) {
        let (n, k) = (w.outFeatures, w.inFeatures)
        let rowBytes = format.rowBytes(k), blocksPerRow = k / format.blockElements
        // Each thread's scratch is at most one chunk's share: 16 MiB over all threads, as before.
        let panelRows = max(16, (BlockPanels.maxFloats / parts / k) & ~15)
        BLAS.singleThreaded {
            ThreadPool.shared.run(parts: parts) { p in
                let n0 = (n * p / parts) & ~15, n1 = p == parts - 1 ? n : (n * (p + 1) / parts) & ~15
                guard n1 > n0 else { return }
                // C starts from the bias, or from zeros written here: OpenBLAS's own beta = 0 pass over a
                // strided column block is a slow scalar loop (its memset path needs ldc = the block
                // width). C = +0, then C += A·Bᵀ with beta = 1 is what beta = 0 computes, bit for bit.
                if !accumulate {
                    for i in 0..<m {
                        let row = y + i * ldy + n0
                        if let bias { row.update(from: bias + n0, count: n1 - n0) } else { row.update(repeating: 0, count: n1 - n0) }
                    }
                }
                let panels = (n1 - n0 + panelRows - 1) / panelRows
                let step = min(n1 - n0, ((n1 - n0 + panels - 1) / panels + 15) & ~15)   // equal panels
                ScratchCache.shared.with(step * k) { buf in
                    var r0 = n0
                    while r0 < n1 {
                        let r1 = min(n1, r0 + step)
                        // panel = W[r0..<r1, :] in float32;  y[:, r0..<r1] (+)= x · panelᵀ   panel: [r1-r0, K]
                        format.dequantize(q + r0 * rowBytes, blocks: 0..<((r1 - r0) * blocksPerRow), into: buf)
                        BLAS.sgemm(transA: false, transB: true, m: m, n: r1 - r0, k: k, a: x, lda: k, b: buf, ldb: k,
                                   beta: 1, c: y + r0, ldc: ldy)
                        r0 = r1
                    }
                }
                if let bias, accumulate {
                    for i in 0..<m {
                        let row = y + i * ldy
                        for j in n0..<n1 { row[j] += bias[j] }
                    }
                }
            }
        }
    }
}
