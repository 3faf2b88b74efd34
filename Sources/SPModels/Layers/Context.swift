// Per-forward data every layer reads: sizes, positions, rotary tables, the key mask, ALiBi biases.

import SPTensor

/// How position ids are derived when the caller gives none.
public enum PositionRule: Sendable, Equatable {
    /// `arange(past, past + T)` for every row, padding ignored (transformers' `cache_position`).
    case arange
    /// `cumsum(mask) − 1`, pads set to 1 (transformers' `generate`), or with `padValue`.
    case cumsumMask(padValue: Int32)
}

/// Sizes and shared tables for one forward call over `[B, T]` new tokens after `past` cached ones.
public final class ForwardContext {
    public private(set) var batch = 0
    /// New (query) tokens per row.
    public private(set) var tokens = 0
    /// Cached tokens before them.
    public private(set) var past = 0
    /// Keys visible to the new tokens: past + tokens.
    public var keys: Int { past + tokens }
    /// Rows of the activations: batch · tokens.
    public var rows: Int { batch * tokens }
    /// Position id of every new token, `[B, T]`.
    public var positions: [Int32] = []
    /// Key mask over all keys, `[B, S]` (1 attend, 0 padding).
    public let keyMask = Tensor(shape: [0])
    /// Rotary tables `[B·T, R/2]` (empty when the model has no rotary embedding).
    public let cos = Tensor(shape: [0]), sin = Tensor(shape: [0])
    /// ALiBi bias `[B, NH, S]` (empty when unused).
    public let alibi = Tensor(shape: [0])

    public init() {}

    /// Sets the sizes and the key mask (`mask` holds `[B, past + T]` 0/1 values).
    public func prepare(batch: Int, tokens: Int, past: Int, mask: UnsafePointer<Int32>) {
        self.batch = batch
        self.tokens = tokens
        self.past = past
        let s = past + tokens
        keyMask.reshape([batch, s])
        for i in 0..<(batch * s) { keyMask.data[i] = mask[i] != 0 ? 1 : 0 }
    }

    /// Fills ``positions`` for the new tokens by `rule`, from the full `[B, S]` mask.
    public func makePositions(_ rule: PositionRule, mask: UnsafePointer<Int32>) {
        let s = keys
        positions.removeAll(keepingCapacity: true)
        for b in 0..<batch {
            switch rule {
            case .arange:
                for t in 0..<tokens { positions.append(Int32(past + t)) }
            case .cumsumMask(let padValue):
                var c: Int32 = 0
                for j in 0..<s {
                    let m = mask[b * s + j]
                    c += m != 0 ? 1 : 0
                    if j >= past { positions.append(m != 0 ? c - 1 : padValue) }
                }
            }
        }
    }

    /// Fills the rotary tables for ``positions``.
    public func makeRotary(inverseFrequencies: [Float]) {
        let half = inverseFrequencies.count
        cos.reshape([rows, half])
        sin.reshape([rows, half])
        positions.withUnsafeBufferPointer { p in
            Rotary.cosSin(inverseFrequencies: inverseFrequencies, positions: p.baseAddress!, count: rows,
                          cos: cos.data, sin: sin.data)
        }
    }
}

/// BLOOM's ALiBi bias for a call, computed from the key mask.
enum ALiBiBias {
    /// Fills `ctx.alibi` `[B, NH, S]` = slope[h]·((cumsum(mask) − 1)·mask)[b, j].
    static func fill(_ ctx: ForwardContext, heads: Int, mask: UnsafePointer<Int32>) {
        let slopes = ALiBi.slopes(heads: heads)
        ctx.alibi.reshape([ctx.batch, heads, ctx.keys])
        ALiBi.bias(out: ctx.alibi.data, mask: ctx.keyMask.data, batch: ctx.batch, keys: ctx.keys, slopes: slopes)
    }
}
