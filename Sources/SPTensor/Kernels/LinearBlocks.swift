// Many-row products on weights kept in ggml blocks (`Weight.Storage.blocks`, `--dtype native`):
// prefill and training. The weight's rows are dequantized in chunks of up to 16 MiB of float32 by the
// C panel kernels (Sources/CBLAS/quant_panel.c, split over the pool), and each chunk then runs the
// float32 product exactly as a float32 weight of that shape would (same GEMM splits). A weight that
// fits one chunk (every SmolLM2 matrix, a 1B model's attention matrices) therefore gives the float32
// weight's result bit for bit; a larger one differs by the float summation order of its chunks.

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
    /// y[M,N] = x[M,K]·Wᵀ + b for a block weight, chunk by chunk on the float32 path (see ``BlockPanels``).
    static func forwardBlocks(_ x: UnsafePointer<Float>, _ w: Weight, _ format: BlockFormat, _ q: UnsafeRawPointer,
                              bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>, m: Int,
                              accumulate: Bool, ldy: Int) {
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
}
