// What a load test needs around the server: the application on a free loopback port for the
// duration of a closure, and prompt directories with seeded random soft prompts.

import Foundation
import Logging
import ServiceLifecycle
import SPJSON
import SPPrompt

/// The server on `127.0.0.1`, a free port, for the duration of a closure.
public enum LoopbackServer {
    /// Starts `api`'s application on a free loopback port, runs `body` with the port, then shuts
    /// the server down gracefully (in-flight requests finish).
    /// - Throws: what `body` or the server throws; an error when the server does not start in 60 s.
    public static func with<T: Sendable>(_ api: InferenceAPI, logger: Logger = Logger(label: "softprompt-load") { _ in SwiftLogNoOpLogHandler() },
                                         _ body: @escaping @Sendable (Int) async throws -> T) async throws -> T {
        var config = api.config
        config.host = "127.0.0.1"
        config.httpPort = 0
        let bound = InferenceAPI(config: config, catalog: api.catalog, batcher: api.batcher, gate: api.gate)
        let port = Locked<Int?>(nil)
        let app = try HTTPServer.application(bound, logger: logger) { p in port.with { $0 = p } }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask { try await group.run(); return nil }
            var p: Int?
            for _ in 0..<6000 where p == nil {
                p = port.with { $0 }
                if p == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            guard let p else {
                await group.triggerGracefulShutdown()
                throw LoopbackError(description: "the server did not start within 60 s")
            }
            let result: T
            do {
                result = try await body(p)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            for try await _ in tasks {}
            return result
        }
    }
}

/// Prompt directories (PEFT prompt-tuning adapters) holding seeded random soft prompts.
public enum RandomPrompts {
    /// Writes `count` adapters `prompt-0`, `prompt-1`, … under `directory`, each `[virtual, tokenDim]`
    /// uniform in ±0.5 from its own seed, tuned (nominally) on `base`.
    /// - Returns: the model ids.
    public static func write(count: Int, virtual: Int, tokenDim: Int, base: String, under directory: String,
                             seed: UInt64 = 1) throws -> [String] {
        var ids: [String] = []
        for i in 0..<count {
            let id = "prompt-\(i)", dir = URL(fileURLWithPath: directory).appendingPathComponent(id)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            var state = seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15
            let values = (0..<(virtual * tokenDim)).map { _ -> Float in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(state >> 40) / Float(1 << 24) - 0.5
            }
            try SafetensorsWriter.write([SafetensorsTensor(name: "prompt_embeddings", dtype: .float32, shape: [virtual, tokenDim],
                                                           values: values)], to: dir.appendingPathComponent("adapter_model.safetensors"))
            let config = """
                {"base_model_name_or_path": \(JSONValue.string(base).dumps()), "inference_mode": true, "num_virtual_tokens": \(virtual), \
                "peft_type": "PROMPT_TUNING", "prompt_tuning_init": "RANDOM", "task_type": "CAUSAL_LM", "token_dim": \(tokenDim)}
                """
            try AtomicFile.write(Data(config.utf8), to: dir.appendingPathComponent("adapter_config.json"))
            ids.append(id)
        }
        return ids
    }
}
