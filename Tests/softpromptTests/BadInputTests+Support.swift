// Support for the bad-input CLI tests: a snapshot of a directory tree (path → kind, size, content
// hash) to prove that a refused run changed nothing outside its output path, and small writers for
// malformed model files.

import Foundation
import SPTestSupport
import Testing

/// Every entry under a directory: relative path → "dir", "link → target", "special" or
/// "file SIZE HASH" (FNV-1a of the content; special files are never opened).
struct TreeSnapshot: Equatable {
    var entries: [String: String]

    init(_ root: String) {
        entries = [:]
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: root) else { return }
        while let rel = e.nextObject() as? String {
            let path = root + "/" + rel
            var st = stat()
            guard lstat(path, &st) == 0 else { entries[rel] = "vanished"; continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: entries[rel] = "dir"
            case S_IFLNK: entries[rel] = "link → " + ((try? fm.destinationOfSymbolicLink(atPath: path)) ?? "?")
            case S_IFREG:
                var h: UInt64 = 0xcbf2_9ce4_8422_2325
                for b in fm.contents(atPath: path) ?? Data() { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
                entries[rel] = "file \(st.st_size) \(String(h, radix: 16))"
            default: entries[rel] = "special"
            }
        }
    }

    /// Entries that differ, ignoring paths at or under `excluded` (relative to the root).
    func changes(to other: TreeSnapshot, excluding excluded: String?) -> [String] {
        let keys = Set(entries.keys).union(other.entries.keys)
        return keys.filter { k in
            if let x = excluded, k == x || k.hasPrefix(x + "/") { return false }
            return entries[k] != other.entries[k]
        }.sorted()
    }
}

/// A refused CLI run: non-zero exit, every word in stderr, nothing outside the output changed,
/// no raw Foundation error text.
func expectRefused(_ args: [String], mentions words: [String], root: String, output: String? = nil,
                   env: [String: String] = [:], cwd: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let before = TreeSnapshot(root)
    let r = try CLI.run(args, env: env, cwd: cwd ?? root)
    let after = TreeSnapshot(root)
    #expect(r.status != 0, "exit 0 for bad input \(args)", sourceLocation: sourceLocation)
    for w in words {
        #expect(r.stderr.contains(w), "stderr lacks '\(w)': \(r.stderr)", sourceLocation: sourceLocation)
    }
    for raw in ["NSCocoaErrorDomain", "The operation could not be completed", "You don’t have permission", "Fatal error"] {
        #expect(!r.stderr.contains(raw), "raw error text '\(raw)': \(r.stderr)", sourceLocation: sourceLocation)
    }
    let rel = output.map { $0.hasPrefix(root + "/") ? String($0.dropFirst(root.count + 1)) : $0 }
    let changed = before.changes(to: after, excluding: rel)
    #expect(changed.isEmpty, "files outside the output changed: \(changed)", sourceLocation: sourceLocation)
}

/// A minimal llama GGUF file: metadata and one F32 `token_embd.weight` `[vocab, hidden]`.
/// Without `pad` the file ends right after the header, before the aligned data start.
func llamaGGUF(hidden: UInt64, heads: UInt64, vocab: UInt64 = 10, pad: Bool = true) -> [UInt8] {
    func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    func str(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }
    var kvs: [[UInt8]] = [str("general.architecture") + le(UInt32(8)) + str("llama")]
    for (k, v) in [("embedding_length", UInt32(hidden)), ("attention.head_count", UInt32(heads)), ("block_count", 1),
                   ("feed_forward_length", 16), ("context_length", 64)] {
        kvs.append(str("llama." + k) + le(UInt32(4)) + le(v))
    }
    kvs.append(str("llama.attention.layer_norm_rms_epsilon") + le(UInt32(6)) + le(Float(1e-5).bitPattern))
    let tensor = str("token_embd.weight") + le(UInt32(2)) + le(hidden) + le(vocab) + le(UInt32(0)) + le(UInt64(0))
    var out = Array("GGUF".utf8) + le(UInt32(3)) + le(UInt64(1)) + le(UInt64(kvs.count)) + kvs.flatMap { $0 } + tensor
    if !pad { return out }
    while out.count % 32 != 0 { out.append(0) }
    return out + [UInt8](repeating: 0, count: Int(hidden * vocab) * 4)
}

/// The SPModelsTests llama fixture (config.json + model.safetensors, RoPE, 64 positions, no tokenizer).
var llamaFixture: String {
    try! FixtureRoot(target: "SPModelsTests").file("llama/config.json").deletingLastPathComponent().path
}
