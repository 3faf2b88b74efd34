// Files the tests read but the repository does not hold (the real model, real tokenizers), fetched
// into ${SOFTPROMPT_CACHE:-~/.cache/softprompt} by scripts/fetch_*.sh, and the one policy for a
// missing one: outside CI the test is skipped and the skip prints its reason; with CI=true
// (scripts/test.sh fetches every file first) a missing file is a failure that names it.

import Foundation
import Testing

/// The test run's environment.
public enum TestEnvironment {
    /// `CI` is `true` or `1`: every skip for a missing file is a failure.
    public static var isCI: Bool {
        let v = (ProcessInfo.processInfo.environment["CI"] ?? "").lowercased()
        return v == "true" || v == "1"
    }

    /// `$SOFTPROMPT_CACHE`, else `~/.cache/softprompt`.
    public static var cache: URL {
        if let c = ProcessInfo.processInfo.environment["SOFTPROMPT_CACHE"], !c.isEmpty { return URL(fileURLWithPath: c) }
        return URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache/softprompt")
    }
}

/// A file fetched by a script, not committed.
public struct ExternalFile: Sendable, CustomStringConvertible {
    public let url: URL
    /// The script that fetches it, e.g. `"scripts/fetch_smollm2.sh"`.
    public let fetchScript: String

    public init(url: URL, fetchScript: String) {
        self.url = url
        self.fetchScript = fetchScript
    }

    /// `relative` under the cache (a directory when it ends with `/`).
    public static func cached(_ relative: String, fetchScript: String) -> ExternalFile {
        ExternalFile(url: TestEnvironment.cache.appendingPathComponent(relative), fetchScript: fetchScript)
    }

    /// SmolLM2-135M-Instruct Q4_1: `$SOFTPROMPT_SMOLLM2_GGUF`, else the cached file.
    public static var smolLM2: ExternalFile {
        if let p = ProcessInfo.processInfo.environment["SOFTPROMPT_SMOLLM2_GGUF"], !p.isEmpty {
            return ExternalFile(url: URL(fileURLWithPath: p), fetchScript: "scripts/fetch_smollm2.sh")
        }
        return .cached("SmolLM2-135M-Instruct.Q4_1.gguf", fetchScript: "scripts/fetch_smollm2.sh")
    }

    /// A real tokenizer file under the cache's `tokenizers/`.
    public static func tokenizer(_ relative: String) -> ExternalFile {
        .cached("tokenizers/" + relative, fetchScript: "scripts/fetch_tokenizers.sh")
    }

    public var exists: Bool { FileManager.default.fileExists(atPath: url.path) }
    public var path: String { url.path }
    public var description: String { url.path }

    /// Why a test that needs this file cannot run.
    public var missingReason: String { "\(url.path) is missing: run \(fetchScript) to download it" }

    /// The file, or an error naming it and its fetch script (use after a `.requires` trait: under CI
    /// the test runs without the file and fails here).
    public func require() throws -> URL {
        guard exists else { throw MissingFileError(message: missingReason + (TestEnvironment.isCI ? Self.ciNote : "")) }
        return url
    }

    /// For a part of a test: the file, or nil after recording why. Under CI the absence is a test
    /// failure; outside CI it prints "skipped: <reason>".
    public func ifPresent(ci: Bool = TestEnvironment.isCI, sourceLocation: SourceLocation = #_sourceLocation) -> URL? {
        if exists { return url }
        if ci {
            Issue.record(Comment(rawValue: missingReason + Self.ciNote), sourceLocation: sourceLocation)
        } else {
            print("skipped (\(sourceLocation.fileName):\(sourceLocation.line)): \(missingReason)")
        }
        return nil
    }

    /// Whether a test needing these files runs: they all exist, or CI is set (the test then fails
    /// in `require()`, naming the file).
    public static func mayRun(_ files: [ExternalFile], ci: Bool = TestEnvironment.isCI) -> Bool {
        ci || files.allSatisfy(\.exists)
    }

    static let ciNote = " (CI=true: a missing file fails the run; scripts/test.sh fetches every file first)"
}

/// A needed file is absent.
public struct MissingFileError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

extension Trait where Self == ConditionTrait {
    /// Skips the test (printing the reason) when one of `files` is absent, except under CI, where
    /// the test runs and fails on the missing file.
    public static func requires(_ files: ExternalFile...) -> Self {
        let missing = files.filter { !$0.exists }.map(\.missingReason).joined(separator: "; ")
        return .enabled(if: ExternalFile.mayRun(files), Comment(rawValue: missing))
    }
}
