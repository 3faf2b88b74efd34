import ArgumentParser
import Foundation
import SPEval
import SPService
import SPTuning

/// `softprompt plot`: the loss curves of one or more training runs on one SVG chart.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Overlay the loss curves of prompt directories (training_logs.jsonl, training_summary.json) in one SVG.")

    @Argument(help: "Prompt directories written by softprompt train (or caikit-nlp: training loss only).") var directories: [String]
    @Option(help: "The SVG file to write (must not exist).") var output: String

    func validate() throws {
        if directories.isEmpty { throw ValidationError("name at least one prompt directory") }
        if directories.count > LineChart.palette.count {
            throw ValidationError("at most \(LineChart.palette.count) runs fit one chart, got \(directories.count)")
        }
        if FileManager.default.fileExists(atPath: output) {
            throw ValidationError("--output \(output) exists; plot never overwrites a file: remove it or pick another name")
        }
    }

    func run() throws {
        let runs = try directories.map { try TrainingCurve.Run.load(directory: $0) }
        let svg = TrainingCurve.overlay(runs).svg()
        try NewFile.write(Data(svg.utf8), to: output, option: "--output")
        print("wrote \(output) (\(runs.count) run\(runs.count == 1 ? "" : "s"): \(runs.map(\.name).joined(separator: ", ")))")
    }
}

/// `softprompt show`: what a prompt directory holds.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Describe a prompt directory: base model, tuning type and parameters, epochs, final losses, files, loaders.")

    @Argument(help: "A prompt directory (caikit layout or PEFT adapter).") var directory: String
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let report = try PromptReport(directory: directory)
        print(json ? report.json : report.text, terminator: "")
    }
}
