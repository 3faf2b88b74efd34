// Where training data comes from: caikit runtime's data-stream sources (data_stream_source.py).

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
        if case .string(let s) = value { self = .file(s); return }
        var r = try FieldReader(value, path: path, source: source)
        if let inner = r.value("data_stream"), r.fields.count == 1 {
            r = try FieldReader(inner, path: r.name("data_stream"), source: source)
        }
        // caikit's oneof names wrap the same payloads one level deeper.
        for wrapper in ["jsondata", "file", "list_of_files", "directory"] where r.fields.count == 1 {
            if let inner = r.value(wrapper) { r = try FieldReader(inner, path: r.name(wrapper), source: source) }
        }
        if r.has("s3files") {
            throw TuningError.invalidParameter(
                field: r.name("s3files"), value: "{...}", hint: "S3 data streams are not supported; use a local file")
        }
        if r.has("data") {
            try r.rejectUnknownKeys(allowed: ["data"])
            guard case .array(let items) = r.value("data")! else {
                throw TuningError.malformedConfig(source: source, reason: "`\(r.name("data"))` must be a list of records")
            }
            self = .inline(try items.enumerated().map {
                try TrainRecord(json: $0.element, file: "\(source) `\(r.name("data"))`", index: $0.offset)
            })
        } else if let f = try r.string("filename") {
            try r.rejectUnknownKeys(allowed: ["filename"])
            self = .file(f)
        } else if let fs = try r.strings("files") {
            try r.rejectUnknownKeys(allowed: ["files"])
            self = .files(fs)
        } else if let d = try r.string("dirname") {
            try r.rejectUnknownKeys(allowed: ["dirname", "extension"])
            self = .directory(d, extension: try r.string("extension"))
        } else {
            try r.rejectUnknownKeys(allowed: ["data", "filename", "files", "dirname", "extension"])
            throw TuningError.missingParameter(
                field: path, hint: "give one of {\"data\": [...]}, {\"filename\": ...}, {\"files\": [...]}, {\"dirname\": ...}")
        }
    }
}
