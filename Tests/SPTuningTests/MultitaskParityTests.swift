// Multitask prompt tuning against PEFT: from the same P, U, V and the same mixed-task batches,
// 10 AdamW steps with accumulate_steps 2 give the same micro-batch losses and final P, U, V as PEFT
// + torch (Fixtures/mpt_training_*.json, written by scripts/reference/mpt_training_goldens.py).
// Also: the backward of P ∘ (U·V) against finite differences, and a mixed batch whose tasks share
// U and V against the plain prompt trainer.

import Foundation
import SPModels
import SPPrompt
import SPTensor
import SPTestSupport
@testable import SPTuning
import Testing

@Suite struct MultitaskParityTests {
    static func floats(_ v: Any?) -> [Float] { ((v as! [String: Any])["data"] as! [NSNumber]).map { Float($0.doubleValue) } }

    static func tensors(_ g: [String: Any], _ rows: Int, _ dim: Int, _ k: Int, _ r: Int) throws -> PromptTensors {
        try PromptTensors(shared: floats(g["prompt_embeddings"]), rows: rows, tokenDim: dim,
                          multitask: MultitaskFactors(numTasks: k, numRanks: r, cols: floats(g["prefix_task_cols"]),
                                                      rows: floats(g["prefix_task_rows"])))
    }

    /// Replays a fixture of `mpt_training_goldens.py`'s format: from its P, U, V and batches, its
    /// AdamW steps; the micro-batch losses and the final P, U, V.
    /// `seq2seq`: the seq2seq layout and the ENCODER prompt step.
    /// `placement`: a seq2seq fixture's prompt placement (rows: `placement.rows(virtualTokens:)`).
    static func replay(_ g: [String: Any], model: any LanguageModel, seq2seq: Bool = false,
                       placement: Seq2SeqPromptPlacement = .encoder) throws -> (losses: [Float], final: PromptTensors, mixed: Int) {
        let (k, r, nv) = (g["num_tasks"] as! Int, g["num_ranks"] as! Int, g["num_virtual_tokens"] as! Int)
        let initIds = g["init_ids"] as! [Int], rows = placement.rows(virtualTokens: nv)
        let initial = try Self.tensors(g["init"] as! [String: Any], rows, model.inputWidth, k, r)
        // BART's embedding module scales by sqrt(d_model) (scale_embedding), and PEFT's TEXT init reads it.
        let scale: Float = model.spec.modelType == "bart" ? Float(model.inputWidth).squareRoot() : 1
        let text = initIds.flatMap { model.tokenEmbedding.row($0).map { $0 * scale } }
        let want = Array((0..<(rows / nv)).map { _ in text }.joined())
        #expect(zip(initial.shared, want).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) }, "TEXT init = embedding rows of the init ids")
        let raw = g["examples"] as! [[String: Any]]
        let examples = raw.map { ex -> TokenizedExample in
            let ids = ex["input_ids"] as! [Int]
            return TokenizedExample(inputIds: ids, attentionMask: [Int](repeating: 1, count: ids.count), labels: ex["labels"] as! [Int])
        }
        let tasks = raw.map { $0["task_id"] as! Int }
        let steps = g["steps"] as! Int, accum = g["accumulate_steps"] as! Int, bs = g["batch_size"] as! Int
        #expect(steps == 10 && accum == 2 && k == 3 && r == 2, "the fixture declares 10 steps of 2 micro-batches, K 3, r 2")
        let batcher = Batcher(examples: examples, batchSize: bs, padding: .dynamic, padTokenId: g["pad_token_id"] as! Int,
                              paddingSide: .right, fixedLength: seq2seq ? 64 : 0, targetFixedLength: seq2seq ? 64 : nil)
        let trainer = MultitaskTrainer(model: model, initial: initial, weightDecay: g["weight_decay"] as! Double,
                                       step: try seq2seq ? model.makePromptStep(checkpointing: false, placement: placement) : nil)
        let schedule = LinearSchedule(baseLearningRate: g["learning_rate"] as! Double, totalSteps: steps)
        var losses: [Float] = [], step = 0, mixed = 0
        for micro in 0..<(steps * accum) {
            let batch = batcher.batch(Array((micro * bs)..<((micro + 1) * bs)))
            let rowTasks = batch.exampleIndices.map { tasks[$0] }
            if Set(rowTasks).count > 1 { mixed += 1 }
            losses.append(try trainer.microStep(batch, tasks: rowTasks, lossScale: 1 / Float(accum)).loss)
            if (micro + 1) % accum == 0 {
                trainer.optimizerStep(learningRate: schedule.learningRate(atStep: step))
                step += 1
            }
        }
        return (losses, trainer.tensors, mixed)
    }

    @Test(arguments: ["gpt2", "llama"])
    func tenStepsMatchPEFT(_ name: String) throws {
        let g = try Fixtures.own.jsonObject("mpt_training_\(name).json")
        let model = try ModelLoader.load(directory: Fixtures.models.directory(name).path)
        try Self.expectMatchesPEFT(name, g, Self.replay(g, model: model))
    }

    /// T5 with the multitask prompt on the encoder (PEFT's one-submodule seq2seq MPT;
    /// `scripts/reference/mpt_seq2seq_goldens.py`).
    @Test func t5TenStepsMatchPEFT() throws {
        let g = try Fixtures.own.jsonObject("mpt_training_seq2seq_t5.json")
        let model = try ModelLoader.load(directory: Seq2SeqPEFTParityTests.modelsRoot.appendingPathComponent("t5").path)
        #expect(model.kind == .seq2seqLM)
        try Self.expectMatchesPEFT("t5", g, Self.replay(g, model: model, seq2seq: true))
    }

    static func expectMatchesPEFT(_ name: String, _ g: [String: Any], _ run: (losses: [Float], final: PromptTensors, mixed: Int)) {
        let (losses, got, mixed) = run
        let steps = g["steps"] as! Int, accum = g["accumulate_steps"] as! Int
        let wantLosses = (g["micro_losses"] as! [NSNumber]).map { $0.floatValue }
        #expect(mixed >= steps, "only \(mixed) of \(steps * accum) micro-batches mix tasks")
        #expect(wantLosses.count == steps * accum, "mpt_training_\(name).json has \(wantLosses.count) micro losses")
        for (i, b) in wantLosses.prefix(losses.count).enumerated() {
            assertClose(losses[i], b, .relative(1e-4), "\(name) micro-step \(i) loss vs PEFT")
        }
        let final = g["final"] as! [String: Any]
        #expect(losses.count == steps * accum)
        assertClose(got.shared, Self.floats(final["prompt_embeddings"]), .relative(1e-4), "\(name): final P")
        assertClose(got.multitask!.cols, Self.floats(final["prefix_task_cols"]), .relative(1e-4), "\(name): final U")
        assertClose(got.multitask!.rows, Self.floats(final["prefix_task_rows"]), .relative(1e-4), "\(name): final V")
    }

    /// d(Σ G ∘ prompt_k)/d[P | U | V] against central differences in float64-accurate steps.
    @Test func backwardMatchesFiniteDifferences() {
        let layout = MultitaskLayout(rows: 3, tokenDim: 4, numTasks: 2, numRanks: 2)
        var rng = SystemRandomNumberGenerator()
        var p = (0..<layout.count).map { _ in Float.random(in: -1...1, using: &rng) }
        let g = (0..<12).map { _ in Float.random(in: -1...1, using: &rng) }
        var grad = [Float](repeating: 0, count: layout.count), work = [Float](repeating: 0, count: 12)
        layout.backward(p, task: 1, dPrompt: g, scale: 0.5, grad: &grad, work: &work)
        func f(_ q: [Float]) -> Double {
            var out = [Float](repeating: 0, count: 12)
            layout.prompt(q, task: 1, into: &out)
            return zip(out, g).reduce(0) { $0 + 0.5 * Double($1.0) * Double($1.1) }
        }
        for i in 0..<layout.count {
            let h: Float = 1e-2, x = p[i]
            p[i] = x + h; let up = f(p)
            p[i] = x - h; let down = f(p)
            p[i] = x
            // f is bilinear in each coordinate, so the central difference is exact up to rounding.
            #expect(abs(Double(grad[i]) - (up - down) / Double(2 * h)) < 1e-4, "coordinate \(i)")
        }
        // Task 0's U and V get nothing from task 1's gradient.
        #expect(grad[layout.colsOffset..<(layout.colsOffset + 6)].allSatisfy { $0 == 0 })
        #expect(grad[layout.rowsOffset..<(layout.rowsOffset + 8)].allSatisfy { $0 == 0 })
    }

    /// When every task has the same U and V, a mixed batch trains P exactly as one shared prompt does.
    @Test func mixedBatchOfEqualTasksIsThePlainStep() throws {
        let model = try ModelLoader.load(directory: Fixtures.models.directory("gpt2").path)
        let e = model.inputWidth, rows = 2
        let shared = (0..<(rows * e)).map { Float(($0 * 37) % 11) / 10 - 0.5 }
        // U·V = 1 everywhere: U = [1, 0], V = [1…; 0…].
        let u: [Float] = Array(repeating: [Float(1), 0], count: 3 * rows).flatMap { $0 }
        let vTask: [Float] = [Float](repeating: 1, count: e) + [Float](repeating: 0.25, count: e)
        let v: [Float] = Array(repeating: vTask, count: 3).flatMap { $0 }
        let initial = try PromptTensors(shared: shared, rows: rows, tokenDim: e,
                                        multitask: MultitaskFactors(numTasks: 3, numRanks: 2, cols: u, rows: v))
        let examples = [[5, 6, 7, 8], [9, 10, 11], [12, 13, 14, 15, 16], [17, 18]].map {
            TokenizedExample(inputIds: $0, attentionMask: $0.map { _ in 1 }, labels: [-100] + $0.dropFirst())
        }
        let batch = Batcher(examples: examples, batchSize: 4, padding: .dynamic, padTokenId: 0, paddingSide: .right, fixedLength: 0)
            .batch([0, 1, 2, 3])
        let mt = MultitaskTrainer(model: model, initial: initial)
        let plain = PromptTrainer(model: model, initialPrompt: Tensor(shape: [rows, e], values: shared))
        let a = try mt.microStep(batch, tasks: [2, 0, 2, 1], lossScale: 0.5)
        let b = try plain.microStep(batch, lossScale: 0.5)
        assertClose(a.loss, b.loss, .relative(1e-5), "loss")
        #expect(a.tokens == b.tokens && a.exactMatches == b.exactMatches)
        assertClose(Array(mt.grad.array[0..<(rows * e)]), plain.grad.array, .relative(1e-5), "d(P)")
        #expect(throws: TuningError.self) { try mt.microStep(batch, tasks: [0, 1, 3, 0], lossScale: 1) }
    }
}
