// Atomic writes: a file is written to a temporary name in its own directory, flushed, then renamed
// over the target. A directory is assembled as `.NAME.sp-new` beside the target and swapped in with
// one `renameat2(RENAME_EXCHANGE)` (Linux ≥ 3.15); where the file system cannot exchange, the old
// directory is first renamed to `.NAME.sp-old`. At every point a kill can stop the sequence, the
// target is a complete prompt (old or new) or, in the fallback, `.NAME.sp-old` is;
// ``AtomicFile/recoverDirectory(at:)`` (run by the next save, `train` and `generate`) restores or
// removes what an interrupted save left, so nothing is lost and no debris stays.

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

    /// The steps of ``writeDirectory(at:overwrite:_:)`` after which a kill can stop it.
    enum Step: Int, CaseIterable, Sendable {
        case createdNew, built, exchanged, movedOldAside, installed, removedOld
    }

    /// The name of the directory a save is assembled in.
    static func newName(_ url: URL) -> URL { sibling(url, "sp-new") }
    /// The name the old directory is moved to when the file system cannot exchange directories.
    static func oldName(_ url: URL) -> URL { sibling(url, "sp-old") }
    /// Bytes the temporary names add to the target's name (`.` + `.sp-new`).
    public static let temporaryNameOverhead = 8

    private static func sibling(_ url: URL, _ suffix: String) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(suffix)")
    }

    /// Builds a directory atomically: `build` fills `.NAME.sp-new` beside `url`, which then replaces
    /// `url` in one step. On error the temporary directory is removed and `url` is untouched.
    /// Writers of one `url` must be serialised (``OutputLock``).
    /// - Parameter overwrite: replace an existing `url`; when false an existing `url` is an error.
    public static func writeDirectory(at url: URL, overwrite: Bool = false, _ build: (URL) throws -> Void) throws {
        try writeDirectory(at: url, overwrite: overwrite, stopAfter: nil, build)
    }

    /// ``writeDirectory(at:overwrite:_:)`` that returns without any cleanup right after `stopAfter`,
    /// as a killed process would (tests check recovery from every step).
    static func writeDirectory(at url: URL, overwrite: Bool, stopAfter: Step?, exchange: Bool = true,
                               _ build: (URL) throws -> Void) throws {
        let fm = FileManager.default
        let parent = url.deletingLastPathComponent()
        do { try fm.createDirectory(at: parent, withIntermediateDirectories: true) } catch {
            throw TuningError.io(path: parent.path, reason: "cannot create the parent directory")
        }
        _ = try recoverDirectory(at: url)
        let exists = fm.fileExists(atPath: url.path)
        if exists && !overwrite {
            throw TuningError.io(path: url.path, reason: "already exists; hint: choose another path or allow overwriting")
        }
        let new = newName(url)
        guard mkdir(new.path, 0o755) == 0 else {
            throw TuningError.io(path: new.path, reason: "cannot create a temporary directory: \(errnoText())")
        }
        if stopAfter == .createdNew { return }
        do { try build(new) } catch {
            try? fm.removeItem(at: new)
            throw error
        }
        syncDirectory(new)
        if stopAfter == .built { return }
        if exists {
            if exchange, exchangeDirectories(new.path, url.path) {
                if stopAfter == .exchanged { return }
                // `new` now holds the previous prompt.
                try? fm.removeItem(at: new)
                syncDirectory(parent)
                return
            }
            let old = oldName(url)
            guard rename(url.path, old.path) == 0 else {
                let r = errnoText()
                try? fm.removeItem(at: new)
                throw TuningError.io(path: url.path, reason: "cannot move the old directory aside: \(r)")
            }
            if stopAfter == .movedOldAside { return }
            guard rename(new.path, url.path) == 0 else {
                let r = errnoText()
                rename(old.path, url.path)
                try? fm.removeItem(at: new)
                throw TuningError.io(path: url.path, reason: "rename failed: \(r)")
            }
            if stopAfter == .installed { return }
            try? fm.removeItem(at: old)
            if stopAfter == .removedOld { return }
        } else {
            guard rename(new.path, url.path) == 0 else {
                let r = errnoText()
                try? fm.removeItem(at: new)
                throw TuningError.io(path: url.path, reason: "rename failed: \(r)")
            }
            if stopAfter == .installed { return }
        }
        syncDirectory(parent)
    }

    /// Restores or removes what an interrupted ``writeDirectory(at:overwrite:_:)`` left beside `url`
    /// (also the `.NAME.tmp-*` / `.NAME.old-*` names of SoftPrompt versions before 0.2):
    /// a missing `url` is restored from the moved-aside previous directory; unfinished or
    /// superseded temporary directories are removed.
    /// - Returns: one message per action, for the user ("restored …", "removed …").
    @discardableResult
    public static func recoverDirectory(at url: URL) throws -> [String] {
        let fm = FileManager.default
        let parent = url.deletingLastPathComponent()
        let name = url.lastPathComponent
        var messages: [String] = []
        var olds = [oldName(url)], news = [newName(url)]
        if let entries = try? fm.contentsOfDirectory(atPath: parent.path) {
            for e in entries.sorted() {
                if e.hasPrefix(".\(name).old-") { olds.append(parent.appendingPathComponent(e)) }
                if e.hasPrefix(".\(name).tmp-") { news.append(parent.appendingPathComponent(e)) }
            }
        }
        for old in olds where isDirectory(old) {
            if !exists(url) {
                guard rename(old.path, url.path) == 0 else {
                    throw TuningError.io(path: url.path, reason: "cannot restore the previous prompt from \(old.path): \(errnoText())")
                }
                messages.append("restored \(url.path) from \(old.lastPathComponent), left by an interrupted save")
            } else {
                try remove(old)
                messages.append("removed \(old.lastPathComponent), the previous prompt left by an interrupted save")
            }
        }
        for new in news where isDirectory(new) {
            try remove(new)
            messages.append("removed \(new.lastPathComponent), left by an interrupted save")
        }
        if !messages.isEmpty { syncDirectory(parent) }
        return messages
    }

    private static func remove(_ url: URL) throws {
        do { try FileManager.default.removeItem(at: url) } catch {
            throw TuningError.io(path: url.path, reason: "cannot remove what an interrupted save left; remove it by hand")
        }
    }

    private static func exists(_ url: URL) -> Bool {
        var st = stat()
        return lstat(url.path, &st) == 0
    }

    private static func isDirectory(_ url: URL) -> Bool {
        var st = stat()
        return lstat(url.path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    /// `renameat2(a, b, RENAME_EXCHANGE)`, looked up at run time (glibc ≥ 2.28); false when the
    /// C library or the file system cannot exchange.
    private static func exchangeDirectories(_ a: String, _ b: String) -> Bool {
        guard let sym = dlsym(dlopen(nil, RTLD_NOW), "renameat2") else { return false }
        let f = unsafeBitCast(sym, to: RenameAt2.self)
        let renameExchange: UInt32 = 1 << 1
        return f(AT_FDCWD, a, AT_FDCWD, b, renameExchange) == 0
    }

    private static func syncDirectory(_ url: URL) {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
