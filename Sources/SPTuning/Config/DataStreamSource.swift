// Where training data comes from: caikit runtime's data-stream sources (data_stream_source.py).

import SPJSON
import SPPrompt

/// The source of a `train_stream` / `val_stream`, as the caikit runtime accepts it.
///
/// Accepted shapes (the HTTP body may wrap any of them in `{"data_stream": …}`):
/// - `{"data": [{"input": …, "output": …}, …]}` or `{"jsondata": {"data": […]}}` → ``inline(_:)``
/// - `{"filename": "train.jsonl"}` or `{"file": {"filename": …}}`, or a bare string → ``file(_:)``
/// - `{"files": […]}` or `{"list_of_files": {"files": […]}}` → ``files(_:)``
/// - `{"dirname": "data/", "extension": "jsonl"}` or `{"directory": {…}}` → ``directory(_:extension:)``
public enum DataStreamSource: Sendable, Equatable {
    /// Records given inline (caikit `jsondata`).
    case inline([TrainRecord])
    /// One `.json`, `.jsonl` or `.csv` file (or an extension-less file, sniffed).
    case file(String)
    /// Several files, read in the given order.
    case files([String])
    /// Every file of a directory with the given extension (all supported ones when `nil`), by name.
    case directory(String, extension: String?)

    init(reading value: JSONValue, path: String, source: String) throws {
        self = try TuningError.reading { try DataStreamSource(fields: value, path: path, source: source) }
    }

    private init(fields value: JSONValue, path: String, source: String) throws {
        if case .string(let s) = value { self = .file(s); return }
        var r = try JSONConfig(object: value, file: source, path: path)
        if let inner = r.value("data_stream"), r.object.count == 1 {
            r = try JSONConfig(object: inner, file: source, path: r.path(of: "data_stream"))
        }
        // caikit's oneof names wrap the same payloads one level deeper.
        for wrapper in ["jsondata", "file", "list_of_files", "directory"] where r.object.count == 1 {
            if let inner = r.value(wrapper) { r = try JSONConfig(object: inner, file: source, path: r.path(of: wrapper)) }
        }
        if r.has("s3files") {
            throw TuningError.invalidParameter(
                field: r.path(of: "s3files"), value: "{...}", hint: "S3 data streams are not supported; use a local file")
        }
        if r.has("data") {
            try r.rejectUnknownKeys(allowed: ["data"])
            guard case .array(let items) = r.value("data")! else {
                throw TuningError.malformedConfig(source: source, reason: "`\(r.path(of: "data"))` must be a list of records")
            }
            self = .inline(try items.enumerated().map {
                try TrainRecord(json: $0.element, file: "\(source) `\(r.path(of: "data"))`", index: $0.offset)
            })
        } else if let f = try r.stringIfPresent("filename") {
            try r.rejectUnknownKeys(allowed: ["filename"])
            self = .file(f)
        } else if let fs = try r.stringsIfPresent("files") {
            try r.rejectUnknownKeys(allowed: ["files"])
            self = .files(fs)
        } else if let d = try r.stringIfPresent("dirname") {
            try r.rejectUnknownKeys(allowed: ["dirname", "extension"])
            self = .directory(d, extension: try r.stringIfPresent("extension"))
        } else {
            try r.rejectUnknownKeys(allowed: ["data", "filename", "files", "dirname", "extension"])
            throw TuningError.missingParameter(
                field: path, hint: "give one of {\"data\": [...]}, {\"filename\": ...}, {\"files\": [...]}, {\"dirname\": ...}")
        }
    }
}
