import Foundation
import SPJSON

/// Runs a PyTorch reference script under scripts/reference/ and returns its last JSON line.
enum Reference {
    /// The reference venv's python: `$SOFTPROMPT_REF_PYTHON`, else `$SOFTPROMPT_REF_VENV/bin/python`,
    /// else `.venv-ref/bin/python` in the current directory (the repository root, where
    /// scripts/reference/setup_venv.sh creates it).
    static var python: String? {
        let env = ProcessInfo.processInfo.environment, fm = FileManager.default
        let candidates = [env["SOFTPROMPT_REF_PYTHON"], env["SOFTPROMPT_REF_VENV"].map { $0 + "/bin/python" },
                          fm.currentDirectoryPath + "/.venv-ref/bin/python"]
        return candidates.compactMap { $0 }.first { fm.isExecutableFile(atPath: $0) }
    }

    /// Why the reference cannot run, or nil when it can.
    static func unavailable(script: String) -> String? {
        if python == nil {
            return "no reference venv: set SOFTPROMPT_REF_VENV (or SOFTPROMPT_REF_PYTHON), or run scripts/reference/setup_venv.sh from the repository root"
        }
        if !FileManager.default.fileExists(atPath: script) { return "\(script) not found: run from the repository root" }
        return nil
    }

    /// Runs `script args` and reads its last stdout line as a JSON object (fields are read with
    /// `JSONConfig`'s getters, whose errors name the field and the script).
    static func run(script: String, arguments: [String]) throws -> JSONConfig {
        guard let py = python else { throw ReferenceError.failed(unavailable(script: script) ?? "no python") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: py)
        p.arguments = [script] + arguments
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ReferenceError.failed("\(script) exited with \(p.terminationStatus)") }
        guard let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last else {
            throw ReferenceError.failed("\(script) printed no JSON line")
        }
        return try JSONConfig(object: JSONValue.parse(String(line), file: script), file: script)
    }
}

enum ReferenceError: Error, CustomStringConvertible {
    case failed(String)
    var description: String { switch self { case .failed(let m): return m } }
}

/// Peak resident set size of this process (VmHWM), in bytes.
func peakRSS() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kb * 1024
    }
    return 0
}

func gib(_ bytes: Int) -> String { fmt(Double(bytes) / Double(1 << 30), 2) + " GiB" }
