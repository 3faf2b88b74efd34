// Continuous batching for the decoder-only engine: a decoding batch whose rows come and go. New
// rows are prefilled together in one packed forward call (each with the results of its prefill
// alone: `PackedPrefill.swift`), then their keys and values join the shared cache; every step decodes one token for every row in one forward call;
// a finished row leaves at once.
//
// Cache layout: one `KVCache` of `batch` slots, rows 0..<count in use, all right-aligned at the
// shared length S: row r holds its `len_r` positions at S − len_r ..< S, masked 0 before them.
// That is the left-padded layout the one-batch generator already uses (positions are the mask's
// cumulative sum, so padding changes no row's positions; attention skips leading masked keys), and
// every call runs under `RowInvariance` (one-row linear layers on the GEMM path), so a row's
// logits are bit for bit the same whichever rows share its steps, and the same as alone in a
// RowBatch. Models for which left padding changes results
// (`paddingChangesResults`: sliding windows, dynamic NTK RoPE) must not use a RowBatch.
//
//   join (rows of t_j new positions): S' = max(S, max t_j); rows shift right by S' − S; new rows go to slots count…
//   step: S += 1 (every row grows by one)
//   leave: the last row moves into the freed slot
//   compaction (S would pass the capacity): every row shifts left by S − max len_r

import Foundation
import SPTensor

/// A decoding batch for a ``DecoderModel`` whose rows join and leave between steps.
public final class RowBatch {
    public let model: DecoderModel
    private var cache: KVCache
    private var prefillCache: KVCache
    private let workspace = InferenceWorkspace()
    private let prefillWorkspace = InferenceWorkspace()
    /// Valid positions per row (prompt, input and tokens so far), in slot order.
    public private(set) var lengths: [Int] = []
    /// Most positions each row may reach (its prefill plus its token budget).
    private var limits: [Int] = []
    /// Free positions kept past the longest limit so that compaction is rare.
    static let slack = 64
    /// Compactions so far (the shared length reached the capacity while rows stayed).
    public private(set) var compactions = 0

    /// An empty batch.
    /// - Throws: ``ModelError/invalidInput(_:)`` when left padding changes this model's results.
    public init(model: DecoderModel) throws {
        guard !model.paddingChangesResults else {
            throw ModelError.invalidInput("\(model.spec.modelType): left padding changes its results (sliding window or dynamic NTK RoPE); it cannot share decoding steps")
        }
        guard !model.weights.contains(where: { $0.q8Activations }) else {
            throw ModelError.invalidInput("weights with Q8 activations (--activations q8, llama.cpp's arithmetic) cannot share decoding steps: its packed prefill is not implemented; load with --activations f32")
        }
        self.model = model
        cache = KVCache(model: model, batch: 1, capacity: 1)
        cache.rows = 0
        prefillCache = KVCache(model: model, batch: 1, capacity: 1)
    }

    /// Rows in the batch.
    public var count: Int { lengths.count }
    /// The shared cache length S.
    public var length: Int { cache.length }

    /// A new row of a packed prefill: its prefill length, its token budget, and the prefill
    /// positions whose logits it wants.
    public struct Join: Sendable {
        public var tokens: Int, reserve: Int, positions: [Int]
        public init(tokens: Int, reserve: Int, positions: [Int] = []) {
            (self.tokens, self.reserve, self.positions) = (tokens, reserve, positions)
        }
    }

    /// Prefills one row and adds it as row `count` (``add(packed:joins:logits:onLogits:)`` with one join).
    ///
    /// - Parameters:
    ///   - embeds: `[tokens, E]` (soft prompt rows and input embeddings; no padding).
    ///   - reserve: new tokens the row may still generate (its cache room).
    ///   - logits: receives the last position's logits `[V]`.
    ///   - positions, onLogits: as in ``DecoderModel/decode(embeds:mask:tokens:cache:rule:logits:workspace:positions:onLogits:)``
    ///     (rows `0..<tokens` of this prefill).
    public func add(embeds: UnsafePointer<Float>, tokens t: Int, reserve: Int, logits: UnsafeMutablePointer<Float>,
                    positions: [Int] = [], onLogits: (Int, UnsafePointer<Float>) -> Void = { _, _ in }) throws {
        try add(packed: embeds, joins: [Join(tokens: t, reserve: reserve, positions: positions)], logits: logits) { _, i, l in
            onLogits(i, l)
        }
    }

    /// Prefills several new rows in one forward call (``DecoderModel/prefillPacked(embeds:lengths:cache:logits:workspace:positions:onLogits:)``:
    /// each row's results are those of its prefill alone) and adds them as rows `count…`, in order.
    ///
    /// - Parameters:
    ///   - embeds: `[Σ tokens, E]` the rows' prefill embeddings one after another (no padding).
    ///   - logits: receives each new row's last-position logits, `[joins.count, V]`.
    ///   - onLogits: `(join, index into its positions, [V] logits)`.
    /// - Throws: ``ModelError/invalidInput(_:)`` (nothing is added) for an empty join list, a join
    ///   with no token or a negative budget.
    public func add(packed embeds: UnsafePointer<Float>, joins: [Join], logits: UnsafeMutablePointer<Float>,
                    onLogits: (Int, Int, UnsafePointer<Float>) -> Void = { _, _, _ in }) throws {
        guard !joins.isEmpty, joins.allSatisfy({ $0.tokens > 0 && $0.reserve >= 0 }) else {
            throw ModelError.invalidInput("every new row needs ≥ 1 prefill position and a budget ≥ 0 (got \(joins.map { ($0.tokens, $0.reserve) }))")
        }
        let sizes = joins.map(\.tokens), longest = sizes.max()!
        if prefillCache.batch < joins.count || prefillCache.capacity < longest {
            prefillCache = KVCache(model: model, batch: max(joins.count, prefillCache.batch),
                                   capacity: max(longest, prefillCache.capacity))
        }
        prefillCache.reset()
        var wanted: [Int] = [], owner: [(join: Int, index: Int)] = []
        var offset = 0
        for (j, join) in joins.enumerated() {
            for (i, p) in join.positions.enumerated() {
                wanted.append(offset + p)
                owner.append((j, i))
            }
            offset += join.tokens
        }
        try RowInvariance.with {
            try model.prefillPacked(embeds: embeds, lengths: sizes, cache: prefillCache, logits: logits,
                                    workspace: prefillWorkspace, positions: wanted) { k, l in onLogits(owner[k].join, owner[k].index, l) }
        }
        let newLength = max(cache.length, longest)
        let capacity = max(limits.max() ?? 0, joins.map { $0.tokens + $0.reserve }.max()!) + Self.slack
        relayout(batch: count + joins.count, capacity: capacity, length: newLength)
        for (j, join) in joins.enumerated() {
            let r = count, t = join.tokens
            copyRow(from: prefillCache, row: j, start: 0, to: cache, row: r, start: newLength - t, count: t)
            setMask(row: r, valid: t)
            lengths.append(t)
            limits.append(t + join.reserve)
            cache.rows = count
        }
    }

    /// Removes row `i`; the last row takes its slot (callers renumber it).
    public func remove(at i: Int) {
        precondition(lengths.indices.contains(i), "row \(i) outside 0..<\(count)")
        let last = count - 1
        if i != last {
            let s = cache.length, n = lengths[last]
            copyRow(from: cache, row: last, start: s - n, to: cache, row: i, start: s - n, count: n)
            setMask(row: i, valid: n)
            lengths[i] = n
            limits[i] = limits[last]
        }
        lengths.removeLast()
        limits.removeLast()
        cache.rows = count
        if count == 0 { cache.length = 0 }
    }

    /// One token for every row: `embeds` `[count, E]` in, each row's logits `[count, V]` out.
    public func step(embeds: UnsafePointer<Float>, logits: UnsafeMutablePointer<Float>) throws {
        guard count > 0 else { return }
        if cache.length + 1 > cache.capacity {
            // Compaction: drop the columns every row has masked.
            relayout(batch: count, capacity: cache.capacity, length: lengths.max()!)
            compactions += 1
        }
        for (r, n) in lengths.enumerated() where n + 1 > limits[r] {
            throw ModelError.invalidInput("row \(r) would pass its budget of \(limits[r]) positions")
        }
        let ones = [Int32](repeating: 1, count: count)
        try RowInvariance.with {
            try model.decode(embeds: embeds, mask: ones, tokens: 1, cache: cache, rule: .cumsumMask(padValue: 1),
                             logits: logits, workspace: workspace)
        }
        for r in lengths.indices { lengths[r] += 1 }
    }

    /// Moves every row so that it ends at `length`, in a cache of at least `batch` slots and
    /// `capacity` positions (a new one when the current is too small).
    private func relayout(batch: Int, capacity: Int, length: Int) {
        let old = cache, s = old.length
        var target = old
        if batch > old.batch || capacity > old.capacity || length > old.capacity {
            target = KVCache(model: model, batch: max(batch, min(2 * old.batch, batch + 16)),
                             capacity: max(capacity, length, old.capacity))
        }
        guard target !== old || length != s else { return }
        // Shifting right in place goes from the last position backwards (memmove handles each row).
        for (r, n) in lengths.enumerated() {
            copyRow(from: old, row: r, start: s - n, to: target, row: r, start: length - n, count: n)
        }
        cache = target
        cache.length = length
        cache.rows = count
        for (r, n) in lengths.enumerated() { setMask(row: r, valid: n) }
    }

    /// Copies `count` positions of every layer's keys and values (`[B, capacity, NKV, HD]`).
    private func copyRow(from a: KVCache, row ra: Int, start sa: Int, to b: KVCache, row rb: Int, start sb: Int, count n: Int) {
        guard n > 0, a !== b || ra != rb || sa != sb else { return }
        for (la, lb) in zip(a.layers, b.layers) {
            let w = la.k.count / (a.batch * a.capacity)
            let src = (ra * a.capacity + sa) * w, dst = (rb * b.capacity + sb) * w
            memmove(lb.k.data + dst, la.k.data + src, n * w * MemoryLayout<Float>.size)
            memmove(lb.v.data + dst, la.v.data + src, n * w * MemoryLayout<Float>.size)
        }
    }

    /// Row `r` of the mask: 0 before its `valid` positions, 1 on them (up to the shared length).
    private func setMask(row r: Int, valid n: Int) {
        let c = cache.capacity, s = cache.length
        for j in 0..<s { cache.mask[r * c + j] = j >= s - n ? 1 : 0 }
    }
}
