import ArgumentParser
import Foundation
import SPGeneration
import SPModels
import SPServer
import SPTensor

/// `softprompt bench serve`: the server in-process on loopback under concurrent clients.
struct BenchServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Aggregate tokens/s, latency and TTFT of `softprompt serve` under concurrent clients (continuous batching).",
        discussion: """
            Makes --prompts random soft prompts (seeded, --virtual rows each) on SmolLM2-135M-Instruct \
            (the cached GGUF; scripts/fetch_smollm2.sh fetches it) in a temporary models directory, \
            starts the server on a free loopback port, runs each distinct request alone (greedy and \
            seeded sampling per prompt: the expected answers, from the server's batch of one, and the \
            one-at-a-time rate, from `softprompt generate`'s path), then lets \
            --clients threads send requests round robin, half of them streaming, for --seconds. Prints \
            errors, answers that differ from the request alone, aggregate tokens/s against the \
            one-at-a-time rate, p50/p99 latency, time to first token and peak RSS.
            """)

    @OptionGroup var options: BenchOptions
    @Option(help: "Concurrent clients.") var clients = 64
    @Option(help: "Distinct soft prompts (model ids) on the one base model.") var prompts = 4
    @Option(help: "Virtual tokens per prompt.") var virtual = 8
    @Option(help: "max_new_tokens of every request.") var newTokens = 32
    @Option(help: "Seconds of load.") var duration = 60.0
    @Option(help: "Rows one batch decodes together (softprompt.max_concurrent_requests).") var maxRows = 64
    @Option(help: "Base model: a GGUF file or model directory (default: the cached SmolLM2 GGUF).") var model: String?

    func validate() throws {
        for (n, v) in [("clients", clients), ("prompts", prompts), ("virtual", virtual), ("new-tokens", newTokens), ("max-rows", maxRows)] where v < 1 {
            throw ValidationError("--\(n) must be ≥ 1, got \(v)")
        }
        if !(duration > 0) { throw ValidationError("--duration must be > 0, got \(duration)") }
    }

    func run() async throws {
        try Runtime.configure(threads: options.threads ?? Runtime.coreCount)
        let env = ProcessInfo.processInfo.environment
        let cache = env["SOFTPROMPT_CACHE"] ?? (NSHomeDirectory() + "/.cache/softprompt")
        let base = model ?? env["SOFTPROMPT_SMOLLM2_GGUF"] ?? (cache + "/SmolLM2-135M-Instruct.Q4_1.gguf")
        guard FileManager.default.fileExists(atPath: base) else {
            throw ValidationError("\(base) is missing: run scripts/fetch_smollm2.sh or pass --model")
        }
        let root = NSTemporaryDirectory() + "softprompt-bench-serve-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        var config = ServerConfig()
        config.localModelsDir = root + "/models"
        config.httpPort = 0
        config.maxConcurrentRequests = maxRows
        config.maxQueuedRequests = max(clients, 16)
        config.maxNewTokens = max(newTokens, config.maxNewTokens)
        let catalog = ModelCatalog(localModelsDir: config.localModelsDir, baseModelsDir: nil)
        // Loaded once here; the prompts' base model is this very copy.
        let baseModel = try await catalog.store.model(base, baseModelsDir: nil).model
        let width = baseModel.inputWidth
        let e = baseModel.tokenEmbedding
        // Decoder-only models only: an encoder-decoder's decode step reads its decoder and head, not the whole model.
        let bytes = baseModel.kind == .seq2seqLM ? nil
            : decoderBytesPerToken(baseModel, elementBytes: Double(e.storageBytes) / Double(e.outFeatures * e.inFeatures))
        let ids = try RandomPrompts.write(count: prompts, virtual: virtual, tokenDim: width, base: base, under: config.localModelsDir)
        let api = InferenceAPI(config: config, catalog: catalog)
        print("base model \(base); \(prompts) prompts × \(virtual) virtual tokens; \(clients) clients for \(fmt(duration, 0)) s; max_new_tokens \(newTokens); batch rows ≤ \(maxRows)")

        // Expected answers and the one-at-a-time rate: each distinct request alone.
        let inputs = ["Write a short poem about the sea.", "What is the capital of France?",
                      "List three colours.", "Explain what a soft prompt is."]
        var requests: [LoadRequest] = [], aloneTokens = 0, aloneSeconds = 0.0, generateDiffers = 0
        for (i, id) in ids.enumerated() {
            let service = try await api.catalog.model(id).service
            for sampling in [false, true] {
                var p = GenerationParameters()
                (p.maxNewTokens, p.preserveInputText) = (newTokens, false)
                var json = #"{"max_new_tokens": \#(newTokens), "preserve_input_text": false"#
                if sampling {
                    p.decodingMethod = .sampling
                    p.seed = UInt64(1000 + i)
                    p.topK = 40
                    p.temperature = 0.9
                    json += #", "decoding_method": "SAMPLING", "seed": \#(1000 + i), "top_k": 40, "temperature": 0.9"#
                }
                let text = inputs[i % inputs.count]
                // The one-at-a-time rate: `softprompt generate`'s path (one-row GEMV steps).
                let t0 = Clock.now()
                let direct = try service.run(text, parameters: p)
                aloneSeconds += Clock.now() - t0
                aloneTokens += direct.generatedTokens
                // The expected answer: the request alone on the server (its batch of one).
                let r = try await api.batcher.run(service, text, parameters: p)
                if r.generatedText != direct.generatedText { generateDiffers += 1 }
                requests.append(LoadRequest(modelId: id, inputs: text, parameters: json + "}", expectedText: r.generatedText,
                                            expectedTokens: r.generatedTokens))
            }
        }
        let aloneRate = Double(aloneTokens) / aloneSeconds
        print("one at a time (in-process, `softprompt generate`'s path, \(requests.count) requests): \(fmt(aloneRate, 1)) tokens/s; answers alone on the server that differ from it: \(generateDiffers)")
        let (loadRequests, n, seconds) = (requests, clients, duration)
        let report = try await LoopbackServer.with(api) { port in
            await ServeLoad.run(port: port, requests: loadRequests, clients: n, duration: seconds)
        }
        let ms = { (x: Double) in fmt(x * 1000, 1) + " ms" }
        print("requests: \(report.requests) in \(fmt(report.seconds, 1)) s; errors: \(report.errors); differing from alone: \(report.mismatches)")
        for s in report.samples { print("  \(s)") }
        print("aggregate: \(fmt(report.tokensPerSecond, 1)) tokens/s = \(fmt(report.tokensPerSecond / aloneRate, 2))× one at a time")
        print("latency p50 \(ms(LoadReport.quantile(report.latencies, 0.5))), p99 \(ms(LoadReport.quantile(report.latencies, 0.99)))")
        print("time to first token (streams) p50 \(ms(LoadReport.quantile(report.firstTokens, 0.5))), p99 \(ms(LoadReport.quantile(report.firstTokens, 0.99)))")
        let first = try await api.catalog.model(ids[0]).service
        if let s = api.batcher.statistics(for: first) {
            print("batching: \(s.steps) steps, \(fmt(Double(s.stepRows) / Double(max(1, s.steps)), 1)) rows per step on average, widest \(s.widest), \(s.prefills) prefills in \(s.prefillCalls) packed calls")
        }
        print("peak RSS \(gib(peakRSS()))")
        // Measured last: the bandwidth loop's 64 MiB buffers would count in the peak RSS above.
        if let bytes {
            let limits = MachineLimits.measure(threads: options.threads ?? Runtime.coreCount, seconds: min(options.seconds, 0.5))
            print("one at a time, decode: \(limits.ofBandwidth(bytesPerToken: bytes, tokensPerSecond: aloneRate)) (prefill included in the rate)")
            if let s = api.batcher.statistics(for: first) {
                // A batched step reads the weights once for all its rows: steps/s is the bandwidth-bound rate.
                print("batched decode: \(limits.ofBandwidth(bytesPerToken: bytes, tokensPerSecond: Double(s.steps) / report.seconds)) (weights read once per step)")
            }
        } else {
            print("decode bandwidth: not computed for an encoder-decoder base model")
        }
        if report.errors > 0 || report.mismatches > 0 { throw ExitCode(1) }
    }
}

