// The ggml block formats a weight can stay in (GGUF `--dtype native`): rows of fixed-size blocks,
// each block a scale (and min) plus packed integers. Dequantization lives in BlockDequant*.swift
// (bit-identical to gguf-py's `gguf.quants.dequantize`), block dot products in C
// (Sources/CBLAS/quant_dot.c), many-row panels by the C kernels of Sources/CBLAS/quant_panel.c.

import CBLAS

/// A ggml quantized block format (ggml-common.h layouts).
public enum BlockFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    case q4_0 = "Q4_0", q4_1 = "Q4_1", q5_0 = "Q5_0", q5_1 = "Q5_1", q8_0 = "Q8_0"
    case q4_K = "Q4_K", q5_K = "Q5_K", q6_K = "Q6_K"

    /// The ggml name (`Q4_K`, …).
    public var description: String { rawValue }

    /// Elements per block: 32, or 256 for the K-quant super-blocks.
    public var blockElements: Int {
        switch self {
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: return 32
        case .q4_K, .q5_K, .q6_K: return 256
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .q4_0: return 18
        case .q4_1: return 20
        case .q5_0: return 22
        case .q5_1: return 24
        case .q8_0: return 34
        case .q4_K: return 144
        case .q5_K: return 176
        case .q6_K: return 210
        }
    }

    /// Bytes of a row of `cols` elements (`cols` a multiple of ``blockElements``).
    @inlinable public func rowBytes(_ cols: Int) -> Int { cols / blockElements * blockBytes }

    /// The format id the C block-dot kernels take (`SP_QFMT_*` in softprompt_quant.h).
    var cFormat: Int32 {
        switch self {
        case .q4_0: return Int32(SP_QFMT_Q4_0)
        case .q4_1: return Int32(SP_QFMT_Q4_1)
        case .q5_0: return Int32(SP_QFMT_Q5_0)
        case .q5_1: return Int32(SP_QFMT_Q5_1)
        case .q8_0: return Int32(SP_QFMT_Q8_0)
        case .q4_K: return Int32(SP_QFMT_Q4_K)
        case .q5_K: return Int32(SP_QFMT_Q5_K)
        case .q6_K: return Int32(SP_QFMT_Q6_K)
        }
    }

    /// Dequantizes blocks `blocks` of the data at `src` to float32 with the C panel kernels
    /// (Sources/CBLAS/quant_panel.c; AVX-512, AVX2 or generic, bit-identical to ``reference(_:blocks:into:)``):
    /// block `b` is read from `src + b·blockBytes` and written to `dst + b·blockElements` (one thread;
    /// callers split). `level` forces a kernel set (``QuantDot/maxLevel`` numbering; tests); -1 = best.
    public func dequantize(_ src: UnsafeRawPointer, blocks: Range<Int>, into dst: UnsafeMutablePointer<Float>,
                           level: Int = -1) {
        guard !blocks.isEmpty else { return }
        sp_qpanel_dequant(cFormat, Int32(level), src + blocks.lowerBound * blockBytes, blocks.count,
                          dst + blocks.lowerBound * blockElements)
    }

    /// The Swift reference dequantization (``BlockDequant``, what GGUF loading to float32 uses), same
    /// arguments as ``dequantize(_:blocks:into:level:)`` and the same bits.
    public func reference(_ src: UnsafeRawPointer, blocks: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
        switch self {
        case .q4_0: BlockDequant.q4_0(src, dst, blocks)
        case .q4_1: BlockDequant.q4_1(src, dst, blocks)
        case .q5_0: BlockDequant.q5_0(src, dst, blocks)
        case .q5_1: BlockDequant.q5_1(src, dst, blocks)
        case .q8_0: BlockDequant.q8_0(src, dst, blocks)
        case .q4_K: BlockDequant.q4_K(src, dst, blocks)
        case .q5_K: BlockDequant.q5_K(src, dst, blocks)
        case .q6_K: BlockDequant.q6_K(src, dst, blocks)
        }
    }

    /// Dequantizes `count` elements (whole blocks) at `src` into `dst` with the C panel kernels, split
    /// over the thread pool (serial when called from inside a parallel body).
    public func dequantize(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        let blocks = count / blockElements
        Parallel.forRange(blocks, grain: max(1, (1 << 15) / blockElements)) { r in dequantize(src, blocks: r, into: dst) }
    }
}
