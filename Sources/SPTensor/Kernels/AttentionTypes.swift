// Value types shared by the attention-family kernels: where head vectors live in memory (so q/k/v can
// be slices of a fused qkv buffer or of a KV cache), the dimensions of one attention call, and its
// masking options.

/// Strides of a `[B, T, H, HD]` tensor of head vectors whose last dimension is contiguous:
/// element `(b, t, h, d)` sits at `b·batch + t·token + h·head + d`.
public struct HeadLayout: Sendable, Equatable {
    /// Elements between consecutive batch entries.
    public var batch: Int
    /// Elements between consecutive tokens (the BLAS leading dimension).
    public var token: Int
    /// Elements between consecutive heads.
    public var head: Int

    /// Explicit strides.
    public init(batch: Int, token: Int, head: Int) {
        self.batch = batch
        self.token = token
        self.head = head
    }

    /// A dense `[B, tokens, heads, headDim]` tensor.
    public static func contiguous(tokens: Int, heads: Int, headDim: Int) -> HeadLayout {
        HeadLayout(batch: tokens * heads * headDim, token: heads * headDim, head: headDim)
    }

    /// Heads stored inside rows of width `rowWidth` of a dense `[B, tokens, rowWidth]` buffer, e.g. the
    /// q, k or v part of GPT-2's `c_attn` output `[B, T, 3C]` (`rowWidth = 3C`; offset the pointer by
    /// 0, C or 2C).
    public static func rows(tokens: Int, rowWidth: Int, headDim: Int) -> HeadLayout {
        HeadLayout(batch: tokens * rowWidth, token: rowWidth, head: headDim)
    }
}

/// Read-only head vectors: a pointer and its ``HeadLayout``.
public struct HeadsView {
    /// Element `(0, 0, 0, 0)`.
    public var data: UnsafePointer<Float>
    /// Strides.
    public var layout: HeadLayout

    /// Wraps `data` with `layout`.
    public init(_ data: UnsafePointer<Float>, _ layout: HeadLayout) {
        self.data = data
        self.layout = layout
    }

    /// First element of head `h` at token `t` of batch entry `b`.
    @inlinable
    public func at(_ b: Int, _ t: Int, _ h: Int) -> UnsafePointer<Float> {
        data + b * layout.batch + t * layout.token + h * layout.head
    }
}

/// Writable head vectors: a pointer and its ``HeadLayout``.
public struct MutableHeadsView {
    /// Element `(0, 0, 0, 0)`.
    public var data: UnsafeMutablePointer<Float>
    /// Strides.
    public var layout: HeadLayout

    /// Wraps `data` with `layout`.
    public init(_ data: UnsafeMutablePointer<Float>, _ layout: HeadLayout) {
        self.data = data
        self.layout = layout
    }

    /// The same memory, read-only.
    public var readOnly: HeadsView { HeadsView(UnsafePointer(data), layout) }

    /// First element of head `h` at token `t` of batch entry `b`.
    @inlinable
    public func at(_ b: Int, _ t: Int, _ h: Int) -> UnsafeMutablePointer<Float> {
        data + b * layout.batch + t * layout.token + h * layout.head
    }
}

/// Dimensions of one attention call.
public struct AttentionShape: Sendable, Equatable {
    /// B.
    public var batch: Int
    /// T, query tokens.
    public var queries: Int
    /// S, key/value tokens (past + current when decoding with a KV cache).
    public var keys: Int
    /// NH, query heads.
    public var heads: Int
    /// NKV, key/value heads; divides NH (NKV = NH: multi-head, 1: multi-query, else grouped-query).
    public var kvHeads: Int
    /// HD.
    public var headDim: Int

    /// Dimensions; `kvHeads` defaults to `heads`.
    public init(batch: Int, queries: Int, keys: Int, heads: Int, kvHeads: Int? = nil, headDim: Int) {
        self.batch = batch
        self.queries = queries
        self.keys = keys
        self.heads = heads
        self.kvHeads = kvHeads ?? heads
        self.headDim = headDim
    }
}

/// An additive score bias (ALiBi, T5 relative bias): element `(b, h, i, j)` at
/// `b·batchStride + h·headStride + i·rowStride + j`. A stride of 0 broadcasts that dimension, e.g.
/// BLOOM's ALiBi `[B, NH, 1, S]` has `rowStride = 0` and T5's `[1, NH, T, S]` has `batchStride = 0`.
public struct AttentionBias {
    /// Element `(0, 0, 0, 0)`.
    public var data: UnsafePointer<Float>
    /// Elements between batch entries (0: shared by the batch).
    public var batchStride: Int
    /// Elements between heads.
    public var headStride: Int
    /// Elements between query rows (0: one row for every query).
    public var rowStride: Int

    /// A bias with explicit strides.
    public init(_ data: UnsafePointer<Float>, batchStride: Int, headStride: Int, rowStride: Int) {
        self.data = data
        self.batchStride = batchStride
        self.headStride = headStride
        self.rowStride = rowStride
    }
}

/// What the scores see before the softmax: `scores = scale · q·kᵀ + bias`, then masking.
///
/// Key `j` is visible to query `i` (absolute position `a = queryOffset + i`) iff
/// `j ≤ a` when ``causal``, `j > a − window` when ``slidingWindow`` is set (Mistral's
/// `sliding_window_overlay`), and `keyMask[b, j] ≠ 0` when a key mask is given.
///
/// A query row that sees no key at all (a left-padding position under a causal mask, say) gets the
/// probabilities transformers' eager attention gives it: its additive mask is `finfo.min` at every
/// key, which swallows the scores, so the softmax is uniform, 1/S over all S keys, and the output
/// is the mean of V. Such a row is constant in q and k, so its gradient to q and k is zero (the exact
/// derivative; PyTorch's autograd would pass a meaningless nonzero value through the swallowed
/// scores). In training these rows are padding with zero upstream gradient, so nothing depends on it.
public struct AttentionOptions {
    /// Score scale; `nil` means 1/√HD. T5 uses 1.
    public var scale: Float?
    /// Causal mask (query `i` sees keys up to `queryOffset + i`).
    public var causal: Bool
    /// Absolute position of query 0 (`past_key_values` length when T ≠ S).
    public var queryOffset: Int
    /// Sliding window size w ≥ 1: key `j` visible only if `j > a − w`.
    public var slidingWindow: Int?
    /// Key padding mask `[B, S]` (1 attend, 0 masked), row stride ``keyMaskStride``.
    public var keyMask: UnsafePointer<Float>?
    /// Elements between batch rows of ``keyMask``; `nil` means S.
    public var keyMaskStride: Int?
    /// Additive bias, added after scaling.
    public var bias: AttentionBias?
    /// Rounds as transformers' eager attention does for bf16 q, k, v (a model cast to bfloat16):
    /// q·kᵀ rounded to bf16, times the scale rounded again, plus the bias rounded again; the softmax in
    /// float32 from those scores; the probabilities rounded to bf16; P·V rounded to bf16. q, k, v
    /// should hold bf16 values. On a CPU with AVX512-BF16, blocks of several query rows run q·kᵀ and
    /// P·V on the bf16 GEMM (bf16 operands, float32 sums by `vdpbf16ps`, as PyTorch's bf16 matmul;
    /// single rows and other CPUs sum the same exact products on BLAS), and
    /// ``Attention/backward(dq:dk:dv:dOut:q:k:v:probs:shape:options:)`` runs its four products there
    /// too, with the softmax gradient dS rounded to bf16 as it enters dS·K and dSᵀ·Q (PyTorch's bf16
    /// autograd holds it as bf16); their results stay float32. Recomputed probabilities are rounded
    /// as in the forward.
    public var bf16: Bool = false

    /// Options; the defaults give plain bidirectional attention with scale 1/√HD.
    public init(scale: Float? = nil, causal: Bool = false, queryOffset: Int = 0, slidingWindow: Int? = nil,
                keyMask: UnsafePointer<Float>? = nil, keyMaskStride: Int? = nil, bias: AttentionBias? = nil) {
        self.scale = scale
        self.causal = causal
        self.queryOffset = queryOffset
        self.slidingWindow = slidingWindow
        self.keyMask = keyMask
        self.keyMaskStride = keyMaskStride
        self.bias = bias
    }
}
