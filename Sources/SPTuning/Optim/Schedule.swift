// The learning-rate schedule and gradient-accumulation bookkeeping of the training loop.
//
// caikit builds `get_linear_schedule_with_warmup(num_warmup_steps=0,
// num_training_steps=len(train_dataloader) * num_epochs)` — a horizon counted in micro-batches —
// but accelerate advances the scheduler only on optimizer steps, so with accumulate_steps = 32 the
// rate never gets below ≈0.97·lr (spec §1.10). We size the horizon in real optimizer steps,
// ceil(batches_per_epoch / accumulate_steps) · num_epochs, so the rate decays linearly to 0 as
// intended. With accumulate_steps = 1 both horizons coincide and the schedules are identical.

/// transformers `get_linear_schedule_with_warmup`: warm up linearly, then decay linearly to 0.
public struct LinearSchedule: Sendable, Equatable {
    /// The optimizer's base learning rate.
    public let baseLearningRate: Double
    /// Scheduler steps to reach 0 (`num_training_steps`).
    public let totalSteps: Int
    /// Warm-up steps (`num_warmup_steps`; caikit uses 0).
    public let warmupSteps: Int

    /// Creates a schedule.
    public init(baseLearningRate: Double, totalSteps: Int, warmupSteps: Int = 0) {
        self.baseLearningRate = baseLearningRate
        self.totalSteps = totalSteps
        self.warmupSteps = warmupSteps
    }

    /// The rate for the optimizer step taken after `step` scheduler steps (0 for the first), as
    /// `LambdaLR` computes it: `base_lr · λ(step)` with transformers' λ, in Double.
    public func learningRate(atStep step: Int) -> Double {
        if step < warmupSteps {
            return baseLearningRate * (Double(step) / Double(max(1, warmupSteps)))
        }
        return baseLearningRate * max(0.0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
    }
}

/// Gradient-accumulation bookkeeping, with accelerate's semantics.
///
/// Each micro-batch's loss is scaled by `1/accumulate_steps` before backward (accelerate divides the
/// loss by `gradient_accumulation_steps`; the last window of an epoch is *not* rescaled when it is
/// shorter, as in accelerate). Gradients are summed; the optimizer steps after every
/// `accumulate_steps` micro-batches and after the last micro-batch of each epoch, then gradients are
/// zeroed. The window counter restarts every epoch.
public struct AccumulationPlan: Sendable, Equatable {
    /// Micro-batches per epoch (`len(train_dataloader)`).
    public let batchesPerEpoch: Int
    /// `accumulate_steps`.
    public let accumulateSteps: Int
    /// `num_epochs`.
    public let epochs: Int

    /// Creates a plan.
    public init(batchesPerEpoch: Int, accumulateSteps: Int, epochs: Int) {
        precondition(accumulateSteps >= 1 && batchesPerEpoch >= 0 && epochs >= 0, "invalid accumulation plan")
        self.batchesPerEpoch = batchesPerEpoch
        self.accumulateSteps = accumulateSteps
        self.epochs = epochs
    }

    /// The factor applied to each micro-batch loss before backward: `1/accumulate_steps`.
    public var lossScale: Float { 1 / Float(accumulateSteps) }

    /// Optimizer steps per epoch: `ceil(batchesPerEpoch / accumulateSteps)`.
    public var optimizerStepsPerEpoch: Int { (batchesPerEpoch + accumulateSteps - 1) / accumulateSteps }

    /// Optimizer steps in the run: the horizon of our linear schedule.
    public var totalOptimizerSteps: Int { optimizerStepsPerEpoch * epochs }

    /// caikit's (buggy) horizon, `batchesPerEpoch · epochs`, for reference only.
    public var caikitSchedulerHorizon: Int { batchesPerEpoch * epochs }

    /// Whether the optimizer steps after micro-batch `batch` (0-based within its epoch).
    public func stepsOptimizer(afterBatch batch: Int) -> Bool {
        (batch + 1) % accumulateSteps == 0 || batch == batchesPerEpoch - 1
    }

    /// The linear schedule over the real optimizer steps.
    public func schedule(learningRate: Double) -> LinearSchedule {
        LinearSchedule(baseLearningRate: learningRate, totalSteps: totalOptimizerSteps)
    }

    /// One micro-batch of the run.
    public struct MicroStep: Sendable, Equatable {
        /// Epoch, from 0.
        public let epoch: Int
        /// Micro-batch within the epoch, from 0.
        public let batch: Int
        /// Micro-batch counter over the run, from 0 (caikit's logged `step`).
        public let globalStep: Int
        /// Whether the optimizer steps after this micro-batch.
        public let stepsOptimizer: Bool
        /// Optimizer steps taken before this micro-batch (the schedule index when it steps).
        public let optimizerStep: Int
    }

    /// Every micro-batch of the run in order.
    public var microSteps: [MicroStep] {
        var out: [MicroStep] = []
        out.reserveCapacity(batchesPerEpoch * epochs)
        var taken = 0
        for e in 0..<epochs {
            for b in 0..<batchesPerEpoch {
                let s = stepsOptimizer(afterBatch: b)
                out.append(MicroStep(epoch: e, batch: b, globalStep: e * batchesPerEpoch + b,
                                     stepsOptimizer: s, optimizerStep: taken))
                if s { taken += 1 }
            }
        }
        return out
    }
}
