// AdamW + linear schedule against torch/transformers goldens (scripts/reference/adamw_goldens.py),
// accumulation bookkeeping, and the epoch shuffler against its Python reference.

import Foundation
import SPTestSupport
import Testing
@testable import SPTuning

@Suite struct OptimTests {
    @Test func adamWMatchesTorchTrajectories() throws {
        let fx = try fixtureJSON("adamw.json")
        let cases = fx["cases"]!.arrayValue
        #expect(cases.count == 3)
        for c in cases {
            let name = c["name"]!.stringValue!
            var p = c["param0"]!.floats
            #expect(p.count == 24)
            let opt = AdamW(count: p.count, weightDecay: c["weight_decay"]!.doubleValue!)
            let sched = LinearSchedule(baseLearningRate: c["lr"]!.doubleValue!, totalSteps: c["total_steps"]!.intValue!)
            let grads = c["grads"]!.arrayValue.map(\.floats)
            #expect(c["steps"]!.arrayValue.count == 10 && grads.count == 10, "\(name): the fixture declares 10 steps")
            for (k, s) in c["steps"]!.arrayValue.prefix(grads.count).enumerated() {
                let lr = sched.learningRate(atStep: k)
                #expect(abs(lr - s["lr"]!.doubleValue!) <= 1e-15 * max(1, lr), "\(name) step \(k) lr \(lr)")
                p.withUnsafeMutableBufferPointer { pp in
                    grads[k].withUnsafeBufferPointer { opt.step(param: pp.baseAddress!, grad: $0.baseAddress!, lr: lr) }
                }
                let m = Array(UnsafeBufferPointer(start: opt.expAvg, count: 24))
                let v = Array(UnsafeBufferPointer(start: opt.expAvgSq, count: 24))
                // m and v involve no square root: they match torch bit for bit.
                #expect(m == s["exp_avg"]!.floats, "\(name) step \(k) exp_avg")
                #expect(v == s["exp_avg_sq"]!.floats, "\(name) step \(k) exp_avg_sq")
                // ATen's vectorised sqrt can be 1 ulp off (ours is correctly rounded), so the parameter
                // differs by ~1e-8 absolute: relative to max |p_torch| per step.
                assertClose(p, s["param"]!.floats, .relative(1e-6), "\(name) step \(k) param")
            }
            #expect(opt.stepCount == 10)
        }
    }

    @Test func linearScheduleDecaysToZeroOverRealOptimizerSteps() {
        let s = LinearSchedule(baseLearningRate: 0.3, totalSteps: 4)
        #expect([0, 1, 2, 3, 4, 5].map(s.learningRate(atStep:)) == [0.3, 0.3 * 0.75, 0.3 * 0.5, 0.3 * 0.25, 0, 0])
        let w = LinearSchedule(baseLearningRate: 1, totalSteps: 10, warmupSteps: 2)
        #expect(w.learningRate(atStep: 0) == 0 && w.learningRate(atStep: 1) == 0.5 && w.learningRate(atStep: 2) == 1)
    }

    @Test func accumulationBookkeeping() {
        // 10 micro-batches per epoch, accumulate 4: steps after batches 3, 7 and 9 (end of epoch).
        let plan = AccumulationPlan(batchesPerEpoch: 10, accumulateSteps: 4, epochs: 2)
        #expect(plan.lossScale == 0.25)
        #expect(plan.optimizerStepsPerEpoch == 3)
        #expect(plan.totalOptimizerSteps == 6)
        #expect(plan.caikitSchedulerHorizon == 20)
        let steps = plan.microSteps
        #expect(steps.count == 20)
        #expect(steps.filter(\.stepsOptimizer).map(\.globalStep) == [3, 7, 9, 13, 17, 19])
        #expect(steps.filter(\.stepsOptimizer).map(\.optimizerStep) == [0, 1, 2, 3, 4, 5])
        #expect(steps[10].epoch == 1 && steps[10].batch == 0 && steps[10].optimizerStep == 3)
        // The last optimizer step of the run gets lr/6, and the schedule would reach 0 right after.
        let sched = plan.schedule(learningRate: 0.3)
        #expect(sched.learningRate(atStep: 5) == 0.3 * (1.0 / 6.0))
        #expect(sched.learningRate(atStep: 6) == 0)
        // caikit's default 32 with a tiny data set: one step per epoch.
        let tiny = AccumulationPlan(batchesPerEpoch: 1, accumulateSteps: 32, epochs: 20)
        #expect(tiny.totalOptimizerSteps == 20 && tiny.microSteps.allSatisfy(\.stepsOptimizer))
    }

    @Test func shufflerMatchesItsPythonReference() throws {
        let fx = try fixtureJSON("shuffle.json")
        var rng = SplitMix64(seed: 73)
        #expect((0..<4).map { _ in String(rng.next()) } == fx["splitmix64_seed73_first4"]!.arrayValue.compactMap(\.stringValue))
        #expect(fx["cases"]!.arrayValue.count == 7, "shuffle.json declares 7 cases")
        for c in fx["cases"]!.arrayValue {
            let s = EpochShuffler(seed: UInt64(c["seed"]!.stringValue!)!)
            #expect(s.order(count: c["count"]!.intValue!, epoch: c["epoch"]!.intValue!) == c["order"]!.ints)
        }
        let s = EpochShuffler(seed: 73)
        #expect(s.order(count: 50, epoch: 2) == s.order(count: 50, epoch: 2))
        #expect(s.order(count: 50, epoch: 2) != s.order(count: 50, epoch: 3))
        #expect(s.order(count: 50, epoch: 2).sorted() == Array(0..<50))
    }
}
