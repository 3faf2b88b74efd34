// Malformed GGUF files give typed FormatErrors, never a crash.

import Foundation
import Testing
@testable import SPFormats

/// Builds small GGUF files byte by byte (valid by default; each test breaks one thing).
struct GGUFBuilder {
    var magic: [UInt8] = Array("GGUF".utf8)
    var version: UInt32 = 3
    var kvs: [[UInt8]] = []
    var tensors: [[UInt8]] = []
    var kvCount: UInt64?
    var tensorCount: UInt64?
    var alignment = 32
    var data: [UInt8] = []

    static func str(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }

    mutating func kv(_ key: String, type: UInt32, _ payload: [UInt8]) { kvs.append(Self.str(key) + le(type) + payload) }

    mutating func tensor(_ name: String, ne: [UInt64], type: UInt32, offset: UInt64) {
        tensors.append(Self.str(name) + le(UInt32(ne.count)) + ne.flatMap { le($0) } + le(type) + le(offset))
    }

    var bytes: [UInt8] {
        var out = magic + le(version) + le(tensorCount ?? UInt64(tensors.count)) + le(kvCount ?? UInt64(kvs.count))
        out += kvs.flatMap { $0 } + tensors.flatMap { $0 }
        // Pad only when there is data: trailing zeros would otherwise "complete" a cut-short header.
        while !data.isEmpty && out.count % alignment != 0 { out.append(0) }
        return out + data
    }

    func parse() throws -> GGUFHeader {
        try bytes.withUnsafeBytes { try GGUFHeader.parse($0, name: "bad.gguf") }
    }
}

@Suite struct GGUFMalformedTests {
    func expect(_ expected: String, sourceLocation: SourceLocation = #_sourceLocation, _ edit: (inout GGUFBuilder) -> Void) {
        var b = GGUFBuilder()
        b.kv("general.architecture", type: 8, GGUFBuilder.str("llama"))
        edit(&b)
        let e = expectFormatError(expected, sourceLocation: sourceLocation) { _ = try b.parse() }
        #expect(e?.description.contains("bad.gguf") == true, sourceLocation: sourceLocation)
    }

    @Test func validBuilderParses() throws {
        var b = GGUFBuilder()
        b.kv("general.architecture", type: 8, GGUFBuilder.str("llama"))
        b.tensor("w", ne: [32, 2], type: 2, offset: 0)  // Q4_0, 2 blocks of 18 bytes
        b.data = [UInt8](repeating: 0, count: 36)
        let h = try b.parse()
        #expect(h.tensors.first?.byteCount == 36 && h.tensors.first?.shape == [2, 32])
        #expect(try h.metadata.string("general.architecture") == "llama")
    }

    /// Fuzzer find: a v2 file whose one zero-element tensor has its (aligned) data start past the
    /// end of the file was accepted.
    @Test func zeroElementTensorDataPastEndOfFile() {
        expect("offsetsOutOfRange") { $0.version = 2; $0.tensor("t", ne: [0], type: 0, offset: 0) }
        expect("offsetsOutOfRange") { $0.tensor("t", ne: [4, 0], type: 0, offset: 0) }
    }

    @Test func magicAndVersion() {
        expect("badMagic") { $0.magic = Array("GGML".utf8) }
        expect("unsupportedVersion") { $0.version = 1 }
        expect("unsupportedVersion") { $0.version = 4 }
        expect("invalidHeader") { $0.version = UInt32(3).byteSwapped }  // big-endian file
        expectFormatError("truncated") { _ = try [UInt8]("GGUF".utf8).withUnsafeBytes { try GGUFHeader.parse($0, name: "x") } }
    }

    @Test func counts() {
        expect("truncated") { $0.kvCount = 1 << 40 }
        expect("invalidHeader") { $0.kvCount = UInt64.max }  // does not fit in Int
        expect("truncated") { $0.tensorCount = 1 << 40 }
        expect("truncated") { $0.kvCount = 2 }  // one entry short
    }

    @Test func metadataValues() {
        expect("truncated") { $0.kv("k", type: 8, le(UInt64(1) << 50)) }  // string length past EOF
        expect("truncated") { $0.kvs.append(le(UInt64(1) << 62) + Array("k".utf8)) }  // key length past EOF
        expect("invalidHeader") { $0.kv("k", type: 13, []) }  // unknown value type
        expect("invalidHeader") { $0.kv("k", type: 9, le(UInt32(99)) + le(UInt64(1))) }  // unknown element type
        expect("truncated") { $0.kv("k", type: 9, le(UInt32(4)) + le(UInt64(1) << 40)) }  // array count past EOF
        expect("truncated") { $0.kv("k", type: 9, le(UInt32(8)) + le(UInt64(1) << 40)) }  // string array too
        expect("truncated") { $0.kv("k", type: 4, [1, 2]) }  // u32 cut short
        expect("invalidHeader") {  // arrays nested 40 deep
            $0.kv("k", type: 9, (0..<40).flatMap { _ in le(UInt32(9)) + le(UInt64(1)) } + le(UInt32(0)) + le(UInt64(0)))
        }
        expect("invalidHeader") { $0.kv("general.architecture", type: 8, GGUFBuilder.str("gpt2")) }  // duplicate key
    }

    @Test func alignment() {
        expect("wrongType") { $0.kv("general.alignment", type: 10, le(UInt64(32))) }  // must be u32
        expect("wrongType") { $0.kv("general.alignment", type: 4, le(UInt32(0))) }
        expect("wrongType") { $0.kv("general.alignment", type: 4, le(UInt32(48))) }  // not a power of two
    }

    @Test func tensorInfos() {
        expect("invalidHeader") { $0.tensor("t", ne: [1, 1, 1, 1, 1], type: 0, offset: 0); $0.data = [0, 0, 0, 0] }
        expect("shapeOverflow") { $0.tensor("t", ne: [1 << 32, 1 << 32], type: 0, offset: 0) }
        expect("shapeOverflow") { $0.tensor("t", ne: [1 << 63], type: 0, offset: 0) }
        expect("shapeOverflow") { $0.tensor("t", ne: [1 << 61], type: 0, offset: 0) }  // bytes overflow
        expect("shapeMismatch") { $0.tensor("t", ne: [48, 2], type: 2, offset: 0) }  // not whole Q4_0 blocks
        expect("invalidHeader") { $0.tensor("t", ne: [1], type: 0, offset: 4); $0.data = [UInt8](repeating: 0, count: 8) }
        expect("offsetsOutOfRange") { $0.tensor("t", ne: [16], type: 0, offset: 0); $0.data = [UInt8](repeating: 0, count: 60) }
        expect("offsetsOutOfRange") { $0.tensor("t", ne: [1], type: 0, offset: 1 << 40) }
        expect("overlap") {
            $0.tensor("a", ne: [16], type: 0, offset: 0)
            $0.tensor("b", ne: [8], type: 0, offset: 32)
            $0.data = [UInt8](repeating: 0, count: 64)
        }
        expect("invalidHeader") {
            $0.tensor("a", ne: [8], type: 0, offset: 0)
            $0.tensor("a", ne: [8], type: 0, offset: 32)
            $0.data = [UInt8](repeating: 0, count: 64)
        }
        expect("truncated") { $0.tensors.append(GGUFBuilder.str("t") + le(UInt32(2)) + le(UInt64(4))) }
    }

    @Test("every truncation of a valid file throws, never crashes")
    func everyPrefix() throws {
        let full = try fixtureBytes("gguf/types_v3.gguf")
        let h = try full.withUnsafeBytes { try GGUFHeader.parse($0, name: "ok") }
        var accepted = 0
        for n in 0..<full.count {
            do {
                _ = try Array(full[0..<n]).withUnsafeBytes { try GGUFHeader.parse($0, name: "cut") }
                accepted += 1
            } catch {
                #expect(error is FormatError)
            }
        }
        // Only the padding bytes after the last tensor's data may be cut without losing data.
        let last = h.tensors.map { h.dataOffset + $0.offset + ($0.byteCount ?? 0) }.max() ?? 0
        #expect(accepted == full.count - last, "accepted \(accepted) prefixes")
    }

    @Test func truncatedFileOnDisk() throws {
        let dir = TempDir()
        let full = try fixtureBytes("gguf/types_v3.gguf")
        let p = try dir.write("cut.gguf", Array(full.prefix(full.count - 300)))
        let e = expectFormatError("offsetsOutOfRange") { _ = try GGUFFile(path: p) }
        #expect(e?.description.contains("t.q6_k") == true)
        expectFormatError("io") { _ = try GGUFFile(path: dir.path + "/absent.gguf") }
    }
}
