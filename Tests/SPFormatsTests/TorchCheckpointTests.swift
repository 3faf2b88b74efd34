// pytorch_model.bin through the restricted unpickler: torch-written fixtures (scripts/reference/
// torch_bin_fixtures.py) give byte-identical tensors to the same tensors saved as safetensors, and
// hostile pickles are refused.

import Foundation
import SPJSON
import SPTestSupport
import Testing
@testable import SPFormats

@Suite struct TorchCheckpointTests {
    /// Every tensor of `bin` (any TensorSource) equals the one of the same name in `reference`, bytes and all.
    private func expectSame(_ bin: TensorSource, _ reference: SafetensorsFile, names: [String],
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(bin.tensorNames.sorted() == reference.tensorNames.sorted(), sourceLocation: sourceLocation)
        for name in names {
            let want = try reference.view(name)
            let got: TensorView
            if let c = bin as? TorchCheckpoint { got = try c.view(name) } else { got = try #require(bin as? TorchShards).view(name) }
            #expect(got.shape == want.shape, "\(name)", sourceLocation: sourceLocation)
            #expect(got.dtype == want.dtype, "\(name)", sourceLocation: sourceLocation)
            let a = [UInt8](UnsafeRawBufferPointer(start: got.data, count: got.byteCount))
            let b = [UInt8](UnsafeRawBufferPointer(start: want.data, count: want.byteCount))
            #expect(a == b, "\(name) bytes differ", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: ["f32", "f16", "bf16", "module_state_dict", "shared_views", "int64_buffer", "legacy",
                       "legacy_bf16", "tensor_with_attribute"])
    func sameTensorsAsSafetensors(_ name: String) throws {
        let bin = try TorchCheckpoint(path: try fixturePath("torch_bin/\(name).bin"))
        #expect(bin.isLegacyFormat == name.hasPrefix("legacy"))
        let st = try SafetensorsFile(path: try fixturePath("torch_bin/\(name).safetensors"))
        let cases: JSONValue = try fixtureJSON("torch_bin/torch_bin.json")["cases"]
        let expected: JSONValue = cases[name]
        guard case .object(let o) = expected else { Issue.record("no case \(name) in torch_bin.json"); return }
        #expect(Set(o.entries.map(\.key)) == Set(bin.tensorNames))
        try expectSame(bin, st, names: st.tensorNames)
        for (key, info) in o.entries { #expect(try bin.shape(of: key) == info["shape"].ints, "\(key)") }
    }

    @Test func sharedStorageAndViews() throws {
        let bin = try TorchCheckpoint(path: try fixturePath("torch_bin/shared_views.bin"))
        let base = try bin.record("base"), tied = try bin.record("tied"), row = try bin.record("row2")
        let col = try bin.record("col3"), t = try bin.record("transposed")
        #expect(Set([base, tied, row, col, t].map(\.storageKey)).count == 1)
        #expect(row.offset == 12 && row.isContiguous)
        #expect(col.offset == 3 && col.strides == [6] && !col.isContiguous)
        #expect(t.shape == [6, 4] && t.strides == [1, 6])
        // The contiguous ones are views into the mapped file: same address for a tensor saved twice.
        #expect(try bin.view("base").data == bin.view("tied").data)
        #expect(try bin.view("row2").data == bin.view("base").data + 12 * 4)
        #expect(try bin.tensor("col3").array == bin.tensor("base").array.enumerated().filter { $0.offset % 6 == 3 }.map(\.element))
        // A weight from a contiguous float32 view is zero-copy too.
        let w = try bin.weight("base")
        #expect(w.row(2) == (try bin.tensor("row2").array))
    }

    @Test func shardedIndex() throws {
        let src = try Checkpoint.open(directory: try FixtureRoot(target: "SPFormatsTests").directory("torch_bin/sharded").path)
        let shards = try #require(src as? TorchShards)
        let st = try SafetensorsFile(path: try fixturePath("torch_bin/sharded.safetensors"))
        try expectSame(shards, st, names: st.tensorNames)
        #expect(try shards.shard(for: "emb").path.hasSuffix("pytorch_model-00001-of-00002.bin"))
        expectFormatError("tensorNotFound") { _ = try shards.tensor("absent") }
    }

    @Test func directoryPrefersSafetensors() throws {
        let dir = TempDir()
        try dir.write("pytorch_model.bin", try fixtureBytes("torch_bin/f32.bin"))
        #expect(try Checkpoint.open(directory: dir.path) is TorchCheckpoint)
        try dir.write("model.safetensors", try fixtureBytes("torch_bin/f16.safetensors"))
        let src = try Checkpoint.open(directory: dir.path)
        #expect(src is SafetensorsFile)
        #expect(src.tensorNames.sorted() == ["v", "w"])
        let e = expectFormatError("io") { _ = try Checkpoint.open(directory: TempDir().path) }
        #expect(e?.description.contains("pytorch_model.bin") == true)
    }

    @Test func legacyFormatSharesStoragesAndRefusesTruncation() throws {
        let path = try fixturePath("torch_bin/legacy.bin")
        let bin = try TorchCheckpoint(path: path)
        #expect(try bin.record("col").storageKey == bin.record("base").storageKey)
        #expect(try bin.view("row").data == bin.view("base").data + 8 * 4)
        // bfloat16: a transposed view (strided, gathered) and an offset row share the base's storage.
        let b16 = try TorchCheckpoint(path: try fixturePath("torch_bin/legacy_bf16.bin"))
        let t = try b16.record("t"), row = try b16.record("row")
        #expect(try t.storageKey == b16.record("base").storageKey && row.storageKey == t.storageKey)
        #expect(t.strides == [1, 5] && !t.isContiguous && row.offset == 15 && row.isContiguous)
        let bytes = try fixtureBytes("torch_bin/legacy.bin")
        let dir = TempDir()
        for cut in [20, 200, bytes.count - 3] {
            let p = try dir.write("cut\(cut).bin", Array(bytes.prefix(cut)))
            let e = expectFormatError("malformed") { _ = try TorchCheckpoint(path: p) }
            #expect(e?.description.contains("truncated") == true || e?.description.contains("past the end") == true,
                    "\(e.map(String.init(describing:)) ?? "nil")")
        }
        expectFormatError("badMagic") { _ = try TorchCheckpoint(path: try fixturePath("torch_bin/f32.safetensors")) }
    }

    @Test(arguments: [
        ("global_os_system", "GLOBAL os.system is not allowed"),
        ("stack_global_eval", "GLOBAL builtins.eval is not allowed"),
        ("reduce_storage_class", "REDUCE on torch.FloatStorage"),
        ("reduce_on_string", "REDUCE on a string"),
        ("huge_binunicode8", "exceeds the stream"),
        ("huge_binbytes", "exceeds the stream"),
        ("huge_long4", "exceeds the stream"),
        ("deep_nesting", "nested deeper than 64"),
        ("exponential_memo", "far larger than the stream"),
        ("self_cycle", "nested deeper than 64"),
        // Legacy (non-zip) files: a hostile object or protocol pickle, a storage past the end.
        ("legacy_global_os_system", "GLOBAL os.system is not allowed"),
        ("legacy_reduce_eval", "GLOBAL builtins.eval is not allowed"),
        ("legacy_huge_storage", "runs past the end of the file"),
    ])
    func maliciousPicklesAreRefused(_ name: String, _ reason: String) throws {
        let e = expectFormatError("malformed") {
            _ = try TorchCheckpoint(path: try fixturePath("torch_bin/malicious/\(name).bin"))
        }
        #expect(e?.description.contains(reason) == true, "\(e.map(String.init(describing:)) ?? "nil")")
        if name.contains("global") || name.contains("reduce") {
            // (every refusal of a GLOBAL or REDUCE says nothing was executed, legacy files too)
            #expect(e?.description.contains("refused") == true)
            #expect(e?.description.contains("nothing in the file is executed") == true)
        }
    }

    @Test func viewOutsideItsStorageIsRefused() throws {
        // _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 4), 2, (3,), (1,), False, OrderedDict())
        var p = PickleWriter()
        p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce()
        p.mark(); p.string("x")
        p.global("torch._utils", "_rebuild_tensor_v2")
        p.mark(); p.mark(); p.string("storage"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu")
        p.int(4); p.tuple(5); p.persistentID()
        p.int(2); p.ints([3]); p.ints([1]); p.bool(false)
        p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce()
        p.tuple(6); p.reduce()
        p.setItems(); p.stop()
        let e = expectFormatError("malformed") {
            _ = try p.bytes.withUnsafeBytes { try TorchPickle.tensorRecords($0, file: "t") }
        }
        #expect(e?.description.contains("reaches element 4 of a storage of 4") == true)
    }
}
