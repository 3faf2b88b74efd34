// Packed prefill (continuous batching): several new rows of different lengths prefilled in one
// forward call give, bit for bit, the logits (last position and every asked position) and the
// following step's logits that each row gets when it is prefilled alone. On the tiny GPT-2
// fixture (learned positions) and, when cached, SmolLM2 (rotary, grouped-query attention, RMSNorm).

import Foundation
@testable import SPModels
import SPTensor
import Testing

@Suite(.timeLimit(.minutes(5))) struct PackedPrefillTests {
    static var gpt2: DecoderModel {
        get throws {
            let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/gpt2").path
            return try ModelLoader.load(directory: dir).decoderModel()
        }
    }

    /// Each row prefilled alone, then one step; returns (last logits, asked logits, step logits) per row.
    static func alone(_ m: DecoderModel, _ rows: [[Float]], _ asked: [[Int]], _ next: [[Float]]) throws -> [([Float], [[Float]], [Float])] {
        let e = m.inputWidth, v = m.vocabularySize
        return try rows.indices.map { j in
            let batch = try RowBatch(model: m)
            var last = [Float](repeating: 0, count: v), step = [Float](repeating: 0, count: v)
            var seen = [[Float]](repeating: [], count: asked[j].count)
            try last.withUnsafeMutableBufferPointer { l in
                try batch.add(embeds: rows[j], tokens: rows[j].count / e, reserve: 4, logits: l.baseAddress!, positions: asked[j]) { i, p in
                    seen[i] = Array(UnsafeBufferPointer(start: p, count: v))
                }
            }
            try step.withUnsafeMutableBufferPointer { try batch.step(embeds: next[j], logits: $0.baseAddress!) }
            return (last, seen, step)
        }
    }

    static func check(_ m: DecoderModel, lengths: [Int]) throws {
        let e = m.inputWidth, v = m.vocabularySize
        var seed: UInt64 = 42
        func random(_ n: Int) -> [Float] {
            (0..<n).map { _ in seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Float(Int(seed >> 41) % 2001) / 1000 - 1 }
        }
        let rows = lengths.map { random($0 * e) }
        let asked = lengths.map { t in Array(stride(from: 0, to: t, by: 3)) }
        let next = lengths.map { _ in random(e) }
        let expected = try alone(m, rows, asked, next)
        // Into a batch that already holds a row, as the scheduler does when requests join.
        let batch = try RowBatch(model: m)
        var first = [Float](repeating: 0, count: v)
        try first.withUnsafeMutableBufferPointer { try batch.add(embeds: random(7 * e), tokens: 7, reserve: 8, logits: $0.baseAddress!) }
        var last = [Float](repeating: 0, count: lengths.count * v)
        var seen = asked.map { [[Float]](repeating: [], count: $0.count) }
        try last.withUnsafeMutableBufferPointer { l in
            try batch.add(packed: rows.flatMap { $0 }, joins: lengths.indices.map { RowBatch.Join(tokens: lengths[$0], reserve: 4, positions: asked[$0]) },
                          logits: l.baseAddress!) { j, i, p in seen[j][i] = Array(UnsafeBufferPointer(start: p, count: v)) }
        }
        #expect(batch.count == lengths.count + 1)
        var step = [Float](repeating: 0, count: batch.count * v)
        try step.withUnsafeMutableBufferPointer { try batch.step(embeds: random(e) + next.flatMap { $0 }, logits: $0.baseAddress!) }
        for j in lengths.indices {
            #expect(Array(last[j * v..<(j + 1) * v]) == expected[j].0, "row \(j) (\(lengths[j]) tokens): last-position logits")
            #expect(seen[j] == expected[j].1, "row \(j): asked positions' logits")
            #expect(Array(step[(j + 1) * v..<(j + 2) * v]) == expected[j].2, "row \(j): the next step's logits")
        }
    }

    @Test func packedRowsEqualAloneOnGPT2() throws {
        try Self.check(try Self.gpt2, lengths: [5, 1, 17, 40, 9, 33])
    }

    @Test(.requires(SmolLM2.file)) func packedRowsEqualAloneOnSmolLM2() throws {
        try Self.check(try SmolLM2.model(), lengths: [12, 1, 37, 70, 5])
    }

    @Test func refusesEmptyRowsAndAddsNothing() throws {
        let m = try Self.gpt2
        let batch = try RowBatch(model: m)
        var logits = [Float](repeating: 0, count: 2 * m.vocabularySize)
        #expect(throws: ModelError.self) {
            try logits.withUnsafeMutableBufferPointer {
                try batch.add(packed: [Float](repeating: 0, count: 3 * m.inputWidth),
                              joins: [RowBatch.Join(tokens: 3, reserve: 1), RowBatch.Join(tokens: 0, reserve: 1)], logits: $0.baseAddress!)
            }
        }
        #expect(batch.count == 0)
    }
}
