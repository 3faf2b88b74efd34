// `training_summary.json`, written next to caikit's `training_logs.jsonl`: the hyper-parameters of
// the run and one record per epoch (mean training loss, validation loss and exact match). The loss
// log holds only per-step training losses; curves and `softprompt show` read the rest from here.

import Foundation
import SPJSON
import SPPrompt
import SPTuning

/// What a training run did, per epoch, and with which hyper-parameters.
public struct TrainingSummary: Sendable, Equatable {
    /// The file name, next to `training_logs.jsonl`.
    public static let fileName = "training_summary.json"

    /// One finished epoch.
    public struct Epoch: Sendable, Equatable {
        public var epoch: Int
        /// Mean micro-batch training loss.
        public var trainLoss: Double
        public var validationLoss: Double?
        /// Validation exact match, 0…1.
        public var validationAccuracy: Double?
        public var seconds: Double

        public init(epoch: Int, trainLoss: Double, validationLoss: Double?, validationAccuracy: Double?, seconds: Double) {
            self.epoch = epoch
            self.trainLoss = trainLoss
            self.validationLoss = validationLoss
            self.validationAccuracy = validationAccuracy
            self.seconds = seconds
        }

        public init(_ s: EpochSummary) {
            self.init(epoch: s.epoch, trainLoss: s.trainLoss, validationLoss: s.validationLoss,
                      validationAccuracy: s.validationAccuracy, seconds: s.seconds)
        }
    }

    /// Hyper-parameters as (caikit name, value text), in display order.
    public var hyperParameters: [(String, String)]
    public var epochs: [Epoch]

    public init(hyperParameters: [(String, String)], epochs: [Epoch]) {
        self.hyperParameters = hyperParameters
        self.epochs = epochs
    }

    public static func == (a: TrainingSummary, b: TrainingSummary) -> Bool {
        a.json == b.json
    }

    /// The hyper-parameters of a validated run, caikit's names.
    public static func hyperParameters(_ p: TuningParameters, _ r: ResolvedTuning) -> [(String, String)] {
        var h: [(String, String)] = [
            ("base_model", r.baseModelName), ("tuning_type", p.tuningType.rawValue),
            ("num_virtual_tokens", "\(r.numVirtualTokens)"), ("prompt_tuning_init_method", r.initMethod.rawValue),
            ("num_epochs", "\(p.numEpochs)"), ("learning_rate", "\(p.learningRate)"), ("batch_size", "\(p.batchSize)"),
            ("accumulate_steps", "\(p.accumulateSteps)"), ("max_source_length", "\(p.maxSourceLength)"),
            ("max_target_length", "\(p.maxTargetLength)"), ("torch_dtype", r.trainedDType.rawValue), ("seed", "\(p.seed)"),
        ]
        if let t = p.tuningConfig.promptTuningInitText, r.initMethod == .text { h.append(("prompt_tuning_init_text", t)) }
        return h
    }

    /// The JSON text (keys in order).
    public var json: String {
        func opt(_ d: Double?) -> JSONValue { d.map { JSONValue.double($0) } ?? .null }
        return JSONValue.object([
            ("hyper_parameters", .object(JSONObject(hyperParameters.map { ($0.0, JSONValue.string($0.1)) }))),
            ("epochs", .array(epochs.map {
                .object([("epoch", .int($0.epoch)), ("train_loss", .double($0.trainLoss)), ("validation_loss", opt($0.validationLoss)),
                         ("validation_accuracy", opt($0.validationAccuracy)), ("seconds", .double($0.seconds))])
            })),
        ]).dumps(indent: 1) + "\n"
    }

    /// Writes the file atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(Data(json.utf8), to: url)
    }

    /// Reads `url`; nil when there is no such file (caikit's prompts have none).
    /// - Throws: ``TuningError/badFile(file:reason:)`` naming the field that is wrong.
    public static func read(contentsOf url: URL) throws -> TrainingSummary? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TuningError.io(path: url.path, reason: "cannot read the training summary")
        }
        func bad(_ r: String) -> TuningError { .badFile(file: url.path, reason: r + " (hint: delete the file; training rewrites it)") }
        guard case .object(let o) = try JSONValue.parse(json: data, source: url.path) else { throw bad("expected an object") }
        guard case .object(let h)? = o["hyper_parameters"], case .array(let e)? = o["epochs"] else {
            throw bad("needs hyper_parameters (object) and epochs (list)")
        }
        let order = ["base_model", "tuning_type", "num_virtual_tokens", "prompt_tuning_init_method", "num_epochs",
                     "learning_rate", "batch_size", "accumulate_steps", "max_source_length", "max_target_length",
                     "torch_dtype", "seed", "prompt_tuning_init_text"]
        let keys = h.keys.sorted { (order.firstIndex(of: $0) ?? 99, $0) < (order.firstIndex(of: $1) ?? 99, $1) }
        var hyper: [(String, String)] = []
        for k in keys {
            guard case .string(let s)? = h[k] else { throw bad("hyper_parameters.\(k) must be a string") }
            hyper.append((k, s))
        }
        func num(_ v: JSONValue?) -> Double? {
            switch v { case .double(let d)?: return d; case .int(let i)?: return Double(i); default: return nil }
        }
        var epochs: [Epoch] = []
        for (i, item) in e.enumerated() {
            guard case .object(let r) = item, case .int(let n)? = r["epoch"], let loss = num(r["train_loss"]) else {
                throw bad("epochs[\(i)] needs epoch (int) and train_loss (number)")
            }
            epochs.append(Epoch(epoch: n, trainLoss: loss, validationLoss: num(r["validation_loss"]),
                                validationAccuracy: num(r["validation_accuracy"]), seconds: num(r["seconds"]) ?? 0))
        }
        return TrainingSummary(hyperParameters: hyper, epochs: epochs)
    }
}
