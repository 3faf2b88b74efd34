// How SoftPrompt recognises its own prompt directories: `config.yml` carries `softprompt_version`
// next to caikit's keys (caikit ignores keys it does not know). `--output` replaces only
// directories so marked, and only with `--overwrite`.

import Foundation

/// SoftPrompt's version and the caikit-nlp release whose behaviour it reproduces.
public enum SoftPromptIdentity {
    /// SoftPrompt's version, written to `config.yml` as `softprompt_version`.
    public static let version = "0.2.0"
    /// The `config.yml` key that marks a directory written by SoftPrompt.
    public static let markerKey = "softprompt_version"
    /// `caikit_nlp_version` written to `config.yml`: the caikit-nlp release (PyPI 0.5.15) containing
    /// the source snapshot the spec was read from (`69f99cb`, 2025-02-18).
    public static let caikitNLPVersion = "0.5.15"

    /// True when `dir/config.yml` is a regular file of at most 1 MiB with a top-level
    /// `softprompt_version:` line.
    public static func isSoftPromptDirectory(_ dir: URL) -> Bool {
        let cfg = dir.appendingPathComponent("config.yml")
        guard let data = try? FileInput.read(cfg, what: "config.yml", maxBytes: 1 << 20),
              let text = String(data: data, encoding: .utf8) else { return false }
        return text.split(whereSeparator: \.isNewline).contains { $0.hasPrefix(markerKey + ":") }
    }
}
