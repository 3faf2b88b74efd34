// caikit's model management over HTTP: `POST /management/models` (`DeployModelRequest`: a model id
// and its files, base64 as caikit's JSON carries bytes) writes a prompt directory into
// `local_models_dir` atomically; `DELETE /management/models?model_id=` unloads it and removes it —
// only a directory the runtime deployed (it carries a marker file): a user's own model directory
// is never deleted.

import Foundation
import SPJobs
import SPJSON
import SPPrompt

extension TrainingAPI {
    /// A prompt the runtime deployed: caikit `ModelInfo`'s fields.
    public struct DeployedModel: Sendable, Equatable {
        /// Its directory under `local_models_dir`.
        public var path: String
        /// The model id.
        public var name: String
        /// Bytes on disk.
        public var size: Int
    }

    /// `POST /management/models`: caikit `ModelInfo` of the deployed (and loaded) prompt.
    public func deploy(_ body: [UInt8]) async -> InferenceAPI.Answer {
        do {
            let value: JSONValue
            do { value = try JSONValue.parse(json: Data(body), source: "request body") } catch {
                throw CaikitError.badRequest("\(error)")
            }
            guard case .string(let id)? = value["model_id"] else { throw CaikitError.badRequest("model_id is required (a string)") }
            guard case .array(let files)? = value["model_files"] else {
                throw CaikitError.badRequest("model_files is required: [{\"filename\", \"data\" (base64)}]")
            }
            var contents: [(name: String, data: Data)] = []
            for (i, f) in files.enumerated() {
                guard case .string(let name)? = f["filename"], case .string(let b64)? = f["data"] else {
                    throw CaikitError.badRequest("model_files[\(i)] needs filename and data (base64) strings")
                }
                guard let data = Data(base64Encoded: b64) else {
                    throw CaikitError.badRequest("model_files[\(i)].data is not base64")
                }
                contents.append((name, data))
            }
            let m = try await deployModel(id: id, files: contents)
            return InferenceAPI.json(.object([
                ("model_path", .string(m.path)), ("name", .string(m.name)), ("size", .int(m.size)), ("metadata", .object([])),
                ("loaded", .bool(true)), ("module_id", .string(CaikitModule.moduleID)),
                ("module_metadata", .object([("name", .string(CaikitModule.name)), ("version", .string(CaikitModule.version))])),
            ]), .compact)
        } catch {
            return InferenceAPI.error(Self.caikit(error))
        }
    }

    /// Writes `files` as the prompt directory `local_models_dir/<id>` (atomically, with the
    /// runtime's marker) and loads it: caikit's DeployModel, behind the HTTP route and the gRPC RPC.
    /// - Throws: ``CaikitError``: 400 naming the field (`model_id`, `model_files[i].filename`, no
    ///   prompt in the files), 409 when the id exists.
    public func deployModel(id: String, files: [(name: String, data: Data)]) async throws -> DeployedModel {
        do {
            try ModelCatalog.validate(id: id)
            guard !files.isEmpty else { throw CaikitError.badRequest("model_files is required: the prompt's files (filename and data)") }
            for (i, f) in files.enumerated() {
                let parts = f.name.split(separator: "/", omittingEmptySubsequences: false)
                guard !f.name.hasPrefix("/"), !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") }) else {
                    throw CaikitError.badRequest("model_files[\(i)].filename \(JSONValue.string(f.name).dumps()) must be a relative path without '..' or hidden parts")
                }
            }
            let target = URL(fileURLWithPath: catalog.localModelsDir).appendingPathComponent(id)
            guard !FileManager.default.fileExists(atPath: target.path) else {
                throw CaikitError(code: 409, details: "model \(id) already exists in local_models_dir; undeploy it first")
            }
            try await offPool {
                try AtomicFile.writeDirectory(at: target) { tmp in
                    for (name, data) in files {
                        let url = tmp.appendingPathComponent(name)
                        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                        try data.write(to: url)
                    }
                    guard TunedPrompt.isPromptDirectory(tmp.path) else {
                        throw CaikitError.badRequest("model_files hold no prompt (config.yml with decoder.pt/encoder.pt, or adapter_config.json)")
                    }
                    try Data().write(to: tmp.appendingPathComponent(JobEngine.deployedMarker))
                }
            }
            let m = try await catalog.model(id)
            return DeployedModel(path: m.path, name: id, size: m.size)
        } catch {
            throw Self.caikit(error)
        }
    }

    /// `DELETE /management/models?model_id=`: caikit `UndeployModelResponse` `{"model_id"}`.
    public func undeploy(_ id: String?) async -> InferenceAPI.Answer {
        do {
            guard let id else { throw CaikitError.badRequest("model_id is required (?model_id=…)") }
            try await undeployModel(id)
            return InferenceAPI.json(.object([("model_id", .string(id))]))
        } catch {
            return InferenceAPI.error(Self.caikit(error))
        }
    }

    /// Unloads and removes a prompt the runtime deployed (caikit's UndeployModel); a directory
    /// without the runtime's marker (a user's own) is never deleted.
    /// - Throws: ``CaikitError``: 400 (invalid id, or not deployed by the runtime), 404 (unknown).
    public func undeployModel(_ id: String) async throws {
        do {
            try ModelCatalog.validate(id: id)
            let dir = URL(fileURLWithPath: catalog.localModelsDir).appendingPathComponent(id)
            guard FileManager.default.fileExists(atPath: dir.path) else { throw CaikitError.modelNotLoaded(id) }
            guard FileManager.default.fileExists(atPath: dir.appendingPathComponent(JobEngine.deployedMarker).path) else {
                throw CaikitError.badRequest("model \(id) was not deployed through the runtime; softprompt does not delete a user's model directory: remove \(dir.path) yourself")
            }
            await catalog.unload(id)
            try FileManager.default.removeItem(at: dir)
        } catch {
            throw Self.caikit(error)
        }
    }
}
