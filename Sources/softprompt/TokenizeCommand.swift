import ArgumentParser
import Foundation
import SPJSON
import SPService
import SPTokenizers

/// `softprompt tokenize`: debug a tokenizer (ids, tokens, round-trip decode) and benchmark it.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Show how a tokenizer encodes text (ids, tokens, round-trip decode), or benchmark it.",
        subcommands: [TokenizeText.self, TokenizeBench.self],
        defaultSubcommand: TokenizeText.self)
}

/// Where the tokenizer comes from: a tokenizer.json, a model directory, or a GGUF file.
struct TokenizerSource: ParsableArguments {
    @Option(name: [.customLong("tokenizer"), .customShort("t")],
            help: "A tokenizer.json, a directory holding one (with tokenizer_config.json), or a .gguf file.")
    var path: String

    @Option(help: "A tokenizer_config.json (special tokens, chat template); found next to tokenizer.json by default.")
    var config: String?

    func load() throws -> Tokenizer {
        let url = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw ValidationError("no such file: \(path)")
        }
        if isDir.boolValue {
            if config == nil { return try Tokenizer(directory: url) }
            return try Tokenizer(tokenizerJSON: url.appendingPathComponent("tokenizer.json"), config: URL(fileURLWithPath: config!))
        }
        if url.pathExtension.lowercased() == "gguf" { return try Tokenizer(gguf: url) }
        var cfg = config.map { URL(fileURLWithPath: $0) }
        if cfg == nil {
            let sibling = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
            if FileManager.default.fileExists(atPath: sibling.path) { cfg = sibling }
        }
        return try Tokenizer(tokenizerJSON: url, config: cfg)
    }
}

struct TokenizeText: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text", abstract: "Encode texts and print ids, tokens and the decoded round trip.")

    @OptionGroup var source: TokenizerSource

    @Argument(help: "Texts to encode (use --file for one text per line).")
    var texts: [String] = []

    @Option(help: "A file with one text per line (lines that are JSON strings are unescaped).")
    var file: String?

    @Flag(help: "Do not add the post-processor's special tokens (BOS/EOS, CLS/SEP).")
    var noSpecialTokens = false

    @Flag(help: "Drop special tokens when decoding.")
    var skipSpecialTokens = false

    @Flag(help: "Print one JSON object per text instead of readable lines.")
    var json = false

    @Flag(help: "Encode each text as a user message rendered with the chat template (add_generation_prompt=True; no extra special tokens).")
    var chat = false

    @Option(help: "With --chat: a system message before each user message.")
    var system: String?

    func validate() throws {
        if texts.isEmpty && file == nil { throw ValidationError("give texts to encode or --file") }
        if system != nil && !chat { throw ValidationError("--system is a chat message; add --chat") }
    }

    func run() throws {
        let tok = try source.load()
        var inputs = texts
        if let f = file { inputs += try readLines(f) }
        let chatPrompt = chat ? try ChatPrompt(tokenizer: tok, system: system, model: source.path) : nil
        for input in inputs {
            let text = try chatPrompt?.render(input) ?? input
            let enc = try tok.encode(text, addSpecialTokens: !noSpecialTokens && !chat, withOffsets: true)
            let decoded = try tok.decode(enc.ids, skipSpecialTokens: skipSpecialTokens, cleanUpTokenizationSpaces: false)
            if json {
                let obj: JSONValue = .object([
                    ("text", .string(text)), ("ids", .array(enc.ids.map { .int($0) })),
                    ("tokens", .array(enc.tokens.map { .string($0) })),
                    ("offsets", .array(enc.offsets.map { .array([.int($0.start), .int($0.end)]) })),
                    ("decoded", .string(decoded)),
                    ("round_trip", .bool(decoded == text)),
                ])
                print(obj.compactText)
            } else {
                print("text:    \(text.debugDescription)")
                print("ids:     \(enc.ids)")
                print("tokens:  \(enc.tokens.map(\.debugDescription).joined(separator: " "))")
                print("offsets: \(enc.offsets.map { "\($0.start)..<\($0.end)" }.joined(separator: " "))")
                print("decoded: \(decoded.debugDescription)\(decoded == text ? "  (round trip ok)" : "  (differs from the text)")")
                print("count:   \(enc.ids.count) tokens")
            }
        }
    }
}

/// Reads one text per line; a line that parses as a JSON string is unescaped (the parity corpus format).
func readLines(_ path: String) throws -> [String] {
    let data = try readUserFile(path, what: "the input file")
    // Split on LF bytes (a Swift Character split would keep "\r\n" and marks after a quote together).
    return data.split(separator: 0x0A, omittingEmptySubsequences: true).map { raw in
        let line = String(decoding: raw, as: UTF8.self)
        if raw.first == 0x22, case .string(let s)? = try? JSONValue.parse(line) { return s }
        return line
    }
}

struct TokenizeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Encode throughput on one thread (compare with scripts/reference/bench_tokenizers.py).")

    @OptionGroup var source: TokenizerSource

    @Option(help: "Corpus: one text per line (JSON-string lines are unescaped).")
    var corpus: String

    @Option(help: "Passes over the corpus after the first (cold) one.")
    var repeats = 5

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    @Flag(help: "Also compute each token's character offsets (as the Python library always does).")
    var offsets = false

    func run() throws {
        let lines = try readLines(corpus)
        let bytes = lines.reduce(0) { $0 + $1.utf8.count }
        let clock = ContinuousClock()
        let loadStart = clock.now
        let tok = try source.load()
        let load = clock.now - loadStart
        var tokens = 0
        let cold = try clock.measure {
            for l in lines { tokens += try tok.encode(l, withOffsets: offsets).ids.count }
        }
        var best = Duration.seconds(1_000_000)
        for _ in 0..<max(1, repeats) {
            let d = try clock.measure {
                for l in lines { _ = try tok.encode(l, withOffsets: offsets) }
            }
            best = min(best, d)
        }
        func secs(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        let coldRate = Double(tokens) / secs(cold), warmRate = Double(tokens) / secs(best)
        if json {
            print(JSONValue.object([
                ("lines", .int(lines.count)), ("bytes", .int(bytes)), ("tokens", .int(tokens)), ("offsets", .bool(offsets)),
                ("load_s", .double(secs(load))), ("cold_s", .double(secs(cold))), ("warm_s", .double(secs(best))),
                ("cold_tokens_per_s", .double(coldRate)), ("warm_tokens_per_s", .double(warmRate)),
            ]).compactText)
        } else {
            print("corpus: \(lines.count) lines, \(bytes) bytes, \(tokens) tokens; load \(String(format: "%.3f", secs(load))) s")
            print(String(format: "cold pass: %.4f s  %.0f tokens/s  %.2f MB/s", secs(cold), coldRate, Double(bytes) / secs(cold) / 1e6))
            print(String(format: "warm pass (best of %d): %.4f s  %.0f tokens/s  %.2f MB/s", max(1, repeats), secs(best), warmRate,
                         Double(bytes) / secs(best) / 1e6))
        }
    }
}
