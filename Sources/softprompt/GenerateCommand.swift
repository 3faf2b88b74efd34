import ArgumentParser
import Foundation
import SPGeneration
import SPJSON
import SPPrompt
import SPServer
import SPService
import SPTensor
import SPTokenizers
import SPTuning

/// `softprompt generate`: caikit-nlp's `run()` from the command line.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text with a tuned soft prompt (caikit or PEFT directory) or a plain base model.",
        discussion: """
            --model is a prompt directory (PEFT: adapter_config.json + adapter_model.safetensors; \
            caikit: config.yml + decoder.pt) or a base model (HF directory, .gguf file, a name under \
            --base-models-dir or in the HF cache). A prompt's base model comes from --base-model, else \
            the absolute path softprompt train recorded, else the directory's base model name (adapter \
            base_model_name_or_path / caikit base_model_name) as a path, under --base-models-dir or in \
            the HF cache; the one used is printed on stderr. A caikit prompt directory's verbalizer \
            (config.yml `verbalizer`, e.g. "Input: {{input}} Label:") is applied to every input text, as \
            caikit does; --no-verbalizer sends the text as is. A save into --model that was interrupted \
            is restored or cleaned up first.
            Inputs: each --text, else one request per line of stdin (--json-input: each line a JSON \
            string or {"text": …}); --ids gives token ids instead of text (no tokenizer needed) and \
            prints ids.
            Output: the generated text per request (--json: caikit's GeneratedTextResult, one JSON \
            object per line; with --stream one GeneratedTextStreamResult per token). --tokens and \
            --input-tokens fill its tokens / input_tokens (in a stream: input_tokens in the first \
            message); --logprobs and --ranks add log-probabilities and ranks to both.
            --chat: each input is a user message (after --system, when given), rendered with the \
            tokenizer's chat template as transformers' apply_chat_template(add_generation_prompt=True) \
            does; only the reply is printed unless --preserve-input-text.
            """)

    @Option(help: "Prompt directory or base model.") var model: String
    @Option(help: "Base model for a prompt directory (overrides the directory's).") var baseModel: String?
    @Option(help: "Directory holding base models by name (caikit's base_models_dir).") var baseModelsDir: String?
    @Option(name: .customLong("text"), help: "An input text (repeatable). Default: stdin, one per line.") var texts: [String] = []
    @Option(name: .customLong("ids"), help: "Token ids of an input, comma-separated (repeatable; prints ids).") var idLists: [String] = []
    @Flag(help: "stdin lines are JSON strings or objects with a \"text\" field.") var jsonInput = false
    @Flag(help: "Print caikit JSON results, one per line.") var json = false
    @Flag(help: "Print tokens as they are produced.") var stream = false
    @Flag(help: "Send each input as a user message through the tokenizer's chat template.") var chat = false
    @Option(help: "With --chat: a system message before each user message.") var system: String?
    @Flag(help: "Do not apply the prompt directory's verbalizer to the inputs (default: applied, as caikit does).")
    var noVerbalizer = false
    @Option(name: .customLong("task-id"), parsing: .unconditional, help: "A multitask prompt's task id (default 0).") var taskId: Int?
    @Option(name: .customLong("task"), help: "A multitask prompt's task by the name it was trained with.") var taskName: String?
    @Option(parsing: .unconditional, help: "Requests generated together in one left-padded batch.") var batchSize = 1
    @Flag(help: "Print the loaded weights' memory by storage and the resident set to stderr.") var verbose = false
    @Option(help: "Weights storage: f32, bf16, f16, q8_0 (8-bit blocks of 32: faster decoding, approximate) or native (a GGUF's own blocks, memory-mapped: exact, file-size memory); default f32. Computes in float32 (see --torch-dtype).") var dtype: String?
    @Option(help: "Activations of the products with --dtype native block weights: \(WeightStorage.activationChoices).")
    var activations = "f32"
    @Option(name: .customLong("torch-dtype"), help: "bfloat16: run the model as PyTorch does after .to(torch.bfloat16) (caikit's torch_dtype): bf16 weights, every Linear on the AVX512-BF16 kernels, bf16 hidden states. Decoder-only models; not with --dtype.")
    var torchDtype: String?
    @Option(parsing: .unconditional, help: "Threads for OpenBLAS and our pool (default: all cores).") var threads: Int?
    @OptionGroup var generation: GenerationArguments

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be ≥ 1, got \(batchSize)") }
        if stream && batchSize > 1 { throw ValidationError("--stream generates one request at a time; drop --batch-size") }
        let compute = try GenerationCompute(torchDtype: torchDtype, dtype: dtype)
        _ = try WeightStorage(compute.storageName(dtype), activations: activations)
        if !texts.isEmpty && !idLists.isEmpty { throw ValidationError("give --text or --ids, not both") }
        try ResourceLimits.checkThreads(threads)
        if system != nil && !chat { throw ValidationError("--system is a chat message; add --chat") }
        if chat && !idLists.isEmpty { throw ValidationError("--chat renders text; it cannot be used with --ids") }
        if noVerbalizer && !idLists.isEmpty {
            throw ValidationError("--ids are used as they are (never verbalized); drop --no-verbalizer")
        }
        if taskId != nil && taskName != nil { throw ValidationError("--task-id and --task both pick the task; give one") }
        _ = try generation.parameters(chat: chat)
    }

    func run() throws {
        try Runtime.configure(threads: threads)
        let parameters = try generation.parameters(chat: chat)
        let compute = try GenerationCompute(torchDtype: torchDtype, dtype: dtype)
        let storage = try WeightStorage(compute.storageName(dtype), activations: activations)
        let target = try GenerationTarget.open(model: model, baseModel: baseModel, baseModelsDir: baseModelsDir,
                                               dtype: storage.dtype, quantization: storage.quantization,
                                               applyVerbalizer: !noVerbalizer,
                                               task: taskId.map(PromptTask.id) ?? taskName.map(PromptTask.name))
        try storage.checkApplies(to: target.model)
        if let notice = try compute.check(target.model) { FileHandle.standardError.write(Data("\(notice)\n".utf8)) }
        try compute.run { try generate(target, parameters: parameters) }
    }

    /// The generation itself, inside the compute `--torch-dtype` asked for.
    func generate(_ target: GenerationTarget, parameters: GenerationParameters) throws {
        for m in target.notes { FileHandle.standardError.write(Data("note: \(m)\n".utf8)) }
        if verbose { FileHandle.standardError.write(Data("loaded \(target.location.path): \(weightReport(target.model))\n".utf8)) }
        if target.prompt != nil {
            FileHandle.standardError.write(Data("base model: \(target.location.path) (from \(target.baseModelSource))\n".utf8))
        }
        if !idLists.isEmpty {
            try runIds(target, parameters: parameters)
            return
        }
        let loaded = try loadTokenizer(target.location)
        let baseName = target.prompt == nil ? model : (baseModel ?? target.prompt?.baseModel ?? target.location.path)
        let chatPrompt = chat ? try ChatPrompt(tokenizer: loaded, system: system, model: baseName) : nil
        let gen = try GenerationService(target: target, tokenizer: TokenizerAdapter(tokenizer: loaded, addsSpecialTokens: !chat))
        var batch: [String] = []
        func flush() throws {
            defer { batch.removeAll() }
            guard !batch.isEmpty else { return }
            if stream {
                for t in batch { try streamOne(gen, t, parameters) }
                return
            }
            for r in try gen.run(batch: batch, parameters: parameters) { try emit(r) }
        }
        for text in try inputs() {
            batch.append(try chatPrompt?.render(text) ?? text)
            if batch.count == batchSize { try flush() }
        }
        try flush()
    }

    /// The texts: --text values, else stdin lines (read lazily, so a pipe is served as it arrives).
    func inputs() throws -> AnySequence<String> {
        if !texts.isEmpty { return AnySequence(texts) }
        var lineNumber = 0
        let decodeJSON = jsonInput
        return AnySequence(AnyIterator<String> {
            while let line = readLine(strippingNewline: true) {
                lineNumber += 1
                guard decodeJSON else { return line }
                if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                guard let obj = try? JSONValue.parse(line) else {
                    FileHandle.standardError.write(Data("stdin line \(lineNumber): not JSON, skipped\n".utf8))
                    continue
                }
                if case .string(let s) = obj { return s }
                if case .string(let s)? = obj["text"] { return s }
                FileHandle.standardError.write(Data("stdin line \(lineNumber): expected a string or {\"text\": …}, skipped\n".utf8))
            }
            return nil
        })
    }

    func streamOne(_ gen: GenerationService, _ text: String, _ p: GenerationParameters) throws {
        let out = FileHandle.standardOutput
        if p.preserveInputText && !json {
            out.write(Data(try gen.decodedInput(text, parameters: p).utf8))
        }
        try gen.runStreamOut(text, parameters: p) { m in
            if json {
                out.write(jsonLine(m.caikitJSON))
            } else {
                out.write(Data(m.generatedText.utf8))
                if m.details.finishReason != .notFinished { out.write(Data("\n".utf8)) }
            }
        }
    }

    func emit(_ r: GeneratedTextResult) throws {
        if json {
            FileHandle.standardOutput.write(jsonLine(r.caikitJSON))
        } else {
            print(r.generatedText)
        }
    }

    /// --ids: the token level, no tokenizer.
    func runIds(_ target: GenerationTarget, parameters: GenerationParameters) throws {
        let gen = try TokenGenerator(model: target.model, prompt: target.prompt)
        let config = target.generationConfig
        let vocab = target.model.tokenEmbedding.outFeatures
        let rows = try idLists.map { s in
            try s.split(separator: ",").map { piece -> Int32 in
                let t = piece.trimmingCharacters(in: .whitespaces)
                guard let v = Int(t) ?? (t.allSatisfy(\.isNumber) && !t.isEmpty ? Int.max : nil) else {
                    throw ValidationError("--ids \(s): \(piece) is not an integer")
                }
                guard v >= 0, v < vocab else {
                    throw ValidationError("--ids \(s): token id \(t) is out of vocabulary (the model has ids 0..<\(vocab))")
                }
                return Int32(v)
            }
        }
        let eos = config.eosTokenIds.map(Int32.init)
        let pad = Int32(config.padTokenId ?? config.eosTokenIds.first ?? 0)
        for start in stride(from: 0, to: rows.count, by: batchSize) {
            let part = Array(rows[start..<min(rows.count, start + batchSize)])
            let out = try gen.generate(part.map { TokenRequest(inputIds: $0, parameters: parameters) }, eos: eos, pad: pad)
            for (ids, o) in zip(part, out) {
                if json {
                    // A seed as an integer (SPJSON integers are Int: a drawn seed above Int.max as a float).
                    let seedValue: JSONValue = o.seed.map { s in Int(exactly: s).map { JSONValue.int($0) } ?? JSONValue.double(Double(s)) } ?? .null
                    var obj: [(String, JSONValue)] = [
                        ("input_ids", .array(ids.map { JSONValue.int(Int($0)) })), ("new_ids", .array(o.ids.map { JSONValue.int(Int($0)) })),
                        ("finish_reason", .string(o.finishReason.name)), ("generated_tokens", .int(o.ids.count)),
                        ("seed", seedValue)]
                    if parameters.returnTokens {
                        if parameters.tokenLogprobs, let l = o.logprobs { obj.append(("new_logprobs", .array(l.map { JSONValue.double(Double($0)) }))) }
                        if parameters.tokenRanks, let r = o.ranks { obj.append(("new_ranks", .array(r.map { JSONValue.int($0) }))) }
                    }
                    if let s = o.inputScores {
                        // null where nothing precedes the first token (no soft prompt).
                        if parameters.tokenLogprobs {
                            obj.append(("input_logprobs", .array(s.logprobs.map { v -> JSONValue in v.map { JSONValue.double(Double($0)) } ?? .null })))
                        }
                        if parameters.tokenRanks { obj.append(("input_ranks", .array(s.ranks.map { v -> JSONValue in v.map { JSONValue.int($0) } ?? .null }))) }
                    }
                    FileHandle.standardOutput.write(Data((JSONValue.object(JSONObject(obj)).compactText + "\n").utf8))
                } else {
                    print(o.ids.map(String.init).joined(separator: ","))
                }
            }
        }
    }
}

/// A result as one JSON line: caikit's `to_json()` fields (the server's JSON, see SPServer's
/// `caikitJSON`) without the absent ones (null), as the CLI has always printed them.
func jsonLine(_ value: JSONValue) -> Data { Data((value.droppingNulls.compactText + "\n").utf8) }

extension JSONValue {
    /// This value with every null object member removed, at every depth (array items stay).
    var droppingNulls: JSONValue {
        switch self {
        case .object(let o):
            let kept: [(String, JSONValue)] = o.filter { $0.value != .null }.map { ($0.key, $0.value.droppingNulls) }
            return .object(JSONObject(kept))
        case .array(let a): return .array(a.map(\.droppingNulls))
        default: return self
        }
    }
}

/// caikit `run()` parameters as options, with caikit's names.
struct GenerationArguments: ParsableArguments {
    // Numbers parse `.unconditional`ly: `--top-k -1` reaches validation instead of "Missing value".
    @Option(parsing: .unconditional, help: "caikit max_new_tokens (at most the model's context length).") var maxNewTokens = 20
    @Option(parsing: .unconditional, help: "caikit min_new_tokens.") var minNewTokens = 0
    @Option(parsing: .unconditional, help: "caikit truncate_input_tokens (0: none).") var truncateInputTokens = 0
    @Option(help: "GREEDY or SAMPLING.") var decodingMethod = "GREEDY"
    @Option(parsing: .unconditional, help: "Sampling: keep the k most likely tokens (0: off).") var topK: Int?
    @Option(parsing: .unconditional, help: "Sampling: nucleus mass (0 or 1: off).") var topP: Double?
    @Option(parsing: .unconditional, help: "Sampling: typical mass (0 or 1: off).") var typicalP: Double?
    @Option(parsing: .unconditional, help: "Sampling: temperature.") var temperature: Double?
    @Option(parsing: .unconditional, help: "Repetition penalty (0 or 1: off).") var repetitionPenalty: Double?
    @Option(parsing: .unconditional, help: "Stop after this many seconds (finish reason TIME_LIMIT).") var maxTime: Double?
    @Option(help: "Exponential decay length penalty as START,FACTOR.") var exponentialDecayLengthPenalty: String?
    @Option(name: .customLong("stop-sequence"), help: "Stop when the text contains this (repeatable).") var stopSequences: [String] = []
    @Flag(inversion: .prefixedNo, help: "Keep a matched stop sequence at the end of the text.") var includeStopSequence = true
    @Option(parsing: .unconditional, help: "Sampling seed (same seed, same text).") var seed: UInt64?
    @Flag(inversion: .prefixedNo, help: "Start the result with the decoded input (caikit preserve_input_text; default: on, off with --chat).")
    var preserveInputText: Bool?
    @Flag(help: "Report every new token (text; with --logprobs / --ranks).") var tokens = false
    @Flag(help: "Report every input token (caikit input_tokens: text; with --logprobs / --ranks, scored by the model).")
    var inputTokens = false
    @Flag(help: "Report each token's log-probability (implies --tokens unless --input-tokens is given).") var logprobs = false
    @Flag(help: "Report each token's rank (implies --tokens unless --input-tokens is given).") var ranks = false

    func parameters(chat: Bool = false) throws -> GenerationParameters {
        var p = GenerationParameters()
        p.maxNewTokens = maxNewTokens
        p.minNewTokens = minNewTokens
        p.truncateInputTokens = truncateInputTokens
        p.decodingMethod = try DecodingMethod.parse(decodingMethod)
        p.topK = topK
        p.topP = topP
        p.typicalP = typicalP
        p.temperature = temperature
        p.repetitionPenalty = repetitionPenalty
        p.maxTime = maxTime
        if let s = exponentialDecayLengthPenalty {
            let parts = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let start = Int(parts[0]), let factor = Double(parts[1]) else {
                throw ValidationError("--exponential-decay-length-penalty expects START,FACTOR (e.g. 10,1.05), got \(s)")
            }
            p.exponentialDecayLengthPenalty = ExponentialDecayLengthPenalty(startIndex: start, decayFactor: factor)
        }
        p.stopSequences = stopSequences
        p.includeStopSequence = includeStopSequence
        p.seed = seed
        p.preserveInputText = preserveInputText ?? !chat
        p.returnTokens = tokens || ((logprobs || ranks) && !inputTokens)
        p.inputTokens = inputTokens
        p.tokenLogprobs = logprobs
        p.tokenRanks = ranks
        try p.validate()
        return p
    }
}
