// caikit's training_logs.jsonl: one line per micro-batch,
// `{"name": "loss", "data": {"epoch": 0, "step": 0, "value": 2.34, "timestamp": "2025-…"}}`,
// written with Python's json.dump defaults (so `value` is Python's float repr).

import Foundation
import SPJSON

/// One logged loss, as caikit's `_execute_train_loop` records it.
public struct TrainingLogEntry: Sendable, Equatable {
    /// Epoch, from 0.
    public var epoch: Int
    /// Micro-batch counter over the whole run, from 0 (caikit logs micro-batches, not optimizer steps).
    public var step: Int
    /// The un-scaled micro-batch loss, `loss.detach().float().item()`.
    public var value: Double
    /// `datetime.isoformat(datetime.now())` at logging time.
    public var timestamp: String

    /// Creates an entry.
    public init(epoch: Int, step: Int, value: Double, timestamp: String) {
        self.epoch = epoch
        self.step = step
        self.value = value
        self.timestamp = timestamp
    }

    /// An entry stamped now, for a float32 loss.
    public init(epoch: Int, step: Int, loss: Float, at date: Date = Date()) {
        self.init(epoch: epoch, step: step, value: Double(loss), timestamp: PythonDateTime.isoformat(date))
    }

    /// The JSON line (without newline).
    public var jsonLine: String {
        JSONValue.object([
            ("name", .string("loss")),
            ("data", .object([("epoch", .int(epoch)), ("step", .int(step)), ("value", .double(value)),
                              ("timestamp", .string(timestamp))])),
        ]).dumps()
    }
}

/// Reading and writing `training_logs.jsonl`.
public enum TrainingLog {
    /// The file text: one line per entry, each terminated by `\n`.
    public static func text(_ entries: [TrainingLogEntry]) -> String {
        entries.map { $0.jsonLine + "\n" }.joined()
    }

    /// Writes the log atomically.
    public static func write(_ entries: [TrainingLogEntry], to url: URL) throws {
        try AtomicFile.write(Data(text(entries).utf8), to: url)
    }

    /// Reads a log written by caikit or by us.
    /// - Throws: ``TuningError/badRecord(file:record:reason:)`` naming the line.
    public static func read(contentsOf url: URL) throws -> [TrainingLogEntry] {
        let data = try FileInput.read(url, what: "training log")
        let text = try decodeUTF8Text(data, file: url.path)
        var out: [TrainingLogEntry] = []
        for (n, line) in text.split(separator: "\n").enumerated() where !line.allSatisfy(\.isWhitespace) {
            func bad(_ r: String) -> TuningError { .badRecord(file: url.path, record: n, reason: "line \(n + 1): \(r)") }
            // Python's json writes non-finite losses as bare NaN / Infinity.
            guard let v = try? JSONParser.parse(Array(line.utf8), file: url.path, allowNonFinite: true),
                  let d = v["data"], case .object(let o) = d else { throw bad("expected {\"name\", \"data\": {...}}") }
            guard case .int(let epoch)? = o["epoch"], case .int(let step)? = o["step"],
                  case .string(let ts)? = o["timestamp"] else { throw bad("data needs epoch, step, value, timestamp") }
            let value: Double
            switch o["value"] {
            case .double(let x)?: value = x
            case .int(let x)?: value = Double(x)
            default: throw bad("`value` must be a number")
            }
            out.append(TrainingLogEntry(epoch: epoch, step: step, value: value, timestamp: ts))
        }
        return out
    }
}
