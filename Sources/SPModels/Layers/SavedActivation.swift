// One activation a block's training forward saves for its backward, kept in float32 or, where its
// values are exactly bf16 (a bf16 model inside `BF16Compute`: Linear outputs, rounded attention
// probabilities, the rounded residual stream), as bf16 bits: half the memory, the same values.

import SPTensor

/// A saved activation: float32 (``f32``) or, when ``compact``, bf16 bits widened on ``load(_:)``.
///
/// The forward writes through ``target(_:)`` and then calls ``commit(_:)``; the backward reads
/// ``load(_:)``. Float32 mode writes and reads ``f32`` directly (no copy, as before bf16 storage);
/// compact mode writes a float32 scratch that ``commit(_:)`` narrows, and widens into a scratch.
final class SavedActivation {
    /// The float32 store (empty while ``compact``).
    let f32 = Tensor(shape: [0])
    /// The bf16 store (capacity ``capacity16`` elements; used while ``compact``).
    private(set) var bf16: UnsafeMutablePointer<UInt16>
    private var capacity16 = 1
    /// Elements of the current shape.
    private(set) var count = 0
    /// True while stored as bf16.
    private(set) var compact = false

    init() {
        bf16 = UnsafeMutablePointer<UInt16>.allocate(capacity: 1)
        bf16.initialize(to: 0)
    }

    deinit { bf16.deallocate() }

    /// Sizes the store for `shape`; `compact`: bf16 (the caller guarantees the values will be bf16).
    /// Reallocates only to grow; a store that switches mode keeps its other buffer's memory.
    func reshape(_ shape: [Int], compact: Bool) {
        count = shape.reduce(1, *)
        self.compact = compact
        if compact {
            f32.reshape([0])
            if count > capacity16 {
                bf16.deallocate()
                capacity16 = count
                bf16 = UnsafeMutablePointer<UInt16>.allocate(capacity: count)
                bf16.initialize(repeating: 0, count: count)
            }
        } else {
            f32.reshape(shape)
        }
    }

    /// Where the forward writes the activation: ``f32``, or `scratch` (≥ ``count`` floats) when compact.
    func target(_ scratch: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        compact ? scratch : f32.data
    }

    /// Stores what the forward wrote at ``target(_:)`` (`written`): narrows it when compact.
    func commit(_ written: UnsafePointer<Float>) {
        if compact { BF16Compute.narrow(written, bf16, count: count) }
    }

    /// Saves a copy of `x` (``count`` floats) and returns a float32 copy of it that stays valid until
    /// `scratch` is reused: ``f32`` itself, or `scratch` when compact.
    func keep(_ x: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        let out = target(scratch)
        out.update(from: x, count: count)
        commit(out)
        return out
    }

    /// Saves a copy of `x` (``count`` floats) without keeping a float32 copy: narrowed straight from
    /// `x` when compact (no pass through a scratch), copied into ``f32`` otherwise.
    func save(_ x: UnsafePointer<Float>) {
        if compact { BF16Compute.narrow(x, bf16, count: count) } else { f32.data.update(from: x, count: count) }
    }

    /// The saved values as float32: ``f32``, or widened into `scratch` (≥ ``count`` floats) when compact.
    func load(_ scratch: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        guard compact else { return f32.data }
        BF16Compute.widen(bf16, scratch, count: count)
        return scratch
    }
}
