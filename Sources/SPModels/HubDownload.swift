// Fetching a missing model from the HF hub endpoint (only with ALLOW_DOWNLOADS=true), into the same
// cache layout transformers uses: models--ORG--NAME/{blobs, snapshots/<commit>, refs/main}.

import Foundation
import SPFormats
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SPJSON

/// Downloads model repositories from an HF-compatible endpoint (`HF_ENDPOINT`).
public struct HubDownloader: Sendable {
    public let endpoint: String
    public let cache: String

    /// Files fetched when present; `config.json` and the weights are required.
    static let optionalFiles = ["tokenizer.json", "tokenizer_config.json", "generation_config.json",
                                "special_tokens_map.json"]

    public init(endpoint: String, cache: String) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.cache = cache
    }

    /// From the environment: `HF_ENDPOINT` (default `https://huggingface.co`) and the hub cache.
    public init(environment env: [String: String]) {
        self.init(endpoint: env["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://huggingface.co",
                  cache: ModelLoader.hubCache(env))
    }

    /// Downloads `repo` (`ORG/NAME`) at `revision` and returns its snapshot directory.
    public func download(repo: String, revision: String = "main") throws -> String {
        try ModelLoader.validateName(repo)
        let root = cache + "/models--" + repo.replacingOccurrences(of: "/", with: "--")
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/blobs", withIntermediateDirectories: true)
        let (configData, commit) = try fetch(repo, revision, "config.json", required: true)
        let snapshot = root + "/snapshots/" + (commit ?? revision)
        try fm.createDirectory(atPath: snapshot, withIntermediateDirectories: true)
        try store(configData!, root: root, snapshot: snapshot, file: "config.json")
        // transformers' order: model.safetensors, its index, pytorch_model.bin, its index.
        var found = false
        for weights in Checkpoint.fileNames where !found {
            guard let d = try fetch(repo, revision, weights, required: false).0 else { continue }
            try store(d, root: root, snapshot: snapshot, file: weights)
            found = true
            guard weights.hasSuffix(".index.json") else { continue }
            var shards = Set<String>()
            if case .object(let map)? = try JSONValue.parse(d, file: weights)["weight_map"] {
                for case (_, .string(let shard)) in map { shards.insert(shard) }
            }
            for shard in shards.sorted() {
                let (sd, _) = try fetch(repo, revision, shard, required: true)
                try store(sd!, root: root, snapshot: snapshot, file: shard)
            }
        }
        guard found else {
            throw ModelError.notFound("\(repo) has no weights at \(endpoint)",
                                      hint: "looked for \(Checkpoint.fileNames.joined(separator: ", "))")
        }
        for f in Self.optionalFiles {
            if let (d, _) = try? fetch(repo, revision, f, required: false), let d {
                try store(d, root: root, snapshot: snapshot, file: f)
            }
        }
        try fm.createDirectory(atPath: root + "/refs", withIntermediateDirectories: true)
        try Data((commit ?? revision).utf8).write(to: URL(fileURLWithPath: root + "/refs/" + revision), options: .atomic)
        return snapshot
    }

    /// GET `{endpoint}/{repo}/resolve/{revision}/{file}`; nil for a 404 on an optional file.
    func fetch(_ repo: String, _ revision: String, _ file: String, required: Bool) throws -> (Data?, String?) {
        guard let url = URL(string: "\(endpoint)/\(repo)/resolve/\(revision)/\(file)") else {
            throw ModelError.invalidInput("HF_ENDPOINT '\(endpoint)' does not form a valid URL")
        }
        let box = ResultBox()
        let sem = DispatchSemaphore(value: 0)
        let task = URLSession.shared.dataTask(with: url) { data, response, error in
            box.set(data, response as? HTTPURLResponse, error)
            sem.signal()
        }
        task.resume()
        sem.wait()
        let (data, http, error) = box.get()
        if let error {
            throw ModelError.notFound("downloading \(url): \(error.localizedDescription)", hint: "check HF_ENDPOINT and the network")
        }
        let status = http?.statusCode ?? 0
        if status == 404 && !required { return (nil, nil) }
        guard status == 200, let data else {
            throw ModelError.notFound("downloading \(url): HTTP \(status)", hint: "is '\(repo)' a model repository on \(endpoint)?")
        }
        return (data, http?.value(forHTTPHeaderField: "X-Repo-Commit"))
    }

    /// Writes a blob atomically and links it from the snapshot, as huggingface_hub does.
    func store(_ data: Data, root: String, snapshot: String, file: String) throws {
        let blob = root + "/blobs/" + Self.contentName(data)
        if !FileManager.default.fileExists(atPath: blob) { try data.write(to: URL(fileURLWithPath: blob), options: .atomic) }
        let link = snapshot + "/" + file
        try? FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "../../blobs/" + Self.contentName(data))
    }

    /// A content name for the blob (FNV-1a 64 of the bytes and the length; huggingface_hub uses the
    /// ETag, which a plain HTTP server does not give).
    static func contentName(_ d: Data) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        d.withUnsafeBytes { for b in $0 { h = (h ^ UInt64(b)) &* 0x100000001b3 } }
        return String(h, radix: 16) + "-" + String(d.count)
    }
}

private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: (Data?, HTTPURLResponse?, Error?) = (nil, nil, nil)
    func set(_ d: Data?, _ r: HTTPURLResponse?, _ e: Error?) { lock.lock(); value = (d, r, e); lock.unlock() }
    func get() -> (Data?, HTTPURLResponse?, Error?) { lock.lock(); defer { lock.unlock() }; return value }
}
