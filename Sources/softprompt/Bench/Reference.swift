import Foundation

/// Runs a PyTorch reference script under scripts/reference/ and returns its last JSON line.
enum Reference {
    /// The reference venv's python: `$SOFTPROMPT_REF_PYTHON`, else `.venv-ref/bin/python` in the
    /// current directory (the repository root, where scripts/reference/setup_venv.sh creates it).
    static var python: String? {
        let env = ProcessInfo.processInfo.environment
        if let p = env["SOFTPROMPT_REF_PYTHON"], FileManager.default.isExecutableFile(atPath: p) { return p }
        let local = FileManager.default.currentDirectoryPath + "/.venv-ref/bin/python"
        return FileManager.default.isExecutableFile(atPath: local) ? local : nil
    }

    /// Why the reference cannot run, or nil when it can.
    static func unavailable(script: String) -> String? {
        if python == nil {
            return "no reference venv: run scripts/reference/setup_venv.sh from the repository root (or set SOFTPROMPT_REF_PYTHON)"
        }
        if !FileManager.default.fileExists(atPath: script) { return "\(script) not found: run from the repository root" }
        return nil
    }

    /// Runs `script args` and decodes the last stdout line as a JSON object.
    static func run(script: String, arguments: [String]) throws -> [String: Any] {
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
        let text = String(decoding: data, as: UTF8.self)
        guard let line = text.split(separator: "\n").last,
              let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw ReferenceError.failed("\(script) printed no JSON line")
        }
        return obj
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
