// Seq2seq multitask prompts in every placement against PyTorch (scripts/reference/mpt_seq2seq_goldens.py):
// T5 with the prompt on the decoder (PEFT's generic branch's decoder half, written out in PyTorch:
// no PEFT config expresses it) and on encoder and decoder (PEFT's MPT with num_transformer_submodules 2),
// BART with the prompt on the encoder (PEFT's MPT). K 3, r 2, mixed-task batches, accumulate_steps 2,
// 10 AdamW steps: every micro-batch loss and the final P, U, V within 1e-4. Also the gradient of
// P, U and V through the model against central differences of the loss.

import Foundation
import SPModels
import SPPrompt
import SPTensor
import SPTestSupport
@testable import SPTuning
import Testing

@Suite struct MultitaskSeq2SeqTests {
    static func model(_ name: String) throws -> any LanguageModel {
        try ModelLoader.load(directory: Seq2SeqPEFTParityTests.modelsRoot.appendingPathComponent(name).path)
    }

    @Test(arguments: [("t5_decoder", Seq2SeqPromptPlacement.decoder), ("t5_encoder_decoder", .encoderAndDecoder),
                      ("bart", .encoder)])
    func tenStepsMatchPyTorch(_ fixture: String, _ placement: Seq2SeqPromptPlacement) throws {
        let g = try Fixtures.own.jsonObject("mpt_training_seq2seq_\(fixture).json")
        let model = try Self.model(g["model"] as! String)
        #expect(model.kind == .seq2seqLM)
        #expect((g["num_transformer_submodules"] as! Int) == (placement == .encoderAndDecoder ? 2 : 1))
        let run = try MultitaskParityTests.replay(g, model: model, seq2seq: true, placement: placement)
        MultitaskParityTests.expectMatchesPEFT(fixture, g, run)
    }

    /// d(loss)/d[P | U | V] of a mixed-task batch through BART against finite differences of the loss, in the
    /// three placements. P, U and V are drawn in [-0.5, 0.5] (not PEFT's N(0, 0.02) for U and V) so the
    /// gradients of all three are well above float32 rounding.
    @Test(arguments: [Seq2SeqPromptPlacement.decoder, .encoderAndDecoder, .encoder])
    func gradientMatchesFiniteDifferences(_ placement: Seq2SeqPromptPlacement) throws {
        // BART (GELU, smooth): T5's ReLU puts kinks in the loss that finite differences straddle.
        let model = try Self.model("bart")
        let e = model.inputWidth, nv = 2, rows = placement.rows(virtualTokens: nv), k = 3, r = 2
        var rng = SplitMix64(seed: 11)
        func draw(_ n: Int, _ scale: Float) -> [Float] { (0..<n).map { _ in scale * (Float(rng.next() % 2001) / 1000 - 1) } }
        let initial = try PromptTensors(shared: draw(rows * e, 0.5), rows: rows, tokenDim: e,
                                        multitask: MultitaskFactors(numTasks: k, numRanks: r, cols: draw(k * rows * r, 0.5),
                                                                    rows: draw(k * r * e, 0.5)))
        let examples = [([5, 9, 12, 2], [7, 4, 2]), ([22, 8, 2], [14, 2]), ([30, 31, 6, 40, 2], [9, 18, 5, 2])].map {
            TokenizedExample(inputIds: $0.0, attentionMask: $0.0.map { _ in 1 }, labels: $0.1)
        }
        let batch = Batcher(examples: examples, batchSize: 3, padding: .dynamic, padTokenId: 1, paddingSide: .right,
                            fixedLength: 64, targetFixedLength: 64).batch([0, 1, 2])
        let tasks = [2, 0, 2]
        let trainer = MultitaskTrainer(model: model, initial: initial,
                                       step: try model.makePromptStep(checkpointing: false, placement: placement))
        _ = try trainer.microStep(batch, tasks: tasks, lossScale: 1)
        let grad = trainer.grad.array, layout = trainer.layout
        func loss() throws -> Double { Double(try trainer.evaluate(batch, tasks: tasks).loss) }
        // Along each tensor's own gradient direction d = g/|g| (P, then U, then V), the derivative of
        // the loss must be |g|: directional, so the change stands far above float32 rounding; central
        // differences at steps h and h/2 combined by Richardson extrapolation (error O(h⁴)).
        let blocks = [0..<layout.colsOffset, layout.colsOffset..<layout.rowsOffset, layout.rowsOffset..<layout.count]
        let start = trainer.parameters.array
        for (name, block) in zip(["P", "U", "V"], blocks) {
            let norm = block.reduce(0.0) { $0 + Double(grad[$1]) * Double(grad[$1]) }.squareRoot()
            #expect(norm > 1e-2, "\(placement) \(name): gradient too small to check: \(norm)")
            func shifted(_ t: Double) throws -> Double {
                for i in block { trainer.parameters.data[i] = Float(Double(start[i]) + t * Double(grad[i]) / norm) }
                defer { for i in block { trainer.parameters.data[i] = start[i] } }
                return try loss()
            }
            func central(_ h: Double) throws -> Double { (try shifted(h) - shifted(-h)) / (2 * h) }
            let h = 2e-2, coarse = try central(h), fine = try central(h / 2)
            let fd = (4 * fine - coarse) / 3
            #expect(abs(fd - norm) <= 1e-2 * norm, "\(placement) \(name): |g| \(norm), central differences \(coarse) (h), \(fine) (h/2), extrapolated \(fd)")
        }
        let task1U = (layout.colsOffset + rows * r)..<(layout.colsOffset + 2 * rows * r)
        #expect(grad[task1U].allSatisfy { $0 == 0 }, "task 1 is not in the batch: its U gets no gradient")
    }
}
