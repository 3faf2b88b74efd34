// `torch_dtype: bfloat16` training jobs: on a CPU with AVX512-BF16 the causal base model loads in
// bf16 and trains on the bf16 Linear kernels (a note says so; the prompt stays float32 and differs
// from a float32 run's); without AVX512-BF16, the one-line notice and float32 weights.

import Foundation
@testable import SPService
import SPTensor
import SPPrompt
import SPTuning
import Testing

@Suite struct BF16TrainingTests {
    let records = (0..<4).map { TrainRecord(input: "w\($0) w\($0 + 1)", output: "w\(10 + $0 % 2)") }

    func train(_ root: String, _ model: String, dtype: TorchDType?, name: String) throws -> (PromptTuningJob.Outcome, [String], BaseModel, PromptTuningJob) {
        var p = TuningParameters(baseModel: model, tuningConfig: TuningConfig(numVirtualTokens: 2))
        (p.numEpochs, p.batchSize, p.accumulateSteps, p.learningRate, p.torchDType) = (2, 2, 1, 0.05, dtype)
        let job = PromptTuningJob(parameters: p, output: URL(fileURLWithPath: root + "/" + name))
        let prepared = try job.prepare(train: records, validation: nil)
        let base = try job.loadBase(prepared)
        var notes: [String] = []
        let outcome = try job.train(prepared, base: base, initialPrompt: try job.initialPrompt(prepared, base: base)) {
            if case .note(let n) = $0 { notes.append(n) }
        }
        return (outcome, notes, base, job)
    }

    @Test func bfloat16RequestComputesInBF16OrSaysItDoesNot() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (bf, notes, base, job) = try train(root, model, dtype: .bfloat16, name: "bf16")
        let (f32, f32Notes, f32Base, _) = try train(root, model, dtype: nil, name: "f32")
        #expect(f32Notes.allSatisfy { (n: String) in !n.contains("bfloat16") && !n.contains("AVX512-BF16") })
        #expect(f32Base.model.tokenEmbedding.dtype?.rawValue == "float32")
        #expect(bf.prompt.array.allSatisfy(\.isFinite) && bf.epochs.count == 2)
        if job.computesInBF16 {
            #expect(base.model.tokenEmbedding.dtype?.rawValue == "bfloat16", "the frozen weights load in bf16")
            #expect(notes.contains { $0.contains("every Linear computes in bf16") }, "\(notes)")
            #expect(bf.prompt.array != f32.prompt.array, "bf16 compute changes the trained prompt")
        } else {
            #expect(base.model.tokenEmbedding.dtype?.rawValue == "float32")
            #expect(notes.contains { $0.contains("no AVX512-BF16") }, "\(notes)")
            #expect(bf.prompt.array == f32.prompt.array, "the fallback trains exactly as float32")
        }
    }

    /// bfloat16 on a T5-family base: float32 training (no T5 bf16 compute yet), said in one line.
    @Test(arguments: ["t5", "t5_v1_1", "mt5", "umt5"])
    func seq2seqBFloat16SaysItComputesInFloat32(_ name: String) throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SPModelsTests/Fixtures/seq2seq/\(name)").path
        var p = TuningParameters(baseModel: fixture, tuningConfig: TuningConfig(numVirtualTokens: 2))
        p.torchDType = .bfloat16
        let job = PromptTuningJob(parameters: p, output: URL(fileURLWithPath: NSTemporaryDirectory() + "unused-\(name)"))
        #expect(!job.computesInBF16)
        #expect(job.bf16Note == PromptTuningJob.seq2seqBF16Notice)
        p.torchDType = nil
        #expect(PromptTuningJob(parameters: p, output: URL(fileURLWithPath: NSTemporaryDirectory() + "unused-\(name)")).bf16Note == nil)
    }

    /// bfloat16 on a BART or mBART base computes in bf16 as a causal base does (float32 with the
    /// fallback notice on a CPU without AVX512-BF16).
    @Test(arguments: ["bart", "mbart"])
    func bartBFloat16ComputesInBF16(_ name: String) throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SPModelsTests/Fixtures/seq2seq/\(name)").path
        var p = TuningParameters(baseModel: fixture, tuningConfig: TuningConfig(numVirtualTokens: 2))
        p.torchDType = .bfloat16
        let job = PromptTuningJob(parameters: p, output: URL(fileURLWithPath: NSTemporaryDirectory() + "unused-\(name)"))
        #expect(job.computesInBF16 == LinearBF16.isAvailable)
        #expect(job.bf16Note != PromptTuningJob.seq2seqBF16Notice && job.bf16Note != nil)
        #expect(job.bf16Note?.contains(LinearBF16.isAvailable ? "every Linear computes in bf16" : "no AVX512-BF16") == true)
    }

    /// float16 has no compute kernels (no AVX512-FP16 on the machines measured): the job says so in
    /// one line, once, and trains on float16-stored weights widened to float32.
    @Test func float16RequestSaysItComputesInFloat32() throws {
        let (root, model) = try tinyBaseModel()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (out, notes, base, _) = try train(root, model, dtype: .float16, name: "f16")
        #expect(notes.filter { $0 == PromptTuningJob.float16Notice }.count == 1, "\(notes)")
        #expect(base.model.tokenEmbedding.dtype?.rawValue == "float16", "the weights are stored float16")
        #expect(out.prompt.array.allSatisfy(\.isFinite) && out.epochs.count == 2)
    }
}
