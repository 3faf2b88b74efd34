// GGUF v2/v3 files written by the `gguf` Python package (scripts/reference/formats_goldens.py):
// header, metadata of every value type, and dequantization bit-identical to gguf.quants.dequantize.

import Foundation
import SPJSON
import Testing
@testable import SPFormats
@testable import SPTensor

@Suite struct GGUFTests {
    static let files = ["types_v3.gguf", "types_v2.gguf"]

    func expected() throws -> (tensors: [JSONValue], values: [Float], manifest: JSONValue) {
        let m = try fixtureJSON("gguf/types.json")
        let bin = try fixtureBytes("gguf/types_expected.bin")
        let values = bin.withUnsafeBytes { raw in
            (0..<(bin.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        return (m["tensors"].array, values, m)
    }

    @Test("header, tensor infos and alignment", arguments: files)
    func header(_ name: String) throws {
        let f = try GGUFFile(path: try fixturePath("gguf/\(name)"))
        let (tensors, _, m) = try expected()
        #expect(f.version == (name.contains("v2") ? 2 : 3))
        #expect(f.header.alignment == m["alignment"][name].int)
        #expect(f.header.dataOffset % f.header.alignment == 0)
        #expect(f.tensorNames == tensors.map { $0["name"].string })
        for t in tensors {
            let info = try f.info(t["name"].string)
            #expect(info.type.name == t["type"].string)
            #expect(info.shape == t["shape"].ints, "torch order")
            #expect(info.ne == t["shape"].ints.reversed(), "GGUF order is innermost first")
            #expect(info.offset % f.header.alignment == 0)
        }
    }

    @Test("dequantization is bit-identical to gguf.quants.dequantize", arguments: files)
    func dequantize(_ name: String) throws {
        let f = try GGUFFile(path: try fixturePath("gguf/\(name)"))
        let (tensors, values, _) = try expected()
        for t in tensors {
            let got = try f.tensor(t["name"].string)
            let off = t["offset"].int, n = t["count"].int
            #expect(got.shape == t["shape"].ints)
            guard off >= 0, n >= 0, off + n <= values.count else {
                Issue.record("gguf/types_expected.bin has \(values.count) values; gguf/types.json wants \(off)..<\(off + n)")
                continue
            }
            let want = values[off..<(off + n)]
            let same = zip(got.array, want).filter { $0.bitPattern == $1.bitPattern }.count
            #expect(same == n, "\(t["type"].string): \(n - same) of \(n) values differ")
        }
    }

    @Test("metadata values of every type", arguments: files)
    func metadata(_ name: String) throws {
        let md = try GGUFFile(path: try fixturePath("gguf/\(name)")).metadata
        let want: JSONValue = try fixtureJSON("gguf/types.json")["metadata"]
        guard case .object(let o) = want else { Issue.record("bad fixture"); return }
        for (key, spec) in o.entries {
            let kind = spec.array[0].string, v = spec.array[1]
            let got = try #require(md[key], "metadata \(key)")
            switch kind {
            case "string": #expect(try md.string(key) == v.string)
            case "bool": #expect(try md.bool(key) == (v == .bool(true)))
            case "float32", "float64":
                #expect(got.type.rawValue == (kind == "float32" ? 6 : 12))
                #expect(try md.float(key) == v.double)
            case "uint64": #expect(got == .uint64(UInt64(v.double)))
            case "strings": #expect(try md.strings(key) == v.array.map(\.string))
            case "ints": #expect(try md.ints(key) == v.ints)
            case "floats": #expect(try md.floats(key) == v.array.map(\.double))
            case "bools": #expect(try md.array(key) == .bool(v.array.map { $0 == .bool(true) }))
            case "nested_ints":
                #expect(try md.array(key) == .array(v.array.map { .int32($0.ints.map(Int32.init)) }))
            case "nested_strings":
                #expect(try md.array(key) == .array(v.array.map { .string($0.array.map(\.string)) }))
            default:
                #expect(got.type.rawValue == ["uint8": 0, "int8": 1, "uint16": 2, "int16": 3, "uint32": 4,
                                              "int32": 5, "int64": 11][kind], "\(key) type")
                #expect(try md.int(key) == v.int)
            }
        }
        #expect(try md.architecture() == "llama")
        #expect(try md.archInt("block_count") == 2)
        #expect(try md.archFloat("rope.freq_base") == 10000)
        #expect(try md.intIfPresent("absent") == nil)
        expectFormatError("missingField") { _ = try md.string("absent.key") }
        let e = expectFormatError("wrongType") { _ = try md.string("llama.block_count") }
        #expect(e?.description.contains("llama.block_count") == true)
        expectFormatError("wrongType") { _ = try md.int("test.string") }
        expectFormatError("wrongType") { _ = try md.strings("test.ints") }
        expectFormatError("wrongType") { _ = try md.int("test.u64") }  // 1.8e19 does not fit in Int
    }

    @Test func weights() throws {
        let f = try GGUFFile(path: try fixturePath("gguf/types_v3.gguf"))
        let lo = Int(bitPattern: f.map.base), hi = lo + f.map.size
        let h = try f.weight("t.f16")
        guard case .f16(let p) = h.storage else { Issue.record("F16 weight is not kept as F16"); return }
        #expect((lo..<hi).contains(Int(bitPattern: p)) && h.outFeatures == 3 && h.inFeatures == 5)
        let b = try f.weight("t.bf16")
        #expect(b.dtype == .bfloat16)
        let t = try f.tensor("t.bf16")
        #expect(b.row(2) == Array(t.array[10..<15]))
        let q = try f.weight("t.q4_k")
        #expect(q.dtype == .float32 && q.outFeatures == 2 && q.inFeatures == 512)
        #expect(q.row(1) == Array(try f.tensor("t.q4_k").array[512..<1024]))
        let e = expectFormatError("shapeMismatch") { _ = try f.weight("t.f32") }  // 3-D
        #expect(e?.description.contains("t.f32") == true)
        expectFormatError("tensorNotFound") { _ = try f.tensor("absent") }
    }

    /// The v3 fixture with the type of tensor `name` replaced by `type`.
    func patchedType(_ name: String, to type: UInt32) throws -> [UInt8] {
        var bytes = try fixtureBytes("gguf/types_v3.gguf")
        let needle = le(UInt64(name.utf8.count)) + Array(name.utf8)
        // Skip the metadata: the tensor infos follow it, so take the last occurrence.
        let at = try #require((0...(bytes.count - needle.count)).last { bytes[$0..<($0 + needle.count)].elementsEqual(needle) })
        let dimsAt = at + needle.count
        let nd = Int(bytes[dimsAt])
        let typeAt = dimsAt + 4 + 8 * nd
        bytes.replaceSubrange(typeAt..<(typeAt + 4), with: le(type))
        return bytes
    }

    @Test func unsupportedTypesNameTensorAndType() throws {
        let dir = TempDir()
        // I32 has the size of F32: the file stays valid, the tensor is just not a float type.
        let f = try GGUFFile(path: try dir.write("i32.gguf", try patchedType("t.f32", to: 26)))
        #expect(try f.info("t.f32").type.name == "I32")
        let e = expectFormatError("unsupportedGGMLType") { _ = try f.tensor("t.f32") }
        #expect(e?.description.contains("t.f32") == true && e?.description.contains("I32") == true)
        #expect(try f.tensor("t.q8_0").count == 192, "other tensors still load")
        // An id ggml does not define: listed, size unknown, reading it fails with the id.
        let u = try GGUFFile(path: try dir.write("unknown.gguf", try patchedType("t.q6_k", to: 99)))
        #expect(u.tensorNames.contains("t.q6_k"))
        let ue = expectFormatError("unsupportedGGMLType") { _ = try u.tensor("t.q6_k") }
        #expect(ue?.description.contains("type 99") == true)
        expectFormatError("unsupportedGGMLType") { _ = try u.weight("t.q6_k") }
        expectFormatError("unsupportedGGMLType") {
            var x: Float = 0
            try GGUFDequant.dequantize(.q2_K, [UInt8](repeating: 0, count: 84), count: 256, into: &x, tensor: "n")
        }
    }

    @Test func dequantKernelsAgreeAcrossThreadSplits() throws {
        // The parallel split must not change values: compare one-part and many-part runs on random blocks.
        for type in GGMLType.dequantizable where type.blockSize! > 1 {
            let bs = type.blockSize!, ts = type.typeSize!
            let blocks = 3 * GGUFDequant.grainElements / bs + 5
            var raw = (0..<(blocks * ts)).map { UInt8(truncatingIfNeeded: ($0 &* 2654435761) >> 13) }
            for b in 0..<blocks {  // finite f16 scales everywhere a block has one
                for off in type == .q6_K ? [208] : [0, 2] { raw[b * ts + off + 1] &= 0x3B }
            }
            var whole = [Float](repeating: 0, count: blocks * bs), parts = whole
            try raw.withUnsafeBytes { try GGUFDequant.dequantize(type, $0.baseAddress!, count: blocks * bs, into: &whole) }
            let kernel = try #require(GGUFDequant.kernel(for: type))
            raw.withUnsafeBytes { r in
                parts.withUnsafeMutableBufferPointer { d in
                    for lo in stride(from: 0, to: blocks, by: 7) { kernel(r.baseAddress!, d.baseAddress!, lo..<min(blocks, lo + 7)) }
                }
            }
            #expect(whole.map(\.bitPattern) == parts.map(\.bitPattern), "\(type)")
        }
    }
}
