import ArgumentParser
import Foundation

/// Writes files the user names without ever replacing one: created with O_EXCL.
enum NewFile {
    /// Creates `path` with `data`; refuses when it exists (also if it appeared after an earlier check).
    static func write(_ data: Data, to path: String, option: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "exists; it is never overwritten: remove it or pick another name"
                : "cannot be created (\(String(cString: strerror(errno)))): check the directory exists and is writable"
            throw ValidationError("\(option) \(path) \(reason)")
        }
        let h = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        try h.write(contentsOf: data)
    }
}
