import Foundation
import SPTestSupport
import Testing
@testable import SPTensor

@Suite struct CrossEntropyTests {
    @Test func byHand() throws {
        // two classes with equal logits: ℓ = ln 2, d = (0.5 − 1, 0.5)
        var d: [Float] = [9, 9]
        let r = try CrossEntropy.forwardBackward(logits: [0, 0], labels: [0], dLogits: &d, rows: 1, vocab: 2)
        #expect(abs(r.loss - Float(M_LN2)) < 1e-7 && r.count == 1)
        #expect(d == [-0.5, 0.5])
    }

    /// F.cross_entropy(reduction="mean", ignore_index=-100) with ignored rows, a +500 row and the
    /// last class as a label, against torch autograd.
    @Test(arguments: ["small", "wide"])
    func matchesTorch(_ name: String) throws {
        let fx = try Fixture("cross_entropy")
        let z = fx.floats("\(name).logits"), labels = fx.int32s("\(name).labels")
        let rows = labels.count, vocab = z.count / rows
        var d = [Float](repeating: .nan, count: z.count)
        let r = try CrossEntropy.forwardBackward(logits: z, labels: labels, dLogits: &d, rows: rows, vocab: vocab)
        #expect(r.count == labels.filter { $0 != -100 }.count)
        assertClose([r.loss], [fx.scalar("\(name).loss")], .relative(1e-5), "\(name).loss")
        assertClose(d, fx.floats("\(name).dlogits"), .relative(1e-5), "\(name).dlogits")
        // scale multiplies the gradient only
        let r2 = try CrossEntropy.forwardBackward(logits: z, labels: labels, dLogits: &d, rows: rows,
                                                  vocab: vocab, scale: 0.25)
        #expect(r2.loss == r.loss)
        assertClose(d, fx.floats("\(name).dlogits").map { $0 * 0.25 }, .relative(1e-5), "\(name).dlogits·0.25")
    }

    /// In place over the logits equals the separate output; the loss-only form and per-row losses
    /// agree with it.
    @Test func inPlaceLossOnlyAndRowLoss() throws {
        let (rows, vocab) = (6, 45)
        let z = randomValues(rows * vocab, seed: 1, scale: 4)
        let labels: [Int32] = [3, -100, 44, 0, 17, -100]
        var d = [Float](repeating: 0, count: z.count), perRow = [Float](repeating: 7, count: rows)
        let r = try CrossEntropy.forwardBackward(logits: z, labels: labels, dLogits: &d, rows: rows,
                                                 vocab: vocab, rowLoss: &perRow)
        let t = Tensor(shape: [rows, vocab], values: z)
        let ri = try CrossEntropy.forwardBackwardInPlace(logits: t.data, labels: labels, rows: rows, vocab: vocab)
        let rl = try CrossEntropy.forwardBackward(logits: z, labels: labels, dLogits: nil, rows: rows, vocab: vocab)
        #expect(ri == r && rl == r && t.array == d)
        #expect(perRow[1] == 0 && perRow[5] == 0)
        #expect(abs(perRow.reduce(0, +) / 4 - r.loss) < 1e-6)
    }

    @Test func noCountedTokensGivesNaNAndZeroGradient() throws {
        var d = [Float](repeating: 3, count: 10)
        let r = try CrossEntropy.forwardBackward(logits: randomValues(10, seed: 2), labels: [-100, -100],
                                                 dLogits: &d, rows: 2, vocab: 5)
        #expect(r.loss.isNaN && r.count == 0)
        #expect(d.allSatisfy { $0 == 0 })
    }

    @Test func badLabelThrowsBeforeWriting() {
        var d = [Float](repeating: 3, count: 10)
        #expect(throws: KernelInputError.labelOutOfRange(label: 5, position: 1, vocabSize: 5, ignoreIndex: -100)) {
            _ = try CrossEntropy.forwardBackward(logits: randomValues(10, seed: 2), labels: [1, 5], dLogits: &d,
                                                 rows: 2, vocab: 5)
        }
        #expect(throws: KernelInputError.labelOutOfRange(label: -1, position: 0, vocabSize: 5, ignoreIndex: -100)) {
            _ = try CrossEntropy.forwardBackward(logits: randomValues(10, seed: 2), labels: [-1, 2], dLogits: &d,
                                                 rows: 2, vocab: 5)
        }
        #expect(d.allSatisfy { $0 == 3 })
    }

    @Test func finiteDifference() throws {
        let (rows, vocab) = (4, 23)
        let z = randomValues(rows * vocab, seed: 3, scale: 2)
        let labels: [Int32] = [22, -100, 0, 9]
        let worst = gradCheck(input: z, outputCount: 1, h: 1e-2, forward: { z in
            [(try? CrossEntropy.forwardBackward(logits: z, labels: labels, dLogits: nil, rows: rows,
                                                vocab: vocab).loss) ?? .nan]
        }, analytic: { z, r in
            var d = [Float](repeating: 0, count: z.count)
            _ = try? CrossEntropy.forwardBackward(logits: z, labels: labels, dLogits: &d, rows: rows,
                                                  vocab: vocab, scale: r[0])
            return d
        })
        #expect(worst < 2e-3, "worst relative FD error \(worst)")
    }

    /// A vocabulary-sized problem (pooled rows, 4-accumulator main loop) equals row-by-row calls.
    @Test func largeVocabularyMatchesRowByRow() throws {
        let (rows, vocab) = (4, 50_257)
        let z = randomValues(rows * vocab, seed: 4, scale: 5)
        let labels: [Int32] = [0, 50_256, 1234, 777]
        var d = [Float](repeating: 0, count: z.count), perRow = [Float](repeating: 0, count: rows)
        let r = try CrossEntropy.forwardBackward(logits: z, labels: labels, dLogits: &d, rows: rows,
                                                 vocab: vocab, rowLoss: &perRow)
        var sum = 0.0
        for i in 0..<rows {
            let s = (i * vocab)..<((i + 1) * vocab)
            var d1 = [Float](repeating: 0, count: vocab)
            let r1 = try CrossEntropy.forwardBackward(logits: Array(z[s]), labels: [labels[i]], dLogits: &d1,
                                                      rows: 1, vocab: vocab, scale: 0.25)
            #expect(r1.loss == perRow[i] && d1 == Array(d[s]))
            sum += Double(r1.loss)
        }
        #expect(abs(Double(r.loss) - sum / 4) < 1e-6 * sum)
    }
}
