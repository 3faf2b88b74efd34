// The `--output` policy of `train`, checked before the model loads: never replace a path SoftPrompt
// did not write. A missing path or an empty directory is fine; a prompt directory written by
// SoftPrompt (``SoftPromptIdentity``) is replaced only with `--overwrite`; anything else — a file, a
// device, a directory of other things — is refused, and `''`, `.`, `/`, `$HOME` and any directory
// that holds the training data are always refused. ``OutputLock`` keeps two trainings from writing
// the same output.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Checks an output prompt directory path before any work is done.
public enum OutputPath {
    /// The longest file name most Linux file systems allow.
    public static let maxNameBytes = 255

    /// Validates `path` as the output of a training run.
    ///
    /// - Parameters:
    ///   - inputs: files and directories the run reads (training/validation data, config file);
    ///     the output may not be one of them nor a directory above them.
    ///   - overwrite: allow replacing an earlier SoftPrompt prompt directory.
    ///   - home: the user's home directory (refused as output).
    /// - Returns: the absolute output URL.
    /// - Throws: ``TuningError/invalidParameter(field:value:hint:)`` for field `output`.
    public static func check(_ path: String, inputs: [URL], overwrite: Bool,
                             home: String? = ProcessInfo.processInfo.environment["HOME"]) throws -> URL {
        func refuse(_ why: String, _ hint: String) -> TuningError {
            .invalidParameter(field: "output", value: quoted(path), hint: "\(why); \(hint)")
        }
        guard !path.isEmpty else { throw refuse("the path is empty", "name a new directory, e.g. --output my-prompt") }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let name = url.lastPathComponent
        let real = resolved(url)
        if url.path == "/" || real == "/" || name == "." || name == ".." || path.hasSuffix("/.") || path.hasSuffix("/..") {
            throw refuse("it is the root or the current directory", "name a new directory inside it")
        }
        let cwd = resolved(URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        if real == cwd {
            throw refuse("it is the current directory", "name a new directory inside it")
        }
        if cwd.hasPrefix(real + "/") {
            throw refuse("it holds the current directory", "run from elsewhere or choose another path")
        }
        if let home, !home.isEmpty, real == resolved(URL(fileURLWithPath: home)) {
            throw refuse("it is your home directory", "name a new directory inside it")
        }
        let limit = maxNameBytes - AtomicFile.temporaryNameOverhead
        guard name.utf8.count <= limit else {
            throw refuse("the name is \(name.utf8.count) bytes, over the limit of \(limit) (255 for the file system, "
                         + "less the temporary name used while saving)", "choose a shorter name")
        }
        for input in inputs {
            let r = resolved(input)
            if r == real || r.hasPrefix(real == "/" ? "/" : real + "/") {
                throw refuse("it holds \(input.path), which this run reads", "write the prompt to a new directory")
            }
        }
        var st = stat()
        guard lstat(url.path, &st) == 0 else {
            guard errno == ENOENT else { throw refuse("cannot inspect it: \(FileInput.problem(errno))", "choose another path") }
            // An interrupted save left the previous prompt aside; recovery will put it back.
            if !overwrite, SoftPromptIdentity.isSoftPromptDirectory(AtomicFile.oldName(url)) {
                throw refuse("it holds a prompt saved earlier (in \(AtomicFile.oldName(url).lastPathComponent), left by an "
                             + "interrupted save)", "pass --overwrite to replace it, or choose a new path")
            }
            return url
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw refuse("it exists and is not a directory (SoftPrompt never replaces files)", "choose a new path")
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? ["?"]
        if entries.isEmpty { return url }
        guard SoftPromptIdentity.isSoftPromptDirectory(url) else {
            throw refuse("it is a non-empty directory that SoftPrompt did not write (no `\(SoftPromptIdentity.markerKey)` "
                         + "in config.yml)", "choose a new path; SoftPrompt replaces only its own prompt directories")
        }
        guard overwrite else {
            throw refuse("it holds a prompt saved earlier", "pass --overwrite to replace it, or choose a new path")
        }
        return url
    }

    /// The path with symbolic links resolved as far as it exists (the rest appended).
    static func resolved(_ url: URL) -> String {
        var existing = url.standardizedFileURL
        var rest: [String] = []
        while existing.path != "/", realpath(existing.path, nil) == nil {
            rest.insert(existing.lastPathComponent, at: 0)
            existing.deleteLastPathComponent()
        }
        guard let r = realpath(existing.path, nil) else { return url.path }
        defer { free(r) }
        var p = String(cString: r)
        for c in rest { p = p == "/" ? "/" + c : p + "/" + c }
        return p
    }
}

/// An exclusive lock on an output path, held for a whole training run: a second run writing the
/// same `--output` fails at once instead of both reporting success.
public final class OutputLock: @unchecked Sendable {
    private var fd: Int32
    private let lockPath: String
    /// Parent directories this lock created, innermost first (removed again when still empty).
    private var created: [String] = []

    /// Takes the lock `.NAME.lock` beside `url` (created, with missing parent directories, if needed).
    /// - Throws: ``TuningError/io(path:reason:)`` when another process holds it.
    public init(_ url: URL) throws {
        let parent = url.deletingLastPathComponent()
        var missing = parent
        while missing.path != "/", !FileManager.default.fileExists(atPath: missing.path) {
            created.append(missing.path)
            missing.deleteLastPathComponent()
        }
        try? FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        lockPath = parent.appendingPathComponent(".\(url.lastPathComponent).lock").path
        while true {
            let f = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard f >= 0 else {
                throw TuningError.io(path: url.path, reason: "cannot create the lock file \(lockPath): \(FileInput.problem(errno))")
            }
            guard flock(f, LOCK_EX | LOCK_NB) == 0 else {
                close(f)
                throw TuningError.io(path: url.path, reason: "another softprompt process is writing this output "
                                     + "(lock \(lockPath)); hint: wait for it or choose another --output")
            }
            // The holder before us may have unlinked the file after we opened it: lock the current one.
            var a = stat(), b = stat()
            if fstat(f, &a) == 0, stat(lockPath, &b) == 0, a.st_ino == b.st_ino, a.st_dev == b.st_dev {
                fd = f
                return
            }
            close(f)
        }
    }

    /// Releases the lock and removes the lock file, and the parent directories it created when
    /// nothing was saved in them.
    public func release() {
        guard fd >= 0 else { return }
        unlink(lockPath)
        close(fd)
        fd = -1
        for dir in created { rmdir(dir) }   // fails, harmlessly, on a directory that is not empty
    }

    deinit { release() }
}

extension OutputLock {
    /// Recovers what an interrupted save left beside `url` when no other process is saving there
    /// (for readers such as `generate`), and the lock file a killed run left; does nothing when
    /// nothing is left over.
    /// - Returns: messages for the user.
    public static func recoverIfIdle(_ url: URL) -> [String] {
        let parent = url.deletingLastPathComponent(), name = url.lastPathComponent
        let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []).contains {
            $0 == ".\(name).sp-new" || $0 == ".\(name).sp-old" || $0 == ".\(name).lock" || $0.hasPrefix(".\(name).tmp-") || $0.hasPrefix(".\(name).old-")
        }
        guard leftovers else { return [] }
        guard let lock = try? OutputLock(url) else { return ["a save into \(url.path) is in progress; reading what is there"] }
        defer { lock.release() }
        do { return try AtomicFile.recoverDirectory(at: url) } catch { return ["\(error)"] }
    }
}
