// Read-only memory maps of whole files, and a bounds-checked cursor over raw bytes.
// Mapping a multi-GB checkpoint costs ~0.1 ms and no anonymous memory: pages are file-backed and
// shared with the page cache (docs/ARCHITECTURE.md, "Memory-mapping safetensors").

#if canImport(Glibc)
import Glibc
#endif

/// A read-only, private memory map of a whole file. The mapping stays valid after the file
/// descriptor is closed (it is closed in `init`) and is unmapped when the object is released.
///
/// Keep the `MappedFile` alive for as long as any pointer into it is used: every tensor view and
/// zero-copy ``SPTensor/Weight`` made from it holds it as its owner.
public final class MappedFile: @unchecked Sendable {
    /// The path given to `init`.
    public let path: String
    /// First byte of the file (a valid, never-dereferenced dummy address for an empty file).
    public let base: UnsafeRawPointer
    /// File size in bytes.
    public let size: Int
    private let mapped: Bool

    /// Maps `path`. `populate` pre-faults every page (`MAP_POPULATE`), useful before a full scan.
    public init(path: String, populate: Bool = false) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)   // a FIFO must not block: refused below
        guard fd >= 0 else { throw FormatError.io(file: path, operation: "open", message: errnoMessage(errno)) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw FormatError.io(file: path, operation: "fstat", message: errnoMessage(errno))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            let kind: String
            switch st.st_mode & S_IFMT {
            case S_IFDIR: kind = "a directory"
            case S_IFCHR, S_IFBLK: kind = "a device"
            case S_IFIFO: kind = "a FIFO (named pipe)"
            case S_IFSOCK: kind = "a socket"
            default: kind = "a special file"
            }
            throw FormatError.io(file: path, operation: "open", message: "not a regular file (\(kind))")
        }
        size = Int(st.st_size)
        if size == 0 {
            base = UnsafeRawPointer(bitPattern: 0x1000)!
            mapped = false
            return
        }
        let flags = MAP_PRIVATE | (populate ? MAP_POPULATE : 0)
        guard let p = mmap(nil, size, PROT_READ, flags, fd, 0), p != MAP_FAILED else {
            throw FormatError.io(file: path, operation: "mmap", message: errnoMessage(errno))
        }
        base = UnsafeRawPointer(p)
        mapped = true
    }

    deinit { if mapped { munmap(UnsafeMutableRawPointer(mutating: base), size) } }

    /// The whole file as a byte buffer.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: size == 0 ? nil : base, count: size) }

    /// Tells the kernel the file will be read front to back (`madvise(MADV_SEQUENTIAL)`).
    public func adviseSequential() {
        if mapped { madvise(UnsafeMutableRawPointer(mutating: base), size, MADV_SEQUENTIAL) }
    }
}

/// A little-endian cursor over a byte buffer. Every read checks the remaining length first and
/// throws ``FormatError/truncated(file:what:offset:needed:available:)`` instead of reading past the end.
public struct ByteReader {
    /// The bytes read from.
    public let bytes: UnsafeRawBufferPointer
    /// The file name used in error messages.
    public let file: String
    /// Position of the next read, from the start of ``bytes``.
    public var offset: Int

    /// A reader at `offset` of `bytes`.
    public init(_ bytes: UnsafeRawBufferPointer, file: String, offset: Int = 0) {
        self.bytes = bytes
        self.file = file
        self.offset = offset
    }

    /// Bytes left after ``offset``.
    public var remaining: Int { bytes.count - offset }

    /// Throws unless `n` more bytes can be read (`n` may come from the file: negative or huge is an error).
    public func need(_ n: Int, _ what: @autoclosure () -> String) throws {
        if n < 0 || n > remaining {
            throw FormatError.truncated(file: file, what: what(), offset: offset, needed: n, available: remaining)
        }
    }

    /// Reads a fixed-width little-endian integer.
    public mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let n = MemoryLayout<T>.size
        try need(n, what())
        let v = T(littleEndian: bytes.baseAddress!.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += n
        return v
    }

    /// Reads a little-endian `UInt64` that must fit in a non-negative `Int` (a length or offset).
    public mutating func readLength(_ what: @autoclosure () -> String) throws -> Int {
        let at = offset
        let v = try read(UInt64.self, what())
        guard v <= UInt64(Int.max) else {
            throw FormatError.invalidHeader(file: file, offset: at, field: what(), reason: "value \(v) is too large")
        }
        return Int(v)
    }

    /// Reads an IEEE float32.
    public mutating func readFloat(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    /// Reads an IEEE float64.
    public mutating func readDouble(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// Returns the next `n` bytes without copying and advances past them.
    public mutating func slice(_ n: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        try need(n, what())
        let s = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
        offset += n
        return s
    }

    /// Skips `n` bytes.
    public mutating func skip(_ n: Int, _ what: @autoclosure () -> String) throws {
        try need(n, what())
        offset += n
    }
}

/// Overflow-checked product of dimensions; nil when it overflows or a dimension is negative.
@inlinable
public func checkedProduct(_ dims: [Int]) -> Int? {
    var n = 1
    for d in dims {
        if d < 0 { return nil }
        let (p, o) = n.multipliedReportingOverflow(by: d)
        if o { return nil }
        n = p
    }
    return n
}
