// Atomic writes: a file is written to a temporary name in its own directory, flushed, then renamed
// over the target; a directory is assembled under a temporary name beside the target, then renamed.
// Readers therefore see either the old content or the complete new one, never a partial save.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Atomic file and directory writes.
public enum AtomicFile {
    /// Writes `data` to `url` atomically (temp file in the same directory, `fsync`, `rename`).
    /// - Throws: ``TuningError/io(path:reason:)``.
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw TuningError.io(path: url.path, reason: "cannot create \(tmp.path): \(errnoText())") }
        var ok = true
        data.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { ok = false; return }
                off += n
            }
        }
        let reason = errnoText()
        if ok { ok = fsync(fd) == 0 }
        close(fd)
        guard ok else {
            unlink(tmp.path)
            throw TuningError.io(path: url.path, reason: "write failed: \(reason)")
        }
        guard rename(tmp.path, url.path) == 0 else {
            let r = errnoText()
            unlink(tmp.path)
            throw TuningError.io(path: url.path, reason: "rename failed: \(r)")
        }
    }

    /// Builds a directory atomically: `build` fills a fresh temporary directory beside `url`, which
    /// is then renamed to `url`. On error the temporary directory is removed and `url` is untouched.
    /// - Parameter overwrite: replace an existing `url` (moved aside, then deleted after the rename);
    ///   when false an existing `url` is an error.
    public static func writeDirectory(at url: URL, overwrite: Bool = false, _ build: (URL) throws -> Void) throws {
        let fm = FileManager.default
        let parent = url.deletingLastPathComponent()
        do { try fm.createDirectory(at: parent, withIntermediateDirectories: true) } catch {
            throw TuningError.io(path: parent.path, reason: "cannot create the parent directory (\(error.localizedDescription))")
        }
        let tag = UUID().uuidString
        let tmp = parent.appendingPathComponent(".\(url.lastPathComponent).tmp-\(tag)")
        do { try fm.createDirectory(at: tmp, withIntermediateDirectories: false) } catch {
            throw TuningError.io(path: tmp.path, reason: "cannot create a temporary directory (\(error.localizedDescription))")
        }
        do { try build(tmp) } catch {
            try? fm.removeItem(at: tmp)
            throw error
        }
        var old: URL?
        if fm.fileExists(atPath: url.path) {
            guard overwrite else {
                try? fm.removeItem(at: tmp)
                throw TuningError.io(path: url.path, reason: "already exists; hint: choose another path or allow overwriting")
            }
            let aside = parent.appendingPathComponent(".\(url.lastPathComponent).old-\(tag)")
            guard rename(url.path, aside.path) == 0 else {
                let r = errnoText()
                try? fm.removeItem(at: tmp)
                throw TuningError.io(path: url.path, reason: "cannot move the old directory aside: \(r)")
            }
            old = aside
        }
        guard rename(tmp.path, url.path) == 0 else {
            let r = errnoText()
            if let old { rename(old.path, url.path) }
            try? fm.removeItem(at: tmp)
            throw TuningError.io(path: url.path, reason: "rename failed: \(r)")
        }
        if let old { try? fm.removeItem(at: old) }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
