// Row-level pieces of attention: which keys a query row sees, the masked softmax of one score row
// (forward) and its backward, vectorised with SIMD8 and a polynomial exp (never libm per element).

extension Attention {
    /// The masking of one attention call, resolved once and shared by every (batch, head) task.
    struct Plan {
        let T: Int, S: Int
        let scale: Float
        let causal: Bool
        let offset: Int
        let window: Int?
        let mask: UnsafePointer<Float>?
        let maskStride: Int
        let bias: AttentionBias?
        /// ``AttentionOptions/bf16``.
        let bf16: Bool
        /// bf16 on a CPU with AVX512-BF16: blocks of several query rows run their products on the
        /// bf16 GEMM (``Attention/BF16Products``); single rows (decoding) and other CPUs on BLAS.
        let bf16GEMM: Bool
        /// visibleBefore[b·(S+1) + j] = number of unmasked keys among 0..<j (only with a key mask).
        let visibleBefore: [Int32]
        /// firstVisible[b] = the first unmasked key of row b (S when none; only with a key mask).
        /// Leading masked keys (left padding) are skipped, so a left-padded row's softmax and P·V
        /// run over the same columns, in the same SIMD lanes, as the unpadded row: its result does
        /// not depend on its padding.
        let firstVisible: [Int]

        init(shape: AttentionShape, options o: AttentionOptions) {
            T = shape.queries
            S = shape.keys
            precondition(S > 0 && T > 0, "attention needs at least one query and one key")
            precondition(shape.heads % shape.kvHeads == 0, "kv heads \(shape.kvHeads) must divide heads \(shape.heads)")
            precondition(o.queryOffset >= 0, "negative query offset")
            if let w = o.slidingWindow { precondition(w >= 1, "sliding window \(w) must be ≥ 1") }
            scale = o.scale ?? 1 / Float(shape.headDim).squareRoot()
            causal = o.causal
            offset = o.queryOffset
            window = o.slidingWindow
            mask = o.keyMask
            maskStride = o.keyMaskStride ?? shape.keys
            bias = o.bias
            bf16 = o.bf16
            bf16GEMM = o.bf16 && LinearBF16.isAvailable
            if let m = o.keyMask {
                var c = [Int32](repeating: 0, count: shape.batch * (S + 1))
                var first = [Int](repeating: S, count: shape.batch)
                for b in 0..<shape.batch {
                    var n: Int32 = 0
                    for j in 0..<S {
                        c[b * (S + 1) + j] = n
                        if m[b * maskStride + j] != 0 {
                            if n == 0 { first[b] = j }
                            n += 1
                        }
                    }
                    c[b * (S + 1) + S] = n
                }
                visibleBefore = c
                firstVisible = first
            } else {
                visibleBefore = []
                firstVisible = []
            }
        }

        /// Keys `lo..<hi` of batch row b pass the causal and window tests for query row i and are
        /// not leading masked keys (other masked keys inside are masked in the softmax).
        @inline(__always)
        func range(_ b: Int, _ i: Int) -> (lo: Int, hi: Int) {
            let a = offset + i
            let hi = causal ? min(S, max(0, a + 1)) : S
            var lo = window.map { max(0, a - $0 + 1) } ?? 0
            if !firstVisible.isEmpty { lo = Swift.max(lo, firstVisible[b]) }
            return (min(lo, hi), hi)
        }

        /// True when query row i of batch b sees no key at all.
        @inline(__always)
        func isDead(_ b: Int, _ i: Int) -> Bool {
            let (lo, hi) = range(b, i)
            if lo >= hi { return true }
            if mask == nil { return false }
            return visibleBefore[b * (S + 1) + hi] == visibleBefore[b * (S + 1) + lo]
        }

        /// Columns `c0..<c1` that rows i0..<i1 need: the union of their visible ranges, or all S keys if
        /// one of them is dead (its uniform probabilities touch every key).
        func columns(_ b: Int, _ i0: Int, _ i1: Int) -> (c0: Int, c1: Int) {
            for i in i0..<i1 where isDead(b, i) { return (0, S) }
            return (range(b, i0).lo, range(b, i1 - 1).hi)
        }

        /// Score row i → probability row, in place.  p[S] holds scale·q·kᵀ in columns c0..<c1 on entry;
        /// on return columns c0..<c1 hold the probabilities (0 where masked).
        func softmaxRow(_ p: UnsafeMutablePointer<Float>, b: Int, h: Int, i: Int, c0: Int, c1: Int) {
            if isDead(b, i) {
                let u = bf16 ? BF16Compute.round(1 / Float(S)) : 1 / Float(S)
                for j in 0..<S { p[j] = u }
                return
            }
            let (lo, hi) = range(b, i)
            for j in c0..<lo { p[j] = 0 }
            for j in hi..<c1 { p[j] = 0 }
            if let bias {
                let r = bias.data + b * bias.batchStride + h * bias.headStride + i * bias.rowStride
                for j in lo..<hi { p[j] += r[j] }
                if bf16 { for j in lo..<hi { p[j] = BF16Compute.round(p[j]) } }
            }
            if let mask {
                let m = mask + b * maskStride
                for j in lo..<hi where m[j] == 0 { p[j] = -.infinity }
            }
            let x = p + lo, n = hi - lo
            let mx = Rows.max(x, n)
            let sum = Rows.expShiftedSum(x, n, mx)
            Rows.scale(x, n, 1 / sum)
            if bf16 { LinearBF16.roundToBF16(x, count: n) }
        }

        /// dP row → dScores row (times the score scale), in place over columns c0..<c1:
        /// dS = P ⊙ (dP − Σ P⊙dP) · scale; zero for a dead row.
        func softmaxBackwardRow(_ d: UnsafeMutablePointer<Float>, probs p: UnsafePointer<Float>, b: Int, i: Int,
                                c0: Int, c1: Int) {
            if isDead(b, i) {
                for j in c0..<c1 { d[j] = 0 }
                return
            }
            let n = c1 - c0
            let dot = Rows.dot(p + c0, UnsafePointer(d + c0), n)
            Rows.softmaxGrad(d + c0, p + c0, n, dot, scale)
        }
    }

    /// SIMD8 row primitives.
    enum Rows {
        typealias F8 = SIMD8<Float>

        @inline(__always) static func load(_ p: UnsafePointer<Float>, _ i: Int) -> F8 {
            UnsafeRawPointer(p + i).loadUnaligned(as: F8.self)
        }
        @inline(__always) static func store(_ v: F8, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
            UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: F8.self)
        }

        /// max of x[0..<n] (n ≥ 1).
        static func max(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
            var i = 0
            var m = -Float.infinity
            if n >= 8 {
                // `replace(with:where:)`, not the generic pointwiseMax/max(), which are not inlined
                var mv = load(x, 0)
                i = 8
                while i + 8 <= n {
                    let v = load(x, i)
                    mv.replace(with: v, where: v .> mv)
                    i += 8
                }
                for k in 0..<8 where mv[k] > m { m = mv[k] }
            }
            while i < n { m = Swift.max(m, x[i]); i += 1 }
            return m
        }

        /// x ← e^(x − m) in place; returns Σ. Masked (−∞) entries give exactly 0 (``VectorMath/exp(_:)``).
        static func expShiftedSum(_ x: UnsafeMutablePointer<Float>, _ n: Int, _ m: Float) -> Float {
            let mv = F8(repeating: m)
            var sv = F8(repeating: 0)
            var i = 0
            while i + 8 <= n {
                let e = VectorMath.exp(load(x, i) - mv)
                store(e, x, i)
                sv += e
                i += 8
            }
            var s = sv.sum()
            if i < n {
                var tail = F8(repeating: -.infinity)
                for k in 0..<(n - i) { tail[k] = x[i + k] }
                let e = VectorMath.exp(tail - mv)
                for k in 0..<(n - i) { x[i + k] = e[k]; s += e[k] }
            }
            return s
        }

        /// x ← x · c.
        static func scale(_ x: UnsafeMutablePointer<Float>, _ n: Int, _ c: Float) {
            var i = 0
            while i + 8 <= n { store(load(x, i) * c, x, i); i += 8 }
            while i < n { x[i] *= c; i += 1 }
        }

        /// Σ a·b.
        static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
            var acc = F8(repeating: 0)
            var i = 0
            while i + 8 <= n { acc = acc.addingProduct(load(a, i), load(b, i)); i += 8 }
            var s = acc.sum()
            while i < n { s += a[i] * b[i]; i += 1 }
            return s
        }

        /// d ← p ⊙ (d − dot) · scale.
        static func softmaxGrad(_ d: UnsafeMutablePointer<Float>, _ p: UnsafePointer<Float>, _ n: Int,
                                _ dot: Float, _ scale: Float) {
            let dv = F8(repeating: dot)
            var i = 0
            while i + 8 <= n { store(load(p, i) * (load(UnsafePointer(d), i) - dv) * scale, d, i); i += 8 }
            while i < n { d[i] = p[i] * (d[i] - dot) * scale; i += 1 }
        }
    }
}
