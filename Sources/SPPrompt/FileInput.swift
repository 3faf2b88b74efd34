// Reading a file named by the user (training data, config files, prompt files) with an error that
// says what is wrong with the path — a directory, a device such as /dev/zero, a FIFO, a symlink
// loop, a missing or unreadable file, a file too large — instead of Foundation's raw text.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Checked reads of user-named files.
public enum FileInput {
    /// The largest file read whole (training data, configs): 4 GiB.
    public static let defaultMaxBytes = 4 << 30

    /// What a path is, following symbolic links.
    public enum Kind: Equatable, Sendable {
        /// A regular file of `size` bytes.
        case regular(size: Int)
        /// A directory.
        case directory
        /// A device, FIFO or socket, described in words.
        case special(String)
    }

    /// Stats `url` (following links).
    /// - Throws: ``TuningError/io(path:reason:)`` naming the problem (missing, loop, permission…).
    public static func kind(_ url: URL, what: String) throws -> Kind {
        var st = stat()
        guard stat(url.path, &st) == 0 else { throw TuningError.io(path: url.path, reason: "cannot read \(what): \(problem(errno))") }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .regular(size: Int(st.st_size))
        case S_IFDIR: return .directory
        case S_IFCHR, S_IFBLK: return .special("a device")
        case S_IFIFO: return .special("a FIFO (named pipe)")
        case S_IFSOCK: return .special("a socket")
        default: return .special("not a regular file")
        }
    }

    /// Reads a regular file of at most `maxBytes`.
    /// - Throws: ``TuningError/io(path:reason:)`` for a directory, a special file, a file over the
    ///   limit or a read error, naming `what` (e.g. "training data").
    public static func read(_ url: URL, what: String, maxBytes: Int = defaultMaxBytes) throws -> Data {
        switch try kind(url, what: what) {
        case .directory:
            throw TuningError.io(path: url.path, reason: "cannot read \(what): is a directory, expected a file")
        case .special(let s):
            throw TuningError.io(path: url.path, reason: "cannot read \(what): is \(s), expected a regular file")
        case .regular(let size):
            guard size <= maxBytes else {
                throw TuningError.io(path: url.path, reason: "cannot read \(what): \(size) bytes is over the limit of \(maxBytes) bytes")
            }
        }
        let fd = open(url.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)   // never blocks on a FIFO swapped in after stat
        guard fd >= 0 else { throw TuningError.io(path: url.path, reason: "cannot read \(what): \(problem(errno))") }
        defer { close(fd) }
        var out = Data()
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TuningError.io(path: url.path, reason: "cannot read \(what): read failed: \(problem(errno))")
            }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
            guard out.count <= maxBytes else {
                throw TuningError.io(path: url.path, reason: "cannot read \(what): over the limit of \(maxBytes) bytes")
            }
        }
        return out
    }

    /// A short description of an `errno` from opening or stating a path.
    static func problem(_ e: Int32) -> String {
        switch e {
        case ENOENT: return "no such file or directory"
        case ELOOP: return "too many levels of symbolic links (a symlink loop?)"
        case EACCES, EPERM: return "permission denied"
        case ENOTDIR: return "a component of the path is not a directory"
        case ENAMETOOLONG: return "the path or a name in it is too long"
        case EISDIR: return "is a directory"
        default: return String(cString: strerror(e))
        }
    }
}
