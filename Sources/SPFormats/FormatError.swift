// One error type for every file format this module reads or writes. Bad input never crashes: every
// length and offset is checked against the file size first, and each message names the file, the
// tensor or field, the byte offset where one applies, and a hint.

#if canImport(Glibc)
import Glibc
#endif

/// Errors raised while reading or writing model files (safetensors, GGUF, `config.json`).
public enum FormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// An operating-system call failed (`open`, `mmap`, `write`, `rename`, …).
    case io(file: String, operation: String, message: String)
    /// The file ends before a structure that should be at `offset` (`needed` bytes, `available` left).
    case truncated(file: String, what: String, offset: Int, needed: Int, available: Int)
    /// Text that should be JSON is not (`offset` is the byte position inside the JSON text).
    case invalidJSON(file: String, offset: Int, reason: String)
    /// A structural problem in a header (safetensors JSON header, GGUF header or metadata).
    case invalidHeader(file: String, offset: Int?, field: String, reason: String)
    /// A safetensors `dtype` string that is not one of the library's dtypes.
    case unknownDType(file: String, tensor: String, dtype: String)
    /// The tensor's element type cannot be converted to what was asked for (e.g. `I64` as float).
    case unsupportedDType(file: String, tensor: String, dtype: String, wanted: String)
    /// A GGUF tensor whose ggml type this module cannot dequantize (or does not know).
    case unsupportedGGMLType(file: String, tensor: String, type: String)
    /// The product of a shape (or its byte size) does not fit in `Int`.
    case shapeOverflow(file: String, tensor: String, shape: [Int])
    /// A tensor's bytes lie (partly) outside the data section.
    case offsetsOutOfRange(file: String, tensor: String, begin: Int, end: Int, limit: Int)
    /// A tensor's byte range does not match its shape and dtype.
    case sizeMismatch(file: String, tensor: String, shape: [Int], dtype: String, expected: Int, actual: Int)
    /// Two tensors share bytes.
    case overlap(file: String, tensor: String, other: String, offset: Int)
    /// The data section has bytes that belong to no tensor (forbidden by the safetensors spec).
    case unindexedBytes(file: String, begin: Int, end: Int)
    /// No tensor of that name.
    case tensorNotFound(file: String, tensor: String)
    /// A tensor whose shape does not fit the request (e.g. a weight matrix that is not 2-D).
    case shapeMismatch(file: String, tensor: String, expected: String, actual: [Int])
    /// The file does not start with the format's magic bytes.
    case badMagic(file: String, expected: String, found: String)
    /// A format version this reader does not handle.
    case unsupportedVersion(file: String, version: Int, supported: [Int])
    /// A required metadata key (GGUF) or config field (`config.json`) is absent.
    case missingField(file: String, field: String)
    /// A metadata key or config field holds a value of another type (or out of range).
    case wrongType(file: String, field: String, expected: String, found: String)
    /// An argument given to a writer is inconsistent (duplicate name, data length ≠ shape, …).
    case invalidArgument(String)
    /// A container's content is wrong (a torch `.pt` file's zip, pickle or tensor records).
    case malformed(file: String, what: String, reason: String, hint: String)

    /// The message: what is wrong, where (file, tensor or field, byte offset), and a hint.
    public var description: String {
        switch self {
        case let .io(file, op, msg):
            return "\(file): \(op) failed: \(msg)\n---> HINT: check that the path exists and is readable/writable."
        case let .truncated(file, what, offset, needed, available):
            return "\(file): truncated at byte \(offset): \(what) needs \(needed) bytes, only \(max(0, available)) left"
                + "\n---> HINT: the file is incomplete or corrupt; download or write it again."
        case let .invalidJSON(file, offset, reason):
            return "\(file): invalid JSON at byte \(offset) of the JSON text: \(reason)"
        case let .invalidHeader(file, offset, field, reason):
            let at = offset.map { " at byte \($0)" } ?? ""
            return "\(file): invalid header\(at), \(field): \(reason)"
                + "\n---> HINT: the file was not written by a conforming writer, or is corrupt."
        case let .unknownDType(file, tensor, dtype):
            return "\(file): tensor \(tensor) has unknown dtype \"\(dtype)\""
                + "\n---> HINT: known dtypes are \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", "))."
        case let .unsupportedDType(file, tensor, dtype, wanted):
            return "\(file): tensor \(tensor) is stored as \(dtype), which cannot be read as \(wanted)"
                + "\n---> HINT: only F32, F16 and BF16 tensors convert to float; convert the checkpoint first."
        case let .unsupportedGGMLType(file, tensor, type):
            return "\(file): tensor \(tensor) has ggml type \(type), which is not supported"
                + "\n---> HINT: supported: \(GGMLType.dequantizable.map(\.name).joined(separator: ", ")); "
                + "re-quantize the model to one of them (llama-quantize)."
        case let .shapeOverflow(file, tensor, shape):
            return "\(file): tensor \(tensor) has shape \(shape) whose size overflows"
        case let .offsetsOutOfRange(file, tensor, begin, end, limit):
            return "\(file): tensor \(tensor) spans bytes [\(begin), \(end)) but the data section has \(limit) bytes"
                + "\n---> HINT: the file is truncated or its header is corrupt."
        case let .sizeMismatch(file, tensor, shape, dtype, expected, actual):
            return "\(file): tensor \(tensor) (\(dtype) \(shape)) needs \(expected) bytes but its offsets span \(actual)"
        case let .overlap(file, tensor, other, offset):
            return "\(file): tensors \(other) and \(tensor) overlap at data byte \(offset)"
        case let .unindexedBytes(file, begin, end):
            return "\(file): data bytes [\(begin), \(end)) belong to no tensor (the safetensors format forbids holes)"
        case let .tensorNotFound(file, tensor):
            return "\(file): no tensor named \(tensor)"
                + "\n---> HINT: check the checkpoint's tensor names (they differ between architectures and exporters)."
        case let .shapeMismatch(file, tensor, expected, actual):
            return "\(file): tensor \(tensor) has shape \(actual), expected \(expected)"
        case let .badMagic(file, expected, found):
            return "\(file): not a \(expected) file (starts with \(found))"
        case let .unsupportedVersion(file, version, supported):
            return "\(file): format version \(version) is not supported (supported: \(supported.map(String.init)))"
                + "\n---> HINT: convert the file with a current llama.cpp (convert_hf_to_gguf.py)."
        case let .missingField(file, field):
            return "\(file): missing \(field)"
        case let .wrongType(file, field, expected, found):
            return "\(file): \(field) should be \(expected), found \(found)"
        case let .invalidArgument(msg):
            return msg
        case let .malformed(file, what, reason, hint):
            return "\(file): \(what): \(reason)\n---> HINT: \(hint)"
        }
    }
}

/// `strerror(errno)` as a Swift string.
func errnoMessage(_ code: Int32) -> String {
    guard let s = strerror(code) else { return "errno \(code)" }
    return String(cString: s) + " (errno \(code))"
}
