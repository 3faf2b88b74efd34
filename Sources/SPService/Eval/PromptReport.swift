// `softprompt show DIR`: what a prompt directory holds, read without loading any model: base model,
// tuning type and parameters, epochs and final losses, the files, and which tools can load it.

import Foundation
import SPJSON
import SPGeneration
import SPPrompt
import SPTuning

/// A description of a prompt directory.
public struct PromptReport: Sendable {
    /// The directory as given.
    public var directory: String
    /// "caikit" (config.yml, with the PEFT adapter inside when saved with it) or "peft" (adapter only).
    public var layout: String
    /// Ordered (label, value) facts: base model, tuning type, virtual tokens, …
    public var facts: [(String, String)]
    /// Hyper-parameters from `training_summary.json` (empty when the run did not write one).
    public var hyperParameters: [(String, String)]
    /// Epochs in the loss log, and the last epoch's figures.
    public var epochs: Int
    public var steps: Int
    public var finalTrainLoss: Double?
    public var finalValidationLoss: Double?
    public var finalValidationAccuracy: Double?
    /// Files under the directory (relative path, bytes), sorted.
    public var files: [(String, Int)]
    /// Tools that can load the directory, with how.
    public var loadableBy: [(String, String)]

    /// Reads `directory`.
    /// - Throws: the errors of the prompt readers, naming the file and field.
    public init(directory: String) throws {
        self.directory = directory
        guard TunedPrompt.isPromptDirectory(directory) else {
            throw ServiceError.invalidRequest(field: "directory", reason: "\(directory) holds neither config.yml nor adapter_config.json",
                                              hint: "pass a directory written by softprompt train, caikit-nlp or PEFT save_pretrained")
        }
        let url = URL(fileURLWithPath: directory)
        let prompt = try TunedPrompt.load(directory: directory)
        facts = [("base model", prompt.baseModel ?? "(not recorded)")]
        if let p = prompt.baseModelPath { facts.append(("base model path", p)) }
        facts.append(("soft prompt", "\(prompt.virtualTokens) virtual tokens × \(prompt.tokenDim)"))
        loadableBy = [("softprompt", "softprompt generate --model \(directory)  /  softprompt eval --model \(directory)")]
        var log: [TrainingLogEntry] = []
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("config.yml").path) {
            layout = "caikit"
            let saved = try SavedPrompt.load(from: url)
            let c = saved.config
            facts += [("tuning type", c.tuningType.rawValue), ("task type", c.taskType), ("verbalizer", c.verbalizer),
                      ("output model types", c.outputModelTypes.map(\.rawValue).joined(separator: ", ")),
                      ("trained dtype", c.trainedTorchDType.rawValue)]
            if let a = saved.adapterConfig {
                facts.append(("init method", a.promptTuningInit.rawValue))
                if let t = a.promptTuningInitText { facts.append(("init text", t)) }
            }
            log = saved.trainingLog
            loadableBy.append(("caikit-nlp", "PeftPromptTuning.load(\"\(directory)\") (config.yml, \(c.decoderFile.isEmpty ? c.encoderFile : c.decoderFile))"))
            loadableBy.append(("TGIS", "the prompt file \(c.decoderFile.isEmpty ? c.encoderFile : c.decoderFile) under the prompt store"))
            if c.hasBaseModel, let sub = c.fullModelPath {
                loadableBy.append(("PEFT", "PeftModel.from_pretrained(base, \"\(directory)/\(sub)\")"))
            }
        } else {
            layout = "peft"
            facts.append(("tuning type", prompt.format == .peft ? "PEFT adapter" : prompt.format.rawValue))
            loadableBy.append(("PEFT", "PeftModel.from_pretrained(base, \"\(directory)\")"))
        }
        let summary = try TrainingSummary.read(contentsOf: url.appendingPathComponent(TrainingSummary.fileName))
        hyperParameters = summary?.hyperParameters ?? []
        steps = log.count
        epochs = Set(log.map(\.epoch)).count
        if let last = summary?.epochs.last {
            finalTrainLoss = last.trainLoss
            finalValidationLoss = last.validationLoss
            finalValidationAccuracy = last.validationAccuracy
        } else if let lastEpoch = log.last?.epoch {
            let values = log.filter { $0.epoch == lastEpoch }.map(\.value)
            finalTrainLoss = values.reduce(0, +) / Double(values.count)
        }
        files = Self.listFiles(url)
    }

    static func listFiles(_ root: URL) -> [(String, Int)] {
        guard let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey]) else { return [] }
        let prefix = root.standardizedFileURL.path + "/"
        var out: [(String, Int)] = []
        for case let f as URL in e {
            guard let v = try? f.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey]), v.isRegularFile == true else { continue }
            let p = f.standardizedFileURL.path
            out.append((p.hasPrefix(prefix) ? String(p.dropFirst(prefix.count)) : p, v.fileSize ?? 0))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// The readable text.
    public var text: String {
        var lines = ["\(directory) (\(layout) layout)"]
        let width = (facts + hyperParameters).map(\.0.count).max() ?? 0
        func row(_ k: String, _ v: String) -> String { "  " + k.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + v }
        lines += facts.map { row($0.0, $0.1.replacingOccurrences(of: "\n", with: "\\n")) }
        if !hyperParameters.isEmpty { lines.append("training:"); lines += hyperParameters.map { row($0.0, $0.1) } }
        var t = "  \(epochs) epoch\(epochs == 1 ? "" : "s"), \(steps) logged step\(steps == 1 ? "" : "s")"
        if let l = finalTrainLoss { t += String(format: "; final training loss %.4f", l) }
        if let v = finalValidationLoss { t += String(format: ", validation loss %.4f", v) }
        if let a = finalValidationAccuracy { t += String(format: ", validation exact match %.1f%%", 100 * a) }
        lines.append(t)
        lines.append("files:")
        lines += files.map { "  \($0.0)  (\(Self.size($0.1)))" }
        lines.append("loadable by:")
        lines += loadableBy.map { "  \($0.0): \($0.1)" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// "812 B", "4.1 kB", "2.3 MB" (decimal units).
    static func size(_ bytes: Int) -> String {
        if bytes < 1000 { return "\(bytes) B" }
        let units = ["kB", "MB", "GB", "TB"]
        var v = Double(bytes) / 1000, k = 0
        while v >= 1000 && k < units.count - 1 { v /= 1000; k += 1 }
        return String(format: "%.1f ", v) + units[k]
    }

    /// The JSON text (keys in a fixed order; fact labels in snake_case, e.g. `base_model`).
    public var json: String {
        func obj(_ pairs: [(String, String)]) -> JSONValue { .object(JSONObject(pairs.map { ($0.0, JSONValue.string($0.1)) })) }
        func opt(_ d: Double?) -> JSONValue { d.map { JSONValue.double($0) } ?? .null }
        return JSONValue.object([
            ("directory", .string(directory)), ("layout", .string(layout)),
            ("facts", obj(facts.map { ($0.0.replacingOccurrences(of: " ", with: "_"), $0.1) })),
            ("hyper_parameters", obj(hyperParameters)), ("epochs", .int(epochs)), ("steps", .int(steps)),
            ("final_train_loss", opt(finalTrainLoss)), ("final_validation_loss", opt(finalValidationLoss)),
            ("final_validation_accuracy", opt(finalValidationAccuracy)),
            ("files", .array(files.map { .object([("path", .string($0.0)), ("bytes", .int($0.1))]) })),
            ("loadable_by", .array(loadableBy.map { .object([("tool", .string($0.0)), ("how", .string($0.1))]) })),
        ]).dumps(indent: 2) + "\n"
    }
}
