// The multitask lr 0.3 drift, measured: `scripts/reference/mpt_lr_drift.py` ran PEFT's 10-step
// trajectory (tiny GPT-2, K 3, r 2) at lr 0.3 in torch float32 and in torch float64 from the same
// P, U, V (Fixtures/mpt_lr03_gpt2.json). torch's own float32 run is ~1e-3 from the float64 one
// (float32 rounding amplified by P ∘ (U·V) at this rate): SoftPrompt's float32 run has to be about
// as close to the float64 trajectory as torch's float32 run is, which it could not be with an error
// of its own (a wrong term shows as a drift far above torch's).

import Foundation
import SPModels
import SPPrompt
import SPTestSupport
@testable import SPTuning
import Testing

@Suite struct MultitaskDriftTests {
    /// max |a − b| / max |b| (assertClose's relative measure).
    static func rel(_ a: [Float], _ b: [Double]) -> Double {
        zip(a, b).map { abs(Double($0) - $1) }.max()! / b.map(abs).max()!
    }

    static func doubles(_ v: Any?) -> [Double] { ((v as! [String: Any])["data"] as! [NSNumber]).map(\.doubleValue) }

    @Test func lr03DriftIsTorchsOwnFloat32Drift() throws {
        let g = try Fixtures.own.jsonObject("mpt_lr03_gpt2.json")
        #expect(g["learning_rate"] as? Double == 0.3)
        let model = try ModelLoader.load(directory: Fixtures.models.directory("gpt2").path)
        let (losses, got, _) = try MultitaskParityTests.replay(g, model: model)
        let f32 = g["final"] as! [String: Any], f64 = g["final_float64"] as! [String: Any]
        let names = ["prompt_embeddings", "prefix_task_cols", "prefix_task_rows"]
        let ours = [got.shared, got.multitask!.cols, got.multitask!.rows]
        var report: [String] = []
        for (name, mine) in zip(names, ours) {
            let exact = Self.doubles(f64[name]), torch32 = Self.doubles(f32[name])
            let torchDrift = Self.rel(torch32.map(Float.init), exact), ourDrift = Self.rel(mine, exact)
            let vsTorch = Self.rel(mine, torch32)
            report.append("\(name): torch32↔f64 \(torchDrift), ours↔f64 \(ourDrift), ours↔torch32 \(vsTorch)")
            #expect(torchDrift > 1e-4, "the fixture shows the float32 drift at lr 0.3 (\(name): \(torchDrift))")
            #expect(ourDrift <= 3 * torchDrift, "\(name): SoftPrompt \(ourDrift) from float64, torch float32 \(torchDrift)")
            #expect(vsTorch <= 5e-3, "\(name): \(vsTorch) from torch float32")
        }
        let want64 = (g["micro_losses_float64"] as! [NSNumber]).map(\.doubleValue)
        let want32 = (g["micro_losses"] as! [NSNumber]).map(\.doubleValue)
        let lossOurs = zip(losses, want64).map { abs(Double($0) - $1) / abs($1) }.max()!
        let lossTorch = zip(want32, want64).map { abs($0 - $1) / abs($1) }.max()!
        report.append("micro losses: torch32↔f64 \(lossTorch), ours↔f64 \(lossOurs)")
        #expect(lossOurs <= 3 * lossTorch + 1e-6, "losses: SoftPrompt \(lossOurs) from float64, torch float32 \(lossTorch)")
        print("lr 0.3 drift (relative to max |float64|):\n  " + report.joined(separator: "\n  "))
    }
}
