// Reading training records from the caikit runtime's data-stream sources: JSON arrays, JSON lines,
// header CSV, directories of such files, and inline records.

import Foundation
import SPJSON
import SPPrompt

/// Reads ``TrainRecord``s from files, directories and inline data.
///
/// By extension: `.json` holds an array of record objects (or one object, as caikit's directory
/// source stores one record per file), `.jsonl` one object per non-blank line, `.csv` a header row
/// then rows. A file without extension is tried as JSON, then JSON lines, then CSV; other
/// extensions are refused. Files must be UTF-8 (a leading byte-order mark is skipped).
public enum TrainingDataReader {
    /// The extensions a file or directory source may have.
    public static let supportedExtensions = ["json", "jsonl", "csv"]

    /// Reads every record of `source`.
    /// - Parameters:
    ///   - baseDirectory: where relative paths start (caikit's `data_streams.file_source_base`);
    ///     the current directory when `nil`.
    ///   - field: the parameter name used in the "empty" error (`train_stream` or `val_stream`).
    /// - Throws: ``TuningError/emptyData(field:hint:)`` when the source yields no record, and the
    ///   errors of ``readFile(_:)``.
    public static func read(_ source: DataStreamSource, baseDirectory: URL? = nil,
                            field: String = "train_stream") throws -> [TrainRecord] {
        func url(_ p: String) -> URL {
            if p.hasPrefix("/") || baseDirectory == nil { return URL(fileURLWithPath: p) }
            return baseDirectory!.appendingPathComponent(p)
        }
        let records: [TrainRecord]
        let what: String
        switch source {
        case .inline(let r):
            records = r
            what = "inline data"
        case .file(let p):
            // A directory given as a file source (`--train-data DIR`) reads like a directory source.
            if try FileInput.kind(url(p), what: field) == .directory {
                records = try readDirectory(url(p), extension: nil)
                what = "directory \(url(p).path)"
            } else {
                records = try readFile(url(p))
                what = url(p).path
            }
        case .files(let ps):
            records = try ps.flatMap { try readFile(url($0)) }
            what = "files " + ps.joined(separator: ", ")
        case .directory(let d, let ext):
            records = try readDirectory(url(d), extension: ext)
            what = "directory \(url(d).path)"
        }
        guard !records.isEmpty else {
            throw TuningError.emptyData(field: field, hint: "\(what) holds no records")
        }
        return records
    }

    /// Reads one file, choosing the format by extension.
    /// - Throws: ``TuningError/notUTF8(file:)``, ``TuningError/badRecord(file:record:reason:)`` naming
    ///   the record index, or ``TuningError/io(path:reason:)``.
    public static func readFile(_ url: URL) throws -> [TrainRecord] {
        let file = url.path
        let data = try FileInput.read(url, what: "training data")
        let text = try decodeUTF8Text(data, file: file)
        switch url.pathExtension.lowercased() {
        case "json": return try parseJSON(text, file: file)
        case "jsonl": return try parseJSONLines(text, file: file)
        case "csv": return try CSV.records(text, file: file)
        case "":
            if let r = try? parseJSON(text, file: file) { return r }
            if let r = try? parseJSONLines(text, file: file) { return r }
            if let r = try? CSV.records(text, file: file), !r.isEmpty { return r }
            throw TuningError.badRecord(file: file, record: nil,
                                        reason: "not a JSON array, JSON lines or header CSV file")
        default:
            throw TuningError.badRecord(file: file, record: nil,
                                        reason: "Extension not supported! (use .json, .jsonl or .csv)")
        }
    }

    /// Reads every supported file in `dir` (only `.ext` files when given), sorted by name; hidden
    /// files are skipped.
    public static func readDirectory(_ dir: URL, extension ext: String?) throws -> [TrainRecord] {
        let names: [String]
        guard try FileInput.kind(dir, what: "training data directory") == .directory else {
            throw TuningError.io(path: dir.path, reason: "training data directory: is not a directory")
        }
        do { names = try FileManager.default.contentsOfDirectory(atPath: dir.path) } catch {
            throw TuningError.io(path: dir.path, reason: "cannot list the data directory (permission denied?)")
        }
        let wanted = ext.map { [$0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))] }
            ?? supportedExtensions
        if let bad = wanted.first(where: { !supportedExtensions.contains($0) }) {
            throw TuningError.invalidParameter(field: "extension", value: quoted(bad), hint: "use json, jsonl or csv")
        }
        return try names.sorted()
            .filter { !$0.hasPrefix(".") && wanted.contains(($0 as NSString).pathExtension.lowercased()) }
            .flatMap { try readFile(dir.appendingPathComponent($0)) }
    }

    static func parseJSON(_ text: String, file: String) throws -> [TrainRecord] {
        let value: JSONValue
        do { value = try JSONValue.parse(json: Data(text.utf8), source: file) } catch {
            throw TuningError.badRecord(file: file, record: nil, reason: JSONValue.problem(error))
        }
        switch value {
        case .array(let items):
            return try items.enumerated().map { try TrainRecord(json: $0.element, file: file, index: $0.offset) }
        case .object:
            return [try TrainRecord(json: value, file: file, index: 0)]
        default:
            throw TuningError.badRecord(file: file, record: nil, reason: "expected a JSON array of records, got \(value.typeName)")
        }
    }

    static func parseJSONLines(_ text: String, file: String) throws -> [TrainRecord] {
        var records: [TrainRecord] = []
        // Split on LF bytes: "\r\n" is one Character in Swift, so splitting the String on "\n" misses
        // CRLF line ends (the CR is whitespace and trimmed below).
        for (n, line) in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let trimmed = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let value: JSONValue
            do { value = try JSONValue.parse(json: Data(trimmed.utf8), source: file) } catch {
                throw TuningError.badRecord(file: file, record: records.count,
                                            reason: "line \(n + 1): \(JSONValue.problem(error))")
            }
            records.append(try TrainRecord(json: value, file: file, index: records.count))
        }
        return records
    }
}
