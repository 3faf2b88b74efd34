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
        // The distances, for docs/MULTITASK.md: losses relative, tensors relative to their largest value.
        let want = (g["micro_losses"] as! [NSNumber]).map { $0.floatValue }
        let dl = zip(run.losses, want).map { abs($0 - $1) / abs($1) }.max() ?? 0
        let final = g["final"] as! [String: Any]
        func rel(_ a: [Float], _ key: String) -> Float {
            let b = MultitaskParityTests.floats(final[key])
            return zip(a, b).map { abs($0 - $1) }.max()! / b.map(abs).max()!
        }
        print("mpt \(fixture): losses \(dl), P \(rel(run.final.shared, "prompt_embeddings")), U \(rel(run.final.multitask!.cols, "prefix_task_cols")), V \(rel(run.final.multitask!.rows, "prefix_task_rows"))")
    }

    /// d(loss)/d[P | U | V] of a mixed-task batch against central differences of the loss, in the
    /// three placements. U and V are drawn at order-one scale (not PEFT's N(0, 0.02)) so the prompt
    /// P ∘ (U·V) and its gradients are of order one.
    @Test(arguments: [Seq2SeqPromptPlacement.decoder, .encoderAndDecoder, .encoder])
    func gradientMatchesFiniteDifferences(_ placement: Seq2SeqPromptPlacement) throws {
        let model = try Self.model("t5")
        let e = model.inputWidth, nv = 2, rows = placement.rows(virtualTokens: nv), k = 3, r = 2
        var rng = SplitMix64(seed: 11)
        func draw(_ n: Int, _ scale: Float) -> [Float] { (0..<n).map { _ in scale * (Float(rng.next() % 2001) / 1000 - 1) } }
        let initial = try PromptTensors(shared: draw(rows * e, 1), rows: rows, tokenDim: e,
                                        multitask: MultitaskFactors(numTasks: k, numRanks: r, cols: draw(k * rows * r, 1),
                                                                    rows: draw(k * r * e, 1)))
        let examples = [([5, 9, 12, 1], [7, 3, 1]), ([22, 8, 1], [14, 1]), ([30, 31, 6, 40, 1], [9, 18, 2, 1])].map {
            TokenizedExample(inputIds: $0.0, attentionMask: $0.0.map { _ in 1 }, labels: $0.1)
        }
        let batch = Batcher(examples: examples, batchSize: 3, padding: .dynamic, padTokenId: 0, paddingSide: .right,
                            fixedLength: 64, targetFixedLength: 64).batch([0, 1, 2])
        let tasks = [2, 0, 2]
        let trainer = MultitaskTrainer(model: model, initial: initial,
                                       step: try model.makePromptStep(checkpointing: false, placement: placement))
        _ = try trainer.microStep(batch, tasks: tasks, lossScale: 1)
        let grad = trainer.grad.array, layout = trainer.layout
        func loss() throws -> Double { Double(try trainer.evaluate(batch, tasks: tasks).loss) }
        // Along each tensor's own gradient direction d = g/|g| (P, then U, then V), the central
        // difference of the loss must be |g|: directional, so the change stands far above float32
        // rounding, and a small step, so few of T5's ReLU kinks are crossed.
        let blocks = [0..<layout.colsOffset, layout.colsOffset..<layout.rowsOffset, layout.rowsOffset..<layout.count]
        let start = trainer.parameters.array
        for (name, block) in zip(["P", "U", "V"], blocks) {
            let norm = block.reduce(0.0) { $0 + Double(grad[$1]) * Double(grad[$1]) }.squareRoot()
            #expect(norm > 1e-2, "\(placement) \(name): gradient too small to check: \(norm)")
            let h = 1e-2
            func shifted(_ sign: Double) throws -> Double {
                for i in block { trainer.parameters.data[i] = Float(Double(start[i]) + sign * h * Double(grad[i]) / norm) }
                defer { for i in block { trainer.parameters.data[i] = start[i] } }
                return try loss()
            }
            let fd = (try shifted(1) - shifted(-1)) / (2 * h)
            #expect(abs(fd - norm) <= 1e-2 * norm, "\(placement) \(name): |g| \(norm), central difference along g \(fd)")
        }
        let task1U = (layout.colsOffset + rows * r)..<(layout.colsOffset + 2 * rows * r)
        #expect(grad[task1U].allSatisfy { $0 == 0 }, "task 1 is not in the batch: its U gets no gradient")
    }
}
