import Foundation
import SPJSON
import SPTestSupport
import Testing
import ZIPFoundation

@testable import SPTokenizers

/// Committed fixtures (made by scripts/reference/tokenizer_goldens.py) and the download cache
/// (filled by scripts/fetch_tokenizers.sh).
enum Fixtures {
    static let own = FixtureRoot(target: "SPTokenizersTests")

    /// The real tokenizer files under `${SOFTPROMPT_CACHE:-~/.cache/softprompt}/tokenizers`.
    static var cache: URL { TestEnvironment.cache.appendingPathComponent("tokenizers") }

    /// A cached real tokenizer file (skip-or-fail policy: see SPTestSupport.ExternalFile).
    static func cached(_ name: String) -> ExternalFile { .tokenizer(name) }

    /// corpus.jsonl's line count (scripts/reference/tokenizer_corpus.py): every family golden has one
    /// line per corpus line.
    static let corpusLines = 2372
    /// Decodes of random id lists per family (tokenizer_goldens.py `random_decodes`, count 150).
    static let randomDecodes = 150

    /// The corpus, one string per line (a missing or broken corpus stops the run, naming the file).
    static let corpus: [String] = {
        let data = try! own.data("corpus.jsonl")
        return data.split(separator: 0x0A, omittingEmptySubsequences: true).map { line in
            guard case .string(let s) = try! JSONValue.parse(Data(line)) else { fatalError("corpus line is not a string") }
            return s
        }
    }()

    /// Every member of a committed zip, by name.
    static func zip(_ relative: String) throws -> ZipFixture {
        let url = try own.file(relative)
        let archive = try Archive(url: url, accessMode: .read)
        var out: [String: Data] = [:]
        for entry in archive where entry.type == .file {
            var data = Data()
            _ = try archive.extract(entry, skipCRC32: false) { data.append($0) }
            out[entry.path] = data
        }
        return ZipFixture(path: SourceTree.relative(url), members: out)
    }
}

/// The members of a committed zip fixture.
struct ZipFixture {
    let path: String
    let members: [String: Data]

    subscript(_ name: String) -> Data? { members[name] }
    var names: Dictionary<String, Data>.Keys { members.keys }

    /// The member `name`; throws naming the zip and the member when it is absent.
    func data(_ name: String) throws -> Data {
        guard let d = members[name] else { throw FixtureError.malformed(path: path, reason: "has no member \(name)") }
        return d
    }

    /// The JSON objects of the .jsonl member `name`.
    func lines(_ name: String) throws -> [JSONValue] {
        try data(name).split(separator: 0x0A).map { try JSONValue.parse(Data($0)) }
    }
}

extension JSONValue {
    var ints: [Int]? {
        guard case .array(let a) = self else { return nil }
        return a.compactMap { if case .int(let i) = $0 { return i } else { return nil } }
    }

    var intLists: [[Int]]? {
        guard case .array(let a) = self else { return nil }
        return a.compactMap(\.ints)
    }

    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// Compares a tokenizer with golden lines; returns a description of the first mismatches.
struct ParityReport {
    var checked = 0
    var failures: [String] = []

    mutating func fail(_ s: String) {
        if failures.count < 12 { failures.append(s) } else if failures.count == 12 { failures.append("…") }
    }

    var ok: Bool { failures.isEmpty }

    static func show(_ s: String) -> String {
        s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? String(format: "\\u{%X}", $0.value) : String($0) }.joined()
    }

    /// Checks goldens: "i" ids, "n" ids without special tokens, "d" decode, "s" decode with
    /// skip+cleanup, "err" encode failure; "k" is the corpus index when present. With
    /// `encode: false` only the decodes of the golden ids are checked (GGUF tokenizers encode as
    /// llama.cpp, checked against its own goldens, and decode as transformers).
    mutating func check(_ tok: Tokenizer, goldens: [JSONValue], corpus: [String], encode: Bool = true) {
        for (row, g) in goldens.enumerated() {
            let k = g["k"].flatMap { if case .int(let i) = $0 { return i } else { return nil } } ?? row
            let line = corpus[k]
            checked += 1
            if !encode {
                // Ids of tokens transformers' GGUF conversion adds (GPT2Tokenizer's "<|endoftext|>")
                // do not exist in the file, nor in llama.cpp.
                let known = (g["i"]?.ints ?? []).allSatisfy { tok.idToToken($0) != nil }
                if g["err"] == nil && known { checkDecode(tok, g, line: line, k: k) }
                continue
            }
            if g["err"] != nil {
                if (try? tok.encode(line)) != nil { fail("line \(k): reference fails to encode \"\(Self.show(line))\" but we succeed") }
                continue
            }
            let want = g["i"]?.ints ?? []
            guard let got = try? tok.encode(line).ids else { fail("line \(k): encode threw for \"\(Self.show(line))\""); continue }
            if got != want {
                fail("line \(k) \"\(Self.show(String(line.prefix(80))))\": ids \(got.prefix(40)) != \(want.prefix(40))")
                continue
            }
            let wantPlain = g["n"]?.ints ?? want
            do {
                let plain = try tok.encode(line, addSpecialTokens: false).ids
                if plain != wantPlain { fail("line \(k): add_special_tokens=false ids \(plain.prefix(30)) != \(wantPlain.prefix(30))") }
            } catch {
                fail("line \(k): add_special_tokens=false encode threw \(error) for \"\(Self.show(line))\"")
            }
            checkDecode(tok, g, line: line, k: k)
        }
    }

    private mutating func checkDecode(_ tok: Tokenizer, _ g: JSONValue, line: String, k: Int) {
        let want = g["i"]?.ints ?? []
        let d = g["d"]
        let wantD: String? = d == nil ? line : d!.stringValue
        let gotD = try? tok.decode(want, cleanUpTokenizationSpaces: false)
        if gotD != wantD { fail("line \(k): decode \"\(Self.show(gotD ?? "<throws>"))\" != \"\(Self.show(wantD ?? "<throws>"))\"") }
        let s = g["s"]
        let wantS: String? = s == nil ? wantD : s!.stringValue
        let gotS = try? tok.decode(want, skipSpecialTokens: true, cleanUpTokenizationSpaces: true)
        if gotS != wantS { fail("line \(k): skip/cleanup decode \"\(Self.show(gotS ?? "<throws>"))\" != \"\(Self.show(wantS ?? "<throws>"))\"") }
    }

    /// Checks decodes of random id lists ("r" ids, "d" and "s" decodes; null where the reference fails).
    mutating func checkRandom(_ tok: Tokenizer, _ rows: [JSONValue]) {
        for g in rows {
            let ids = g["r"]?.ints ?? []
            checked += 1
            let wantD = g["d"]?.stringValue, wantS = g["s"]?.stringValue
            let gotD = try? tok.decode(ids, cleanUpTokenizationSpaces: false)
            if gotD != wantD { fail("random \(ids): decode \"\(Self.show(gotD ?? "<throws>"))\" != \"\(Self.show(wantD ?? "<throws>"))\"") }
            let gotS = try? tok.decode(ids, skipSpecialTokens: true, cleanUpTokenizationSpaces: true)
            if gotS != wantS { fail("random \(ids): skip decode \"\(Self.show(gotS ?? "<throws>"))\" != \"\(Self.show(wantS ?? "<throws>"))\"") }
        }
    }
}
