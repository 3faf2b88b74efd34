// safetensors read/write against files written by the Python library (scripts/reference/formats_goldens.py).

import Foundation
import SPJSON
import Testing
@testable import SPFormats
@testable import SPTensor

@Suite struct SafetensorsTests {
    static let cases = ["mixed", "nometa", "multimeta", "empty"]

    func manifest(_ name: String) throws -> JSONValue { try fixtureJSON("safetensors/cases.json")[name] }

    func entries(_ m: JSONValue) throws -> [SafetensorsEntry] {
        try m["tensors"].array.map { t in
            let dt = SafetensorsDType(rawValue: t["dtype"].string)?.dtype ?? .float32
            return try SafetensorsEntry(name: t["name"].string, shape: t["shape"].ints,
                                        values: t["values"].array.map { Float($0.double) }, dtype: dt)
        }
    }

    func metadata(_ m: JSONValue) -> [String: String]? {
        guard case .object(let o) = m["metadata"] else { return nil }
        return Dictionary(uniqueKeysWithValues: o.entries.map { ($0.key, $0.value.string) })
    }

    @Test("reads the library's files: names, dtypes, shapes, values, metadata", arguments: cases)
    func readsLibraryFiles(_ name: String) throws {
        let m = try manifest(name)
        let f = try SafetensorsFile(path: try fixturePath("safetensors/\(name).safetensors"))
        let expected = m["tensors"].array
        #expect(Set(f.tensorNames) == Set(expected.map { $0["name"].string }))
        for t in expected {
            let v = try f.view(t["name"].string)
            #expect(v.dtype.rawValue == t["dtype"].string)
            #expect(v.shape == t["shape"].ints)
            let got = try v.floats()
            let want = t["read"].array.map { Float($0.double) }
            #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "values of \(v.name)")
            let tensor = try f.tensor(v.name)
            #expect(tensor.shape == v.shape && tensor.array == got)
        }
        #expect(f.metadata == (metadata(m) ?? [:]))
        #expect((f.header.metadata == nil) == (metadata(m) == nil))
    }

    @Test("writer output is byte-identical to the Python library's", arguments: cases)
    func byteIdentical(_ name: String) throws {
        let m = try manifest(name)
        let ours = try SafetensorsWriter.serialize(try entries(m), metadata: metadata(m))
        let theirs = try fixtureBytes("safetensors/\(name).safetensors")
        #expect(ours.count == theirs.count)
        #expect(ours == theirs, "\(String(decoding: ours.prefix(300), as: UTF8.self))")
    }

    @Test func roundTripAndAtomicWrite() throws {
        let dir = TempDir()
        let path = dir.path + "/out.safetensors"
        let vals = randomValues(24, seed: 7)
        let e = [try SafetensorsEntry(name: "w32", shape: [4, 6], values: vals),
                 try SafetensorsEntry(name: "w16", shape: [4, 6], values: vals, dtype: .float16),
                 try SafetensorsEntry(name: "wbf", shape: [2, 12], values: vals, dtype: .bfloat16)]
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        try SafetensorsWriter.write(e, metadata: ["format": "pt", "k": "v"], to: path)
        #expect(dir.contents == ["out.safetensors"], "no temporary file is left behind")
        let f = try SafetensorsFile(path: path)
        #expect(f.metadata == ["format": "pt", "k": "v"])
        #expect(try f.view("w32").floats() == vals)
        var h = vals
        Convert.roundTrip(&h, 24, through: .float16)
        #expect(try f.view("w16").floats() == h)
        var b = vals
        Convert.roundTrip(&b, 24, through: .bfloat16)
        #expect(try f.view("wbf").floats() == b)
        #expect(f.header.dataStart % 8 == 0, "header padded to 8 bytes")
        // A failed write (directory missing) leaves nothing and throws an io error.
        expectFormatError("io") { try SafetensorsWriter.write(e, to: dir.path + "/missing/x.safetensors") }
    }

    @Test func writerRejectsBadEntries() throws {
        expectFormatError("invalidArgument") { _ = try SafetensorsEntry(name: "a", shape: [2, 2], values: [1, 2, 3]) }
        expectFormatError("invalidArgument") {
            _ = try SafetensorsEntry(name: "a", dtype: .float16, shape: [3], bytes: [0, 0, 0, 0])
        }
        let a = try SafetensorsEntry(name: "a", shape: [1], values: [1])
        expectFormatError("invalidArgument") { _ = try SafetensorsWriter.serialize([a, a]) }
        let meta = try SafetensorsEntry(name: "__metadata__", shape: [1], values: [1])
        expectFormatError("invalidArgument") { _ = try SafetensorsWriter.serialize([meta]) }
    }

    @Test func weightsAreZeroCopyWhenAligned() throws {
        let f = try SafetensorsFile(path: try fixturePath("safetensors/mixed.safetensors"))
        let lo = Int(bitPattern: f.map.base), hi = lo + f.map.size
        func inMap(_ w: Weight) -> Bool {
            switch w.storage {
            case .f32(let p): return (lo..<hi).contains(Int(bitPattern: p))
            case .f16(let p), .bf16(let p): return (lo..<hi).contains(Int(bitPattern: p))
            case .q8_0(let p), .blocks(_, let p): return (lo..<hi).contains(Int(bitPattern: p))
            }
        }
        let emb = try f.weight("model.embed.weight")
        #expect(emb.dtype == .float32 && emb.outFeatures == 4 && emb.inFeatures == 3 && inMap(emb))
        let bf = try f.weight("h.0.attn.c_attn.weight")
        #expect(bf.dtype == .bfloat16 && bf.outFeatures == 3 && bf.inFeatures == 6 && inMap(bf))
        let t = try f.tensor("h.0.attn.c_attn.weight")
        #expect(bf.row(1) == Array(t.array[6..<12]))
        // Conv1D layout: [in, out] stored; half precision cannot stay transposed, so it is widened.
        let tr = try f.weight("h.0.attn.c_attn.weight", transposed: true)
        #expect(tr.dtype == .float32 && tr.outFeatures == 6 && tr.inFeatures == 3 && !inMap(tr))
        #expect(tr.row(2) == [t[0, 2], t[1, 2], t[2, 2]])
        let trf = try f.weight("model.embed.weight", transposed: true)
        #expect(trf.transposed && inMap(trf))
        expectFormatError("shapeMismatch") { _ = try f.weight("b.bias") }
        expectFormatError("tensorNotFound") { _ = try f.view("nope") }
    }

    /// A file with one tensor of `dtype` whose data starts at an odd offset when `misalign`.
    func rawFile(dtype: String, shape: [Int], bytes: Int, pad: Int = 0) -> [UInt8] {
        var json = Array("{\"t\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[0,\(bytes)]}}".utf8)
        json += [UInt8](repeating: 0x20, count: pad)
        return le(UInt64(json.count)) + json + (0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 37) }
    }

    @Test func otherDTypesErrorOnlyWhenReadAsFloat() throws {
        let dir = TempDir()
        for dt in ["I64", "U8", "F64", "BOOL", "F8_E4M3", "C64"] {
            let size = SafetensorsDType(rawValue: dt)!.bits / 8
            let p = try dir.write("\(dt).safetensors", rawFile(dtype: dt, shape: [2, 3], bytes: 6 * size))
            let f = try SafetensorsFile(path: p)
            let v = try f.view("t")
            #expect(v.dtype.rawValue == dt && v.byteCount == 6 * size && v.shape == [2, 3])
            let e = expectFormatError("unsupportedDType") { _ = try f.tensor("t") }
            #expect(e?.description.contains(dt) == true && e?.description.contains("t") == true)
            expectFormatError("unsupportedDType") { _ = try f.weight("t") }
        }
    }

    @Test func misalignedDataIsCopied() throws {
        let dir = TempDir()
        // Header length 57 + 8 → data at an odd address; the library itself would pad, others may not.
        for (dt, size) in [("F32", 4), ("F16", 2), ("BF16", 2)] {
            var file = rawFile(dtype: dt, shape: [2, 2], bytes: 4 * size)
            var pad = 0
            while (8 + Int(file[0])) % 2 == 0 { pad += 1; file = rawFile(dtype: dt, shape: [2, 2], bytes: 4 * size, pad: pad) }
            let f = try SafetensorsFile(path: try dir.write("\(dt).safetensors", file))
            let v = try f.view("t")
            #expect(Int(bitPattern: v.data) % 2 == 1)
            let w = try f.weight("t")
            #expect(w.row(0) + w.row(1) == (try v.floats()))
        }
    }

    @Test func shardedIndex() throws {
        let dir = TempDir()
        let a = try SafetensorsEntry(name: "a", shape: [2, 2], values: [1, 2, 3, 4])
        let b = try SafetensorsEntry(name: "b", shape: [3], values: [5, 6, 7], dtype: .bfloat16)
        try SafetensorsWriter.write([a], to: dir.path + "/model-00001-of-00002.safetensors")
        try SafetensorsWriter.write([b], to: dir.path + "/model-00002-of-00002.safetensors")
        let index = """
            {"metadata": {"total_size": 22}, "weight_map": {"a": "model-00001-of-00002.safetensors",
             "b": "model-00002-of-00002.safetensors", "ghost": "model-00001-of-00002.safetensors"}}
            """
        try dir.write("model.safetensors.index.json", Array(index.utf8))
        let src = try Safetensors.open(directory: dir.path)
        let s = try #require(src as? SafetensorsShards)
        #expect(s.tensorNames == ["a", "b", "ghost"])
        #expect(s.shardNames == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        #expect(s.metadata["total_size"] == .int(22))
        #expect(try s.tensor("a").array == [1, 2, 3, 4])
        #expect(try s.tensor("b").array == [5, 6, 7])
        #expect(try s.shape(of: "b") == [3])
        #expect(try s.weight("a").row(1) == [3, 4])
        let e = expectFormatError("tensorNotFound") { _ = try s.tensor("ghost") }
        #expect(e?.description.contains("model-00001-of-00002.safetensors") == true)
        expectFormatError("tensorNotFound") { _ = try s.tensor("absent") }
        for bad in ["../model.safetensors", "/etc/passwd", ""] {
            try dir.write("bad.json", Array("{\"weight_map\": {\"a\": \"\(bad)\"}}".utf8))
            expectFormatError("invalidHeader") { _ = try SafetensorsShards(indexPath: dir.path + "/bad.json") }
        }
        try dir.write("bad.json", Array("{\"metadata\": {}}".utf8))
        expectFormatError("missingField") { _ = try SafetensorsShards(indexPath: dir.path + "/bad.json") }
        let single = TempDir()
        try SafetensorsWriter.write([a], to: single.path + "/model.safetensors")
        #expect(try Safetensors.open(directory: single.path).tensorNames == ["a"])
        expectFormatError("io") { _ = try Safetensors.open(directory: TempDir().path) }
    }
}

/// Deterministic pseudo-random floats in [-1, 1) (SplitMix64).
func randomValues(_ n: Int, seed: UInt64) -> [Float] {
    var s = seed
    return (0..<n).map { _ in
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) / Float(1 << 24) * 2 - 1
    }
}
