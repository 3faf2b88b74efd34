// `training_curve.svg`: the training loss of every step (faint) with a smoothed line, the
// validation loss and exact match of every epoch when there was validation data, axes with units
// and the hyper-parameters in the caption; and the overlay of several runs for `softprompt plot`.

import Foundation
import SPEval
import SPPrompt
import SPTuning

/// Loss curves of prompt-tuning runs.
public enum TrainingCurve {
    /// The file name, next to `training_logs.jsonl`.
    public static let fileName = "training_curve.svg"
    /// Runs of at most this many steps are drawn unsmoothed.
    public static let smoothFrom = 8

    /// The half window of the bold line's centred moving average for a run of `steps` steps
    /// (about 4% of the run on each side, at least 1).
    public static func halfWindow(steps: Int) -> Int { steps > smoothFrom ? max(1, steps / 25) : 0 }

    static func smoothingNote(steps: Int) -> String {
        let h = halfWindow(steps: steps)
        return h == 0 ? "" : "bold line: centred moving average over \(2 * h + 1) steps"
    }

    /// One run: its per-step log, and its summary when `softprompt train` wrote one.
    public struct Run: Sendable {
        public var name: String
        public var log: [TrainingLogEntry]
        public var summary: TrainingSummary?

        public init(name: String, log: [TrainingLogEntry], summary: TrainingSummary?) {
            self.name = name
            self.log = log
            self.summary = summary
        }

        /// Reads a prompt directory's `training_logs.jsonl` (the file `config.yml` names) and summary.
        /// - Throws: ``ServiceError/invalidRequest(field:reason:hint:)`` when there is no loss log.
        public static func load(directory: String) throws -> Run {
            let dir = URL(fileURLWithPath: directory)
            var logName = CaikitModule.trainingLogFileName
            if let prompt = try? SavedPrompt.load(from: dir) { logName = prompt.config.trainingLogs }
            let logURL = dir.appendingPathComponent(logName)
            guard FileManager.default.fileExists(atPath: logURL.path) else {
                throw ServiceError.invalidRequest(field: "directory", reason: "\(directory) has no \(logName)",
                                                  hint: "pass a prompt directory written by softprompt train or caikit-nlp")
            }
            let summary = try TrainingSummary.read(contentsOf: dir.appendingPathComponent(TrainingSummary.fileName))
            return Run(name: dir.standardizedFileURL.lastPathComponent, log: try TrainingLog.read(contentsOf: logURL),
                       summary: summary)
        }

        /// The step each epoch's last micro-batch has (validation points are drawn there).
        var epochEndSteps: [Int: Int] {
            var ends: [Int: Int] = [:]
            for e in log { ends[e.epoch] = max(ends[e.epoch] ?? e.step, e.step) }
            return ends
        }

        var caption: String { captionParts.joined(separator: " · ") }

        /// "base …", "lr 0.3", "batch 8", … from the summary's hyper-parameters.
        var captionParts: [String] {
            let h = summary?.hyperParameters ?? []
            let pick = ["learning_rate": "lr", "batch_size": "batch", "accumulate_steps": "accumulate",
                        "num_epochs": "epochs", "num_virtual_tokens": "virtual tokens", "prompt_tuning_init_method": "init",
                        "torch_dtype": "dtype", "seed": "seed"]
            let parts = h.compactMap { k, v in pick[k].map { "\($0) \(v)" } }
            let base = h.first { $0.0 == "base_model" }.map { "base \($0.1)" }
            return [base].compactMap { $0 } + parts
        }
    }

    /// The chart of one run.
    public static func chart(_ run: Run) -> LineChart {
        let blue = LineChart.palette[0], orange = LineChart.palette[1], green = LineChart.palette[2]
        var series = trainingSeries(run, color: blue, label: "training loss")
        let ends = run.epochEndSteps
        let epochs = (run.summary?.epochs ?? []).filter { ends[$0.epoch] != nil }
        let vLoss = epochs.compactMap { e in e.validationLoss.map { (x: Double(ends[e.epoch]!), y: $0) } }
        let vAcc = epochs.compactMap { e in e.validationAccuracy.map { (x: Double(ends[e.epoch]!), y: $0) } }
        if !vLoss.isEmpty { series.append(ChartSeries(name: "validation loss (per epoch)", points: vLoss, color: orange, style: .markers)) }
        if !vAcc.isEmpty {
            series.append(ChartSeries(name: "validation exact match (right axis)", points: vAcc, color: green,
                                      style: .markers, rightAxis: true))
        }
        var c = LineChart(title: "Prompt tuning: \(run.name)", xLabel: "step (micro-batch)",
                          yLabel: "loss (cross-entropy, nats/token)", series: series)
        if !vAcc.isEmpty {
            c.rightLabel = "validation exact match (%)"
            c.rightRange = 0...1
            c.rightFormat = { String(format: "%.0f%%", 100 * $0) }
        }
        if ends.count > 1 {
            c.xMarkers = ends.keys.sorted().map { (x: Double(ends[$0]!), label: "epoch \($0 + 1)") }
        }
        let last = run.summary?.epochs.last
        var lines = [run.caption].filter { !$0.isEmpty }
        let epochCount = Set(run.log.map(\.epoch)).count
        var finals = "\(run.log.count) step\(run.log.count == 1 ? "" : "s"), \(epochCount) epoch\(epochCount == 1 ? "" : "s")"
        if let l = last {
            finals += String(format: "; last epoch: mean training loss %.4f", l.trainLoss)
            if let v = l.validationLoss { finals += String(format: ", validation loss %.4f", v) }
            if let a = l.validationAccuracy { finals += String(format: ", exact match %.1f%%", 100 * a) }
        }
        let note = smoothingNote(steps: run.log.count)
        lines.append(finals + (note.isEmpty ? "." : ". " + note.prefix(1).uppercased() + note.dropFirst() + "."))
        c.caption = lines
        return c
    }

    /// Several runs on one chart (training loss: faint per step, bold smoothed; validation loss per epoch).
    public static func overlay(_ runs: [Run]) -> LineChart {
        var series: [ChartSeries] = [], caption: [String] = []
        for (k, run) in runs.enumerated() {
            let color = LineChart.palette[k % LineChart.palette.count]
            series += trainingSeries(run, color: color, label: run.name)
            let ends = run.epochEndSteps
            let v = (run.summary?.epochs ?? []).compactMap { e in
                e.validationLoss.flatMap { l in ends[e.epoch].map { (x: Double($0), y: l) } }
            }
            if !v.isEmpty { series.append(ChartSeries(name: "\(run.name) validation", points: v, color: color, style: .markers)) }
        }
        // Settings all runs share once, then what differs per run.
        let common = runs.count > 1 ? runs.dropFirst().reduce(Set(runs[0].captionParts)) { $0.intersection($1.captionParts) } : []
        if !common.isEmpty { caption.append("all runs: " + runs[0].captionParts.filter(common.contains).joined(separator: " · ")) }
        for run in runs {
            let own = run.captionParts.filter { !common.contains($0) }
            if !own.isEmpty { caption.append("\(run.name): " + own.joined(separator: " · ")) }
        }
        let longest = runs.map(\.log.count).max() ?? 0
        var key = longest > smoothFrom ? "Faint: loss per step; bold: centred moving average (about 4% of each run on each side)"
            : "Loss per step"
        if series.contains(where: { $0.style == .markers }) { key += "; dashed with dots: validation loss per epoch" }
        caption.append(key + ".")
        var c = LineChart(title: "Prompt tuning: \(runs.count) run\(runs.count == 1 ? "" : "s")", xLabel: "step (micro-batch)",
                          yLabel: "loss (cross-entropy, nats/token)", series: series, caption: caption)
        // A run and its validation side by side on one legend row.
        if series.contains(where: { $0.style == .markers }) { c.legendColumns = 2 }
        return c
    }

    static func trainingSeries(_ run: Run, color: String, label: String) -> [ChartSeries] {
        let steps = run.log.map { Double($0.step) }, values = run.log.map(\.value)
        let smooth = smoothed(values, halfWindow: halfWindow(steps: run.log.count))
        return [ChartSeries(name: "", points: zip(steps, values).map { (x: $0, y: $1) }, color: color, style: .faint),
                ChartSeries(name: label, points: zip(steps, smooth).map { (x: $0, y: $1) }, color: color, style: .line)]
    }

    /// Writes the chart of a training run into prompt directory `dir` (replacing an earlier curve).
    public static func write(log: [TrainingLogEntry], summary: TrainingSummary, to dir: URL) throws {
        try summary.write(to: dir.appendingPathComponent(TrainingSummary.fileName))
        let run = Run(name: dir.standardizedFileURL.lastPathComponent, log: log, summary: summary)
        try AtomicFile.write(Data(chart(run).svg().utf8), to: dir.appendingPathComponent(fileName))
    }
}
